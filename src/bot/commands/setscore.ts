/** 录分 / setscore 〈单位〉〈指标〉〈分〉[年份] — office only. */
import { z } from 'zod';
import { card, escapeMarkdown, markdown } from '../../cards/card.js';
import { UserError } from '../../errors.js';
import { findSubItem } from '../../plan/load-plan.js';
import { LEVEL_NAMES_ZH, type Level } from '../../plan/schema.js';
import { fmtPoints } from '../../scoring/index.js';
import { scoreReport } from '../../services/grading.service.js';
import { setScore } from '../../services/scores.service.js';
import { looksLikeYear, pointsArg, requiredText, yearArg } from '../args.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';
import { GRADE_BADGE, GRADE_TEMPLATE } from './score.js';
import { lookupUnit } from './units.js';

export const setscore = defineCommand({
  names: ['录分', 'setscore', '打分'],
  summary: '录入某单位某一子项的得分（同一子项以最后一次为准）',
  usage: '录分 〈单位〉〈指标〉〈分〉[年份]',
  example: '录分 城东社区 6.2 8',
  access: 'office',
  auditAction: 'score.set',
  params: [
    { key: 'unit', label: '〈单位〉' },
    { key: 'item', label: '〈指标〉' },
    { key: 'points', label: '〈分〉' },
    { key: 'year', label: '[年份]' },
  ],
  toInput(tokens) {
    const rest = [...tokens];
    const out: Record<string, unknown> = {};
    if (rest.length === 4 && looksLikeYear(rest[3]!)) out.year = rest.pop();
    if (rest.length > 3) out._extra = rest.slice(3).join(' ');
    [out.unit, out.item, out.points] = rest;
    return out;
  },
  args: z.object({
    unit: requiredText('单位名称', 60),
    item: z
      .string({ error: '缺少指标编号' })
      .transform((s) => s.normalize('NFKC').trim())
      .refine((s) => /^\d+\.\d+$/.test(s), '指标编号写作「指标序号.子项序号」，例如 4.2'),
    points: pointsArg,
    year: yearArg.optional(),
  }),
  async run(ctx, args) {
    const { deps } = ctx;
    const found = await lookupUnit(deps.db, args.unit, (name) => `录分 ${name} ${args.item} ${args.points}${args.year ? ` ${args.year}` : ''}`);
    if (!found.unit) return found.reply;
    const unit = found.unit;
    const sub = findSubItem(deps.plan, args.item);
    if (!sub) throw new UserError('not_found', `方案中没有指标 ${args.item}`, '〈指标〉');
    if (sub.level !== unit.level) {
      throw new UserError('bad_argument', `指标 ${args.item} 属于${LEVEL_NAMES_ZH[sub.level]}层面，而「${unit.name}」是${LEVEL_NAMES_ZH[unit.level as Level] ?? unit.level}`, '〈指标〉');
    }
    const max = sub.subItem.points;
    if (args.points > max || !Number.isInteger(args.points * 2)) {
      throw new UserError('bad_argument', `指标 ${args.item} 的分数应在 0 到 ${fmtPoints(max)} 之间，以 0.5 分为单位（收到 ${args.points}）`, '〈分〉');
    }
    const { resolved } = await setScore(deps, ctx.actor!, { unit: unit.name, item: args.item, points: args.points, year: args.year });
    const report = await scoreReport(deps, unit.name, resolved.year);
    return cardReply(
      card(`已录分 · ${unit.name}`, GRADE_TEMPLATE[report.grade], [
        markdown(
          [
            `**${resolved.subItem.code}** ${escapeMarkdown(resolved.subItem.text)}`,
            `得分：${fmtPoints(resolved.points)} / ${fmtPoints(max)}（${resolved.year} 年度，录入人 ${escapeMarkdown(ctx.actor!.name)}）`,
            `现在总分 ${fmtPoints(report.total)} / ${fmtPoints(report.max)}，${GRADE_BADGE[report.grade]}`,
          ].join('\n'),
        ),
      ]),
    );
  },
});
