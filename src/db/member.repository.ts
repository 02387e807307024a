import type { Role } from '../domain/roles.js';
import type { Db } from './database.js';
import type { MemberRow } from './schema.js';

export async function findMemberByOpenId(db: Db, openId: string): Promise<MemberRow | undefined> {
  return db.selectFrom('member').selectAll().where('open_id', '=', openId).executeTakeFirst();
}

export async function findMemberByName(db: Db, name: string): Promise<MemberRow | undefined> {
  return db.selectFrom('member').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listMembers(db: Db): Promise<MemberRow[]> {
  return db.selectFrom('member').selectAll().orderBy('id').execute();
}

export async function countMembers(db: Db): Promise<number> {
  // SQLite returns count(*) as a number; PostgreSQL as a string (bigint): Number() covers both.
  return Number((await db.selectFrom('member').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
}

export async function insertMember(
  db: Db,
  m: { name: string; openId: string | null; role: Role; leadUnit: string | null; unitId: number | null; at: number },
): Promise<MemberRow> {
  return db
    .insertInto('member')
    .values({ name: m.name, open_id: m.openId, role: m.role, lead_unit: m.leadUnit, unit_id: m.unitId, created_at: m.at })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Inserts a roster entry unless the name exists (used to seed Annex 1 on init). */
export async function insertMemberIfAbsent(db: Db, m: { name: string; role: Role; leadUnit: string | null; at: number }): Promise<void> {
  await db
    .insertInto('member')
    .values({ name: m.name, open_id: null, role: m.role, lead_unit: m.leadUnit, unit_id: null, created_at: m.at })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

export async function bindMemberOpenId(db: Db, memberId: number, openId: string): Promise<void> {
  await db.updateTable('member').set({ open_id: openId }).where('id', '=', memberId).execute();
}
