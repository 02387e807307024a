/**
 * The plan's rubric and grade rules compiled into integer form once per plan object:
 * points become half points, levels become indices, so that grading a city is array work.
 * Conditions are interpreted generically from `plan.gradeRules`; nothing here knows which
 * level is a street.
 */
import { LEVELS, type Grade, type Level, type Plan, type SubUnitCondition } from '../plan/schema.js';

export const LEVEL_COUNT = LEVELS.length;
/** Per level, three counters of sub-units: how many, how many ≥ standard, how many demonstration. */
export const COUNTERS_PER_LEVEL = 3;
export const COUNTER_WIDTH = LEVEL_COUNT * COUNTERS_PER_LEVEL;

export const GRADE_RANK: Record<Grade, number> = { none: 0, standard: 1, demonstration: 2 };
export const GRADE_BY_RANK: readonly Grade[] = ['none', 'standard', 'demonstration'];

export function levelIndex(level: Level): number {
  const i = LEVELS.indexOf(level);
  if (i < 0) throw new Error(`unknown level ${String(level)}`);
  return i;
}

export interface CompiledItem {
  code: string;
  title: string;
  indicator: number;
  indicatorTitle: string;
  maxHalf: number;
}

export interface CompiledCondition {
  source: SubUnitCondition;
  /** Level indices of `of`. */
  of: number[];
  /** 1 = standard (counter "≥ standard"), 2 = demonstration. */
  gradeRank: 1 | 2;
}

export interface CompiledLevel {
  level: Level;
  maxHalf: number;
  items: CompiledItem[];
  /** code → index into `items`. */
  itemIndex: Map<string, number>;
  standard: CompiledCondition[];
  demonstration: CompiledCondition[];
  qualitative: string[];
}

export interface CompiledPlan {
  levels: CompiledLevel[];
  standardHalf: number;
  demonstrationHalf: number;
  vetoBlocksDemonstration: boolean;
  /** Most sub-items of any level (stride of the per-unit points table). */
  maxItems: number;
}

const cache = new WeakMap<Plan, CompiledPlan>();

export const toHalf = (points: number): number => Math.round(points * 2);

export function compilePlan(plan: Plan): CompiledPlan {
  const cached = cache.get(plan);
  if (cached) return cached;
  const compileConditions = (conds: readonly SubUnitCondition[]): CompiledCondition[] =>
    conds.map((c) => ({ source: c, of: c.of.map(levelIndex), gradeRank: c.grade === 'standard' ? 1 : 2 }));
  const levels = LEVELS.map((level): CompiledLevel => {
    const spec = plan.levels.find((l) => l.level === level);
    if (!spec) throw new Error(`plan has no rubric for level ${level}`);
    const items: CompiledItem[] = [];
    for (const ind of spec.indicators) {
      for (const s of ind.subItems) {
        items.push({ code: s.code, title: s.text, indicator: ind.number, indicatorTitle: ind.title, maxHalf: toHalf(s.points) });
      }
    }
    const rules = plan.gradeRules.levels.find((l) => l.level === level);
    return {
      level,
      maxHalf: toHalf(spec.maxPoints),
      items,
      itemIndex: new Map(items.map((it, i) => [it.code, i])),
      standard: compileConditions(rules?.standard ?? []),
      demonstration: compileConditions(rules?.demonstration ?? []),
      qualitative: rules?.qualitative ?? [],
    };
  });
  const compiled: CompiledPlan = {
    levels,
    standardHalf: toHalf(plan.gradeRules.standardThreshold),
    demonstrationHalf: toHalf(plan.gradeRules.demonstrationThreshold),
    vetoBlocksDemonstration: plan.gradeRules.vetoBlocksDemonstration,
    maxItems: Math.max(...levels.map((l) => l.items.length)),
  };
  cache.set(plan, compiled);
  return compiled;
}

/**
 * Points entered → half points counted: clamped to [0, max] and rounded down to a half
 * point, so that a malformed row can never push a total over the maximum or over a threshold.
 */
export function countedHalf(points: number, maxHalf: number): number {
  if (!Number.isFinite(points) || points <= 0) return 0;
  const half = Math.floor(points * 2 + 1e-9);
  return half > maxHalf ? maxHalf : half;
}

/** Sub-unit counts of one condition, read from a unit's counters. */
export interface ConditionCounts {
  /** Sub-units of the levels concerned. */
  of: number;
  /** Of those, how many have reached the condition's grade. */
  reached: number;
  /** How many must have reached it (for `count`, capped at `of`). */
  required: number;
  met: boolean;
  vacuous: boolean;
}

/**
 * Evaluates a condition against counters (integers only). A unit with no sub-units of the
 * levels concerned meets the condition (vacuous). A `count` condition asks for `count`
 * sub-units, or all of them when the unit has fewer.
 */
export function evaluateCondition(cond: CompiledCondition, counters: ArrayLike<number>, offset: number): ConditionCounts {
  let of = 0;
  let reached = 0;
  for (const l of cond.of) {
    const base = offset + l * COUNTERS_PER_LEVEL;
    of += counters[base]!;
    reached += counters[base + cond.gradeRank]!;
  }
  if (of === 0) return { of, reached, required: 0, met: true, vacuous: true };
  const src = cond.source;
  let required: number;
  switch (src.kind) {
    case 'all':
      required = of;
      break;
    case 'ratio':
      // Smallest k with k * denominator >= numerator * of.
      required = Math.ceil((src.ratio.numerator * of) / src.ratio.denominator);
      // Guard the float division above with the exact integer test.
      while (required > 0 && (required - 1) * src.ratio.denominator >= src.ratio.numerator * of) required--;
      while (required * src.ratio.denominator < src.ratio.numerator * of) required++;
      break;
    case 'count':
      required = Math.min(src.count, of);
      break;
  }
  return { of, reached, required, met: reached >= required, vacuous: false };
}

/** Whether every condition holds (the allocation-free path used when grading a whole tree). */
export function conditionsMet(conds: readonly CompiledCondition[], counters: ArrayLike<number>, offset: number): boolean {
  for (const c of conds) if (!evaluateCondition(c, counters, offset).met) return false;
  return true;
}

/** The grade from a total, a veto flag and the sub-unit counters. */
export function decideGrade(cp: CompiledPlan, lvl: CompiledLevel, totalHalf: number, veto: boolean, counters: ArrayLike<number>, offset: number): Grade {
  if (totalHalf < cp.standardHalf || !conditionsMet(lvl.standard, counters, offset)) return 'none';
  if (totalHalf < cp.demonstrationHalf) return 'standard';
  if (veto && cp.vetoBlocksDemonstration) return 'standard';
  return conditionsMet(lvl.demonstration, counters, offset) ? 'demonstration' : 'standard';
}

/** Adds one sub-unit of `levelIdx` with `grade` to the counters at `offset`. */
export function countSubUnit(counters: Int32Array | number[], offset: number, levelIdx: number, grade: Grade): void {
  const base = offset + levelIdx * COUNTERS_PER_LEVEL;
  counters[base]! += 1;
  if (grade !== 'none') counters[base + 1]! += 1;
  if (grade === 'demonstration') counters[base + 2]! += 1;
}
