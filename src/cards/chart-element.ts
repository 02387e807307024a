/**
 * The card JSON 2.0 `chart` element: its shape (types and a zod schema of what Feishu accepts,
 * which tests validate against) and `chartToText`, a compact text bar chart of it for the one
 * card-to-text renderer (renderCardText in ./card.ts: console and `tick`). The builders are in
 * ./charts.ts.
 */
import { z } from 'zod';
import { clipToWidth, displayWidth, padToWidth } from './text-width.js';

type Scalar = string | number;
export interface ChartDatum {
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
