import type { Db } from './database.js';
import type { SelfCheckEntryRow, SelfCheckRow, Transaction } from './schema.js';

export async function findSelfCheck(db: Db, unitId: number, year: number): Promise<SelfCheckRow | undefined> {
  return db.selectFrom('self_check').selectAll().where('unit_id', '=', unitId).where('year', '=', year).executeTakeFirst();
}

/** The unit's self-check of the year, created as a draft when there is none. */
export async function ensureSelfCheck(trx: Transaction, unitId: number, year: number, at: number): Promise<SelfCheckRow> {
  await trx
    .insertInto('self_check')
    .values({ unit_id: unitId, year, status: 'draft', created_at: at, updated_at: at, submitted_at: null, submitted_by: null })
    .onConflict((oc) => oc.columns(['unit_id', 'year']).doNothing())
    .execute();
  return trx.selectFrom('self_check').selectAll().where('unit_id', '=', unitId).where('year', '=', year).executeTakeFirstOrThrow();
}

export interface NewSelfEntry {
  itemCode: string;
  halfPoints: number;
  shortfall: string | null;
  measure: string | null;
  targetDate: string | null;
}

export async function insertSelfEntries(trx: Transaction, checkId: number, entries: readonly NewSelfEntry[], by: string, at: number): Promise<void> {
  if (entries.length === 0) return;
  await trx
    .insertInto('self_check_entry')
    .values(entries.map((e) => ({ self_check_id: checkId, item_code: e.itemCode, half_points: e.halfPoints, shortfall: e.shortfall, measure: e.measure, target_date: e.targetDate, entered_by: by, entered_at: at })))
    .execute();
  await trx.updateTable('self_check').set({ updated_at: at }).where('id', '=', checkId).execute();
}

/** The newest entry per sub-item (history kept). */
export async function latestSelfEntries(db: Db, checkId: number): Promise<SelfCheckEntryRow[]> {
  return db
    .selectFrom('self_check_entry as e')
    .selectAll('e')
    .where('e.self_check_id', '=', checkId)
    .where('e.id', '=', (eb) =>
      eb
        .selectFrom('self_check_entry as f')
        .select((eb2) => eb2.fn.max('f.id').as('max_id'))
        .whereRef('f.self_check_id', '=', 'e.self_check_id')
        .whereRef('f.item_code', '=', 'e.item_code'),
    )
    .execute();
}

export async function markSelfCheckSubmitted(trx: Transaction, checkId: number, by: string, at: number): Promise<void> {
  await trx.updateTable('self_check').set({ status: 'submitted', submitted_at: at, submitted_by: by, updated_at: at }).where('id', '=', checkId).execute();
}

/** Every self-check of a year (for 「自查 进度」). */
export async function selfChecksOfYear(db: Db, year: number): Promise<SelfCheckRow[]> {
  return db.selectFrom('self_check').selectAll().where('year', '=', year).execute();
}
