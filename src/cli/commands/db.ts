/**
 * `dangjian db copy --from 〈SQLite 文件或 postgres:// 地址〉 --to 〈…〉` (issue 17): copies a whole
 * street's database between engines (start on SQLite, move to PostgreSQL; back to a SQLite file a
 * person can open), ids and history kept, then compares every table on both sides.
 */
import type { Command } from 'commander';
import { lazyAction } from '../define.js';

const load = () => import('./db.actions.js');

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('数据库：在 SQLite 文件和 PostgreSQL 之间整库复制');
  db.command('copy')
    .description('把整个数据库复制到另一个空数据库（SQLite ↔ PostgreSQL），保留编号和全部历史；复制后逐表核对行数和校验值。目标先升级到最新结构，必须没有数据；不存在的 SQLite 文件会新建')
    .requiredOption('--from <数据库>', '源：SQLite 文件路径，或 postgres://用户:密码@主机:端口/数据库（须已是最新结构）')
    .requiredOption('--to <数据库>', '目标：SQLite 文件路径（不存在则新建），或 postgres:// 地址（须为空库）')
    .option('--json', '输出 JSON（每张表的行数、校验值、是否一致）')
    .addHelpText('after', '\n例如：\n  dangjian db copy --from data/dangjian.db --to postgres://dangjian:密码@db:5432/dangjian\n  dangjian db copy --from "$DATABASE_URL" --to 备份-2026-12-02.db\n密码不会出现在输出里。')
    .action(lazyAction(load, 'runDbCopy'));
}
