// Reminder items and the cards that carry them (issue 10): the outbox keeps one row per card
// (key `daily:<date>:<chat>`), and each reminder intent the rules produce is recorded once in
// outbox_item (unique key), carried by one card, held for the chat's next card, or skipped
// with the reason.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('outbox_item')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('chat_id', 'text', (c) => c.notNull())
    .addColumn('task_year', 'integer')
    .addColumn('task_seq', 'integer')
    .addColumn('period', 'text')
    .addColumn('date', 'text', (c) => c.notNull()) // the local date the item belongs to
    .addColumn('due_at', 'integer', (c) => c.notNull())
    .addColumn('not_before', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // pending | carried | skipped
    .addColumn('outbox_id', 'integer', (c) => c.references('outbox.id'))
    .addColumn('reason', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbox_item_status_idx').on('outbox_item').columns(['status', 'chat_id']).execute();
  await db.schema.createIndex('outbox_item_outbox_idx').on('outbox_item').column('outbox_id').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations run forward only');
}
