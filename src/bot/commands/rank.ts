/** 排名 / rank [层级] [上级单位] [年份]: units of a level ranked, with grade counts. */
import { z } from 'zod';
import { card, escapeMarkdown, fields, markdown, table, type CardElement } from '../../cards/card.js';
import { gradeMixChart } from '../../cards/charts.js';
import { getProgramme } from '../../db/setting.repository.js';
import type { UnitRow } from '../../db/schema.js';
import { findUnitByName } from '../../db/unit.repository.js';
import { GRADE_NAMES_ZH, LEVEL_NAMES_ZH, type Grade } from '../../plan/schema.js';
import { GRADE_BADGE } from '../../cards/labels.js';
import { fmtPoints } from '../../scoring/format.js';
import { gradeLabelZh } from '../../scoring/index.js';
import { gradeMix, ranking, rankingReadAhead, rankingWithMix } from '../../services/grading.service.js';
import { matchUnit } from '../../services/units.service.js';
import { quiet } from '../read-ahead.js';
import { parseLevel } from '../../services/units.service.js';
import { looksLikeYear, yearArg } from '../args.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';
import { lookupUnit } from './units.js';

/** Rows beyond this are summarised (a card must stay under Lark's 30 KB). */
const MAX_RANK_ROWS = 50;

const levelText = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (s === undefined) return 'community' as const;
    try {
      return parseLevel(s, '[层级]');
    } catch {
      ctx.addIssue({ code: 'custom', message: `不认识的层级「${s}」；可用：${Object.values(LEVEL_NAMES_ZH).join('、')}` });
      return z.NEVER;
    }
  });

/** 「🔵 标准型 · 一票否决」, 「尚无评分」. */
function rankGradeText(row: { grade: Grade; veto: boolean; scored: boolean }): string {
  if (!row.scored) return `⚪ ${gradeLabelZh({ assessed: 0, grade: row.grade })}`;
  return `${GRADE_BADGE[row.grade]}${row.veto ? ' · 一票否决' : ''}`;
}

export const rank = defineCommand({
  names: ['排名', 'rank', '排行'],
  summary: '某一层级单位的得分排名和各等级数量（默认本街道的社区；上级单位写「全部」则不限范围）',
  usage: '排名 [层级] [上级单位 | 全部] [年份]',
  example: '排名 小区 城东社区',
  access: 'read',
  readOnly: true,
  params: [
    { key: 'level', label: '[层级]' },
    { key: 'parent', label: '[上级单位]' },
    { key: 'year', label: '[年份]' },
  ],
  toInput(tokens) {
    const out: Record<string, unknown> = {};
    const rest = [...tokens];
    const yearAt = rest.findIndex(looksLikeYear);
    if (yearAt >= 0) out.year = rest.splice(yearAt, 1)[0];
    if (rest[0] !== undefined) out.level = rest[0];
    if (rest[1] !== undefined) out.parent = rest[1];
    if (rest.length > 2) out._extra = rest.slice(2).join(' ');
    return out;
  },
  args: z.object({ level: levelText, parent: z.string().optional(), year: yearArg.optional() }),
  // A named parent's match and the rows below the unit of exactly that name, read beside the sender.
  readAhead: (deps, args) =>
    args.parent === undefined || ['全部', 'all'].includes(args.parent.toLowerCase()) ? undefined : { match: quiet(matchUnit(deps.db, args.parent)), scope: rankingReadAhead(deps, args.parent, args.year) },
  async run(ctx, args, ahead) {
    let parentUnit: UnitRow | undefined;
    const everywhere = args.parent !== undefined && ['全部', 'all'].includes(args.parent.toLowerCase());
    if (args.parent === undefined && args.level !== 'street') {
      // The programme's own street by default: the sub-district committee ranks its own units.
      const programme = await getProgramme(ctx.deps.db);
      const street = programme ? await findUnitByName(ctx.deps.db, programme.streetName) : undefined;
      if (street?.level === 'street') parentUnit = street;
    } else if (args.parent !== undefined && !everywhere) {
      const found = await lookupUnit(ctx.deps.db, args.parent, (name) => `排名 ${LEVEL_NAMES_ZH[args.level]} ${name}${args.year ? ` ${args.year}` : ''}`, '[上级单位]', ahead?.match);
      if (!found.unit) return found.reply;
      parentUnit = found.unit;
    }
    const parent = parentUnit?.name;
    // Below a parent, the ranking and the picture of its subtree come from one grading.
    const both = parentUnit ? await rankingWithMix(ctx.deps, { level: args.level, parent: parentUnit, year: args.year, readAhead: ahead?.scope }) : undefined;
    const r = both?.ranking ?? (await ranking(ctx.deps, { level: args.level, year: args.year }));
    const levelName = LEVEL_NAMES_ZH[r.level];
    const title = `${r.parent ? `${r.parent} · ` : ''}${levelName}排名 · ${r.year} 年度`;
    if (r.rows.length === 0) return cardReply(card(title, 'grey', [markdown(`没有${levelName}。`)]));
    const shown = r.rows.slice(0, MAX_RANK_ROWS);
    // Units without an entry this year are counted apart from 未达标 (the engine counts them as none).
    const unscored = r.rows.filter((row) => !row.scored).length;
    // The picture of the whole scope (every level below the parent), beside the ranked level's table.
    const mix = both?.mix ?? (await gradeMix(ctx.deps, { all: true, year: r.year }));
    const elements: CardElement[] = [
      fields([
        [GRADE_NAMES_ZH.demonstration, `${r.counts.demonstration} 个`],
        [GRADE_NAMES_ZH.standard, `${r.counts.standard} 个`],
        [GRADE_NAMES_ZH.none, `${r.counts.none - unscored} 个`],
        ...(unscored > 0 ? [[gradeLabelZh({ assessed: 0, grade: 'none' }), `${unscored} 个`] as [string, string]] : []),
        ['合计', `${r.rows.length} 个`],
      ]),
      ...(mix.levels.length > 0 ? [gradeMixChart(mix.levels, { title: `${parent ?? '全部单位'} · 各层级等级分布`, elementId: 'grade_mix' })] : []),
      table(
        [
          { key: 'rank', title: '名次', type: 'number' },
          { key: 'unit', title: '单位' },
          // 所属社区 tells apart compounds of the same name and shows where a compound sits.
          ...(r.level === 'compound' ? [{ key: 'parent', title: '所属社区' }] : []),
          { key: 'total', title: '总分' },
          { key: 'grade', title: '等级' },
        ],
        shown.map((row) => ({
          rank: row.rank,
          unit: escapeMarkdown(row.unit),
          ...(r.level === 'compound' ? { parent: escapeMarkdown(row.parent ?? '—') } : {}),
          total: row.scored ? fmtPoints(row.total) : '—',
          grade: rankGradeText(row),
        })),
      ),
    ];
    if (r.rows.length > shown.length) elements.push(markdown(`另有 ${r.rows.length - shown.length} 个未列出（共 ${r.rows.length} 个）；可加上级单位缩小范围，例如「排名 ${levelName} 某某社区」，或「导出 排名」取得全表。`));
    return cardReply(card(title, 'blue', elements));
  },
});
