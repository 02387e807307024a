import type { Level } from '../plan/schema.js';
import type { Db } from './database.js';
import type { UnitRow } from './schema.js';

export async function findUnitByName(db: Db, name: string): Promise<UnitRow | undefined> {
  return db.selectFrom('unit').selectAll().where('name', '=', name).executeTakeFirst();
}

/** The units with any of these exact names (one query). */
export async function findUnitsNamed(db: Db, names: readonly string[]): Promise<UnitRow[]> {
  if (names.length === 0) return [];
  return db.selectFrom('unit').selectAll().where('name', 'in', names).execute();
}

export async function findUnitById(db: Db, id: number): Promise<UnitRow | undefined> {
  return db.selectFrom('unit').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listUnits(db: Db, filter: { level?: Level; parentId?: number } = {}): Promise<UnitRow[]> {
  let q = db.selectFrom('unit').selectAll();
  if (filter.level !== undefined) q = q.where('level', '=', filter.level);
  if (filter.parentId !== undefined) q = q.where('parent_id', '=', filter.parentId);
  return q.orderBy('level').orderBy('name').execute();
}

/** Units whose name contains the fragment (loose matching for chat commands). */
export async function searchUnits(db: Db, fragment: string, limit = 20): Promise<UnitRow[]> {
  // `instr` finds the fragment literally, % and _ included (LIKE would need an ESCAPE clause).
  // SQLite-specific: PostgreSQL spells it strpos(name, fragment).
  return db
    .selectFrom('unit')
    .selectAll()
    .where((eb) => eb(eb.fn('instr', ['name', eb.val(fragment)]), '>', 0))
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
