// "What changed last week" (gradeChanges → changesInWindow) looks entries and vetoes up by the
// time they were made. Without these indexes every unit chat's weekly digest scanned the whole
// score_entry table: at city scale the Monday pass held the event loop ≈ 3.5 s on SQLite.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('score_entry_entered_at_idx').on('score_entry').column('entered_at').execute();
  await db.schema.createIndex('veto_set_at_idx').on('veto').column('set_at').execute();
  await db.schema.createIndex('veto_cleared_at_idx').on('veto').column('cleared_at').execute();
}
