// The street's own target numbers (issue 16 #3), set with `dangjian targets set` or 「设目标」:
// one row per override (milestone id, level, optional grade, count). They apply after the plan
// file's `targetOverrides`, in id order; setting a target again replaces the row.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('target_override')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('milestone', 'text', (c) => c.notNull()) // the plan's milestone id (y2-12)
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('grade', 'text') // standard | demonstration, or null when the level has one numeric target there
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('set_by', 'text', (c) => c.notNull())
    .addColumn('set_at', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations run forward only');
}
