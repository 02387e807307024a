// 自查清单 (issue 13): a unit's self-assessment against its level's sub-items, kept apart from
// the official assessment (score_entry): self-scores never change grades. One self_check per
// unit and year (draft → submitted); its entries keep their history (the newest id wins).
// Points are stored in half points (integers).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('self_check')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('unit_id', 'integer', (c) => c.notNull().references('unit.id'))
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // draft | submitted
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addColumn('submitted_at', 'integer')
    .addColumn('submitted_by', 'text')
    .addUniqueConstraint('self_check_unit_year', ['unit_id', 'year'])
    .execute();
  await db.schema
    .createTable('self_check_entry')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('self_check_id', 'integer', (c) => c.notNull().references('self_check.id'))
    .addColumn('item_code', 'text', (c) => c.notNull())
    .addColumn('half_points', 'integer', (c) => c.notNull())
    .addColumn('shortfall', 'text')
    .addColumn('measure', 'text')
    .addColumn('target_date', 'text') // YYYY-MM-DD
    .addColumn('entered_by', 'text', (c) => c.notNull())
    .addColumn('entered_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('self_check_entry_item_idx').on('self_check_entry').columns(['self_check_id', 'item_code']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations run forward only');
}
