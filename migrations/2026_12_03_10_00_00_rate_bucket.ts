// The shared Lark rate limiter (issue 17): one row per limiter key (`app`, `chat:oc_x`, …) in
// which every replica is granted its sends, so the app's quota holds across processes. Used on
// PostgreSQL only (src/db/rate.repository.ts); on SQLite the one process paces in memory and the
// table stays empty. Times are the database clock's epoch milliseconds (fractional).
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('rate_bucket')
    .addColumn('key', 'text', (c) => c.primaryKey())
    // Next slot on the key's smooth (evenly spaced) schedule.
    .addColumn('tat', 'real', (c) => c.notNull())
    // The latest requests' stamps (completion time, or a far in-flight stamp), ascending, as many
    // as the key's largest window limit.
    .addColumn('log', postgres ? sql`double precision[]` : 'text', (c) => c.notNull())
    // The latest grant (for pruning idle keys).
    .addColumn('updated_at', 'real', (c) => c.notNull())
    .execute();
}
