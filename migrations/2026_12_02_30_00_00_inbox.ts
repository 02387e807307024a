// The durable inbox (issue 18): every verified event (chat message or card press) is recorded
// here before Lark gets its acknowledgement, and marked done once handled. Rows still pending at
// start are handled then, in order (id) per chat. event_id is unique: a redelivery is recorded once.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inbox')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('event_id', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull()) // message | card
    .addColumn('chat_id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull()) // JSON: the event as the handlers take it
    .addColumn('status', 'text', (c) => c.notNull()) // pending | done
    .addColumn('received_at', 'integer', (c) => c.notNull())
    .addColumn('done_at', 'integer')
    .execute();
  await db.schema.createIndex('inbox_status_idx').on('inbox').columns(['status', 'id']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations run forward only');
}
