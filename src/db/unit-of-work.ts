import type { ControlledTransaction, KyselyPlugin } from 'kysely';
import type { Db } from './database.js';
import type { Database } from './schema.js';

/**
 * Runs `fn` in one transaction: everything `fn` writes through the Db it is given commits
 * together or not at all. A `transaction()` opened inside (the services open their own) joins
 * it as a savepoint: its failure rolls back its own writes only, as it would on its own. Standard
 * Kysely (startTransaction, savepoints): the same on SQLite and PostgreSQL.
 *
 * Everything inside must go through the given Db: on SQLite the one connection is held until
 * the commit, so a query through the outer Db would wait for it forever.
 */
export async function inOneTransaction<T>(db: Db, fn: (db: Db) => Promise<T>): Promise<T> {
  const trx = await db.startTransaction().execute();
  const joined = joining(trx);
  roots.set(joined, roots.get(db) ?? db);
  try {
    const out = await fn(joined);
    await trx.commit().execute();
    return out;
  } catch (err) {
    // Also after a failed COMMIT (disk full): Kysely releases the connection only on a rollback.
    await trx.rollback().execute().catch(() => undefined);
    throw err;
  }
}

const roots = new WeakMap<Db, Db>();

/**
 * The database a transaction's Db belongs to (itself otherwise): for caches of derived values
 * that must outlive one transaction — keyed by content only, since what a transaction read may
 * be rolled back.
 */
export function rootOf(db: Db): Db {
  return roots.get(db) ?? db;
}

const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);
const refuseWrites: KyselyPlugin = {
  transformQuery(args) {
    if (WRITES.has(args.node.kind)) throw new Error(`a read-only command tried to write (${args.node.kind})`);
    return args.node;
  },
  transformResult: (args) => Promise.resolve(args.result),
};
const readOnlyViews = new WeakMap<Db, Db>();

/**
 * `db` for a command declared read-only (src/bot/registry.ts `readOnly`): the query builder's
 * inserts, updates and deletes through it fail instead of being written outside the
 * transaction such a command no longer runs in.
 */
export function readOnlyView(db: Db): Db {
  let view = readOnlyViews.get(db);
  if (!view) {
    view = db.withPlugin(refuseWrites);
    readOnlyViews.set(db, view);
    roots.set(view, rootOf(db));
  }
  return view;
}

// The savepoint names' tuple type is irrelevant here: names are generated.
type AnyControlled = ControlledTransaction<Database, string[]>;

function joining(trx: AnyControlled): Db {
  let n = 0;
  const nested = {
    execute: async <R>(work: (t: Db) => Promise<R>): Promise<R> => {
      const name = `uow_${++n}`;
      const sp = (await trx.savepoint(name).execute()) as AnyControlled;
      try {
        const r = await work(proxy);
        await sp.releaseSavepoint(name).execute();
        return r;
      } catch (err) {
        await sp.rollbackToSavepoint(name).execute().catch(() => undefined);
        throw err;
      }
    },
    setIsolationLevel: () => nested,
    setAccessMode: () => nested,
  };
  // Kysely keeps its state in private fields: methods are bound to the transaction itself.
  const proxy = new Proxy(trx, {
    get(target, prop) {
      if (prop === 'transaction') return () => nested;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as unknown as Db;
  return proxy;
}
