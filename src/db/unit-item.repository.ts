import type { Db } from './database.js';
import type { Transaction, UnitItemSource } from './schema.js';

/** A unit item with its unit and its active completion. */
export interface UnitItemRecord {
  id: number;
  unitId: number;
  unitName: string;
  year: number;
  source: UnitItemSource;
  sourceRef: string;
  title: string;
  dueDate: string;
  doneAt: number | null;
  doneBy: string | null;
}

/** Open (not retired) items, oldest due first; filtered by unit and/or year. */
export async function openUnitItems(db: Db, filter: { unitId?: number; year?: number; ids?: readonly number[] } = {}): Promise<UnitItemRecord[]> {
  if (filter.ids !== undefined && filter.ids.length === 0) return [];
  let q = db
    .selectFrom('unit_item as i')
    .innerJoin('unit as u', 'u.id', 'i.unit_id')
    .leftJoin('unit_item_completion as c', (j) => j.onRef('c.unit_item_id', '=', 'i.id').on('c.undone_at', 'is', null))
    .select(['i.id', 'i.unit_id', 'u.name as unit_name', 'i.year', 'i.source', 'i.source_ref', 'i.title', 'i.due_date', 'c.done_at', 'c.done_by'])
    .where('i.retired_at', 'is', null);
  if (filter.unitId !== undefined) q = q.where('i.unit_id', '=', filter.unitId);
  if (filter.year !== undefined) q = q.where('i.year', '=', filter.year);
  if (filter.ids !== undefined) q = q.where('i.id', 'in', filter.ids);
  const rows = await q.orderBy('i.due_date').orderBy('i.id').execute();
  return rows.map((r) => ({
    id: r.id,
    unitId: r.unit_id,
    unitName: r.unit_name,
    year: r.year,
    source: r.source,
    sourceRef: r.source_ref,
    title: r.title,
    dueDate: r.due_date,
    doneAt: r.done_at ?? null,
    doneBy: r.done_by ?? null,
  }));
}

export interface DesiredUnitItem {
  ref: string;
  title: string;
  dueDate: string;
}

/**
 * Makes a unit's open items whose ref starts with `refPrefix` match `desired`: new refs are
 * added, changed titles or dates updated in place (completion kept), refs no longer wanted
 * retired. Returns what changed.
 */
export async function syncUnitItems(
  trx: Transaction,
  s: { unitId: number; year: number; source: UnitItemSource; refPrefix: string; desired: readonly DesiredUnitItem[]; at: number },
): Promise<{ added: number; updated: number; retired: number }> {
  const existing = await trx
    .selectFrom('unit_item')
    .selectAll()
    .where('unit_id', '=', s.unitId)
    .where('retired_at', 'is', null)
    .where('source', '=', s.source)
    .execute();
  const byRef = new Map(existing.filter((e) => e.source_ref.startsWith(s.refPrefix)).map((e) => [e.source_ref, e]));
  let added = 0;
  let updated = 0;
  let retired = 0;
  for (const d of s.desired) {
    const e = byRef.get(d.ref);
    byRef.delete(d.ref);
    if (!e) {
      await trx.insertInto('unit_item').values({ unit_id: s.unitId, year: s.year, source: s.source, source_ref: d.ref, title: d.title, due_date: d.dueDate, created_at: s.at, updated_at: s.at, retired_at: null }).execute();
      added++;
    } else if (e.title !== d.title || e.due_date !== d.dueDate) {
      await trx.updateTable('unit_item').set({ title: d.title, due_date: d.dueDate, updated_at: s.at }).where('id', '=', e.id).execute();
      updated++;
    }
  }
  for (const e of byRef.values()) {
    await trx.updateTable('unit_item').set({ retired_at: s.at }).where('id', '=', e.id).execute();
    retired++;
  }
  return { added, updated, retired };
}

/** False when the item has a standing completion already (a concurrent one won). */
export async function insertUnitItemCompletion(trx: Transaction, itemId: number, by: string, at: number): Promise<boolean> {
  const r = await trx
    .insertInto('unit_item_completion')
    .values({ unit_item_id: itemId, done_at: at, done_by: by, undone_at: null, undone_by: null })
    .onConflict((oc) => oc.column('unit_item_id').where('undone_at', 'is', null).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function undoUnitItemCompletion(trx: Transaction, itemId: number, by: string, at: number): Promise<boolean> {
  const r = await trx.updateTable('unit_item_completion').set({ undone_at: at, undone_by: by }).where('unit_item_id', '=', itemId).where('undone_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
