/**
 * Assessment rounds (issue 14): 预验收, 年度验收 and 复评. The office opens a round of a year and
 * closes it; score entries of that year made while it is open carry its id (scores.service);
 * closing it freezes every unit's grade as it stood (assessment_round_grade), so corrections made
 * later are new entries outside the round and never change its grades or its bulletin. A closed
 * round is re-opened only by the office, with a reason; every step is audited and kept as history.
 * At most one round is open at a time. Rounds are ordered by year, then kind (预验收, 年度验收, 复评):
 * a round is compared with the closed round before it in that order.
 */
import type { Actor } from '../auth/actor.js';
import { requireOffice } from '../auth/policy.js';
import { audit } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import {
  entriesAfter,
  entriesPerRound,
  findOpenRound,
  insertRound,
  insertRoundEvent,
  listRounds,
  replaceRoundGrades,
  roundEvents,
  roundGrades,
  setRoundClosed,
  type FrozenGradeRow,
} from '../db/round.repository.js';
import type { AssessmentRoundRow, RoundAction } from '../db/schema.js';
import { ROUND_KIND_ZH, ROUND_KINDS, roundKindOf, type RoundKind } from '../domain/round-kind.js';
import { UserError } from '../errors.js';
import type { UnitGrade, UnitYearGrade } from '../scoring/index.js';
import { isoInZone } from '../time.js';
import { gradeStreetAt, type GradingDeps } from './grading.service.js';
import { requireProgramme } from './programme.service.js';
import { assessmentYear, parseNote, parseYear } from './scores.service.js';

const KIND_LIST = ROUND_KINDS.map((k) => ROUND_KIND_ZH[k]).join('、');

function parseRoundKind(text: string | undefined, field = '--kind'): RoundKind {
  if (text === undefined || text.trim() === '') throw new UserError('bad_argument', `缺少验收种类（${KIND_LIST}）`, field);
  const kind = roundKindOf(text);
  if (kind === undefined) throw new UserError('bad_argument', `验收种类应为${KIND_LIST}之一（收到「${text.trim()}」）`, field);
  return kind;
}

/** 「2026年年度验收」. */
export const roundLabel = (r: { year: number; kind: RoundKind }): string => `${r.year}年${ROUND_KIND_ZH[r.kind]}`;

const kindRank = (k: RoundKind) => ROUND_KINDS.indexOf(k);
const byRoundOrder = (a: AssessmentRoundRow, b: AssessmentRoundRow) => a.year - b.year || kindRank(a.kind) - kindRank(b.kind) || a.id - b.id;

/** 2026-06-30 17:00 in the configured zone. */
const stamp = (at: number, tz: string) => isoInZone(at, tz).slice(0, 16).replace('T', ' ');

export async function openRound(deps: GradingDeps, actor: Actor, input: { kind: string | undefined; year?: string | number | undefined }): Promise<AssessmentRoundRow> {
  const { db, clock, tz } = deps;
  await requireOffice(deps, actor, '开始验收', { action: 'round.open', subject: input.kind ?? null });
  await requireProgramme(db);
  const kind = parseRoundKind(input.kind);
  const year = input.year === undefined || String(input.year).trim() === '' ? assessmentYear(clock, tz) : parseYear(input.year);
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    const open = await findOpenRound(trx);
    if (open) throw new UserError('conflict', `${roundLabel(open)}正在进行，先结束它（验收 结束）再开始新的验收`, '--kind');
    const same = (await listRounds(trx)).find((r) => r.year === year && r.kind === kind);
    if (same) throw new UserError('conflict', `${roundLabel(same)}已于 ${stamp(same.closed_at!, tz)} 结束；如需更正，请党建办重新开启（dangjian review reopen --year ${year} --kind ${ROUND_KIND_ZH[kind]} --reason …）`, '--kind');
    const round = await insertRound(trx, { year, kind, at, by: actor.name });
    await insertRoundEvent(trx, { roundId: round.id, action: 'open', at, by: actor.name, reason: null });
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'round.open', subject: roundLabel(round), outcome: 'ok', detail: { year, kind } });
    return round;
  });
}

export interface ClosedRound {
  round: AssessmentRoundRow;
  /** Units whose grade was frozen. */
  frozen: number;
  /** Score entries made while the round was open. */
  entries: number;
}

/** Closes the open round (of `year`, when given) and freezes every unit's grade as it stands now. */
export async function closeRound(deps: GradingDeps, actor: Actor, input: { year?: string | number | undefined } = {}): Promise<ClosedRound> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '结束验收', { action: 'round.close', subject: input.year === undefined ? null : String(input.year) });
  const year = input.year === undefined || String(input.year).trim() === '' ? undefined : parseYear(input.year);
  const open = await findOpenRound(db);
  if (!open) throw new UserError('not_found', '现在没有进行中的验收（验收 开始 〈种类〉 开始一轮）', '--year');
  if (year !== undefined && open.year !== year) throw new UserError('bad_argument', `进行中的是${roundLabel(open)}，不是 ${year} 年的验收`, '--year');
  const at = clock.now().getTime();
  const graded = await gradeStreetAt(deps, open.year, at);
  const grades = graded.units.map((u) => ({ unitId: u.id, grade: u.grade.grade, total: u.grade.total, veto: u.grade.veto, assessed: u.grade.assessed, detail: JSON.stringify(u.grade) }));
  await db.transaction().execute(async (trx) => {
    await setRoundClosed(trx, open.id, { at, by: actor.name });
    await replaceRoundGrades(trx, open.id, grades);
    await insertRoundEvent(trx, { roundId: open.id, action: 'close', at, by: actor.name, reason: null });
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'round.close', subject: roundLabel(open), outcome: 'ok', detail: { units: grades.length } });
  });
  const entries = (await entriesPerRound(db)).get(open.id) ?? 0;
  return { round: { ...open, closed_at: at, closed_by: actor.name }, frozen: grades.length, entries };
}

/** Re-opens a closed round (office only, with a reason); its frozen grades stand until it is closed again. */
export async function reopenRound(deps: GradingDeps, actor: Actor, input: { year: string | number | undefined; kind?: string | undefined; reason: string | undefined }): Promise<AssessmentRoundRow> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '重新开启验收', { action: 'round.reopen', subject: input.year === undefined ? null : String(input.year) });
  if (input.year === undefined || String(input.year).trim() === '') throw new UserError('bad_argument', '缺少年份（例如 --year 2026）', '--year');
  const year = parseYear(input.year);
  const kind = input.kind === undefined || input.kind.trim() === '' ? undefined : parseRoundKind(input.kind);
  const reason = parseNote(input.reason, '--reason');
  if (reason === null) throw new UserError('bad_argument', '重新开启验收需要写明原因', '--reason');
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    const all = await listRounds(trx);
    const candidates = all.filter((r) => r.year === year && (kind === undefined || r.kind === kind) && r.closed_at !== null);
    if (candidates.length === 0) throw new UserError('not_found', `${year} 年没有已结束的${kind === undefined ? '验收' : ROUND_KIND_ZH[kind]}`, '--year');
    if (candidates.length > 1) throw new UserError('bad_argument', `${year} 年有${candidates.map((r) => ROUND_KIND_ZH[r.kind]).join('、')}，请用 --kind 指明重新开启哪一轮`, '--kind');
    const round = candidates[0]!;
    const open = all.find((r) => r.closed_at === null);
    if (open) throw new UserError('conflict', `${roundLabel(open)}正在进行，先结束它再重新开启${roundLabel(round)}`, '--year');
    await setRoundClosed(trx, round.id, null);
    await insertRoundEvent(trx, { roundId: round.id, action: 'reopen', at, by: actor.name, reason });
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'round.reopen', subject: roundLabel(round), outcome: 'ok', detail: { reason } });
    return { ...round, closed_at: null, closed_by: null };
  });
}

export interface RoundSummary {
  id: number;
  year: number;
  kind: RoundKind;
  label: string;
  open: boolean;
  openedAt: string;
  openedBy: string;
  closedAt: string | null;
  closedBy: string | null;
  /** Entries made while it was open. */
  entries: number;
  /** Entries of its year made after it closed (corrections outside the round). */
  laterEntries: number;
  history: Array<{ action: RoundAction; actionName: string; at: string; by: string; reason: string | null }>;
}

const ACTION_ZH: Record<RoundAction, string> = { open: '开始', close: '结束', reopen: '重新开启' };

/** Every round in order, with its history and how many entries belong to it or came after it. */
export async function roundList(deps: GradingDeps): Promise<RoundSummary[]> {
  const { db, tz } = deps;
  const rounds = (await listRounds(db)).sort(byRoundOrder);
  const entries = await entriesPerRound(db);
  const out: RoundSummary[] = [];
  for (const r of rounds) {
    const history = (await roundEvents(db, r.id)).map((e) => ({ action: e.action, actionName: ACTION_ZH[e.action], at: stamp(e.at, tz), by: e.by, reason: e.reason }));
    out.push({
      id: r.id,
      year: r.year,
      kind: r.kind,
      label: roundLabel(r),
      open: r.closed_at === null,
      openedAt: stamp(r.opened_at, tz),
      openedBy: r.opened_by,
      closedAt: r.closed_at === null ? null : stamp(r.closed_at, tz),
      closedBy: r.closed_by,
      entries: entries.get(r.id) ?? 0,
      laterEntries: r.closed_at === null ? 0 : await entriesAfter(db, r.year, r.closed_at),
      history,
    });
  }
  return out;
}

/** A unit's grade frozen with its round. */
export interface FrozenUnit extends Omit<FrozenGradeRow, 'detail'> {
  detail: UnitGrade;
}

export interface ClosedRoundGrades {
  round: AssessmentRoundRow;
  units: FrozenUnit[];
}

const frozen = async (db: Db, round: AssessmentRoundRow): Promise<ClosedRoundGrades> => ({
  round,
  units: (await roundGrades(db, round.id)).map((g) => ({ ...g, detail: JSON.parse(g.detail) as UnitGrade })),
});

/**
 * A closed round and the closed round before it, with their frozen grades. Without `which`, the
 * round closed last; with a year and/or kind, the last such round — refused while it is open.
 */
export async function closedRoundPair(deps: GradingDeps, which: { year?: number; kind?: RoundKind; id?: number } = {}): Promise<{ current: ClosedRoundGrades; previous: ClosedRoundGrades | null }> {
  const { db } = deps;
  const rounds = (await listRounds(db)).sort(byRoundOrder);
  let round: AssessmentRoundRow | undefined;
  if (which.id !== undefined) {
    round = rounds.find((r) => r.id === which.id && r.closed_at !== null);
    if (!round) throw new UserError('not_found', '这一轮验收不存在或还在进行', '--round');
  } else if (which.year === undefined && which.kind === undefined) {
    round = rounds.filter((r) => r.closed_at !== null).sort((a, b) => a.closed_at! - b.closed_at! || a.id - b.id).at(-1);
    if (!round) throw new UserError('not_found', '还没有结束的验收：先开始并结束一轮验收（验收 开始 〈种类〉 / 验收 结束）', '--round');
  } else {
    const ofYear = rounds.filter((r) => (which.year === undefined || r.year === which.year) && (which.kind === undefined || r.kind === which.kind));
    if (ofYear.length === 0) throw new UserError('not_found', `${which.year === undefined ? '' : `${which.year} 年`}没有${which.kind === undefined ? '验收' : ROUND_KIND_ZH[which.kind]}`, '--round');
    round = ofYear.filter((r) => r.closed_at !== null).at(-1) ?? ofYear.at(-1)!;
    if (round.closed_at === null) throw new UserError('conflict', `${roundLabel(round)}还在进行，结束后才能通报`, '--round');
  }
  const before = rounds.slice(0, rounds.indexOf(round)).filter((r) => r.closed_at !== null).at(-1);
  return { current: await frozen(db, round), previous: before === undefined ? null : await frozen(db, before) };
}

/**
 * Per year up to `round`'s, the grades frozen by the last closed round of that year (in round
 * order, `round` included): what section 二's progress counts in a round's bulletin.
 */
export async function frozenGradesByYear(db: Db, round: AssessmentRoundRow): Promise<Map<number, UnitYearGrade[]>> {
  const rounds = (await listRounds(db)).sort(byRoundOrder);
  const upTo = rounds.slice(0, rounds.findIndex((r) => r.id === round.id) + 1).filter((r) => r.closed_at !== null);
  const lastOfYear = new Map<number, AssessmentRoundRow>();
  for (const r of upTo) lastOfYear.set(r.year, r);
  const out = new Map<number, UnitYearGrade[]>();
  for (const [year, r] of lastOfYear) out.set(year, (await roundGrades(db, r.id)).map((g) => ({ id: g.unitId, level: g.level, grade: g.grade })));
  return out;
}
