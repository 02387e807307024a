/** 整改 items and their completions (history kept), and the units chosen for 市县级验收. */
import type { Db } from './database.js';
import type { Transaction } from './schema.js';

export interface NewRectificationItem {
  roundId: number;
  unitId: number;
  title: string;
  itemCode: string | null;
  responsible: string;
  dueDate: string;
  by: string;
  at: number;
}

export async function insertRectificationItem(trx: Transaction, i: NewRectificationItem): Promise<number> {
  const row = await trx
    .insertInto('rectification_item')
    .values({ round_id: i.roundId, unit_id: i.unitId, title: i.title, item_code: i.itemCode, responsible: i.responsible, due_date: i.dueDate, created_by: i.by, created_at: i.at })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface RectificationRecord {
  id: number;
  roundId: number;
  unitId: number;
  unit: string;
  title: string;
  itemCode: string | null;
  responsible: string;
  dueDate: string;
  /** The standing completion, if any. */
  doneAt: number | null;
  doneBy: string | null;
  note: string | null;
}

/** Items (of a round, of a unit), in unit then id order, each with its standing completion. */
export async function listRectificationItems(db: Db, filter: { roundId?: number; unitId?: number; id?: number } = {}): Promise<RectificationRecord[]> {
  let q = db
    .selectFrom('rectification_item as i')
    .innerJoin('unit as u', 'u.id', 'i.unit_id')
    .leftJoin('rectification_completion as c', (j) => j.onRef('c.item_id', '=', 'i.id').on('c.undone_at', 'is', null))
    .select(['i.id', 'i.round_id', 'i.unit_id', 'u.name as unit', 'i.title', 'i.item_code', 'i.responsible', 'i.due_date', 'c.done_at', 'c.done_by', 'c.note']);
  if (filter.roundId !== undefined) q = q.where('i.round_id', '=', filter.roundId);
  if (filter.unitId !== undefined) q = q.where('i.unit_id', '=', filter.unitId);
  if (filter.id !== undefined) q = q.where('i.id', '=', filter.id);
  const rows = await q.orderBy('u.name').orderBy('i.id').execute();
  return rows.map((r) => ({
    id: r.id,
    roundId: r.round_id,
    unitId: r.unit_id,
    unit: r.unit,
    title: r.title,
    itemCode: r.item_code,
    responsible: r.responsible,
    dueDate: r.due_date,
    doneAt: r.done_at ?? null,
    doneBy: r.done_by ?? null,
    note: r.note ?? null,
  }));
}

export async function updateRectificationTitle(trx: Transaction, id: number, title: string): Promise<void> {
  await trx.updateTable('rectification_item').set({ title }).where('id', '=', id).execute();
}

/** False when the item has a standing completion already (a concurrent one won). */
export async function insertRectificationCompletion(trx: Transaction, c: { itemId: number; at: number; by: string; note: string | null }): Promise<boolean> {
  const r = await trx
    .insertInto('rectification_completion')
    .values({ item_id: c.itemId, done_at: c.at, done_by: c.by, note: c.note, undone_at: null, undone_by: null })
    .onConflict((oc) => oc.column('item_id').where('undone_at', 'is', null).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Undoes the standing completion; returns how many were undone (0 or 1). */
export async function undoRectificationCompletion(trx: Transaction, c: { itemId: number; at: number; by: string }): Promise<number> {
  const r = await trx.updateTable('rectification_completion').set({ undone_at: c.at, undone_by: c.by }).where('item_id', '=', c.itemId).where('undone_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Replaces the units chosen from a round's candidates. */
export async function replaceCandidates(trx: Transaction, roundId: number, unitIds: readonly number[], by: string, at: number): Promise<void> {
  await trx.deleteFrom('round_candidate').where('round_id', '=', roundId).execute();
  for (const unitId of unitIds) await trx.insertInto('round_candidate').values({ round_id: roundId, unit_id: unitId, chosen_by: by, chosen_at: at }).execute();
}

export async function chosenCandidates(db: Db, roundId: number): Promise<Array<{ unitId: number; chosenBy: string; chosenAt: number }>> {
  const rows = await db.selectFrom('round_candidate').select(['unit_id', 'chosen_by', 'chosen_at']).where('round_id', '=', roundId).execute();
  return rows.map((r) => ({ unitId: r.unit_id, chosenBy: r.chosen_by, chosenAt: r.chosen_at }));
}
