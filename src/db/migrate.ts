import { Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import { migrations as allMigrations } from '../../migrations/index.js';
import { dialectOf, sqliteOf, type Db } from './database.js';

class MigrationError extends Error {}

/** Serves the migrations listed in migrations/index.ts (tests check it lists every file). */
class ListedMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

export function migrator(db: Db, migrations: Record<string, Migration> = allMigrations, schema?: string): Migrator {
  return new Migrator({ db, provider: new ListedMigrationProvider(migrations), ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
}

export const migrationNames = (): string[] => Object.keys(allMigrations).sort();

/**
 * Runs every pending migration forward, all of them in one write transaction (BEGIN IMMEDIATE);
 * throws MigrationError naming the failed one, and then nothing is applied. Kysely takes no
 * migration lock on SQLite: two processes starting on a fresh file at once would both run the
 * first migration. Here the second waits for the first to commit (busy timeout) and finds nothing
 * left to do. (Two connections of one process must not migrate the same fresh file at once: the
 * second would wait with the event loop blocked.) SQLite-specific (issue 17).
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  // PostgreSQL: Kysely runs the pending migrations in one transaction under its advisory lock,
  // so replicas starting together are safe; the one that waited finds nothing left to do.
  if (dialectOf(db) === 'postgres') return (await pendingOnPostgres(db)) ? applied(await migrator(db, allMigrations, await currentSchema(db)).migrateToLatest()) : [];
  // Nothing pending (every start but the first): no write lock taken at all.
  if (!hasPending(db)) return [];
  const sqlite = sqliteOf(db);
  sqlite.exec('BEGIN IMMEDIATE');
  let result: MigrationResultSet;
  try {
    result = await migrator(db).migrateToLatest();
  } catch (err) {
    sqlite.exec('ROLLBACK');
    throw err;
  }
  sqlite.exec(result.error ? 'ROLLBACK' : 'COMMIT');
  return applied(result);
}

/**
 * Whether a migration is pending, read with one query (Kysely's own check introspects every table
 * first: a noticeable part of a CLI command's start). SQLite-specific (issue 17).
 */
function hasPending(db: Db): boolean {
  let done: Set<string>;
  try {
    done = new Set((sqliteOf(db).prepare('SELECT name FROM kysely_migration').all() as Array<{ name: string }>).map((r) => r.name));
  } catch {
    return true; // a fresh file: no migration table yet
  }
  return migrationNames().some((name) => !done.has(name));
}

/**
 * The schema the connection works in (search_path): Kysely's migration tables go there, named
 * explicitly, because its check for them looks in every schema of the database.
 */
async function currentSchema(db: Db): Promise<string> {
  const r = await sql<{ s: string }>`select current_schema() as s`.execute(db);
  return r.rows[0]!.s;
}

async function pendingOnPostgres(db: Db): Promise<boolean> {
  return (await pendingMigrations(db)).length > 0;
}

/** The migrations not yet applied to a database of either engine (all of them on a fresh one). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  let done: Set<string>;
  try {
    done = new Set((await db.selectFrom('kysely_migration' as never).select('name' as never).execute()).map((r) => (r as { name: string }).name));
  } catch {
    return migrationNames(); // a fresh database: no migration table yet
  }
  return migrationNames().filter((name) => !done.has(name));
}

function applied(result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    throw new MigrationError(`migration ${failed} failed: ${cause}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
