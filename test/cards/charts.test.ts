/**
 * Charts: every builder's element validated against the card 2.0 chart element's shape, the
 * schema's refusals, the compact text rendering, and the charts on the 排名 / 得分 / 目标 / 周报
 * cards as the bot answers them (rendered in the console's text form too).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import { respondToMessage } from '../../src/bot/dispatch.js';
import { renderCardText, type Card, type CardElement } from '../../src/cards/card.js';
import { chartElementSchema, chartToText, type ChartElement } from '../../src/cards/chart-element.js';
import { gradeMixChart, indicatorPointsChart, targetProgressChart } from '../../src/cards/charts.js';
import { gradeMix, scoreReport, targetsReport } from '../../src/services/grading.service.js';
import { setScore } from '../../src/services/scores.service.js';
import { digestCard } from '../../src/scheduler/digest-card.js';
import { buildDigest } from '../../src/services/digest.service.js';
import { displayWidth } from '../../src/cards/text-width.js';
import { cardOf, makeBot, message, type TestBot } from '../bot/support.js';

const mix = [
  { levelName: '社区', demonstration: 6, standard: 4, none: 2, unscored: 1 },
  { levelName: '小区', demonstration: 30, standard: 10, none: 5, unscored: 3 },
  { levelName: '社会组织', demonstration: 0, standard: 0, none: 0, unscored: 2 },
];

const chartsOf = (card: Card): ChartElement[] => {
  const out: ChartElement[] = [];
  const walk = (els: CardElement[]) => {
    for (const e of els) {
      if (e.tag === 'chart') out.push(e);
      if (e.tag === 'column_set') for (const c of e.columns) walk(c.elements);
    }
  };
  walk(card.body.elements);
  return out;
};

describe('chart builders', () => {
  const built = [
    gradeMixChart(mix, { elementId: 'grade_mix' }),
    targetProgressChart({ due: '2022-12-31', requirements: [{ text: '累计建成示范型社区11个', required: 11, reached: 4 }, { text: '累计建成示范型小区60个', required: 60, reached: 22 }] }),
    indicatorPointsChart([{ number: 6, title: '深化社区“大党委”工作制度', points: 12.5, max: 20 }, { number: 7, title: '规范党组织体系建设', points: 20, max: 20 }]),
  ];

  it('build elements of the card 2.0 chart shape, plain JSON only', () => {
    for (const e of built) {
      expect(chartElementSchema.safeParse(e).error?.issues ?? []).toEqual([]);
      expect(JSON.parse(JSON.stringify(e))).toEqual(e);
    }
  });

  it('carry the data they were given', () => {
    const values = built[0]!.chart_spec.data.values;
    expect(values.filter((v) => v.level === '小区').map((v) => [v.grade, v.count])).toEqual([['示范型', 30], ['标准型', 10], ['未达标', 5], ['未评分', 3]]);
    // Zero counts are left out, but a level with only unscored units keeps its bar.
    expect(values.filter((v) => v.level === '社会组织')).toEqual([{ level: '社会组织', grade: '未评分', count: 2 }]);
    expect(built[2]!.chart_spec.data.values).toEqual([
      { indicator: '6. 深化社区“大党委”工作制度', part: '得分', points: 12.5 },
      { indicator: '6. 深化社区“大党委”工作制度', part: '未得分', points: 7.5 },
      { indicator: '7. 规范党组织体系建设', part: '得分', points: 20 },
    ]);
  });

  it('the schema refuses what Feishu refuses: unknown properties, no size, functions, bad ids, no data', () => {
    const good = built[0]!;
    const bad: unknown[] = [
      { ...good, width: '100%' },
      { tag: 'chart', chart_spec: good.chart_spec },
      { ...good, chart_spec: { ...good.chart_spec, label: { formatMethod: () => 'x' } } },
      { ...good, element_id: '1chart' },
      { ...good, element_id: 'a_very_long_element_id_indeed' },
      { ...good, height: '1200px' },
      { ...good, chart_spec: { ...good.chart_spec, data: { values: [] } } },
      { ...good, chart_spec: { ...good.chart_spec, type: 'gauge' } },
      { ...good, tag: 'img' },
    ];
    for (const b of bad) expect(chartElementSchema.safeParse(b).success, JSON.stringify(b).slice(0, 80)).toBe(false);
  });

  it('render as compact text: ≤ 40 columns, bars proportional, values and legend shown', () => {
    const text = chartToText(built[0]!);
    const lines = text.split('\n');
    expect(lines[0]).toBe('📊 各层级等级分布');
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(40);
    const community = lines.find((l) => l.startsWith('社区'))!;
    const compound = lines.find((l) => l.startsWith('小区'))!;
    expect(community).toContain('6+4+2+1=13');
    expect(compound).toContain('30+10+5+3=48');
    const cells = (l: string) => [...l].filter((c) => '█▓▒░'.includes(c)).length;
    expect(cells(compound)).toBe(18);
    expect(cells(community)).toBe(Math.round((13 / 48) * 18));
    expect(lines.at(-1)).toBe('  █示范型 ▓标准型 ▒未达标 ░未评分');
    const targets = chartToText(built[1]!).split('\n');
    expect(targets).toEqual(['📊 2022-12-31 节点：已达 / 要求', '累计建成示范型社区11个', expect.stringMatching(/^ {2}█+ +4 {2}▓+ +11$/), '累计建成示范型小区60个', '  ███       22  ▓▓▓▓▓▓▓▓▓ 60', '  █已达 ▓要求']);
  });
});

describe('charts on the bot’s cards', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await makeBot();
    const office = operatorActor('王博文');
    for (const [unit, item, points] of [['城东社区', '6.1', 9], ['城东社区', '7.1', 6], ['城东花园小区', '11.1', 4], ['城西社区', '6.1', 10]] as const) await setScore(bot.deps, office, { unit, item, points, year: 2026 });
  });
  afterAll(async () => {
    await bot?.close();
  });

  const reply = async (text: string) => {
    const d = await respondToMessage(message(text), bot.deps);
    if (d.status !== 'replied') throw new Error(d.status);
    return cardOf(d.reply);
  };

  it('得分 shows the unit’s points per indicator against the maximum', async () => {
    const card = await reply('得分 城东社区');
    const [chart, ...more] = chartsOf(card);
    expect(more).toEqual([]);
    expect(chartElementSchema.safeParse(chart).success).toBe(true);
    const r = await scoreReport(bot.deps, '城东社区', 2026);
    const sum = (part: string) => chart!.chart_spec.data.values.filter((v) => v.part === part).reduce((a, v) => a + Number(v.points), 0);
    expect(sum('得分')).toBe(r.total);
    expect(sum('得分') + sum('未得分')).toBe(r.max);
    expect(renderCardText(card).text).toContain('📊 各项指标得分（条长 = 满分）');
  });

  it('排名 shows the grade mix of every level under the street, 未评分 apart', async () => {
    const card = await reply('排名 社区');
    const [chart] = chartsOf(card);
    expect(chartElementSchema.safeParse(chart).success).toBe(true);
    const m = await gradeMix(bot.deps, { year: 2026 });
    const count = (level: string, grade: string) => chart!.chart_spec.data.values.find((v) => v.level === level && v.grade === grade)?.count ?? 0;
    for (const l of m.levels) {
      expect([count(l.levelName, '示范型'), count(l.levelName, '标准型'), count(l.levelName, '未达标'), count(l.levelName, '未评分')]).toEqual([l.demonstration, l.standard, l.none, l.unscored]);
      expect(l.demonstration + l.standard + l.none + l.unscored).toBe(l.units);
    }
    // 城东新村小区 has no entry: one 小区 未评分.
    expect(count('小区', '未评分')).toBe(1);
    expect(renderCardText(card).text).toMatch(/📊 XX街道 · 各层级等级分布\n┃ 社区/);
  });

  it('目标 shows reached vs required for each milestone with requirements', async () => {
    const card = await reply('目标');
    const charts = chartsOf(card);
    const report = await targetsReport(bot.deps);
    expect(charts).toHaveLength(report.milestones.filter((m) => m.requirements.length > 0).length);
    for (const c of charts) expect(chartElementSchema.safeParse(c).success).toBe(true);
    const current = report.milestones.find((m) => m.state === 'current')!;
    const chart = charts.find((c) => c.chart_spec.title?.text.startsWith(current.due))!;
    for (const r of current.requirements) {
      expect(chart.chart_spec.data.values).toContainEqual({ target: r.text, series: '已达', value: r.reached });
      expect(chart.chart_spec.data.values).toContainEqual({ target: r.text, series: '要求', value: r.required });
    }
  });

  it('周报 shows the grade mix', async () => {
    const calendar = { isWorkday: () => true, workdaysBetween: () => 0 };
    const digest = await buildDigest({ db: bot.deps.db, plan: bot.deps.plan, config: { timeZone: bot.deps.tz }, clock: bot.deps.clock, calendar, settings: bot.deps.settings });
    const [chart] = chartsOf(digestCard(digest));
    expect(chartElementSchema.safeParse(chart).success).toBe(true);
    expect(digest.gradeMix?.map((l) => l.levelName)).toEqual(['社区', '小区']);
    expect(chartToText(chart!)).toContain('社区');
  });
});
