import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import { migrations as allMigrations } from '../../migrations/index.js';
import type { Db } from './database.js';

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
 * Runs every pending migration forward; throws MigrationError naming the failed one. Two
 * processes starting on a fresh file at once race for the same migration: the loser's failure
 * is harmless when the winner has recorded that migration meanwhile, and it migrates on from there.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const result: MigrationResultSet = await migrator(db).migrateToLatest();
    if (!result.error || attempt >= 3) return applied(result);
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const info = await migrator(db).getMigrations();
    if (!info.some((m) => m.name === failed && m.executedAt !== undefined)) return applied(result);
  }
}

function applied(result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    throw new MigrationError(`migration ${failed} failed: ${cause}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
