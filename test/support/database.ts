/**
 * The database a parameterised suite runs on (issue 17). vitest.config.ts runs the repository,
 * service, scheduler and bot suites twice: as they are (SQLite files) and in the `postgres`
 * project with DANGJIAN_TEST_DIALECT=postgres. There each test database is fresh:
 * - a database on the server TEST_DATABASE_URL names (CI sets it: real PostgreSQL), or
 * - without it, on an embedded PostgreSQL (PGlite, one per test file, through the
 *   kysely-pglite-dialect driver; a schema per database), so `npm test` passes on a machine
 *   with no server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type Kysely, type TransactionSettings } from 'kysely';
import { fromDialect, openDatabase, openPostgres, type AnyOpenedDatabase, type Dialect as DbDialect } from '../../src/db/database.js';

export const TEST_DIALECT: DbDialect = process.env.DANGJIAN_TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite';
export const onPostgres = TEST_DIALECT === 'postgres';

/**
 * Opens a database on the suite's engine; on SQLite at `file` (a path or ':memory:'). On
 * PostgreSQL each file path is one database of this run (opening the same path again, as a
 * "restarted process" does, finds its data); ':memory:' is always a new one, dropped at close.
 * On a server the database is created from the run's migrated template (a file copy: much
 * faster than migrating anew); on PGlite it is a schema. What a path made is kept until the
 * run ends (test/support/postgres-global.ts drops it).
 */
export async function openTestDatabase(file: string): Promise<AnyOpenedDatabase> {
  if (!onPostgres) return openDatabase(file);
  const name = testDatabaseName(file === ':memory:' ? randomBytes(6).toString('hex') : file);
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const admin = await openPostgres(url, { max: 1 });
    try {
      await admin.db.executeQuery(CompiledQuery.raw(`CREATE DATABASE ${name} TEMPLATE ${templateDatabaseName()}`));
    } catch (err) {
      if ((err as { code?: string }).code !== '42P04') throw err; // exists: the same path opened again
    } finally {
      await admin.close();
    }
    const opened = await openPostgres(serverUrl(url, name), { max: 4 });
    if (file !== ':memory:') return opened;
    return {
      ...opened,
      close: async () => {
        await opened.close();
        const again = await openPostgres(url, { max: 1 });
        await again.db.executeQuery(CompiledQuery.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => {});
        await again.close();
      },
    };
  }
  const shared = await embedded();
  await shared.query(`CREATE SCHEMA IF NOT EXISTS ${name}`);
  const opened = fromDialect(new SchemaDialect(shared.dialect, shared.driver, name));
  if (file !== ':memory:') return opened;
  return {
    ...opened,
    close: async () => {
      await opened.close();
      await shared.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    },
  };
}

const runId = () => process.env.DANGJIAN_TEST_RUN ?? 'local';
const testDatabaseName = (key: string) => `t_${runId()}_${/^[0-9a-f]{12}$/.test(key) ? key : createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
export const templateDatabaseName = () => `tmpl_${runId()}`;

/**
 * The server URL of another database; test connections skip waiting for the WAL flush at
 * commit (a test database is thrown away: durability is not under test, speed is).
 */
export function serverUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  u.searchParams.set('options', '-c synchronous_commit=off');
  return u.toString();
}

interface Embedded {
  dialect: Dialect;
  driver: Driver;
  query(sql: string): Promise<unknown>;
}

let embeddedOnce: Promise<Embedded> | undefined;

/** One PGlite per test file (it takes seconds to start), shared by every test database of the file. */
function embedded(): Promise<Embedded> {
  embeddedOnce ??= (async () => {
    const [{ PGlite }, { PGliteDialect }] = await Promise.all([import('@electric-sql/pglite'), import('kysely-pglite-dialect')]);
    // numeric (sums) as numbers, as pg's Pool is set up in src/db/database.ts.
    const pglite = await PGlite.create({ parsers: { 1700: (v: string) => Number(v), 20: (v: string) => Number(v) } });
    const dialect = new PGliteDialect(pglite);
    const driver = dialect.createDriver();
    await driver.init();
    return { dialect, driver, query: (sql) => pglite.query(sql) };
  })();
  return embeddedOnce;
}

/**
 * The PGlite dialect with one shared driver (one connection, one queue) for every test database
 * of the file, each in its own schema: the search_path is set when a connection is acquired.
 * Destroying one test database leaves the shared PGlite running.
 */
class SchemaDialect implements Dialect {
  constructor(
    private readonly inner: Dialect,
    private readonly shared: Driver,
    private readonly schema: string,
  ) {}
  createAdapter() {
    return this.inner.createAdapter();
  }
  createQueryCompiler() {
    return this.inner.createQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return this.inner.createIntrospector(db);
  }
  createDriver(): Driver {
    const { shared, schema } = this;
    return {
      init: async () => {},
      acquireConnection: async (): Promise<DatabaseConnection> => {
        const conn = await shared.acquireConnection();
        await conn.executeQuery(CompiledQuery.raw(`SET search_path TO ${schema}`));
        return conn;
      },
      beginTransaction: (conn: DatabaseConnection, settings: TransactionSettings) => shared.beginTransaction(conn, settings),
      commitTransaction: (conn: DatabaseConnection) => shared.commitTransaction(conn),
      rollbackTransaction: (conn: DatabaseConnection) => shared.rollbackTransaction(conn),
      releaseConnection: (conn: DatabaseConnection) => shared.releaseConnection(conn),
      // kysely-pglite-dialect's driver has no savepoints; the services' transactions nested in a
      // message's one transaction need them (src/db/unit-of-work.ts). Names are generated there.
      savepoint: async (conn: DatabaseConnection, name: string) => void (await conn.executeQuery(CompiledQuery.raw(`savepoint ${name}`))),
      rollbackToSavepoint: async (conn: DatabaseConnection, name: string) => void (await conn.executeQuery(CompiledQuery.raw(`rollback to savepoint ${name}`))),
      releaseSavepoint: async (conn: DatabaseConnection, name: string) => void (await conn.executeQuery(CompiledQuery.raw(`release savepoint ${name}`))),
      destroy: async () => {},
    };
  }
}

/** Runs a raw query on either engine (`?` placeholders) and returns its rows; for assertions. */
export async function allRows<R>(opened: AnyOpenedDatabase, query: string, ...params: unknown[]): Promise<R[]> {
  if (opened.dialect === 'sqlite') return opened.sqlite.prepare(query).all(...params) as R[];
  let n = 0;
  const result = await opened.db.executeQuery(CompiledQuery.raw(query.replace(/\?/g, () => `$${++n}`), params));
  return result.rows as R[];
}

export async function firstRow<R>(opened: AnyOpenedDatabase, query: string, ...params: unknown[]): Promise<R | undefined> {
  return (await allRows<R>(opened, query, ...params))[0];
}

/**
 * What a CLI run or a service process is given as --db / DATABASE_URL for the database
 * openTestDatabase(file) opened: the file on SQLite, the database's URL on a PostgreSQL server;
 * null on the embedded PGlite, which another connection cannot reach.
 */
export function databaseLocation(file: string): string | null {
  if (!onPostgres) return file;
  const url = process.env.TEST_DATABASE_URL;
  return url ? serverUrl(url, testDatabaseName(file)) : null;
}

/** Why a test needing a second connection is skipped on the embedded PGlite. */
export const needsServer = onPostgres && !process.env.TEST_DATABASE_URL;
