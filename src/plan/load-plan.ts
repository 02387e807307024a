/**
 * Loading and checking plans. `planSchema()` checks shape; `checkPlan` checks that the plan
 * is internally consistent (points add up, numbering has no gaps, tasks name known
 * categories and units ...). Anything wrong raises a `PlanError` naming the problem.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import { builtInPlan } from './plan-data.js';
import { resolveTargetOverride, sameRequirement } from './target-overrides.js';
import {
  LEVELS,
  planSchema,
  type Indicator,
  type Level,
  type LevelSpec,
  type MonthRef,
  type Plan,
  type PlanTask,
  type SubItem,
} from './schema.js';

/** The deadline phrase of recurring tasks; exactly these tasks carry a cadence. */
const YEAR_ROUND_DEADLINE = '贯穿全年';

/** An invalid plan (PLAN_FILE or the built-in data): a configuration error listing every problem. */
export class PlanError extends UserError {
  /** Every problem found, one line each (the message lists them too). */
  readonly problems: readonly string[];

  constructor(problems: readonly string[], source?: string) {
    const prefix = source === undefined ? 'invalid plan' : `invalid plan ${source}`;
    const body = problems.length === 1 ? `: ${problems[0]}` : `:\n  - ${problems.join('\n  - ')}`;
    super('config', prefix + body, 'PLAN_FILE');
    this.name = 'PlanError';
    this.problems = problems;
  }
}

let cachedBuiltIn: Plan | undefined;

/**
 * Validates `source` against the schema and the consistency rules and returns the parsed
 * plan (defaults filled in). With no argument returns the built-in plan, parsed once and
 * deep-frozen.
 */
export function loadPlan(source?: unknown): Plan {
  if (source === undefined) {
    cachedBuiltIn ??= deepFreeze(preparsedBuiltInPlan() ?? parseBuiltInPlan());
    return cachedBuiltIn;
  }
  return parseAndCheck(source);
}

export function parseBuiltInPlan(): Plan {
  return parseAndCheck(builtInPlan, 'built-in plan');
}

/**
 * bin/bundle.js writes the built-in plan, parsed and checked at bundle time, beside the bundle
 * (whose folder is named after the sources' state, so it cannot be stale): a CLI command then
 * reads JSON instead of running the schema and the consistency checks (≈ 90 ms) on every start.
 * Run from the sources (tests, tsx, dist/) there is no such file and the plan is parsed.
 */
export const PREPARSED_PLAN_FILE = 'built-in-plan.json';

function preparsedBuiltInPlan(): Plan | undefined {
  try {
    return JSON.parse(readFileSync(new URL(`./${PREPARSED_PLAN_FILE}`, import.meta.url), 'utf8')) as Plan;
  } catch {
    // No such file (run from the sources) or damaged by hand: parse the plan instead.
    return undefined;
  }
}

/** Reads a plan from a JSON file (e.g. PLAN_FILE); errors name the file and the problem. */
export function loadPlanFile(path: string): Plan {
  const label = `file ${path}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PlanError([`cannot read file: ${errorMessage(err)}`], label);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PlanError([`invalid JSON: ${errorMessage(err)}`], label);
  }
  return parseAndCheck(json, label);
}

function parseAndCheck(source: unknown, label?: string): Plan {
  const parsed = planSchema().safeParse(source);
  if (!parsed.success) throw new PlanError(parsed.error.issues.map(formatIssue), label);
  const problems = checkPlan(parsed.data);
  if (problems.length > 0) throw new PlanError(problems, label);
  return parsed.data;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path)}: ${issue.message}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Consistency rules the schema cannot express. Returns one line per problem; empty if fine. */
function checkPlan(plan: Plan): string[] {
  const problems: string[] = [];
  const add = (p: string) => problems.push(p);

  // Levels: each exactly once, points add up, numbering without gaps.
  for (const level of LEVELS) {
    const n = plan.levels.filter((l) => l.level === level).length;
    if (n !== 1) add(`level ${level}: appears ${n} times, expected exactly once`);
  }
  let expectedNumber = 1;
  for (const spec of plan.levels) {
    const sum = total(spec.indicators.map((i) => i.points));
    if (sum !== spec.maxPoints) add(`level ${spec.level}: indicators sum to ${sum}, expected ${spec.maxPoints}`);
    for (const ind of spec.indicators) {
      if (ind.number !== expectedNumber) {
        add(`level ${spec.level}: indicator numbered ${ind.number}, expected ${expectedNumber} (numbers run 1..N across levels in order)`);
      }
      expectedNumber = ind.number + 1;
      const subSum = total(ind.subItems.map((s) => s.points));
      if (subSum !== ind.points) add(`indicator ${ind.number}: sub-items sum to ${subSum}, expected ${ind.points}`);
      ind.subItems.forEach((s, i) => {
        const code = `${ind.number}.${i + 1}`;
        if (s.code !== code) add(`indicator ${ind.number}: sub-item ${i + 1} has code "${s.code}", expected "${code}"`);
      });
    }
  }

  // Grade rules.
  const { standardThreshold, demonstrationThreshold } = plan.gradeRules;
  if (!(standardThreshold < demonstrationThreshold)) {
    add(`gradeRules: standardThreshold ${standardThreshold} must be below demonstrationThreshold ${demonstrationThreshold}`);
  }
  for (const spec of plan.levels) {
    if (demonstrationThreshold > spec.maxPoints) {
      add(`gradeRules: demonstrationThreshold ${demonstrationThreshold} exceeds level ${spec.level} maxPoints ${spec.maxPoints}`);
    }
  }
  for (const level of duplicates(plan.gradeRules.levels.map((l) => l.level))) {
    add(`gradeRules.levels: level ${level} appears more than once`);
  }
  for (const rules of plan.gradeRules.levels) {
    const codes = new Set(plan.levels.find((l) => l.level === rules.level)?.indicators.flatMap((i) => i.subItems.map((s) => s.code)) ?? []);
    for (const cond of [...rules.standard, ...rules.demonstration]) {
      if (cond.kind !== 'subItems') continue;
      for (const code of cond.codes) {
        if (!codes.has(code)) add(`gradeRules.levels ${rules.level}: condition 「${cond.text}」 names sub-item ${code}, which is not in the ${rules.level} rubric`);
      }
      for (const code of duplicates(cond.codes)) add(`gradeRules.levels ${rules.level}: condition 「${cond.text}」 names sub-item ${code} twice`);
    }
  }

  // Milestones and phases.
  for (const id of duplicates(plan.milestones.map((m) => m.id))) add(`milestones: duplicate id "${id}"`);
  for (const id of duplicates(plan.phases.map((p) => p.id))) add(`phases: duplicate id "${id}"`);
  if (!plan.phases.some((p) => p.end !== null)) add('phases: at least one phase needs an end month (the programme years are counted up to the last one)');
  const resolved: Array<{ index: number; milestoneIndex: number; requirementIndex: number }> = [];
  plan.targetOverrides.forEach((o, index) => {
    const r = resolveTargetOverride(plan, o);
    if (!r.ok) add(`targetOverrides[${index}]: ${r.problem}`);
    else {
      const earlier = resolved.find((x) => sameRequirement(x, r));
      if (earlier) add(`targetOverrides[${index}]: sets the same target as targetOverrides[${earlier.index}]`);
      resolved.push({ index, ...r });
    }
  });

  // Tasks.
  for (const c of duplicates(plan.actionCategories)) add(`actionCategories: duplicate "${c}"`);
  for (const u of duplicates(plan.leadUnits)) add(`leadUnits: duplicate "${u}"`);
  plan.tasks.forEach((task, i) => {
    if (task.seq !== i + 1) add(`tasks: task at position ${i + 1} has seq ${task.seq}, expected ${i + 1} (seqs run 1..N without gaps)`);
    if (!plan.actionCategories.includes(task.category)) {
      add(`task ${task.seq}: category "${task.category}" is not in actionCategories`);
    }
    for (const unit of task.leadUnits) {
      if (!plan.leadUnits.includes(unit)) add(`task ${task.seq}: lead unit "${unit}" is not in leadUnits`);
    }
    for (const unit of duplicates(task.leadUnits)) add(`task ${task.seq}: lead unit "${unit}" listed twice`);
    checkCadence(`task ${task.seq}`, task.deadlineText, task.cadence, add);
    if (task.laterYears !== null) {
      if (task.recurrence !== 'every_year') add(`task ${task.seq}: laterYears on a first_year_only task (it is never instantiated in later years)`);
      checkCadence(`task ${task.seq} laterYears`, task.laterYears.deadlineText, task.laterYears.cadence, add);
    }
  });

  return problems;
}

function checkCadence(what: string, deadlineText: string, cadence: string | null, add: (p: string) => void): void {
  const yearRound = deadlineText === YEAR_ROUND_DEADLINE;
  if (yearRound && cadence === null) add(`${what}: deadline 「${YEAR_ROUND_DEADLINE}」 but no cadence`);
  if (!yearRound && cadence !== null) {
    add(`${what}: cadence ${cadence} on a dated task (deadline 「${deadlineText}」); only 「${YEAR_ROUND_DEADLINE}」 tasks recur`);
  }
}

function total(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function duplicates<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const v of values) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

// ---- lookup helpers ----

/** The spec of one level (every valid plan has each level exactly once). */
export function levelSpec(plan: Plan, level: Level): LevelSpec {
  const spec = plan.levels.find((l) => l.level === level);
  if (!spec) throw new PlanError([`level ${level}: missing`]);
  return spec;
}

/** The indicator with this number, or undefined. */
export function findIndicator(plan: Plan, number: number): { level: Level; indicator: Indicator } | undefined {
  for (const spec of plan.levels) {
    const indicator = spec.indicators.find((i) => i.number === number);
    if (indicator) return { level: spec.level, indicator };
  }
  return undefined;
}

/** The sub-item with this code (e.g. `4.2`) with its level and indicator, or undefined. */
export function findSubItem(
  plan: Plan,
  code: string,
): { level: Level; indicator: Indicator; subItem: SubItem } | undefined {
  const trimmed = code.trim();
  for (const spec of plan.levels) {
    for (const indicator of spec.indicators) {
      const subItem = indicator.subItems.find((s) => s.code === trimmed);
      if (subItem) return { level: spec.level, indicator, subItem };
    }
  }
  return undefined;
}

/** The task with this seq, or undefined. */
export function planTask(plan: Plan, seq: number): PlanTask | undefined {
  return plan.tasks.find((t) => t.seq === seq);
}

/** A plan-relative month as a calendar year and month. */
export function resolveMonthRef(ref: MonthRef, firstYear: number): { year: number; month: number } {
  return { year: firstYear + ref.yearOffset, month: ref.month };
}
