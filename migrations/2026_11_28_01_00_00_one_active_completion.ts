// At most one active (not undone) completion per task occurrence, enforced by the database
// so that two processes or a double-pressed card button cannot complete an occurrence twice.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create unique index task_completion_one_active_uq on task_completion (task_id, period) where undone_at is null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations run forward only');
}
