/** 录分 / setscore 〈单位〉〈指标〉〈分〉[年份] — office only. */
import { z } from 'zod';
import { card, escapeMarkdown, markdown } from '../../cards/card.js';
import { GRADE_BADGE, GRADE_TEMPLATE } from '../../cards/labels.js';
import { fmtPoints } from '../../scoring/format.js';
import { scoreReport } from '../../services/grading.service.js';
import { setScore } from '../../services/scores.service.js';
import { looksLikeYear, requiredText, yearArg } from '../args.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';
import { lookupUnit } from './units.js';

/** The chat's names of 录分's arguments, for the service's messages. */
const FIELDS = { unit: '〈单位〉', item: '〈指标〉', points: '〈分〉', year: '[年份]', note: '[备注]' };

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
    item: requiredText('指标编号', 20),
    points: z
      .string({ error: '缺少分数' })
      .transform((s) => s.normalize('NFKC').trim().replace(/分$/, '')),
    year: yearArg.optional(),
  }),
  async run(ctx, args) {
    const { deps } = ctx;
    const found = await lookupUnit(deps.db, args.unit, (name) => `录分 ${name} ${args.item} ${args.points}${args.year ? ` ${args.year}` : ''}`);
    if (!found.unit) return found.reply;
    const unit = found.unit;
    // The service validates item, points and year once, with the chat's argument names.
    const { resolved } = await setScore({ ...deps }, ctx.actor!, { unit: unit.name, item: args.item, points: args.points, year: args.year }, FIELDS);
    const max = resolved.subItem.points;
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
