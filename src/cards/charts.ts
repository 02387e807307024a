/**
 * Charts on cards: builders of the card JSON 2.0 `chart` element (./chart-element.ts: its shape,
 * schema and text rendering), whose `chart_spec` is a VChart spec in plain JSON (Feishu runs no
 * JavaScript in a spec, so no formatters or callbacks). Grade names and colours come from
 * ./labels.ts.
 *
 * - gradeMixChart: per level, how many units are 示范型 / 标准型 / 未达标 / 未评分 (stacked bars).
 * - targetProgressChart: per requirement of one milestone of section 二, reached vs required.
 * - indicatorPointsChart: per indicator of one unit, points earned stacked with points not earned
 *   (the bar's full length is the indicator's maximum).
 *
 * Feishu suggests at most five charts per card (MAX_CHARTS_PER_CARD).
 */
import { GRADE_NAMES_ZH, type Grade } from '../plan/schema.js';
import type { ChartDatum, ChartElement } from './chart-element.js';
import { CHART_HEX, GRADE_TEMPLATE, UNSCORED_ZH } from './labels.js';
import { clipToWidth } from './text-width.js';

export const MAX_CHARTS_PER_CARD = 5;

// ---------------------------------------------------------------- builders

/** Grades in stacking order, named and coloured as on the cards and in the spreadsheets (src/cards/labels.ts); grey for 未评分. */
const GRADES_STACKED: readonly Grade[] = ['demonstration', 'standard', 'none'];
const GRADE_SERIES = [...GRADES_STACKED.map((g) => GRADE_NAMES_ZH[g]), UNSCORED_ZH];
const GRADE_SERIES_HEX = [...GRADES_STACKED.map((g) => CHART_HEX[GRADE_TEMPLATE[g]]), CHART_HEX.grey];

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
    const counts = [r.demonstration, r.standard, r.none, r.unscored];
    GRADE_SERIES.forEach((grade, i) => {
      if (counts[i]! > 0) values.push({ level: r.levelName, grade, count: counts[i]! });
    });
  }
  // A level without units would give no bar at all: keep it visible as zero 未评分.
  for (const r of rows) if (!values.some((v) => v.level === r.levelName)) values.push({ level: r.levelName, grade: UNSCORED_ZH, count: 0 });
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
      color: { type: 'ordinal', domain: [...GRADE_SERIES], range: [...GRADE_SERIES_HEX] },
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
      color: { type: 'ordinal', domain: ['已达', '要求'], range: [CHART_HEX.blue, CHART_HEX.grey] },
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
      color: { type: 'ordinal', domain: ['得分', '未得分'], range: [CHART_HEX.blue, '#DEE0E3'] },
      legends: { visible: true, orient: 'bottom' },
      label: { visible: true },
    },
  };
}
