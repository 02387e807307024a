import type { Db } from './database.js';

export async function getSetting(db: Db, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('setting').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function setSetting(db: Db, key: string, value: string): Promise<void> {
  await db
    .insertInto('setting')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

/** Inserts the setting unless it exists; returns whether it was written. */
export async function setSettingIfAbsent(db: Db, key: string, value: string): Promise<boolean> {
  const r = await db
    .insertInto('setting')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .executeTakeFirst();
  return r !== undefined;
}

/** REMINDERS_START as recorded: the day the first chat was bound, or what the office set. */
export const REMINDERS_START_SETTING = 'reminders_start';

/** The programme's settings written by `dangjian init`. */
export interface ProgrammeSettings {
  firstYear: number;
  streetName: string;
}

export async function getProgramme(db: Db): Promise<ProgrammeSettings | undefined> {
  // One read for both (one round trip on PostgreSQL).
  const rows = await db.selectFrom('setting').select(['key', 'value']).where('key', 'in', ['programme_first_year', 'street_name']).execute();
  const year = rows.find((r) => r.key === 'programme_first_year')?.value;
  const street = rows.find((r) => r.key === 'street_name')?.value;
  if (year === undefined || street === undefined) return undefined;
  return { firstYear: Number(year), streetName: street };
}

export async function saveProgramme(db: Db, p: ProgrammeSettings): Promise<void> {
  await setSetting(db, 'programme_first_year', String(p.firstYear));
  await setSetting(db, 'street_name', p.streetName);
}
