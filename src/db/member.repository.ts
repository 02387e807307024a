/**
 * The roster. A removed member keeps their row (removed_at set, open_id cleared): the audit names
 * them, and adding the name again brings the row back. Lookups for who may act see active members only.
 */
import type { Role } from '../domain/roles.js';
import type { Db } from './database.js';
import type { MemberRow } from './schema.js';

export async function findMemberByOpenId(db: Db, openId: string): Promise<MemberRow | undefined> {
  return db.selectFrom('member').selectAll().where('open_id', '=', openId).where('removed_at', 'is', null).executeTakeFirst();
}

/** An active member by name; `includeRemoved` also finds a removed one (names stay unique). */
export async function findMemberByName(db: Db, name: string, options: { includeRemoved?: boolean } = {}): Promise<MemberRow | undefined> {
  let q = db.selectFrom('member').selectAll().where('name', '=', name);
  if (options.includeRemoved !== true) q = q.where('removed_at', 'is', null);
  return q.executeTakeFirst();
}

/** The active members, oldest first. */
export async function listMembers(db: Db): Promise<MemberRow[]> {
  return db.selectFrom('member').selectAll().where('removed_at', 'is', null).orderBy('id').execute();
}

export async function countMembers(db: Db): Promise<number> {
  // SQLite returns count(*) as a number; PostgreSQL as a string (bigint): Number() covers both.
  return Number((await db.selectFrom('member').select((eb) => eb.fn.countAll().as('n')).where('removed_at', 'is', null).executeTakeFirstOrThrow()).n);
}

export interface MemberFields {
  name: string;
  openId: string | null;
  role: Role;
  leadUnit: string | null;
  unitId: number | null;
  mobile: string | null;
  email: string | null;
}

export async function insertMember(db: Db, m: Omit<MemberFields, 'mobile' | 'email'> & Partial<Pick<MemberFields, 'mobile' | 'email'>> & { at: number }): Promise<MemberRow> {
  return db
    .insertInto('member')
    .values({ name: m.name, open_id: m.openId, role: m.role, lead_unit: m.leadUnit, unit_id: m.unitId, mobile: m.mobile ?? null, email: m.email ?? null, created_at: m.at, removed_at: null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Overwrites a member's fields (and brings a removed member back). */
export async function updateMember(db: Db, id: number, m: MemberFields): Promise<MemberRow> {
  return db
    .updateTable('member')
    .set({ name: m.name, open_id: m.openId, role: m.role, lead_unit: m.leadUnit, unit_id: m.unitId, mobile: m.mobile, email: m.email, removed_at: null })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Soft delete: the row stays for the audit; the open_id is freed for someone else. */
export async function markMemberRemoved(db: Db, id: number, at: number): Promise<void> {
  await db.updateTable('member').set({ removed_at: at, open_id: null }).where('id', '=', id).execute();
}

/** Inserts a roster entry unless the name exists (used to seed the roster on init). */
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
