/**
 * 年度通报 (the yearly bulletin, 四(五): 「每年对项目指标落实情况进行复评并通报结果，对达到建设要求的，
 * 抓好晋位提升；对未能长效保持的，责令整改提升」): how the grades moved between two assessments.
 *
 * `buildBulletin(input)` is pure: two assessments of the same units in, the bulletin out —
 * counts per level and grade with the change, every unit classified 晋位 / 保持 / 降级 / 新评
 * (`gradeMove`), and the units of concern (降级 = 需整改, B14; 一票否决) with the sub-items where
 * they lost the most points. `bulletinReport(deps, {year})` feeds it this year against last
 * year from the database, plus section 二's milestones. Issue 14's assessment rounds feed the
 * same builder with a closed round against the previous one (the labels name the rounds).
 */
import { GRADE_NAMES_ZH, LEVEL_NAMES_ZH, LEVELS, type Grade, type Level } from '../plan/schema.js';
import { GRADE_MOVE_ZH, lossLine, MILESTONE_STATE_ZH, REQUIREMENT_STATUS_ZH, UNSCORED_ZH } from '../cards/labels.js';
import type { BulletinLine, BulletinNotice, UnitBulletinNotice } from '../scheduler/bulletin-card.js';
import { standingText } from '../scheduler/bulletin-card.js';
import { compareNames, gapToNextGrade, gradeMove, type GradeMove, type Loss, type UnitGrade } from '../scoring/index.js';
import type { Actor } from '../auth/actor.js';
import { mayExportAllScores, requireRole } from '../auth/policy.js';
import { roundKindOf, type RoundKind } from '../domain/round-kind.js';
import { UserError } from '../errors.js';
import { listRectificationItems } from '../db/rectification.repository.js';
import { rectificationByUnit } from '../tasks/rectification.js';
import { isoInZone, localDate } from '../time.js';
import { gradeStreetYears, programmeStreet, targetsReport, type GradingDeps, type TargetsReport } from './grading.service.js';
import { closedRoundPair, frozenGradesByYear, roundLabel } from './rounds.service.js';
import { CREATION_TYPE_ZH, declaredTypes, reachesDeclared, type CreationType } from './application.service.js';

/** At most this many sub-items are named per unit of concern (where it lost the most points). */
const LOSSES_PER_UNIT = 3;

/** A grade, or 未评分 (no entry in the assessment). */
export type Standing = Grade | 'unscored';
const STANDINGS: readonly Standing[] = ['demonstration', 'standard', 'none', 'unscored'];

export interface BulletinUnitInput {
  name: string;
  level: Level;
  parent: string | null;
  /** This assessment, explained (the sub-items' points). */
  current: UnitGrade;
  /** The assessment compared against. */
  previous: { assessed: number; grade: Grade; total: number };
}

export interface BulletinInput {
  year: number;
  /** The two assessments as headers name them: 「2026年」 against 「2025年」. */
  currentLabel: string;
  previousLabel: string;
  /** The street whose units are counted (null: every unit). */
  street: string | null;
  units: readonly BulletinUnitInput[];
  targets: TargetsReport;
  /** Declared 创建类型 per unit name (approved 申报 of the year); units absent declared none. */
  declared?: ReadonlyMap<string, CreationType>;
}

export interface BulletinCount {
  level: Level;
  standing: Standing;
  previous: number;
  current: number;
  /** current − previous. */
  change: number;
}

/** One assessment of a unit: null grade and total when it had no entry. */
interface Assessed {
  grade: Grade | null;
  total: number | null;
}

export interface BulletinUnit {
  unit: string;
  level: Level;
  parent: string | null;
  previous: Assessed;
  current: Assessed;
  /** Total now − total before, when assessed both times. */
  totalChange: number | null;
  move: GradeMove;
  veto: boolean;
  /** Its declared target (approved 申报) and whether this assessment's grade reaches it; null: none declared. */
  declared: { type: CreationType; reached: boolean } | null;
}

export type ConcernKind = 'down' | 'veto' | 'target';

export interface BulletinConcern {
  unit: string;
  level: Level;
  parent: string | null;
  current: Assessed;
  /** Why it is listed, in Chinese (「降级：标准型 → 未达标」, 「一票否决：…」). */
  reasons: Array<{ kind: ConcernKind; text: string }>;
  /** The sub-items where it lost the most points (unassessed ones lose their full value, B16). */
  losses: Loss[];
}

export interface BulletinReport {
  year: number;
  /** The assessment round reported (null: the year form, this year's entries against last year's). */
  round: { id: number; label: string; closedAt: string } | null;
  /** The previous round's 整改 as this round closed: units whose 整改 closed late, or not at all (null: none issued, or the year form). */
  rectification: { late: string[]; open: string[] } | null;
  currentLabel: string;
  previousLabel: string;
  street: string | null;
  /** Per level that has units (street first): one row per standing (示范型, 标准型, 未达标, 未评分). */
  counts: BulletinCount[];
  /** Every unit: level order, then parent, then name. */
  units: BulletinUnit[];
  /** Units that dropped a grade (需整改), have a 一票否决 or missed their declared target, in the same order. */
  concerns: BulletinConcern[];
  targets: TargetsReport;
}

const standingOf = (u: { assessed: number; grade: Grade }): Standing => (u.assessed === 0 ? 'unscored' : u.grade);
const assessedOf = (u: { assessed: number; grade: Grade; total: number }): Assessed => (u.assessed === 0 ? { grade: null, total: null } : { grade: u.grade, total: u.total });

/** The bulletin of two assessments of the same units (pure). */
export function buildBulletin(input: BulletinInput): BulletinReport {
  const ordered = [...input.units].sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || compareNames(a.parent ?? '', b.parent ?? '') || compareNames(a.name, b.name));

  const counts: BulletinCount[] = [];
  for (const level of LEVELS) {
    const mine = ordered.filter((u) => u.level === level);
    if (mine.length === 0) continue;
    for (const standing of STANDINGS) {
      const previous = mine.filter((u) => standingOf(u.previous) === standing).length;
      const current = mine.filter((u) => standingOf(u.current) === standing).length;
      counts.push({ level, standing, previous, current, change: current - previous });
    }
  }

  const units: BulletinUnit[] = [];
  const concerns: BulletinConcern[] = [];
  for (const u of ordered) {
    const move = gradeMove(u.previous, u.current);
    const current = assessedOf(u.current);
    const previous = assessedOf(u.previous);
    const type = input.declared?.get(u.name);
    // An unassessed unit (grade none) has not reached what it declared.
    const declared = type === undefined ? null : { type, reached: reachesDeclared(type, u.current.assessed === 0 ? 'none' : u.current.grade) };
    units.push({
      unit: u.name,
      level: u.level,
      parent: u.parent,
      previous,
      current,
      totalChange: current.total === null || previous.total === null ? null : current.total - previous.total,
      move,
      veto: u.current.veto,
      declared,
    });
    const reasons: BulletinConcern['reasons'] = [];
    if (move === 'down') reasons.push({ kind: 'down', text: `降级：${GRADE_NAMES_ZH[u.previous.grade]} → ${GRADE_NAMES_ZH[u.current.grade]}` });
    if (u.current.veto) reasons.push({ kind: 'veto', text: `一票否决：${u.current.vetoReasons.join('；')}` });
    if (declared !== null && !declared.reached) reasons.push({ kind: 'target', text: `未达成申报目标：申报${CREATION_TYPE_ZH[declared.type]}，本轮${current.grade === null ? UNSCORED_ZH : GRADE_NAMES_ZH[current.grade]}` });
    if (reasons.length > 0) {
      concerns.push({ unit: u.name, level: u.level, parent: u.parent, current, reasons, losses: gapToNextGrade(u.current, { limit: LOSSES_PER_UNIT }).topLosses });
    }
  }
  return { year: input.year, round: null, rectification: null, currentLabel: input.currentLabel, previousLabel: input.previousLabel, street: input.street, counts, units, concerns, targets: input.targets };
}

/**
 * The 年度通报 of `year`: the programme street's units this year against last year, and
 * section 二's milestones as of the end of `year` (today, when that is earlier).
 */
export async function bulletinReport(deps: GradingDeps, options: { year: number }): Promise<BulletinReport> {
  const { year } = options;
  const today = localDate(deps.clock.now(), deps.tz);
  const targets = await targetsReport(deps, { at: [today, `${year}-12-31`].sort()[0]! });
  const graded = await gradeStreetYears(deps, year);
  const declared = new Map([...(await declaredTypes(deps.db, year))].map(([unit, d]) => [unit, d.type]));
  return buildBulletin({ year, currentLabel: `${year}年`, previousLabel: `${year - 1}年`, street: graded.street, units: graded.units, targets, declared });
}

/**
 * The 通报 of an assessment round (the round closed last, or the round of `year` and `kind`): its
 * frozen grades against those of the closed round before it (every unit 新评 when there is none),
 * and section 二's milestones at the day it closed, counted from frozen grades only. Nothing
 * entered after the round closed changes it.
 */
export async function roundBulletinReport(deps: GradingDeps, which: { year?: number; kind?: RoundKind; id?: number } = {}): Promise<BulletinReport> {
  const { current, previous } = await closedRoundPair(deps, which);
  const round = current.round;
  const closedAt = round.closed_at!;
  const before = new Map((previous?.units ?? []).map((u) => [u.unitId, u]));
  const units = current.units.map((u) => ({ name: u.name, level: u.level, parent: u.parent, current: u.detail, previous: before.get(u.unitId) ?? { assessed: 0, grade: 'none' as const, total: 0 } }));
  const targets = await targetsReport(deps, { at: localDate(closedAt, deps.tz), grades: await frozenGradesByYear(deps.db, round) });
  const street = (await programmeStreet(deps.db))?.name ?? null;
  const declared = new Map([...(await declaredTypes(deps.db, round.year, closedAt))].map(([unit, d]) => [unit, d.type]));
  const report = buildBulletin({ year: round.year, currentLabel: roundLabel(round), previousLabel: previous === null ? '上一轮（无）' : roundLabel(previous.round), street, units, targets, declared });
  let rectification: BulletinReport['rectification'] = null;
  if (previous !== null) {
    const states = rectificationByUnit(await listRectificationItems(deps.db, { roundId: previous.round.id }), closedAt, deps.tz);
    if (states.length > 0) rectification = { late: states.filter((s) => s.state === 'closed_late').map((s) => s.unit), open: states.filter((s) => s.state === 'open').map((s) => s.unit) };
  }
  return { ...report, round: { id: round.id, label: roundLabel(round), closedAt: isoInZone(closedAt, deps.tz) }, rectification };
}

// ---------------------------------------------------------------- the card's data

const gradeOrNull = (g: Grade | null) => (g === null ? null : GRADE_NAMES_ZH[g]);

function lineOf(report: BulletinReport, u: BulletinUnit): BulletinLine {
  const concern = report.concerns.find((c) => c.unit === u.unit);
  return {
    unit: u.unit,
    parent: u.parent,
    before: standingText(gradeOrNull(u.previous.grade), u.previous.total),
    now: standingText(gradeOrNull(u.current.grade), u.current.total),
    move: GRADE_MOVE_ZH[u.move],
    declared: u.declared === null ? null : `申报${CREATION_TYPE_ZH[u.declared.type]} · ${u.declared.reached ? '达成' : '未达成'}`,
    reasons: concern?.reasons.map((r) => r.text) ?? [],
    losses: concern?.losses.map(lossLine) ?? [],
  };
}

/** The bulletin as the chat card shows it (the leadership's 通报). */
export function bulletinNotice(report: BulletinReport): BulletinNotice {
  const levels: BulletinNotice['levels'] = [];
  for (const c of report.counts) {
    let l = levels.find((x) => x.level === LEVEL_NAMES_ZH[c.level]);
    if (!l) levels.push((l = { level: LEVEL_NAMES_ZH[c.level], parts: [] }));
    if (c.current === 0 && c.change === 0) continue;
    l.parts.push({ standing: c.standing === 'unscored' ? UNSCORED_ZH : GRADE_NAMES_ZH[c.standing], count: c.current, change: c.change });
  }
  const m = report.targets.milestones.find((x) => x.state === 'current') ?? report.targets.milestones.filter((x) => x.state === 'past').at(-1) ?? null;
  return {
    label: report.currentLabel,
    previousLabel: report.previousLabel,
    levels,
    up: report.units.filter((u) => u.move === 'up').map((u) => lineOf(report, u)),
    concerns: report.concerns.map((c) => lineOf(report, report.units.find((u) => u.unit === c.unit)!)),
    milestone:
      m === null
        ? null
        : { due: m.due, state: MILESTONE_STATE_ZH[m.state], onTrack: m.onTrack, lines: m.requirements.map((q) => `${q.text}${q.stretch ? '（力争）' : ''}：${q.reached}/${q.required} ${REQUIREMENT_STATUS_ZH[q.status]}`) },
    rectification: report.rectification,
    declared: declaredCount(report),
  };
}

/** Units with a declared target: how many reached it, how many did not (null: none declared). */
function declaredCount(report: BulletinReport): BulletinNotice['declared'] {
  const of = report.units.filter((u) => u.declared !== null);
  if (of.length === 0) return null;
  return { reached: of.filter((u) => u.declared!.reached).length, missed: of.filter((u) => !u.declared!.reached).map((u) => u.unit) };
}

/**
 * A unit's own lines of the bulletin, for its chat: only a unit the bulletin names (晋位, 降级,
 * 一票否决 or 未达成申报目标); null for the others.
 */
export function unitBulletinNotice(report: BulletinReport, unit: string): UnitBulletinNotice | null {
  const u = report.units.find((x) => x.unit === unit);
  if (!u || !(u.move === 'up' || u.move === 'down' || u.veto || u.declared?.reached === false)) return null;
  return { label: report.currentLabel, previousLabel: report.previousLabel, line: lineOf(report, u) };
}

/**
 * 「通报 [年份] [种类]」: the round's bulletin as the card shows it, for the office and the
 * leadership group (it names every unit's grade; refusals audited).
 */
export async function readRoundBulletin(deps: GradingDeps, actor: Actor, input: { year?: number | undefined; kind?: string | undefined } = {}): Promise<BulletinNotice> {
  await requireRole(deps, actor, mayExportAllScores, { action: 'bulletin.read', subject: null, reason: `通报只有党建办和领导小组成员可以查看（${actor.name} 不是）；本单位的通报会发到本单位的群` });
  const kind = input.kind === undefined ? undefined : roundKindOf(input.kind);
  if (input.kind !== undefined && kind === undefined) throw new UserError('bad_argument', `验收种类应为预验收、年度验收、复评之一（收到「${input.kind}」）`, '〈种类〉');
  const which = { ...(input.year === undefined ? {} : { year: input.year }), ...(kind === undefined ? {} : { kind }) };
  return bulletinNotice(await roundBulletinReport(deps, which));
}
