/**
 * The plan's rubric and grade rules compiled into integer form once per plan object:
 * points become half points, levels become indices, so that grading a city is array work.
 * Conditions are interpreted generically from `plan.gradeRules`; nothing here knows which
 * level is a street.
 */
import { LEVELS, type Grade, type GradeCondition, type Level, type Plan } from '../plan/schema.js';

const LEVEL_COUNT = LEVELS.length;
/** Per level, three counters of sub-units: how many, how many ≥ standard, how many demonstration. */
const COUNTERS_PER_LEVEL = 3;
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
  source: GradeCondition;
  /** Sub-unit conditions: level indices of `of` (empty for `subItems`). */
  of: number[];
  /** Sub-unit conditions: 1 = standard (counter "≥ standard"), 2 = demonstration. */
  gradeRank: 1 | 2;
  /** `subItems`: indices into the level's `items`, and their maximum together in half points. */
  items: number[];
  itemsMaxHalf: number;
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

const toHalf = (points: number): number => Math.round(points * 2);

export function compilePlan(plan: Plan): CompiledPlan {
  const cached = cache.get(plan);
  if (cached) return cached;
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
    const itemIndex = new Map(items.map((it, i) => [it.code, i]));
    const compileConditions = (conds: readonly GradeCondition[]): CompiledCondition[] =>
      conds.map((c): CompiledCondition => {
        if (c.kind === 'subItems') {
          const idx = c.codes.map((code) => {
            const k = itemIndex.get(code);
            if (k === undefined) throw new Error(`condition 「${c.text}」 names sub-item ${code}, not in the ${level} rubric`);
            return k;
          });
          return { source: c, of: [], gradeRank: 1, items: idx, itemsMaxHalf: idx.reduce((a, k) => a + items[k]!.maxHalf, 0) };
        }
        return { source: c, of: c.of.map(levelIndex), gradeRank: c.grade === 'standard' ? 1 : 2, items: [], itemsMaxHalf: 0 };
      });
    return {
      level,
      maxHalf: toHalf(spec.maxPoints),
      items,
      itemIndex,
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

/**
 * One condition, measured. Sub-unit conditions count sub-units; `subItems` conditions
 * measure half points (`of` = the items' maximum, `reached` = points counted, `required` =
 * the least that meets the ratio).
 */
export interface ConditionCounts {
  /** Sub-units of the levels concerned. */
  of: number;
  /** Of those, how many have reached the condition's grade. */
  reached: number;
  /** How many must have reached it. */
  required: number;
  met: boolean;
  /** Met only because there is nothing to measure (`all` / `ratio` without sub-units). */
  vacuous: boolean;
}

/** Smallest k with k · denominator ≥ numerator · n, in integers. */
function ratioRequired(numerator: number, denominator: number, n: number): number {
  let required = Math.ceil((numerator * n) / denominator);
  // Guard the float division above with the exact integer test.
  while (required > 0 && (required - 1) * denominator >= numerator * n) required--;
  while (required * denominator < numerator * n) required++;
  return required;
}

/**
 * Evaluates a condition against counters and the unit's own points (integers only).
 * - `all` / `ratio`: a unit with no sub-units of the levels concerned meets them (vacuous:
 *   nothing to complete).
 * - `count` (「有一定量」): at least `min` sub-units, never vacuous: none is not "a certain amount".
 * - `subItems`: the items' points (not assessed = 0) reach `ratio` of their maximum; needs
 *   `halves` (the unit's half points per sub-item, −1 = not assessed) at `halfOffset`.
 */
export function evaluateCondition(cond: CompiledCondition, counters: ArrayLike<number>, offset: number, halves?: ArrayLike<number>, halfOffset = 0): ConditionCounts {
  const src = cond.source;
  if (src.kind === 'subItems') {
    if (halves === undefined) throw new Error(`condition 「${src.text}」 needs the unit's sub-item points`);
    let reached = 0;
    for (const k of cond.items) {
      const h = halves[halfOffset + k]!;
      if (h > 0) reached += h;
    }
    const required = ratioRequired(src.ratio.numerator, src.ratio.denominator, cond.itemsMaxHalf);
    return { of: cond.itemsMaxHalf, reached, required, met: reached >= required, vacuous: false };
  }
  let of = 0;
  let reached = 0;
  for (const l of cond.of) {
    const base = offset + l * COUNTERS_PER_LEVEL;
    of += counters[base]!;
    reached += counters[base + cond.gradeRank]!;
  }
  if (src.kind === 'count') return { of, reached, required: src.min, met: reached >= src.min, vacuous: false };
  if (of === 0) return { of, reached, required: 0, met: true, vacuous: true };
  const required = src.kind === 'all' ? of : ratioRequired(src.ratio.numerator, src.ratio.denominator, of);
  return { of, reached, required, met: reached >= required, vacuous: false };
}

/** Whether every condition holds (the allocation-free path used when grading a whole tree). */
function conditionsMet(conds: readonly CompiledCondition[], counters: ArrayLike<number>, offset: number, halves: ArrayLike<number>, halfOffset: number): boolean {
  for (const c of conds) if (!evaluateCondition(c, counters, offset, halves, halfOffset).met) return false;
  return true;
}

/** The grade from a total, a veto flag, the sub-unit counters and the unit's sub-item points. */
export function decideGrade(
  cp: CompiledPlan,
  lvl: CompiledLevel,
  totalHalf: number,
  veto: boolean,
  counters: ArrayLike<number>,
  offset: number,
  halves: ArrayLike<number>,
  halfOffset: number,
): Grade {
  if (totalHalf < cp.standardHalf || !conditionsMet(lvl.standard, counters, offset, halves, halfOffset)) return 'none';
  if (totalHalf < cp.demonstrationHalf) return 'standard';
  if (veto && cp.vetoBlocksDemonstration) return 'standard';
  return conditionsMet(lvl.demonstration, counters, offset, halves, halfOffset) ? 'demonstration' : 'standard';
}

/** Adds one sub-unit of `levelIdx` with `grade` to the counters at `offset`. */
export function countSubUnit(counters: Int32Array | number[], offset: number, levelIdx: number, grade: Grade): void {
  const base = offset + levelIdx * COUNTERS_PER_LEVEL;
  counters[base]! += 1;
  if (grade !== 'none') counters[base + 1]! += 1;
  if (grade === 'demonstration') counters[base + 2]! += 1;
}
