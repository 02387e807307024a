// A unit's own tracked items (issue 13; issue 14's 整改 adds a source): the measures of its
// self-check with a target date, and the 任务节点 of its approved application. Each has a due
// date, reminders in the unit chat's daily card, and done / undo with history (as task
// completions: an undone row keeps its undone_at; at most one active row per item).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('unit_item')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('unit_id', 'integer', (c) => c.notNull().references('unit.id'))
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull()) // self_check | application
    .addColumn('source_ref', 'text', (c) => c.notNull()) // e.g. self_check:2026:6.1, application:3:node:1
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('due_date', 'text', (c) => c.notNull()) // YYYY-MM-DD
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addColumn('retired_at', 'integer')
    .execute();
  await db.schema.createIndex('unit_item_unit_idx').on('unit_item').columns(['unit_id', 'year']).execute();
  await db.schema
    .createTable('unit_item_completion')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('unit_item_id', 'integer', (c) => c.notNull().references('unit_item.id'))
    .addColumn('done_at', 'integer', (c) => c.notNull())
    .addColumn('done_by', 'text', (c) => c.notNull())
    .addColumn('undone_at', 'integer')
    .addColumn('undone_by', 'text')
    .execute();
  await sql`create unique index unit_item_completion_active on unit_item_completion (unit_item_id) where undone_at is null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations run forward only');
}
