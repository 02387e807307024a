/**
 * 导出 / export 〈种类〉[年份] [层级]（通报: [验收种类] for a round's）: answers with the Excel file itself (uploaded, then sent as a
 * file message in reply). Who may export what is the export service's rule: 评分表, 排名 and 年度通报 the
 * office and the leadership group, 任务台账 and 目标进度 every bound member; always a bound member
 * (access 'write'), in a subscribed group or a one-to-one chat.
 */
import { z } from 'zod';
import { roundKindOf } from '../../domain/round-kind.js';
import { LEVEL_NAMES_ZH, LEVELS } from '../../plan/schema.js';
import { writeWorkbook } from '../../export/workbook.js';
import { MAX_FILE_BYTES } from '../../messaging/outbound.js';
import { EXPORT_KIND_LIST, parseExportKind } from '../../services/export-kinds.js';
import { exportWorkbook } from '../../services/export.service.js';
import { looksLikeYear, yearArg } from '../args.js';
import { noticeCard } from '../cards.js';
import { defineCommand } from '../registry.js';
import { cardReply, fileReply } from '../types.js';

const kindArg = z.string({ error: `缺少导出的种类（${EXPORT_KIND_LIST}）` }).transform((s, ctx) => {
  try {
    return parseExportKind(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const isBulletin = (kind: string): boolean => {
  try {
    return parseExportKind(kind) === 'bulletin';
  } catch {
    return false;
  }
};

export const exportCommand = defineCommand({
  names: ['导出', 'export'],
  summary: `把${EXPORT_KIND_LIST}导出为 Excel 文件发到这里（评分表、排名、年度通报限党建办和领导小组）`,
  usage: '导出 〈种类〉[年份] [层级|验收种类]',
  example: '导出 评分表 2026',
  access: 'write',
  auditAction: 'export',
  params: [
    { key: 'kind', label: '〈种类〉' },
    { key: 'year', label: '[年份]' },
    { key: 'level', label: '[层级]' },
  ],
  toInput(tokens) {
    const [kind, ...rest] = tokens;
    const out: Record<string, unknown> = kind === undefined ? {} : { kind };
    const yearAt = rest.findIndex(looksLikeYear);
    if (yearAt >= 0) out.year = rest.splice(yearAt, 1)[0];
    // 「导出 通报 2026 年度验收」: a round's 通报.
    const roundAt = rest.findIndex((t) => roundKindOf(t) !== undefined);
    if (roundAt >= 0 && kind !== undefined && isBulletin(kind)) out.round = rest.splice(roundAt, 1)[0];
    if (rest[0] !== undefined) out.level = rest[0];
    if (rest.length > 1) out._extra = rest.slice(1).join(' ');
    return out;
  },
  args: z.object({ kind: kindArg, year: yearArg.optional(), level: z.string().optional(), round: z.string().optional() }),
  async run(ctx, args) {
    // access 'write': the sender is bound.
    const file = await exportWorkbook({ ...ctx.deps, yellowDays: ctx.deps.settings.yellowDays }, ctx.actor!, args.kind, { year: args.year, level: args.level, round: args.round }, writeWorkbook);
    if (file.bytes.length > MAX_FILE_BYTES) {
      const levels = LEVELS.map((l) => LEVEL_NAMES_ZH[l]).join('、');
      return cardReply(noticeCard('文件太大', 'orange', [`❌ ${file.fileName} 有 ${(file.bytes.length / 1024 / 1024).toFixed(1)} MB，超过飞书 30 MB 的上限。`, `可以按层级分开导出，例如「导出 ${file.fileName.split('-')[0]} 社区」（层级：${levels}），或由管理员用 dangjian export 导出。`]));
    }
    return fileReply(file.fileName, file.bytes);
  },
});
