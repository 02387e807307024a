import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Db } from './database.js';

/** migrations/ sits two levels above this file both in src/db and in dist/src/db. */
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

export class MigrationError extends Error {}

/**
 * Like Kysely's FileMigrationProvider, but the import() runs from this module so that the
 * active loader (tsx, vitest, or plain Node for compiled dist/) resolves .ts or .js files.
 */
class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly folder: string) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    for (const file of (await fs.readdir(this.folder)).sort()) {
      if (!/\.(ts|js|mjs)$/.test(file) || /\.d\.[mc]?ts$/.test(file)) continue;
      const mod = (await import(pathToFileURL(path.join(this.folder, file)).href)) as Partial<Migration>;
      if (typeof mod.up !== 'function') throw new MigrationError(`migration ${file} exports no up()`);
      migrations[file.replace(/\.(ts|js|mjs)$/, '')] = mod as Migration;
    }
    return migrations;
  }
}

export function migrator(db: Db, migrationFolder = MIGRATIONS_DIR): Migrator {
  return new Migrator({ db, provider: new FolderMigrationProvider(migrationFolder) });
}

/** Runs every pending migration forward; throws MigrationError naming the failed one. */
export async function migrateToLatest(db: Db, migrationFolder?: string): Promise<string[]> {
  const result: MigrationResultSet = await migrator(db, migrationFolder).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    throw new MigrationError(`migration ${failed} failed: ${cause}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
