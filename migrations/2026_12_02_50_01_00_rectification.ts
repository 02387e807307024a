// 整改 (issue 14): items the office issues to a unit a closed round named (dropped a grade or
// vetoed), each with a responsible secretary and a deadline, done / undone with a note (history
// kept, at most one active completion). And the units chosen from a round's candidates for
// 市县级验收. NOTE: issue 13's unit_item (on its own branch) tracks a unit's items the same way;
// the two are to be unified (rectification_item as unit_item with source '整改').
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rectification_item')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('round_id', 'integer', (c) => c.notNull().references('assessment_round.id'))
    .addColumn('unit_id', 'integer', (c) => c.notNull().references('unit.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('item_code', 'text') // the sub-item it was pre-filled from, if any
    .addColumn('responsible', 'text', (c) => c.notNull()) // roster name of the responsible secretary
    .addColumn('due_date', 'text', (c) => c.notNull()) // YYYY-MM-DD
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rectification_item_unit_idx').on('rectification_item').columns(['round_id', 'unit_id']).execute();
  await db.schema
    .createTable('rectification_completion')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('item_id', 'integer', (c) => c.notNull().references('rectification_item.id'))
    .addColumn('done_at', 'integer', (c) => c.notNull())
    .addColumn('done_by', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('undone_at', 'integer')
    .addColumn('undone_by', 'text')
    .execute();
  await sql`create unique index rectification_completion_active on rectification_completion (item_id) where undone_at is null`.execute(db);
  await db.schema
    .createTable('round_candidate')
    .addColumn('round_id', 'integer', (c) => c.notNull().references('assessment_round.id'))
    .addColumn('unit_id', 'integer', (c) => c.notNull().references('unit.id'))
    .addColumn('chosen_by', 'text', (c) => c.notNull())
    .addColumn('chosen_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('round_candidate_pk', ['round_id', 'unit_id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations run forward only');
}
