/** Assessment rounds: the rounds, their open / close / reopen history and the grades frozen at close. */
import type { Grade, Level } from '../plan/schema.js';
import type { Db } from './database.js';
import type { RoundKind } from '../domain/round-kind.js';
import type { AssessmentRoundRow, RoundAction, Transaction } from './schema.js';

export async function insertRound(trx: Transaction, r: { year: number; kind: RoundKind; at: number; by: string }): Promise<AssessmentRoundRow> {
  return trx.insertInto('assessment_round').values({ year: r.year, kind: r.kind, opened_at: r.at, opened_by: r.by, closed_at: null, closed_by: null }).returningAll().executeTakeFirstOrThrow();
}

export async function insertRoundEvent(trx: Transaction, e: { roundId: number; action: RoundAction; at: number; by: string; reason: string | null }): Promise<void> {
  await trx.insertInto('assessment_round_event').values({ round_id: e.roundId, action: e.action, at: e.at, by: e.by, reason: e.reason }).execute();
}

/** Every round in order: year, then opening time. */
export async function listRounds(db: Db): Promise<AssessmentRoundRow[]> {
  return db.selectFrom('assessment_round').selectAll().orderBy('year').orderBy('opened_at').orderBy('id').execute();
}

/** The round open now (at most one is open at a time), if any. */
export async function findOpenRound(db: Db): Promise<AssessmentRoundRow | undefined> {
  return db.selectFrom('assessment_round').selectAll().where('closed_at', 'is', null).executeTakeFirst();
}

export async function setRoundClosed(trx: Transaction, id: number, closed: { at: number; by: string } | null): Promise<void> {
  await trx
    .updateTable('assessment_round')
    .set({ closed_at: closed?.at ?? null, closed_by: closed?.by ?? null })
    .where('id', '=', id)
    .execute();
}

export async function roundEvents(db: Db, roundId: number): Promise<Array<{ action: RoundAction; at: number; by: string; reason: string | null }>> {
  return db.selectFrom('assessment_round_event').select(['action', 'at', 'by', 'reason']).where('round_id', '=', roundId).orderBy('id').execute();
}

export interface FrozenGrade {
  unitId: number;
  grade: Grade;
  total: number;
  veto: boolean;
  assessed: number;
  /** JSON UnitGrade. */
  detail: string;
}

/** Replaces the round's frozen grades (a reopened round closed again is frozen anew). */
export async function replaceRoundGrades(trx: Transaction, roundId: number, grades: readonly FrozenGrade[]): Promise<void> {
  await trx.deleteFrom('assessment_round_grade').where('round_id', '=', roundId).execute();
  for (const g of grades) {
    await trx
      .insertInto('assessment_round_grade')
      .values({ round_id: roundId, unit_id: g.unitId, grade: g.grade, total: g.total, veto: g.veto ? 1 : 0, assessed: g.assessed, detail: g.detail })
      .execute();
  }
}

export interface FrozenGradeRow extends FrozenGrade {
  name: string;
  level: Level;
  parent: string | null;
}

/** The grades frozen when the round closed, with each unit's name, level and parent. */
export async function roundGrades(db: Db, roundId: number): Promise<FrozenGradeRow[]> {
  const rows = await db
    .selectFrom('assessment_round_grade as g')
    .innerJoin('unit as u', 'u.id', 'g.unit_id')
    .leftJoin('unit as p', 'p.id', 'u.parent_id')
    .select(['g.unit_id', 'g.grade', 'g.total', 'g.veto', 'g.assessed', 'g.detail', 'u.name', 'u.level', 'p.name as parent'])
    .where('g.round_id', '=', roundId)
    .execute();
  return rows.map((r) => ({ unitId: r.unit_id, grade: r.grade, total: r.total, veto: r.veto === 1, assessed: r.assessed, detail: r.detail, name: r.name, level: r.level, parent: r.parent }));
}

/** Per round: the score entries made while it was open. */
export async function entriesPerRound(db: Db): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('score_entry')
    .select((eb) => ['round_id', eb.fn.countAll<number>().as('n')])
    .where('round_id', 'is not', null)
    .groupBy('round_id')
    .execute();
  return new Map(rows.map((r) => [r.round_id!, Number(r.n)]));
}

/** Entries of `year` made after `closedAt` outside any round: corrections after the round closed. */
export async function entriesAfter(db: Db, year: number, closedAt: number): Promise<number> {
  const row = await db
    .selectFrom('score_entry')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('year', '=', year)
    .where('entered_at', '>', closedAt)
    .where('round_id', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
