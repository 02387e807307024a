import type { Level } from '../plan/schema.js';
import { dialectOf, type Db } from './database.js';
import type { UnitRow } from './schema.js';

export async function findUnitByName(db: Db, name: string): Promise<UnitRow | undefined> {
  return db.selectFrom('unit').selectAll().where('name', '=', name).executeTakeFirst();
}

/** The active (not archived) units with any of these exact names (one query). */
export async function findUnitsNamed(db: Db, names: readonly string[]): Promise<UnitRow[]> {
  if (names.length === 0) return [];
  return db.selectFrom('unit').selectAll().where('name', 'in', names).where('archived_at', 'is', null).execute();
}

export async function findUnitById(db: Db, id: number): Promise<UnitRow | undefined> {
  return db.selectFrom('unit').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Active units (archived ones only with `includeArchived`). */
export async function listUnits(db: Db, filter: { level?: Level; parentId?: number; includeArchived?: boolean } = {}): Promise<UnitRow[]> {
  let q = db.selectFrom('unit').selectAll();
  if (filter.includeArchived !== true) q = q.where('archived_at', 'is', null);
  if (filter.level !== undefined) q = q.where('level', '=', filter.level);
  if (filter.parentId !== undefined) q = q.where('parent_id', '=', filter.parentId);
  return q.orderBy('level').orderBy('name').execute();
}

/** Units whose name contains the fragment (loose matching for chat commands). */
export async function searchUnits(db: Db, fragment: string, limit = 20): Promise<UnitRow[]> {
  // `instr` / `strpos` find the fragment literally, % and _ included (LIKE would need an ESCAPE clause).
  const position = dialectOf(db) === 'postgres' ? 'strpos' : 'instr';
  return db
    .selectFrom('unit')
    .selectAll()
    .where((eb) => eb(eb.fn(position, ['name', eb.val(fragment)]), '>', 0))
    .where('archived_at', 'is', null)
    .orderBy('name')
    .limit(limit)
    .execute();
}

export async function insertUnit(db: Db, unit: { name: string; level: Level; parentId: number | null; at: number }): Promise<UnitRow> {
  return db
    .insertInto('unit')
    .values({ name: unit.name, level: unit.level, parent_id: unit.parentId, created_at: unit.at })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function renameUnitRow(db: Db, id: number, name: string): Promise<void> {
  await db.updateTable('unit').set({ name }).where('id', '=', id).execute();
}

export async function setUnitParent(db: Db, id: number, parentId: number | null): Promise<void> {
  await db.updateTable('unit').set({ parent_id: parentId }).where('id', '=', id).execute();
}

/** The unit and every unit below it (archived ones included), root first. */
export async function unitSubtree(db: Db, rootId: number): Promise<UnitRow[]> {
  const all = await db.selectFrom('unit').selectAll().orderBy('id').execute();
  const out: UnitRow[] = [];
  const queue = all.filter((u) => u.id === rootId);
  while (queue.length > 0) {
    const u = queue.shift()!;
    out.push(u);
    queue.push(...all.filter((c) => c.parent_id === u.id));
  }
  return out;
}

/** What ties a unit to its history: score entries, vetoes, secretaries on the roster (removed ones included). */
export async function unitReferences(db: Db, unitId: number): Promise<{ scores: number; vetoes: number; members: number }> {
  const count = async (table: 'score_entry' | 'veto' | 'member'): Promise<number> =>
    // SQLite returns count(*) as a number; PostgreSQL as a string: Number() covers both.
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('unit_id', '=', unitId).executeTakeFirstOrThrow()).n);
  return { scores: await count('score_entry'), vetoes: await count('veto'), members: await count('member') };
}

export async function archiveUnits(db: Db, ids: readonly number[], at: number): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('unit').set({ archived_at: at }).where('id', 'in', ids).where('archived_at', 'is', null).execute();
}

export async function deleteUnitRow(db: Db, id: number): Promise<void> {
  await db.deleteFrom('unit').where('id', '=', id).execute();
}
