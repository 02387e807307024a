import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresAdapter, SqliteDialect, type Dialect as KyselyDialect } from 'kysely';
import { postgresTypesPlugin, withCurrentSchemaIntrospector } from './postgres-types.js';
import { withNamedStatements } from './prepared-statements.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

/** The two engines (issue 17): the embedded SQLite file (default) and a PostgreSQL server. */
export type Dialect = 'sqlite' | 'postgres';

export interface OpenedDatabase {
  db: Db;
  dialect: 'sqlite';
  /** The raw handle, for the backup API and PRAGMAs. */
  sqlite: SQLite.Database;
  close(): Promise<void>;
}

export interface OpenedPostgres {
  db: Db;
  dialect: 'postgres';
  close(): Promise<void>;
}

/** A database of either engine; `sqlite` is there only on SQLite. */
export type AnyOpenedDatabase = OpenedDatabase | OpenedPostgres;

/** Which engine a Db (or a transaction of one) runs on. */
export function dialectOf(db: Db): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Whether a database location names a PostgreSQL server rather than a SQLite file. */
export const isPostgresUrl = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);

/** Hides the password of a postgres:// URL for logs and messages. */
export function describeLocation(location: string): string {
  return isPostgresUrl(location) ? location.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@') : location;
}

/**
 * Opens a PostgreSQL database over pg's Pool. `pg` is loaded here only (a SQLite deployment and
 * the CLI never load it). int8 (counts, our epoch-millisecond columns) and numeric (sums) come
 * back from pg as strings; every value we store fits a double exactly, so both are parsed to
 * numbers, as SQLite returns them.
 */
/**
 * How long an idle pooled connection is kept (pg's default is 10 s). A new connection is a new
 * server process whose caches are cold and whose named statements are parsed again: with the
 * default, every burst of chat messages after ten quiet seconds paid that on several
 * connections at once. Ten minutes keeps the pool warm through a working session and still
 * gives the server its processes back overnight.
 */
const IDLE_CONNECTION_MS = 10 * 60_000;
/**
 * Connections per process. A read-only command reads its rows beside the sender's (read-ahead)
 * while the event is recorded and flushed: one message can use five or six connections at once,
 * and ten made a burst wait for the pool (bench/postgres.bench.ts: p50 9.9 → 7.5 ms, 14.4 → 11.9
 * with 20). Three replicas stay well inside PostgreSQL's default 100 connections.
 */
const POOL_SIZE = 20;

export async function openPostgres(url: string, options: { max?: number; applicationName?: string } = {}): Promise<OpenedPostgres> {
  const { default: pg } = await import('pg');
  const types = { getTypeParser: (oid: number, format?: string) => (oid === 20 || oid === 1700 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) };
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? POOL_SIZE, idleTimeoutMillis: IDLE_CONNECTION_MS, application_name: options.applicationName ?? 'dangjian', types: types as never });
  // An idle client's connection dropping (a server restart) must not crash the process; the pool
  // replaces it at the next query.
  pool.on('error', () => {});
  // Nor may a connection that drops while a client is checked out (pg's Pool listens for errors
  // only on idle clients; a checked-out client with no listener would throw 'Connection terminated
  // unexpectedly' as an unhandled 'error' event and end the process). The query in flight fails
  // with the error, the dead client is not queryable and the pool discards it on release.
  // No JIT compilation either: the planner cannot estimate our recursive scope CTEs (unit.parent_id
  // trees) and guesses millions of rows, which crosses jit_above_cost; compiling then took
  // 0.5–1.3 s of a 60 ms city-wide ranking (bench/postgres.bench.ts). Our queries are short OLTP
  // reads and writes, where JIT never pays.
  // Commits are asynchronous (as SQLite is opened: WAL, synchronous = NORMAL): a message makes
  // several commits, and waiting for a WAL flush on each (3–4 ms here) made replies queue up under
  // a burst. A server crash may lose the last fraction of a second of commits, never consistency;
  // what must survive it, the inbox record Lark is acknowledged for, is flushed before the
  // acknowledgement (awaitDurableCommits). Lost later work is redone from the pending inbox row,
  // and a send whose 'sent' mark was lost goes again under its uuid, which Lark deduplicates.
  // Set before the connection's first query.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    void client.query('SET jit = off; SET synchronous_commit = off').catch(() => {});
  });
  const { PostgresDialect } = await import('kysely');
  return fromDialect(new PostgresDialect({ pool: withNamedStatements(pool) as never }));
}

/** A Kysely over any PostgreSQL dialect (pg's Pool, or an embedded PGlite in tests). */
export function fromDialect(dialect: KyselyDialect): OpenedPostgres {
  const db = new Kysely<Database>({ dialect: withCurrentSchemaIntrospector(dialect), plugins: [postgresTypesPlugin] });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

/**
 * Opens the database a location names: a postgres:// URL (DATABASE_URL) or a SQLite file.
 */
export async function openDatabaseAt(location: string, options: { readonly?: boolean; applicationName?: string } = {}): Promise<AnyOpenedDatabase> {
  return isPostgresUrl(location) ? openPostgres(location, { applicationName: options.applicationName }) : openDatabase(location, options);
}

const STATEMENT_CACHE_SIZE = 500;

const handles = new WeakMap<Db, SQLite.Database>();

/**
 * The raw handle behind a Db opened here, for the few writes that must be one synchronous
 * transaction (a Kysely transaction spans awaits; a second connection in the same process would
 * then busy-wait on its lock with the event loop blocked). SQLite-specific (issue 17).
 */
export function sqliteOf(db: Db): SQLite.Database {
  const h = handles.get(db);
  if (!h) throw new Error('not a database opened with openDatabase');
  return h;
}

/**
 * `all()` collecting the rows one by one (iterate), as fast but without better-sqlite3 holding a
 * handle for every row and value of the result until it returns: a city-wide ranking's 157k
 * rows took 12 MB more of resident memory that way. A few µs more for a one-row read.
 */
function rowsOneByOne(stmt: SQLite.Statement): void {
  const iterate = stmt.iterate.bind(stmt) as (...params: unknown[]) => IterableIterator<unknown>;
  stmt.all = ((...params: unknown[]) => {
    const rows: unknown[] = [];
    for (const row of iterate(...params)) rows.push(row);
    return rows;
  }) as SQLite.Statement['all'];
}

/**
 * Kysely prepares every query anew; preparing costs as much as running most of ours. Reuse
 * prepared statements by SQL text (LRU). Safe because Kysely runs them synchronously with
 * all()/run() (nothing here streams, which would hold a statement busy).
 */
function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (source: string): SQLite.Statement => {
    let stmt = cache.get(source);
    if (stmt) {
      cache.delete(source);
    } else {
      stmt = sqlite.prepare(source);
      if (stmt.reader) rowsOneByOne(stmt);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    }
    cache.set(source, stmt);
    return stmt;
  };
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === 'prepare') return prepare;
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Opens (creating the directory if needed) a SQLite file with WAL, foreign keys and a
 * busy timeout, so that several processes (service + CLI) can share it.
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): OpenedDatabase {
  if (file !== ':memory:' && !options.readonly) mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  sqlite.pragma('busy_timeout = 10000');
  if (!options.readonly) {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
  }
  sqlite.pragma('foreign_keys = ON');
  // SQLite's own default page cache (2 MB). better-sqlite3 builds SQLite with 16 MB, which a
  // city-wide ranking fills: 14 MB more of the service's resident memory for pages the OS caches
  // anyway (a street's whole database is a few MB).
  sqlite.pragma('cache_size = -2000');
  const cached = withStatementCache(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cached }) });
  handles.set(db, cached);
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    // Kysely's destroy closes the underlying better-sqlite3 handle.
    close: () => db.destroy(),
  };
}

/**
 * Another connection holds the lock: SQLITE_BUSY and its extended codes; on PostgreSQL a lock
 * timeout (55P03), a serialization failure (40001) or a deadlock (40P01), all worth retrying.
 */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code === '55P03' || code === '40001' || code === '40P01');
}

/**
 * The database cannot do its part right now (locked, full, an I/O error, read-only): a passing
 * condition of the machine, never the sender's fault. Work that meets it is tried again later.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = e?.code;
  if (typeof code === 'string') {
    if (/^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN)/.test(code)) return true;
    // PostgreSQL: connection exceptions (08…), shutdown / cannot connect now (57P…), out of
    // resources or disk (53…), lock timeout, serialization failure, deadlock; the socket's own errors.
    if (/^(08|57P|53)/.test(code) || ['55P03', '40001', '40P01', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)) return true;
  }
  return isConnectionLost(err);
}

/**
 * The connection to the database was lost (PostgreSQL: the server restarted, the backend was
 * terminated, the socket dropped): class 08 and 57P01–57P03, or pg's own errors for a dead
 * client. Transient: the pool connects again for the next query.
 */
export function isConnectionLost(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE') return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /^Connection terminated|connection error and is not queryable|Client was closed and is not queryable/.test(message);
}

/**
 * Runs `fn`, and while it fails because another connection holds the write lock, runs it again
 * after `stepMs` (a timer: the event loop stays free) until `deadlineMs` have passed; then the
 * last error is thrown. Meant for a connection with a short busy_timeout, where a held lock
 * would otherwise block the whole process for the busy timeout.
 */
export async function retryWhileBusy<T>(fn: () => Promise<T>, o: { deadlineMs: number; stepMs?: number }): Promise<T> {
  const until = Date.now() + o.deadlineMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() + (o.stepMs ?? 25) > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, o.stepMs ?? 25));
    }
  }
}
