// 申报 (issue 13): a unit's application (Annex 4) for a year — draft → submitted → returned
// (edited, resubmitted) → approved — its fields as JSON (validated by the service), the
// office's 街道意见 with its date, and every step in application_event.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('application')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('unit_id', 'integer', (c) => c.notNull().references('unit.id'))
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // draft | submitted | returned | approved
    .addColumn('fields', 'text', (c) => c.notNull()) // JSON
    .addColumn('office_opinion', 'text')
    .addColumn('opinion_date', 'text') // YYYY-MM-DD
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addColumn('submitted_at', 'integer')
    .addColumn('submitted_by', 'text')
    .addColumn('decided_at', 'integer')
    .addColumn('decided_by', 'text')
    .addUniqueConstraint('application_unit_year', ['unit_id', 'year'])
    .execute();
  await db.schema
    .createTable('application_event')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('application_id', 'integer', (c) => c.notNull().references('application.id'))
    .addColumn('action', 'text', (c) => c.notNull()) // save | submit | return | approve
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'integer', (c) => c.notNull())
    .addColumn('comment', 'text')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations run forward only');
}
