/**
 * Charts on cards: the card JSON 2.0 `chart` element, whose `chart_spec` is a VChart spec in
 * plain JSON (Feishu runs no JavaScript in a spec, so no formatters or callbacks). Three builders
 * over plain data, a zod schema of the element's shape (what tests validate against), and
 * `chartToText`, a compact text bar chart of any element built here, for the console.
 *
 * - gradeMixChart: per level, how many units are 示范型 / 标准型 / 未达标 / 未评分 (stacked bars).
 * - targetProgressChart: per requirement of one milestone of section 二, reached vs required.
 * - indicatorPointsChart: per indicator of one unit, points earned stacked with points not earned
 *   (the bar's full length is the indicator's maximum).
 *
 * Feishu suggests at most five charts per card (MAX_CHARTS_PER_CARD).
 */
import { z } from 'zod';
import { clipToWidth, displayWidth, padToWidth } from '../text-width.js';

export const MAX_CHARTS_PER_CARD = 5;

type Scalar = string | number;
interface ChartDatum {
  [field: string]: Scalar;
}

/** The part of a VChart bar spec these builders use. */
export interface BarChartSpec {
  type: 'bar';
  title?: { visible: boolean; text: string };
  direction?: 'vertical' | 'horizontal';
  data: { id: string; values: ChartDatum[] };
  xField: string | string[];
  yField: string | string[];
  seriesField?: string;
  stack?: boolean;
  /** Fixed series colours: an ordinal scale, so a series missing from the data cannot shift them. */
  color?: { type: 'ordinal'; domain: string[]; range: string[] };
  legends?: { visible: boolean; orient: 'bottom' | 'top' | 'left' | 'right' };
  label?: { visible: boolean };
}

export interface ChartElement {
  tag: 'chart';
  element_id?: string;
  aspect_ratio?: '1:1' | '2:1' | '4:3' | '16:9';
  /** 'auto' or '1px'..'999px' (then aspect_ratio is ignored). */
  height?: string;
  color_theme?: 'brand' | 'rainbow' | 'complementary' | 'converse' | 'primary';
  preview?: boolean;
  chart_spec: BarChartSpec;
}

// ---------------------------------------------------------------- schema

const scalar = z.union([z.string(), z.number().finite()]);
const dataSet = z.object({ id: z.string().optional(), values: z.array(z.record(z.string(), scalar)).min(1) }).strict();

/**
 * The chart element as Feishu documents it (card JSON 2.0 rejects unknown properties, so the
 * element is strict): `tag`, `chart_spec` (a VChart spec: a documented `type`, `data` with
 * `values`, plain JSON only), and a size (`aspect_ratio` or `height`).
 */
export const chartElementSchema = z
  .object({
    tag: z.literal('chart'),
    element_id: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,19}$/, 'element_id: a letter, then letters, digits or _, at most 20').optional(),
    aspect_ratio: z.enum(['1:1', '2:1', '4:3', '16:9']).optional(),
    height: z.string().regex(/^(auto|([1-9]\d{0,2})px)$/, "height: 'auto' or 1px–999px").optional(),
    color_theme: z.enum(['brand', 'rainbow', 'complementary', 'converse', 'primary']).optional(),
    preview: z.boolean().optional(),
    margin: z.string().optional(),
    chart_spec: z
      .object({
        type: z.enum(['line', 'area', 'bar', 'pie', 'scatter', 'wordCloud']),
        data: z.union([dataSet, z.array(dataSet).min(1)]),
      })
      .catchall(z.json()),
  })
  .strict()
  .refine((e) => e.aspect_ratio !== undefined || e.height !== undefined, 'a chart needs aspect_ratio or height');

// ---------------------------------------------------------------- builders

/** Grade colours: green, blue, red as on the cards and in the spreadsheets; grey for 未评分. */
const GRADE_COLOURS = { 示范型: '#34A853', 标准型: '#3370FF', 未达标: '#F54A45', 未评分: '#BBBFC4' } as const;
const GRADE_SERIES = Object.keys(GRADE_COLOURS) as Array<keyof typeof GRADE_COLOURS>;

/** Height for a horizontal chart of `rows` bars: readable on a phone, within Feishu's 999 px. */
const heightFor = (rows: number) => `${Math.min(999, 80 + rows * 36)}px`;

export interface GradeMixRow {
  /** The level's display name (社区, 小区 …). */
  levelName: string;
  demonstration: number;
  standard: number;
  none: number;
  unscored: number;
}

/** Stacked bars, one per level: 示范型 / 标准型 / 未达标 (assessed) / 未评分 (no entry yet). */
export function gradeMixChart(rows: readonly GradeMixRow[], options: { title?: string; elementId?: string } = {}): ChartElement {
  const values: ChartDatum[] = [];
  for (const r of rows) {
    const counts: Record<(typeof GRADE_SERIES)[number], number> = { 示范型: r.demonstration, 标准型: r.standard, 未达标: r.none, 未评分: r.unscored };
    for (const grade of GRADE_SERIES) if (counts[grade] > 0) values.push({ level: r.levelName, grade, count: counts[grade] });
  }
  // A level without units would give no bar at all: keep it visible as zero 未评分.
  for (const r of rows) if (!values.some((v) => v.level === r.levelName)) values.push({ level: r.levelName, grade: '未评分', count: 0 });
  return {
    tag: 'chart',
    ...(options.elementId ? { element_id: options.elementId } : {}),
    aspect_ratio: rows.length > 3 ? '16:9' : '2:1',
    chart_spec: {
      type: 'bar',
      title: { visible: true, text: options.title ?? '各层级等级分布' },
      data: { id: 'grades', values },
      xField: 'level',
      yField: 'count',
      seriesField: 'grade',
      stack: true,
      color: { type: 'ordinal', domain: [...GRADE_SERIES], range: GRADE_SERIES.map((g) => GRADE_COLOURS[g]) },
      legends: { visible: true, orient: 'bottom' },
      label: { visible: true },
    },
  };
}

export interface RequirementBar {
  text: string;
  required: number;
  reached: number;
}

/** Bars side by side per requirement of one milestone: 已达 (reached) and 要求 (required). */
export function targetProgressChart(milestone: { due: string; requirements: readonly RequirementBar[] }, options: { elementId?: string } = {}): ChartElement {
  const values: ChartDatum[] = [];
  for (const r of milestone.requirements) {
    // Not clipped: a clipped text could merge two requirements into one bar (VChart shortens axis labels itself).
    const target = r.text;
    values.push({ target, series: '已达', value: r.reached }, { target, series: '要求', value: r.required });
  }
  return {
    tag: 'chart',
    ...(options.elementId ? { element_id: options.elementId } : {}),
    height: heightFor(milestone.requirements.length * 2),
    chart_spec: {
      type: 'bar',
      title: { visible: true, text: `${milestone.due} 节点：已达 / 要求` },
      direction: 'horizontal',
      data: { id: 'targets', values },
      xField: 'value',
      yField: ['target', 'series'],
      seriesField: 'series',
      color: { type: 'ordinal', domain: ['已达', '要求'], range: ['#3370FF', '#BBBFC4'] },
      legends: { visible: true, orient: 'bottom' },
      label: { visible: true },
    },
  };
}

export interface IndicatorBar {
  number: number;
  title: string;
  points: number;
  max: number;
}

/** One stacked bar per indicator: 得分, then 未得分 up to the indicator's maximum. */
export function indicatorPointsChart(indicators: readonly IndicatorBar[], options: { title?: string; elementId?: string } = {}): ChartElement {
  const values: ChartDatum[] = [];
  for (const i of indicators) {
    const indicator = clipToWidth(`${i.number}. ${i.title}`, 32);
    values.push({ indicator, part: '得分', points: i.points });
    const lost = Math.round((i.max - i.points) * 2) / 2;
    if (lost > 0) values.push({ indicator, part: '未得分', points: lost });
  }
  return {
    tag: 'chart',
    ...(options.elementId ? { element_id: options.elementId } : {}),
    height: heightFor(indicators.length),
    chart_spec: {
      type: 'bar',
      title: { visible: true, text: options.title ?? '各项指标得分（条长 = 满分）' },
      direction: 'horizontal',
      data: { id: 'indicators', values },
      xField: 'points',
      yField: 'indicator',
      seriesField: 'part',
      stack: true,
      color: { type: 'ordinal', domain: ['得分', '未得分'], range: ['#3370FF', '#DEE0E3'] },
      legends: { visible: true, orient: 'bottom' },
      label: { visible: true },
    },
  };
}

// ---------------------------------------------------------------- text rendering

const MAX_LABEL_COLUMNS = 14;
const BAR_COLUMNS = 18;
/** Fill characters per series, in series order. */
const FILLS = ['█', '▓', '▒', '░'];
const fillOf = (i: number) => FILLS[Math.min(i, FILLS.length - 1)]!;

const fmt = (n: number) => String(Math.round(n * 10) / 10);
const firstField = (f: string | string[]) => (Array.isArray(f) ? f[0]! : f);

/**
 * A bar element as text of about 40 columns: a title line, then per category one line (stacked:
 * the series as different fills, with 「6+4+2=12」; grouped: the category on its own line and the
 * series' bars beneath it on one line), and a legend line.
 */
export function chartToText(element: ChartElement): string {
  const spec = element.chart_spec;
  const lines: string[] = [`📊 ${spec.title?.text ?? '图表'}`];
  const values = spec.data.values;
  const horizontal = spec.direction === 'horizontal';
  const categoryField = firstField(horizontal ? spec.yField : spec.xField);
  const valueField = firstField(horizontal ? spec.xField : spec.yField);
  const seriesField = spec.seriesField;
  const categories = [...new Set(values.map((v) => String(v[categoryField] ?? '')))];
  // Series in the colour scale's order, those that occur in the data.
  const series = seriesField ? [...new Set([...(spec.color?.domain ?? []), ...values.map((v) => String(v[seriesField] ?? ''))])].filter((s) => values.some((v) => String(v[seriesField]) === s)) : [''];
  const valueOf = (category: string, s: string) =>
    values.filter((v) => String(v[categoryField]) === category && (!seriesField || String(v[seriesField]) === s)).reduce((sum, v) => sum + Number(v[valueField] ?? 0), 0);
  const legend = seriesField ? [`  ${series.map((s, i) => `${fillOf(i)}${s}`).join(' ')}`] : [];

  if (spec.stack || !seriesField) {
    const labelColumns = Math.min(MAX_LABEL_COLUMNS, Math.max(2, ...categories.map(displayWidth)));
    const totals = categories.map((c) => series.reduce((sum, s) => sum + valueOf(c, s), 0));
    const scale = Math.max(1, ...totals);
    categories.forEach((c, k) => {
      let bar = '';
      let exact = 0;
      const parts = series.map((s, i) => {
        const v = valueOf(c, s);
        const before = Math.round(exact);
        exact += (v / scale) * BAR_COLUMNS;
        bar += fillOf(i).repeat(Math.round(exact) - before);
        return fmt(v);
      });
      const numbers = parts.length > 1 ? `${parts.join('+')}=${fmt(totals[k]!)}` : parts.join('');
      lines.push(`${padToWidth(c, labelColumns)} ${padToWidth(bar, BAR_COLUMNS)} ${numbers}`);
    });
    return [...lines, ...legend].join('\n');
  }

  // Grouped bars: the category's own line (names are long), then its series side by side.
  const scale = Math.max(1, ...categories.flatMap((c) => series.map((s) => valueOf(c, s))));
  const width = Math.max(4, Math.floor(BAR_COLUMNS / Math.max(1, series.length)));
  for (const c of categories) {
    lines.push(clipToWidth(c, 40));
    const bar = (v: number) => (v > 0 ? Math.max(1, Math.round((v / scale) * width)) : 0);
    lines.push(`  ${series.map((s, i) => `${padToWidth(fillOf(i).repeat(bar(valueOf(c, s))), width)} ${fmt(valueOf(c, s))}`).join('  ')}`);
  }
  return [...lines, ...legend].join('\n');
}
