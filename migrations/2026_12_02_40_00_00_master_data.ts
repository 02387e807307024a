// Correctable master data (issue 11): a member removed from the roster keeps their row (the audit
// names them) with removed_at set; a unit removed with --archive keeps its row, scores and history
// with archived_at set and drops out of grades and ranks. A member's 手机号 / 邮箱 are kept for
// `member sync` (resolving them to Feishu open_ids).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('member').addColumn('mobile', 'text').execute();
  await db.schema.alterTable('member').addColumn('email', 'text').execute();
  await db.schema.alterTable('member').addColumn('removed_at', 'integer').execute();
  await db.schema.alterTable('unit').addColumn('archived_at', 'integer').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations run forward only');
}
