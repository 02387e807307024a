import type { OpenedDatabase } from './database.js';

/**
 * An online, consistent copy of the database while other processes write (SQLite's backup
 * API, page by page). SQLite-specific: on another engine this is the engine's own dump.
 */
export async function backupDatabase(opened: OpenedDatabase, out: string): Promise<{ pages: number }> {
  const progress = await opened.sqlite.backup(out);
  return { pages: progress.totalPages };
}
