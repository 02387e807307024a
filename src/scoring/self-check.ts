/**
 * 自查清单 (issue 13): a unit's self-assessment read through the same grading engine as the
 * official one — the grade its self-scores would give, with blockers — plus where points are
 * lost (with the unit's own shortfall, measure and date), what is missing before it can be
 * submitted, and, once official scores exist, 自评 vs 评定 per sub-item. Pure: plain data in.
 */
import type { Level, Plan } from '../plan/schema.js';
import { gradeUnit } from './grade.js';
import type { SubUnitGrade, UnitGrade } from './types.js';

export interface SelfEntry {
  itemCode: string;
  points: number;
  shortfall: string | null;
  measure: string | null;
  /** YYYY-MM-DD. */
  targetDate: string | null;
}

export interface SelfCheckInput {
  name: string;
  level: Level;
  /** The latest self-assessed entry per sub-item. */
  entries: readonly SelfEntry[];
  /** The official assessment of the year, when the unit has any entry in it. */
  official: UnitGrade | null;
  /** Reasons of the unit's active vetoes (a self-assessment cannot lift a veto). */
  vetoReasons: readonly string[];
  /** Every descendant with its official grade (sub-unit conditions are not self-assessed). */
  subUnits: readonly SubUnitGrade[];
}

export interface SelfGap {
  code: string;
  title: string;
  points: number;
  max: number;
  lost: number;
  shortfall: string | null;
  measure: string | null;
  targetDate: string | null;
}

export interface SelfDifference {
  code: string;
  title: string;
  self: number;
  official: number;
  /** self − official. */
  diff: number;
}

export interface SelfCheckResult {
  /** The grade the self-scores would give, explained as for the official scores. */
  self: UnitGrade;
  /** Sub-items self-scored below their maximum, most points lost first (plan order on ties). */
  gaps: SelfGap[];
  /** Sub-items not self-scored yet, in plan order. */
  unscored: Array<{ code: string; title: string; max: number }>;
  /** Null until the unit has official scores this year. */
  comparison: { official: UnitGrade; differences: SelfDifference[] } | null;
}

export function assessSelfCheck(plan: Plan, input: SelfCheckInput): SelfCheckResult {
  const self = gradeUnit(plan, {
    name: input.name,
    level: input.level,
    scores: input.entries.map((e) => ({ itemCode: e.itemCode, points: e.points })),
    vetoReasons: input.vetoReasons,
    subUnits: input.subUnits,
  });
  const byCode = new Map(input.entries.map((e) => [e.itemCode, e]));
  const gaps = self.items
    .map((item, order) => ({ item, order, entry: byCode.get(item.code) }))
    .filter((x) => x.entry !== undefined && x.item.points < x.item.max)
    .sort((a, b) => b.item.max - b.item.points - (a.item.max - a.item.points) || a.order - b.order)
    .map(({ item, entry }) => ({
      code: item.code,
      title: item.title,
      points: item.points,
      max: item.max,
      lost: item.max - item.points,
      shortfall: entry!.shortfall,
      measure: entry!.measure,
      targetDate: entry!.targetDate,
    }));
  const unscored = self.items.filter((i) => !byCode.has(i.code)).map((i) => ({ code: i.code, title: i.title, max: i.max }));
  let comparison: SelfCheckResult['comparison'] = null;
  if (input.official !== null && input.official.assessed > 0) {
    const officialItems = new Map(input.official.items.map((i) => [i.code, i]));
    const differences = self.items
      .filter((i) => byCode.has(i.code) && officialItems.get(i.code)?.assessed === true)
      .map((i) => {
        const official = officialItems.get(i.code)!.points;
        return { code: i.code, title: i.title, self: i.points, official, diff: i.points - official };
      })
      .filter((d) => d.diff !== 0)
      .sort((a, b) => Math.abs(b.diff) - Math.abs(a.diff) || a.code.localeCompare(b.code, 'en', { numeric: true }));
    comparison = { official: input.official, differences };
  }
  return { self, gaps, unscored, comparison };
}

/**
 * What keeps a self-check from being submitted, one line per sub-item in plan order: every
 * sub-item self-scored, and each below its maximum with its shortfall, measure and target date.
 */
export function submitProblems(result: SelfCheckResult): string[] {
  const problems = result.unscored.map((u) => `${u.code} 未自评（满分 ${u.max}）`);
  for (const g of result.gaps) {
    const missing = [g.shortfall ? null : '短板', g.measure ? null : '措施', g.targetDate ? null : '完成时限'].filter((x): x is string => x !== null);
    if (missing.length > 0) problems.push(`${g.code} 低于满分，缺少${missing.join('、')}`);
  }
  const order = new Map(result.self.items.map((i, k) => [i.code, k]));
  return problems.sort((a, b) => (order.get(a.split(' ')[0]!) ?? 0) - (order.get(b.split(' ')[0]!) ?? 0));
}
