import { UserError } from '../errors.js';
import type { AnyOpenedDatabase } from './database.js';

/**
 * An online, consistent copy of the database while other processes write (SQLite's backup
 * API, page by page). On PostgreSQL the server's own tools (pg_dump) or `dangjian db copy`
 * into a SQLite file make the copy.
 */
export async function backupDatabase(opened: AnyOpenedDatabase, out: string): Promise<{ pages: number }> {
  if (opened.dialect !== 'sqlite') {
    throw new UserError('bad_argument', `数据库在 PostgreSQL 上，backup 只备份 SQLite 文件：用 dangjian db copy --from 〈DATABASE_URL〉 --to ${out} 复制成一个可以打开的 SQLite 文件，或用 pg_dump`, '--db');
  }
  const progress = await opened.sqlite.backup(out);
  return { pages: progress.totalPages };
}
