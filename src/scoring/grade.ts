/**
 * Grading (section 三 of the plan). `gradeUnit` explains one unit given its sub-units'
 * grades; `gradeTree` grades every unit of a tree for one year in a single bottom-up pass.
 * Both decide through the same integer predicates in rules.ts, so they always agree.
 */
import { GRADE_NAMES_ZH, LEVEL_NAMES_ZH, type Grade, type Level, type Plan } from '../plan/schema.js';
import { fmtPercent, fmtPoints, halfToPoints, joinLevels } from './format.js';
import { compareNames } from './rank.js';
import {
  COUNTER_WIDTH,
  GRADE_BY_RANK,
  GRADE_RANK,
  compilePlan,
  countSubUnit,
  countedHalf,
  decideGrade,
  evaluateCondition,
  levelIndex,
  type CompiledCondition,
  type CompiledLevel,
  type CompiledPlan,
} from './rules.js';
import type {
  ConditionCheck,
  GradedUnit,
  IndicatorResult,
  ItemResult,
  ScoreInput,
  SubUnitGrade,
  UnitGrade,
  UpperGrade,
  YearInput,
} from './types.js';

/** At most this many failing sub-units are named in one blocker. */
const MAX_NAMED_SUB_UNITS = 5;

/** Shown instead of a grade for a unit with no entry in the year: distinct from 「0 分 · 未达标」. */
const NOT_SCORED_ZH = '尚无评分';

/**
 * A unit's standing for display: 'unscored' when it has no entry at all in the year (the
 * year has no scores for it, e.g. a future year), else its grade.
 */
export function gradeState(u: { assessed: number; grade: Grade }): Grade | 'unscored' {
  return u.assessed === 0 ? 'unscored' : u.grade;
}

/** 「尚无评分」, 「未达标」, 「标准型」 or 「示范型」. */
export function gradeLabelZh(u: { assessed: number; grade: Grade }): string {
  const state = gradeState(u);
  return state === 'unscored' ? NOT_SCORED_ZH : GRADE_NAMES_ZH[state];
}

/** The grade above `grade`, or null at the top. */
export function nextGradeOf(grade: Grade): UpperGrade | null {
  return grade === 'none' ? 'standard' : grade === 'standard' ? 'demonstration' : null;
}

/** Compares grades: negative when a < b. */
export function compareGrades(a: Grade, b: Grade): number {
  return GRADE_RANK[a] - GRADE_RANK[b];
}

/**
 * 需整改: the grade fell compared with the previous year's (长效提升: grades are re-earned
 * every year). No previous grade (not assessed then) never flags.
 */
export function needsRectification(previous: Grade | null, current: Grade): boolean {
  return previous !== null && compareGrades(current, previous) < 0;
}

/**
 * How a unit's standing moved between two assessments (the bulletin's 晋位 / 保持 / 降级 / 新评):
 * 'new' when it had no entry before, 'unscored' when it has none now (an unassessed year is
 * neither a fall nor a base, as for 需整改); otherwise the grades compared ('down' ⇔ 需整改).
 */
export type GradeMove = 'up' | 'same' | 'down' | 'new' | 'unscored';

export function gradeMove(previous: { assessed: number; grade: Grade }, current: { assessed: number; grade: Grade }): GradeMove {
  if (current.assessed === 0) return 'unscored';
  if (previous.assessed === 0) return 'new';
  const cmp = compareGrades(current.grade, previous.grade);
  return cmp > 0 ? 'up' : cmp < 0 ? 'down' : 'same';
}

export interface GradeUnitInput {
  name: string;
  level: Level;
  /** This unit's entries for the year (codes of other levels are ignored and noted). */
  scores: ReadonlyArray<Omit<ScoreInput, 'unitId'>>;
  /** Reasons of active vetoes this year; non-empty = vetoed. */
  vetoReasons: readonly string[];
  /** Every descendant (not only children) with its own grade for the year. */
  subUnits: readonly SubUnitGrade[];
}

/** Latest-wins merge of entries into half points per sub-item (-1 = not assessed). */
function mergeItemPoints(lvl: CompiledLevel, scores: ReadonlyArray<Omit<ScoreInput, 'unitId'>>, ignored: string[]): Int32Array {
  const halves = new Int32Array(lvl.items.length).fill(-1);
  const seqs = new Float64Array(lvl.items.length).fill(-Infinity);
  for (const s of scores) {
    const k = lvl.itemIndex.get(s.itemCode);
    if (k === undefined) {
      ignored.push(s.itemCode);
      continue;
    }
    const h = countedHalf(s.points, lvl.items[k]!.maxHalf);
    const seq = s.seq ?? -Infinity;
    if (halves[k] === -1 || seq > seqs[k]! || (seq === seqs[k] && h > halves[k]!)) {
      halves[k] = h;
      seqs[k] = seq;
    }
  }
  return halves;
}

function listFailing(failing: readonly SubUnitGrade[]): string {
  const shown = failing.slice(0, MAX_NAMED_SUB_UNITS).map((u) => `${u.name}(${fmtPoints(u.total)})`);
  return failing.length > MAX_NAMED_SUB_UNITS ? `${shown.join('、')}等` : shown.join('、');
}

function conditionCheck(
  grade: UpperGrade,
  cond: CompiledCondition,
  counters: Int32Array,
  subUnits: readonly SubUnitGrade[],
  halves: ArrayLike<number>,
  items: readonly ItemResult[],
): { check: ConditionCheck; note?: string } {
  const src = cond.source;
  const c = evaluateCondition(cond, counters, 0, halves, 0);
  if (src.kind === 'subItems') {
    // Reported in points: the items' points, their maximum and the least that meets the ratio.
    const base = { grade, rule: src.kind, met: c.met, vacuous: false, ruleText: src.text, reached: halfToPoints(c.reached), of: halfToPoints(c.of), required: halfToPoints(c.required) };
    const codes = src.codes.join('、');
    const need = fmtPercent(src.ratio.numerator, src.ratio.denominator);
    const measured = `「${src.text}」按子项 ${codes} 计：${fmtPoints(base.reached)}/${fmtPoints(base.of)} 分`;
    const unassessed = items.filter((i) => src.codes.includes(i.code) && !i.assessed).map((i) => i.code);
    const missing = unassessed.length > 0 ? `（${unassessed.join('、')} 未评，按 0 分计）` : '';
    const detail = c.met
      ? `${measured}，达到 ${need}%`
      : `${measured}${missing}，需不少于 ${need}%（${fmtPoints(base.required)} 分），还差 ${fmtPoints(halfToPoints(c.required - c.reached))} 分`;
    return { check: { ...base, detail } };
  }
  const levels = joinLevels(src.of);
  const gradeZh = GRADE_NAMES_ZH[src.grade];
  const base = { grade, rule: src.kind, met: c.met, vacuous: c.vacuous, ruleText: src.text, reached: c.reached, of: c.of, required: c.required };
  if (c.vacuous) {
    const detail = `无所辖${levels}，视为满足「${src.text}」`;
    return { check: { ...base, detail }, note: detail };
  }
  switch (src.kind) {
    case 'all': {
      const failing = subUnits
        .filter((u) => src.of.includes(u.level) && GRADE_RANK[u.grade] < cond.gradeRank)
        .sort((a, b) => b.total - a.total || compareNames(a.name, b.name));
      const detail = c.met
        ? `所辖${levels} ${c.of} 个全部达到${gradeZh}`
        : `所辖${levels}中 ${failing.length} 个未达${gradeZh}：${listFailing(failing)}`;
      return { check: { ...base, detail, failing } };
    }
    case 'ratio': {
      const share = `${gradeZh}${levels}占比 ${c.reached}/${c.of} = ${fmtPercent(c.reached, c.of)}%`;
      const need = fmtPercent(src.ratio.numerator, src.ratio.denominator);
      const detail = c.met ? `${share}，不少于 ${need}%` : `${share}，需不少于 ${need}%，还差 ${c.required - c.reached} 个`;
      return { check: { ...base, detail } };
    }
    case 'count': {
      // 「有一定量」 is at least `min`; a unit without such sub-units does not meet it.
      let detail: string;
      if (c.met) detail = `${gradeZh}${levels} ${c.reached} 个，满足「有一定量」（至少 ${src.min} 个）`;
      else if (c.of === 0) detail = `无所辖${levels}，「${src.text}」需至少 ${src.min} 个${gradeZh}${levels}`;
      else detail = `${gradeZh}${levels} ${c.reached} 个，「有一定量」需至少 ${src.min} 个，还差 ${src.min - c.reached} 个`;
      return { check: { ...base, detail } };
    }
  }
}

function thresholdCheck(grade: UpperGrade, totalHalf: number, thresholdHalf: number): ConditionCheck {
  const gradeZh = GRADE_NAMES_ZH[grade];
  const threshold = fmtPoints(halfToPoints(thresholdHalf));
  const met = totalHalf >= thresholdHalf;
  const total = fmtPoints(halfToPoints(totalHalf));
  return {
    grade,
    rule: 'threshold',
    met,
    vacuous: false,
    ruleText: `得分${threshold}分以上`,
    detail: met
      ? `总分 ${total} 分，达到${gradeZh} ${threshold} 分`
      : `总分差 ${fmtPoints(halfToPoints(thresholdHalf - totalHalf))} 分（现 ${total} 分，${gradeZh}需 ${threshold} 分以上）`,
  };
}

/**
 * Grades one unit for one year and explains the result: total, grade, per-indicator and
 * per-sub-item points, every rule checked, and the blockers to the next grade.
 */
export function gradeUnit(plan: Plan, input: GradeUnitInput): UnitGrade {
  const cp = compilePlan(plan);
  const lvl = cp.levels[levelIndex(input.level)]!;
  const ignored: string[] = [];
  const halves = mergeItemPoints(lvl, input.scores, ignored);
  const counters = new Int32Array(COUNTER_WIDTH);
  for (const u of input.subUnits) countSubUnit(counters, 0, levelIndex(u.level), u.grade);
  return explain(cp, lvl, input.name, halves, input.vetoReasons, counters, input.subUnits, ignored);
}

function explain(
  cp: CompiledPlan,
  lvl: CompiledLevel,
  name: string,
  halves: ArrayLike<number>,
  vetoReasons: readonly string[],
  counters: Int32Array,
  subUnits: readonly SubUnitGrade[],
  ignoredCodes: readonly string[],
): UnitGrade {
  const items: ItemResult[] = [];
  const indicators: IndicatorResult[] = [];
  let totalHalf = 0;
  let assessed = 0;
  lvl.items.forEach((it, k) => {
    const h = halves[k]!;
    const isAssessed = h >= 0;
    const counted = isAssessed ? h : 0;
    totalHalf += counted;
    if (isAssessed) assessed++;
    const item: ItemResult = { code: it.code, title: it.title, indicator: it.indicator, points: halfToPoints(counted), max: halfToPoints(it.maxHalf), assessed: isAssessed };
    items.push(item);
    let ind = indicators[indicators.length - 1];
    if (!ind || ind.number !== it.indicator) {
      ind = { number: it.indicator, title: it.indicatorTitle, points: 0, max: 0, assessed: 0, items: [] };
      indicators.push(ind);
    }
    ind.items.push(item);
  });
  for (const ind of indicators) {
    // Sum in half points, then convert once: no floating-point drift.
    ind.points = halfToPoints(ind.items.reduce((a, i) => a + i.points * 2, 0));
    ind.max = halfToPoints(ind.items.reduce((a, i) => a + i.max * 2, 0));
    ind.assessed = ind.items.filter((i) => i.assessed).length;
  }
  const veto = vetoReasons.length > 0;
  const grade = decideGrade(cp, lvl, totalHalf, veto, counters, 0, halves, 0);
  const nextGrade = nextGradeOf(grade);

  const checks: ConditionCheck[] = [];
  const notes: string[] = [];
  const addConditions = (g: UpperGrade, conds: readonly CompiledCondition[]) => {
    for (const cond of conds) {
      const { check, note } = conditionCheck(g, cond, counters, subUnits, halves, items);
      checks.push(check);
      if (note !== undefined) notes.push(note);
    }
  };
  checks.push(thresholdCheck('standard', totalHalf, cp.standardHalf));
  addConditions('standard', lvl.standard);
  checks.push(thresholdCheck('demonstration', totalHalf, cp.demonstrationHalf));
  if (cp.vetoBlocksDemonstration) {
    checks.push({
      grade: 'demonstration',
      rule: 'veto',
      met: !veto,
      vacuous: false,
      ruleText: '无相关“一票否决”事项',
      detail: veto ? `有“一票否决”事项：${vetoReasons.join('；')}` : '无“一票否决”事项',
    });
  }
  addConditions('demonstration', lvl.demonstration);

  const unassessed = items.filter((i) => !i.assessed);
  if (assessed === 0) notes.push(`${NOT_SCORED_ZH}：本年度没有任何子项的评分记录（不是 0 分）`);
  else if (unassessed.length > 0) {
    notes.push(`${unassessed.length} 个子项未评，按 0 分计：${unassessed.map((i) => i.code).join('、')}`);
  }
  if (lvl.qualitative.length > 0) notes.push(`以下要求无法按分数评定，未计入：${lvl.qualitative.join('；')}`);
  if (ignoredCodes.length > 0) {
    notes.push(`忽略不属于${LEVEL_NAMES_ZH[lvl.level]}评分表的记录：${[...new Set(ignoredCodes)].join('、')}`);
  }

  return {
    name,
    level: lvl.level,
    totalHalf,
    total: halfToPoints(totalHalf),
    max: halfToPoints(lvl.maxHalf),
    thresholds: { standard: halfToPoints(cp.standardHalf), demonstration: halfToPoints(cp.demonstrationHalf) },
    grade,
    nextGrade,
    veto,
    vetoReasons: [...vetoReasons],
    assessed,
    itemCount: items.length,
    indicators,
    items,
    checks,
    blockers: nextGrade === null ? [] : checks.filter((c) => c.grade === nextGrade && !c.met).map((c) => c.detail),
    notes,
  };
}

/** Thrown when the unit data cannot form a tree (a parent cycle). */
class TreeError extends Error {
  override name = 'TreeError';
}

/** Every unit of a tree graded for one year; `detail(id)` explains one of them. */
export class GradedTree {
  /** In the order given to `gradeTree`. */
  readonly units: readonly GradedUnit[];
  private readonly byId: Map<number, number>;
  private children?: number[][];

  /** @internal use `gradeTree`. */
  constructor(
    private readonly cp: CompiledPlan,
    units: GradedUnit[],
    byId: Map<number, number>,
    private readonly parentIdx: Int32Array,
    private readonly halves: Int32Array,
    private readonly stride: number,
    private readonly vetoReasons: ReadonlyMap<number, string[]>,
    private readonly ignoredCodes: ReadonlyMap<number, string[]>,
  ) {
    this.units = units;
    this.byId = byId;
  }

  get(id: number): GradedUnit | undefined {
    const i = this.byId.get(id);
    return i === undefined ? undefined : this.units[i];
  }

  private childIndex(): number[][] {
    if (!this.children) {
      const children: number[][] = this.units.map(() => []);
      this.parentIdx.forEach((p, i) => {
        if (p >= 0) children[p]!.push(i);
      });
      this.children = children;
    }
    return this.children;
  }

  /** Every unit below `id` (children, their children ...), optionally of some levels only. */
  descendants(id: number, levels?: readonly Level[]): GradedUnit[] {
    const start = this.byId.get(id);
    if (start === undefined) return [];
    const children = this.childIndex();
    const out: GradedUnit[] = [];
    const stack = [...children[start]!];
    while (stack.length > 0) {
      const i = stack.pop()!;
      const u = this.units[i]!;
      if (levels === undefined || levels.includes(u.level)) out.push(u);
      for (const c of children[i]!) stack.push(c);
    }
    return out;
  }

  /** The full explanation of one unit (items, indicators, checks, blockers). */
  detail(id: number): UnitGrade | undefined {
    const i = this.byId.get(id);
    if (i === undefined) return undefined;
    const u = this.units[i]!;
    const lvl = this.cp.levels[levelIndex(u.level)]!;
    const halves = this.halves.subarray(i * this.stride, i * this.stride + lvl.items.length);
    const subUnits = this.descendants(id);
    const counters = new Int32Array(COUNTER_WIDTH);
    for (const s of subUnits) countSubUnit(counters, 0, levelIndex(s.level), s.grade);
    return explain(this.cp, lvl, u.name, halves, this.vetoReasons.get(id) ?? [], counters, subUnits, this.ignoredCodes.get(id) ?? []);
  }
}

/**
 * Grades every unit of `input` for one year in one bottom-up pass (O(units × depth)):
 * each unit's grade is added to the counters of all its ancestors, so a street's
 * conditions see its communities, buildings ... and the compounds under its communities.
 * A unit whose parent is not in `input` is treated as a root.
 */
export function gradeTree(plan: Plan, input: YearInput): GradedTree {
  const cp = compilePlan(plan);
  const n = input.units.length;
  const stride = cp.maxItems;
  const byId = new Map<number, number>();
  const levelIdx = new Int8Array(n);
  input.units.forEach((u, i) => {
    if (byId.has(u.id)) throw new TreeError(`unit id ${u.id} appears twice`);
    byId.set(u.id, i);
    levelIdx[i] = levelIndex(u.level);
  });
  const parentIdx = new Int32Array(n).fill(-1);
  input.units.forEach((u, i) => {
    if (u.parentId !== null) parentIdx[i] = byId.get(u.parentId) ?? -1;
  });

  // Latest entry per (unit, item), in half points; -1 = not assessed.
  const halves = new Int32Array(n * stride).fill(-1);
  const seqs = new Float64Array(n * stride).fill(-Infinity);
  const ignoredCodes = new Map<number, string[]>();
  for (const s of input.scores) {
    const i = byId.get(s.unitId);
    if (i === undefined) continue;
    const lvl = cp.levels[levelIdx[i]!]!;
    const k = lvl.itemIndex.get(s.itemCode);
    if (k === undefined) {
      const list = ignoredCodes.get(s.unitId);
      if (list) list.push(s.itemCode);
      else ignoredCodes.set(s.unitId, [s.itemCode]);
      continue;
    }
    const pos = i * stride + k;
    const h = countedHalf(s.points, lvl.items[k]!.maxHalf);
    const seq = s.seq ?? -Infinity;
    if (halves[pos] === -1 || seq > seqs[pos]! || (seq === seqs[pos] && h > halves[pos]!)) {
      halves[pos] = h;
      seqs[pos] = seq;
    }
  }

  const vetoReasons = new Map<number, string[]>();
  for (const v of input.vetoes) {
    if (!byId.has(v.unitId)) continue;
    const list = vetoReasons.get(v.unitId);
    if (list) list.push(v.reason);
    else vetoReasons.set(v.unitId, [v.reason]);
  }

  // Depth of every unit (iteratively, detecting cycles), then deepest first.
  const depth = new Int32Array(n).fill(-1);
  const path: number[] = [];
  let maxDepth = 0;
  for (let i = 0; i < n; i++) {
    let j = i;
    while (j >= 0 && depth[j] === -1) {
      path.push(j);
      if (path.length > n) throw new TreeError(`unit hierarchy has a cycle through "${input.units[i]!.name}"`);
      j = parentIdx[j]!;
    }
    let d = j >= 0 ? depth[j]! : -1;
    while (path.length > 0) {
      const k = path.pop()!;
      d += 1;
      depth[k] = d;
      if (d > maxDepth) maxDepth = d;
    }
  }
  const order = new Int32Array(n);
  const starts = new Int32Array(maxDepth + 2);
  for (let i = 0; i < n; i++) starts[maxDepth - depth[i]! + 1]! += 1;
  for (let d = 1; d < starts.length; d++) starts[d]! += starts[d - 1]!;
  for (let i = 0; i < n; i++) order[starts[maxDepth - depth[i]!]!++] = i;

  const counters = new Int32Array(n * COUNTER_WIDTH);
  const totals = new Int32Array(n);
  const assessedCounts = new Int32Array(n);
  const grades = new Uint8Array(n);
  for (let o = 0; o < n; o++) {
    const i = order[o]!;
    const lvl = cp.levels[levelIdx[i]!]!;
    let total = 0;
    let assessed = 0;
    const base = i * stride;
    for (let k = 0; k < lvl.items.length; k++) {
      const h = halves[base + k]!;
      if (h >= 0) {
        total += h;
        assessed++;
      }
    }
    totals[i] = total;
    assessedCounts[i] = assessed;
    const grade = decideGrade(cp, lvl, total, vetoReasons.has(input.units[i]!.id), counters, i * COUNTER_WIDTH, halves, base);
    grades[i] = GRADE_RANK[grade];
    for (let a = parentIdx[i]!; a >= 0; a = parentIdx[a]!) countSubUnit(counters, a * COUNTER_WIDTH, levelIdx[i]!, grade);
  }

  const units: GradedUnit[] = input.units.map((u, i) => ({
    id: u.id,
    name: u.name,
    level: u.level,
    parentId: u.parentId,
    totalHalf: totals[i]!,
    total: halfToPoints(totals[i]!),
    max: halfToPoints(cp.levels[levelIdx[i]!]!.maxHalf),
    grade: GRADE_BY_RANK[grades[i]!]!,
    veto: vetoReasons.has(u.id),
    assessed: assessedCounts[i]!,
    itemCount: cp.levels[levelIdx[i]!]!.items.length,
  }));
  return new GradedTree(cp, units, byId, parentIdx, halves, stride, vetoReasons, ignoredCodes);
}

