/** What the db commands do (their definitions: ./db.ts); loaded only when one of them runs. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { displayWidth, padToWidth } from '../../cards/text-width.js';
import { describeLocation, isPostgresUrl, openDatabase, openPostgres, type AnyOpenedDatabase } from '../../db/database.js';
import { CheckFailed, UserError } from '../../errors.js';
import { copyDatabase, CopyMismatch, type CopyReport } from '../../services/db-copy.service.js';
import { cliLogger, firstMissingFolder, removeCreated } from '../context.js';
import { cliIo } from '../io.js';

type Side = '--from' | '--to';
const SIDE_ZH: Record<Side, string> = { '--from': '源', '--to': '目标' };

/** A location with any URL password hidden (describeLocation covers postgres:// only). */
const shown = (location: string): string => describeLocation(location).replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');

function checkLocation(raw: string, side: Side): string {
  const location = raw.trim();
  if (location === '') throw new UserError('bad_argument', `${SIDE_ZH[side]}数据库不能为空：写 SQLite 文件路径，或 postgres://用户:密码@主机:端口/数据库`, side);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !isPostgresUrl(location)) {
    throw new UserError('bad_argument', `不认识的数据库地址「${shown(location)}」：写 SQLite 文件路径，或 postgres://用户:密码@主机:端口/数据库`, side);
  }
  if (location === ':memory:') throw new UserError('bad_argument', `${SIDE_ZH[side]}数据库要是一个文件或 postgres:// 地址，不能是 :memory:`, side);
  return location;
}

const sameDatabase = (a: string, b: string): boolean => (isPostgresUrl(a) || isPostgresUrl(b) ? a === b : resolve(a) === resolve(b));

/** Opens one side and proves it can be read (a wrong host, password or file says so here). */
async function open(location: string, side: Side): Promise<AnyOpenedDatabase> {
  let opened: AnyOpenedDatabase | undefined;
  try {
    opened = isPostgresUrl(location) ? await openPostgres(location, { max: 1, applicationName: 'dangjian-db-copy' }) : openDatabase(location);
    await opened.db.selectNoFrom((eb) => eb.lit(1).as('x')).execute();
    return opened;
  } catch (err) {
    await opened?.close().catch(() => {});
    const cause = (err instanceof Error ? err.message : String(err)).split(location).join(shown(location));
    throw new UserError('bad_argument', `无法打开${SIDE_ZH[side]}数据库 ${shown(location)}：${cause}`, side, { cause: err });
  }
}

/** The report as a Chinese table: 表 / 源行数 / 目标行数 / 校验. */
function reportText(report: CopyReport): string {
  const header = ['表', '源行数', '目标行数', '校验'];
  const rows = report.tables.map((t) => [
    t.table,
    String(t.sourceRows),
    String(t.targetRows),
    t.match ? `一致 ${t.sourceChecksum.slice(0, 12)}` : `不一致：源 ${t.sourceChecksum.slice(0, 12)}，目标 ${t.targetChecksum.slice(0, 12)}`,
  ]);
  const widths = header.map((h, i) => Math.max(...[h, ...rows.map((r) => r[i]!)].map((c) => displayWidth(c))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : padToWidth(c, widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export const runDbCopy = async (opts: { from: string; to: string; json?: boolean }) => {
  const io = cliIo();
  const from = checkLocation(opts.from, '--from');
  const to = checkLocation(opts.to, '--to');
  if (sameDatabase(from, to)) throw new UserError('bad_argument', `--from 和 --to 是同一个数据库（${shown(from)}）`, '--to');
  if (!isPostgresUrl(from) && !existsSync(from)) throw new UserError('not_found', `源数据库文件不存在：${from}（是否写错了路径？）`, '--from');
  const isNew = !isPostgresUrl(to) && !existsSync(to);
  const createdFolder = isNew ? firstMissingFolder(to) : undefined;
  let source: AnyOpenedDatabase | undefined;
  let target: AnyOpenedDatabase | undefined;
  let ok = false;
  try {
    source = await open(from, '--from');
    target = await open(to, '--to');
    let report: CopyReport;
    try {
      report = await copyDatabase(source.db, target.db, { sourceLabel: shown(from), log: cliLogger(io) });
    } catch (err) {
      if (!(err instanceof CopyMismatch)) throw err;
      io.out(opts.json === true ? `${JSON.stringify({ tables: err.report.tables, total: err.report.total }, null, 2)}\n` : `${reportText(err.report)}\n`);
      throw new CheckFailed(`复制后核对不一致：${err.report.total.mismatched.join('、')}。已全部撤销，目标 ${shown(to)} 没有写入任何数据`);
    }
    ok = true;
    io.out(
      opts.json === true
        ? `${JSON.stringify({ tables: report.tables, total: report.total }, null, 2)}\n`
        : `${reportText(report)}\n已复制 ${report.total.tables} 张表、${report.total.rows} 行，校验一致（${shown(from)} → ${shown(to)}）\n`,
    );
  } finally {
    await source?.close();
    await target?.close();
    if (!ok && isNew) removeCreated(to, createdFolder);
  }
};
