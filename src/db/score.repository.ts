import type { Db } from './database.js';
import type { ScoreEntryRow, VetoRow } from './schema.js';

export async function insertScoreEntry(
  db: Db,
  e: { unitId: number; year: number; itemCode: string; points: number; by: string; at: number; note: string | null; roundId?: number | null },
): Promise<ScoreEntryRow> {
  return db
    .insertInto('score_entry')
    .values({ unit_id: e.unitId, year: e.year, item_code: e.itemCode, points: e.points, entered_by: e.by, entered_at: e.at, note: e.note, round_id: e.roundId ?? null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface LatestScore {
  unit_id: number;
  item_code: string;
  points: number;
}

/** The latest entry per (unit, item) for a year (history kept; the newest id wins). */
export async function latestScores(db: Db, year: number, unitIds?: readonly number[]): Promise<LatestScore[]> {
  if (unitIds !== undefined && unitIds.length === 0) return [];
  let q = db
    .selectFrom('score_entry as s')
    .select(['s.unit_id', 's.item_code', 's.points'])
    .where('s.year', '=', year)
    .where('s.id', '=', (eb) =>
      eb
        .selectFrom('score_entry as t')
        .select((eb2) => eb2.fn.max('t.id').as('max_id'))
        .whereRef('t.unit_id', '=', 's.unit_id')
        .whereRef('t.item_code', '=', 's.item_code')
        .where('t.year', '=', year),
    );
  if (unitIds !== undefined) q = q.where('s.unit_id', 'in', unitIds);
  return q.execute();
}

export async function insertVeto(db: Db, v: { unitId: number; year: number; reason: string; by: string; at: number }): Promise<VetoRow> {
  return db
    .insertInto('veto')
    .values({ unit_id: v.unitId, year: v.year, reason: v.reason, set_by: v.by, set_at: v.at, cleared_by: null, cleared_at: null, clear_reason: null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Clears every active veto of a unit for a year; returns how many were cleared. */
export async function clearVetoes(db: Db, v: { unitId: number; year: number; reason: string; by: string; at: number }): Promise<number> {
  const result = await db
    .updateTable('veto')
    .set({ cleared_by: v.by, cleared_at: v.at, clear_reason: v.reason })
    .where('unit_id', '=', v.unitId)
    .where('year', '=', v.year)
    .where('cleared_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Active vetoes for a year, optionally restricted to some units. */
export async function activeVetoes(db: Db, year: number, unitIds?: readonly number[]): Promise<VetoRow[]> {
  if (unitIds !== undefined && unitIds.length === 0) return [];
  let q = db.selectFrom('veto').selectAll().where('year', '=', year).where('cleared_at', 'is', null);
  if (unitIds !== undefined) q = q.where('unit_id', 'in', unitIds);
  return q.orderBy('id').execute();
}
