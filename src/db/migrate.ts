import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import { migrations as allMigrations } from '../../migrations/index.js';
import { sqliteOf, type Db } from './database.js';

class MigrationError extends Error {}

/** Serves the migrations listed in migrations/index.ts (tests check it lists every file). */
class ListedMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

export function migrator(db: Db, migrations: Record<string, Migration> = allMigrations): Migrator {
  return new Migrator({ db, provider: new ListedMigrationProvider(migrations) });
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

function applied(result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    throw new MigrationError(`migration ${failed} failed: ${cause}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
