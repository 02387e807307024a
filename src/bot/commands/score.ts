/** 得分 / score 〈单位〉[年份]: total, grade, per-indicator table, blockers and the gap to the next grade. */
import { z } from 'zod';
import { card, escapeMarkdown, fields, hr, markdown, table, type Card, type CardElement } from '../../cards/card.js';
import { GRADE_BADGE, GRADE_TEMPLATE } from '../../cards/labels.js';
import { indicatorPointsChart } from '../../cards/charts.js';
import { GRADE_NAMES_ZH } from '../../plan/schema.js';
import { fmtPoints } from '../../scoring/format.js';
import { scoreReadAhead, scoreReport, type ScoreReport } from '../../services/grading.service.js';
import { looksLikeYear, requiredText, yearArg } from '../args.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';
import { matchUnit } from '../../services/units.service.js';
import { quiet } from '../read-ahead.js';
import { lookupUnit } from './units.js';

/** A year without any entry for the unit: 「尚无评分」, not 「0 分 · 未达标」 (plan-readings A10). */
function notScoredCard(r: ScoreReport): Card {
  const previous = r.previousYear.grade === null ? `${r.previousYear.year} 年也没有评分。` : `${r.previousYear.year} 年：${GRADE_NAMES_ZH[r.previousYear.grade]} ${fmtPoints(r.previousYear.total ?? 0)} 分。`;
  return card(`${r.unit} · ${r.year} 年尚无评分`, 'grey', [
    markdown(`${escapeMarkdown(r.levelName)}${r.parent ? ` · ${escapeMarkdown(r.parent)}` : ''}\n${r.year} 年度还没有录入任何分数（共 ${r.itemCount} 项待评）。\n${previous}`),
  ]);
}

function scoreCard(r: ScoreReport): Card {
  if (r.assessed === 0) return notScoredCard(r);
  const pairs: Array<[string, string]> = [
    ['总分', `${fmtPoints(r.total)} / ${fmtPoints(r.max)}`],
    ['等级', `${GRADE_BADGE[r.grade]}${r.veto ? '（一票否决）' : ''}`],
    ['已评项目', `${r.assessed} / ${r.itemCount}`],
    ['上一年', r.previousYear.grade === null ? `${r.previousYear.year}：未评` : `${r.previousYear.year}：${GRADE_NAMES_ZH[r.previousYear.grade]} ${fmtPoints(r.previousYear.total ?? 0)} 分`],
  ];
  const rows = r.indicators.map((i) => ({
    indicator: `${i.number}. ${escapeMarkdown(i.title)}`,
    points: `${fmtPoints(i.points)} / ${fmtPoints(i.max)}`,
    assessed: `${i.assessed}/${i.itemCount}`,
  }));
  const elements: CardElement[] = [
    markdown(`${escapeMarkdown(r.levelName)}${r.parent ? ` · ${escapeMarkdown(r.parent)}` : ''} · ${r.year} 年度`),
    fields(pairs),
    table(
      [
        { key: 'indicator', title: '指标' },
        { key: 'points', title: '得分' },
        { key: 'assessed', title: '已评' },
      ],
      rows,
    ),
    indicatorPointsChart(r.indicators, { elementId: 'indicators' }),
  ];
  const gapLines: string[] = [];
  if (r.nextGrade === null) gapLines.push('已是最高等级（示范型）。');
  else {
    gapLines.push(`**距「${GRADE_NAMES_ZH[r.nextGrade]}」**${r.gap.pointsShort > 0 ? `还差 ${fmtPoints(r.gap.pointsShort)} 分` : '分数已够'}`);
    for (const b of r.blockers) gapLines.push(`· ${escapeMarkdown(b)}`);
    if (r.gap.topLosses.length > 0) {
      gapLines.push('**失分最多的项目**');
      for (const l of r.gap.topLosses) gapLines.push(`· ${l.code} ${escapeMarkdown(l.title)}：${l.assessed ? `${fmtPoints(l.points)}/${fmtPoints(l.max)}` : `未评（满分 ${fmtPoints(l.max)}）`}`);
    }
  }
  if (r.veto) gapLines.push(`**一票否决**：${r.vetoReasons.map(escapeMarkdown).join('；')}`);
  if (r.needsRectification) gapLines.push('⚠️ 等级低于上一年，需整改。');
  elements.push(hr(), markdown(gapLines.join('\n')));
  return card(`${r.unit} · ${fmtPoints(r.total)} 分 · ${r.gradeName}`, GRADE_TEMPLATE[r.grade], elements);
}

export const score = defineCommand({
  names: ['得分', 'score', '分数'],
  summary: '单位的总分、等级、各项指标和离下一等级的差距',
  usage: '得分 〈单位〉[年份]',
  example: '得分 城东 2026',
  access: 'read',
  readOnly: true,
  params: [
    { key: 'unit', label: '〈单位〉', rest: true },
    { key: 'year', label: '[年份]' },
  ],
  toInput(tokens) {
    const last = tokens[tokens.length - 1];
    if (tokens.length >= 2 && last !== undefined && looksLikeYear(last)) return { unit: tokens.slice(0, -1).join(' '), year: last };
    return tokens.length === 0 ? {} : { unit: tokens.join(' ') };
  },
  args: z.object({ unit: requiredText('单位名称', 60), year: yearArg.optional() }),
  // The name's match and the rows of the unit of exactly that name, read beside the sender.
  readAhead: (deps, args) => ({ match: quiet(matchUnit(deps.db, args.unit)), scope: scoreReadAhead(deps, args.unit, args.year) }),
  async run(ctx, args, ahead) {
    const found = await lookupUnit(ctx.deps.db, args.unit, (name) => `得分 ${name}${args.year ? ` ${args.year}` : ''}`, undefined, ahead?.match);
    if (!found.unit) return found.reply;
    return cardReply(scoreCard(await scoreReport(ctx.deps, found.unit, args.year, ahead?.scope)));
  },
});
