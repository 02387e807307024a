import type { Db } from './database.js';
import type { ApplicationAction, ApplicationEventRow, ApplicationRow, ApplicationStatus, Transaction } from './schema.js';

export async function findApplication(db: Db, unitId: number, year: number): Promise<ApplicationRow | undefined> {
  return db.selectFrom('application').selectAll().where('unit_id', '=', unitId).where('year', '=', year).executeTakeFirst();
}

/** The unit's application of the year, created as an empty draft when there is none. */
export async function ensureApplication(trx: Transaction, unitId: number, year: number, at: number): Promise<ApplicationRow> {
  await trx
    .insertInto('application')
    .values({ unit_id: unitId, year, status: 'draft', fields: '{}', created_at: at, updated_at: at })
    .onConflict((oc) => oc.columns(['unit_id', 'year']).doNothing())
    .execute();
  return trx.selectFrom('application').selectAll().where('unit_id', '=', unitId).where('year', '=', year).executeTakeFirstOrThrow();
}

export async function updateApplication(
  trx: Transaction,
  id: number,
  set: Partial<Pick<ApplicationRow, 'status' | 'fields' | 'office_opinion' | 'opinion_date' | 'submitted_at' | 'submitted_by' | 'decided_at' | 'decided_by'>> & { updated_at: number },
): Promise<void> {
  await trx.updateTable('application').set(set).where('id', '=', id).execute();
}

export async function insertApplicationEvent(trx: Transaction, e: { applicationId: number; action: ApplicationAction; actor: string; at: number; comment: string | null }): Promise<void> {
  await trx.insertInto('application_event').values({ application_id: e.applicationId, action: e.action, actor: e.actor, at: e.at, comment: e.comment }).execute();
}

export async function applicationEvents(db: Db, applicationId: number): Promise<ApplicationEventRow[]> {
  return db.selectFrom('application_event').selectAll().where('application_id', '=', applicationId).orderBy('id').execute();
}

/** Applications of a year with their unit, optionally of some statuses. */
export async function applicationsOfYear(db: Db, year: number, statuses?: readonly ApplicationStatus[]): Promise<Array<ApplicationRow & { unit_name: string; unit_level: string }>> {
  let q = db.selectFrom('application as a').innerJoin('unit as u', 'u.id', 'a.unit_id').selectAll('a').select(['u.name as unit_name', 'u.level as unit_level']).where('a.year', '=', year);
  if (statuses !== undefined) q = q.where('a.status', 'in', statuses);
  return q.orderBy('a.submitted_at').orderBy('a.id').execute();
}
