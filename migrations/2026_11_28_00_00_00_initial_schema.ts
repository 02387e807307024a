// Initial schema. Frozen in time: never edit after it has shipped; add a new file instead.
// Instants are epoch milliseconds (UTC); calendar fields (year, period) are computed in DANGJIAN_TZ.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('setting')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('unit')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'integer', (c) => c.references('unit.id'))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('unit_parent_idx').on('unit').column('parent_id').execute();
  await db.schema.createIndex('unit_level_idx').on('unit').column('level').execute();

  // A roster entry; open_id is null until someone binds the roster name to a Feishu user.
  await db.schema
    .createTable('member')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('open_id', 'text', (c) => c.unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('lead_unit', 'text')
    .addColumn('unit_id', 'integer', (c) => c.references('unit.id'))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();

  // target: 'leadership' | 'lead:<lead unit>' | 'unit:<unit name>'
  await db.schema
    .createTable('chat')
    .addColumn('chat_id', 'text', (c) => c.primaryKey())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('bound_by', 'text', (c) => c.notNull())
    .addColumn('bound_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('chat_target_idx').on('chat').column('target').execute();

  // History is kept: the latest row per (unit, year, item) wins.
  await db.schema
    .createTable('score_entry')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('unit_id', 'integer', (c) => c.notNull().references('unit.id'))
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('item_code', 'text', (c) => c.notNull())
    .addColumn('points', 'real', (c) => c.notNull())
    .addColumn('entered_by', 'text', (c) => c.notNull())
    .addColumn('entered_at', 'integer', (c) => c.notNull())
    .addColumn('note', 'text')
    .execute();
  await db.schema.createIndex('score_entry_unit_year_idx').on('score_entry').columns(['year', 'unit_id', 'item_code', 'id']).execute();

  // A veto is active while cleared_at is null.
  await db.schema
    .createTable('veto')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('unit_id', 'integer', (c) => c.notNull().references('unit.id'))
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('set_by', 'text', (c) => c.notNull())
    .addColumn('set_at', 'integer', (c) => c.notNull())
    .addColumn('cleared_by', 'text')
    .addColumn('cleared_at', 'integer')
    .addColumn('clear_reason', 'text')
    .execute();
  await db.schema.createIndex('veto_unit_year_idx').on('veto').columns(['year', 'unit_id']).execute();

  // One row per task of a programme year; lead_units is a JSON array of lead-unit names.
  await db.schema
    .createTable('task')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('deadline_text', 'text', (c) => c.notNull())
    .addColumn('lead_units', 'text', (c) => c.notNull())
    .addColumn('cadence', 'text')
    .addColumn('target', 'text')
    .addColumn('source', 'text', (c) => c.notNull()) // 'plan' | 'office'
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addColumn('retired_at', 'integer')
    .addUniqueConstraint('task_year_seq_uq', ['year', 'seq'])
    .execute();

  // Completion history of one occurrence (period) of a task; undo stamps undone_at.
  await db.schema
    .createTable('task_completion')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('task_id', 'integer', (c) => c.notNull().references('task.id'))
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('done_at', 'integer', (c) => c.notNull())
    .addColumn('done_by', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('progress', 'text')
    .addColumn('late', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('undone_at', 'integer')
    .addColumn('undone_by', 'text')
    .execute();
  await db.schema.createIndex('task_completion_task_period_idx').on('task_completion').columns(['task_id', 'period']).execute();

  // Persistent outbox: the unique key makes every reminder insert-or-ignore.
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('chat_id', 'text', (c) => c.notNull())
    .addColumn('task_seq', 'integer')
    .addColumn('period', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('due_at', 'integer', (c) => c.notNull())
    .addColumn('not_before', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // pending | sending | sent | failed | skipped
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('claimed_by', 'text')
    .addColumn('claim_expires_at', 'integer')
    .addColumn('sent_at', 'integer')
    .addColumn('message_id', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbox_status_idx').on('outbox').columns(['status', 'not_before']).execute();

  await db.schema
    .createTable('processed_event')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('received_at', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('at', 'integer', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull()) // cli | chat | card | scheduler | system
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull()) // ok | denied | error
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();

}

export async function down(): Promise<void> {
  throw new Error('migrations run forward only');
}
