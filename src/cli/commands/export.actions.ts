/** What the export commands do (their definitions: ./export.ts); loaded only when one of them runs. */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../../errors.js';
import { writeWorkbook } from '../../export/workbook.js';
import { parseExportKind } from '../../services/export-kinds.js';
import { exportWorkbook } from '../../services/export.service.js';
import { actingAs, withContext, type CommonOptions } from '../context.js';

const fileSize = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

export const runExport = async (kindText: string | undefined, opts: CommonOptions & { out?: string; year?: string; level?: string; unit?: string; round?: string; force?: boolean }) => {
  const kind = parseExportKind(kindText ?? '', '种类');
  if (opts.out === undefined || opts.out.trim() === '') throw new UserError('bad_argument', '需要 --out 文件名，例如 --out 评分表-2026.xlsx', '--out');
  const out = resolve(opts.out.trim());
  if (!/\.xlsx$/i.test(out)) throw new UserError('bad_argument', `导出的文件应以 .xlsx 结尾（收到「${opts.out}」）`, '--out');
  if (existsSync(out) && !opts.force) throw new UserError('conflict', `文件 ${out} 已存在；换一个文件名，或加 --force 覆盖`, '--out');
  await withContext(opts, async (ctx) => {
    const deps = { ...ctx, tz: ctx.config.timeZone, yellowDays: ctx.config.scheduler.yellowDays };
    const file = await exportWorkbook(deps, await actingAs(ctx, undefined), kind, { year: opts.year, level: opts.level, unit: opts.unit, round: opts.round }, writeWorkbook);
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, file.bytes);
    renameSync(tmp, out);
    ctx.print({ kind: file.kind, file: out, bytes: file.bytes.length, sheets: file.sheets }, () => `已导出${file.fileName.replace(/\.xlsx$/, '')}：${file.sheets.length} 个工作表（${file.sheets.join('、')}），${fileSize(file.bytes.length)} → ${out}`);
  });
};
