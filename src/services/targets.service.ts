/**
 * The street's own target numbers (issue 16 #3): `dangjian targets set | reset` and 「设目标」.
 * Office only; every change and refusal audited. Stored overrides apply after the plan file's
 * `targetOverrides` (src/plan/target-overrides.ts); setting a target again replaces the stored
 * row, and a reset falls back to the plan file's number, else the document's.
 */
import type { Actor } from '../auth/actor.js';
import { requireOffice } from '../auth/policy.js';
import { audit } from '../db/audit.repository.js';
import { deleteTargetOverrides, insertTargetOverride, listTargetOverrides } from '../db/target-override.repository.js';
import { UserError } from '../errors.js';
import { findMilestone, milestoneLabel, programmeText } from '../plan/programme.js';
import { type Milestone, type Plan, type TargetOverride } from '../plan/schema.js';
import { effectiveRequirements, resolveTargetOverride, sameRequirement } from '../plan/target-overrides.js';
import { milestoneDate, type RequirementProgress } from '../scoring/index.js';
import { targetsReport, type GradingDeps } from './grading.service.js';
import { requireProgramme } from './programme.service.js';
import { parseLevel } from './units.service.js';

/** The largest number a street can set (far above any street's units; catches typos such as 80000). */
const MAX_TARGET_COUNT = 9999;

/** Which argument each value came from (CLI options or chat parameters), for the messages. */
export interface TargetFields {
  milestone: string;
  level: string;
  grade: string;
  count: string;
}

const CLI_FIELDS: TargetFields = { milestone: '--milestone', level: '--level', grade: '--grade', count: '--count' };

export interface TargetSpecInput {
  milestone: string;
  level: string;
  grade?: string | undefined;
}

/** The milestones as people can name them: 「1 到2026年2月（2026-02-28）」 … */
function milestoneChoices(plan: Plan, firstYear: number, dues: readonly string[]): string {
  return plan.milestones.map((m, i) => `${i + 1} ${milestoneLabel(plan, firstYear, m)}（${dues[i]}）`).join('、');
}

/**
 * The milestone a person means: its number in the list (1 = the first), the date the programme
 * prints (2027-12-31), its month (2027-12, 2027年12月, 到2027年12月) or its id (y2-12).
 */
function parseMilestone(plan: Plan, firstYear: number, text: string, dues: readonly string[], field: string): Milestone {
  const t = text.normalize('NFKC').trim().replace(/^第/, '').replace(/个?节点$/, '');
  let found: Milestone | undefined;
  if (/^\d{1,2}$/.test(t)) found = plan.milestones[Number(t) - 1];
  else {
    const day = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
    if (day) {
      const iso = `${day[1]}-${day[2]!.padStart(2, '0')}-${day[3]!.padStart(2, '0')}`;
      found = plan.milestones.find((_, i) => dues[i] === iso);
    } else found = findMilestone(plan, firstYear, t);
  }
  if (!found) throw new UserError('bad_argument', `没有节点「${text.trim()}」；可填序号、日期或月份：${milestoneChoices(plan, firstYear, dues)}`, field);
  return found;
}

function parseGrade(text: string | undefined, field: string): TargetOverride['grade'] {
  if (text === undefined || text.trim() === '') return undefined;
  const t = text.normalize('NFKC').trim();
  if (t === '标准型' || t === '标准' || t === 'standard') return 'standard';
  if (t === '示范型' || t === '示范' || t === 'demonstration') return 'demonstration';
  throw new UserError('bad_argument', `等级应为「标准型」或「示范型」（收到「${t}」）`, field);
}

function parseCount(value: string | number, field: string): number {
  const text = String(value).normalize('NFKC').trim().replace(/个$/, '');
  if (!/^\d+$/.test(text) || Number(text) > MAX_TARGET_COUNT) {
    throw new UserError('bad_argument', `个数应为 0 到 ${MAX_TARGET_COUNT} 的整数（0 表示本街道不设此目标；收到「${String(value).trim()}」）`, field);
  }
  return Number(text);
}

/** A target as the street now has it, after a change. */
export interface TargetChange {
  milestone: string;
  /** 「到2027年12月」. */
  label: string;
  /** The requirement's sentence in the programme's years. */
  text: string;
  /** The document's own number. */
  planCount: number;
  /** The number that applies now (after the change). */
  count: number;
  /** Where it comes from: set by the street (CLI or chat), the plan file, or the document. */
  source: 'street' | 'plan_file' | 'document';
  /** Units of those levels in the street now. */
  available: number;
  /** 「目标 11 个超过本街道社区总数 8 个，无法达成」, or null. */
  warning: string | null;
}

interface Resolved {
  override: TargetOverride;
  position: { milestoneIndex: number; requirementIndex: number };
}

async function resolveSpec(deps: GradingDeps, input: TargetSpecInput, count: number, fields: TargetFields): Promise<Resolved> {
  const programme = await requireProgramme(deps.db);
  const dues = deps.plan.milestones.map((m) => milestoneDate(m.due, programme.firstYear));
  const milestone = parseMilestone(deps.plan, programme.firstYear, input.milestone, dues, fields.milestone);
  const level = parseLevel(input.level, fields.level);
  const grade = parseGrade(input.grade, fields.grade);
  const override: TargetOverride = { milestone: milestone.id, level, ...(grade === undefined ? {} : { grade }), count };
  const r = resolveTargetOverride(deps.plan, override);
  if (!r.ok) {
    // The resolver names the milestone by its id: name it as the programme prints it.
    const problem = programmeText(deps.plan, programme.firstYear, r.problem).replace(`节点「${milestone.id}」`, `节点「${milestoneLabel(deps.plan, programme.firstYear, milestone)}」`);
    throw new UserError('bad_argument', problem, r.problem.includes('请指定等级') ? fields.grade : fields.level);
  }
  return { override, position: r };
}

/** The stored overrides that set the same requirement as `position`. */
function storedFor(plan: Plan, stored: Awaited<ReturnType<typeof listTargetOverrides>>, position: Resolved['position']): number[] {
  return stored.filter((s) => {
    const r = resolveTargetOverride(plan, s);
    return r.ok && sameRequirement(r, position);
  }).map((s) => s.id);
}

/** The requirement at `position` as it now applies. */
async function currentTarget(deps: GradingDeps, position: Resolved['position']): Promise<TargetChange> {
  const report = await targetsReport(deps);
  const m = report.milestones[position.milestoneIndex]!;
  const q: RequirementProgress = m.requirements[position.requirementIndex]!;
  const stored = await listTargetOverrides(deps.db);
  const fromStreet = storedFor(deps.plan, stored, position).length > 0;
  const fromFile = effectiveRequirements(deps.plan).milestones[position.milestoneIndex]![position.requirementIndex]!.overridden;
  return {
    milestone: m.id,
    label: m.label,
    text: q.text,
    planCount: q.planCount as number,
    count: q.count as number,
    source: fromStreet ? 'street' : fromFile ? 'plan_file' : 'document',
    available: q.available,
    warning: q.warning,
  };
}

/** Sets the street's number for one target (replacing an earlier one). */
export async function setTarget(deps: GradingDeps, actor: Actor, input: TargetSpecInput & { count: string | number }, fields: TargetFields = CLI_FIELDS): Promise<TargetChange> {
  await requireOffice(deps, actor, '设置本街道的目标', { action: 'targets.set', subject: input.milestone, detail: { level: input.level, count: input.count } });
  const count = parseCount(input.count, fields.count);
  const { override, position } = await resolveSpec(deps, input, count, fields);
  const at = deps.clock.now().getTime();
  await deps.db.transaction().execute(async (trx) => {
    // Read and replace in one transaction: two offices setting the same target leave one row.
    const replaced = storedFor(deps.plan, await listTargetOverrides(trx), position);
    await deleteTargetOverrides(trx, replaced);
    await insertTargetOverride(trx, { ...override, by: actor.name, at });
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'targets.set', subject: override.milestone, outcome: 'ok', detail: { ...override, replaced: replaced.length } });
  });
  return currentTarget(deps, position);
}

/** Removes the street's number for one target: the plan file's, else the document's, applies again. */
export async function resetTarget(deps: GradingDeps, actor: Actor, input: TargetSpecInput, fields: TargetFields = CLI_FIELDS): Promise<TargetChange> {
  await requireOffice(deps, actor, '恢复方案的目标', { action: 'targets.reset', subject: input.milestone });
  const at = deps.clock.now().getTime();
  const { override, position } = await resolveSpec(deps, input, 0, fields);
  const ids = storedFor(deps.plan, await listTargetOverrides(deps.db), position);
  if (ids.length === 0) {
    const now = await currentTarget(deps, position);
    throw new UserError('not_found', `「${now.text}」没有本街道设置的目标（现在按${now.source === 'plan_file' ? '方案文件' : '方案原文'}的 ${now.count} 个）`, fields.milestone);
  }
  await deps.db.transaction().execute(async (trx) => {
    await deleteTargetOverrides(trx, ids);
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'targets.reset', subject: override.milestone, outcome: 'ok', detail: { level: override.level, grade: override.grade ?? null, removed: ids.length } });
  });
  return currentTarget(deps, position);
}

/** Removes every number the street set; returns how many there were. */
export async function resetAllTargets(deps: GradingDeps, actor: Actor): Promise<number> {
  await requireOffice(deps, actor, '恢复方案的目标', { action: 'targets.reset', subject: '全部' });
  const at = deps.clock.now().getTime();
  const stored = await listTargetOverrides(deps.db);
  await deps.db.transaction().execute(async (trx) => {
    await deleteTargetOverrides(trx, stored.map((s) => s.id));
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'targets.reset', subject: '全部', outcome: 'ok', detail: { removed: stored.length } });
  });
  return stored.length;
}
