// A change counter for the unit table: every insert, update or delete on unit bumps
// unit_version.n (a trigger, so that every writer counts: the services, `db copy`, an import, a
// hand-written statement). Processes cache the unit tree of the scopes they grade and, instead of
// reading the tree again (a recursive walk of the units), check this one number beside reading the
// scores (src/db/grading.repository.ts readScope).
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('unit_version')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('n', 'integer', (c) => c.notNull())
    .execute();
  await db.insertInto('unit_version').values({ id: 1, n: 0 }).execute();
  if (postgres) {
    // Once per statement: an import of thousands of units bumps it once.
    await sql`CREATE FUNCTION unit_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE unit_version SET n = n + 1; RETURN NULL; END $$`.execute(db);
    await sql`CREATE TRIGGER unit_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON unit FOR EACH STATEMENT EXECUTE FUNCTION unit_version_bump()`.execute(db);
  } else {
    // SQLite has row triggers only.
    for (const op of ['insert', 'update', 'delete']) {
      await sql.raw(`CREATE TRIGGER unit_version_${op} AFTER ${op.toUpperCase()} ON unit BEGIN UPDATE unit_version SET n = n + 1; END`).execute(db);
    }
  }
}
