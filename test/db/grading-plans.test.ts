/**
 * PostgreSQL plans of the grading reads as the named statements run them (src/db/prepared-
 * statements.ts): after five runs the server may keep a generic plan, chosen without the
 * parameters' values. An as-of read ("entries made before now") must still go through the
 * scope's units, not through the index on entered_at that the weekly digest's window needs: a
 * generic plan guesses a third of the table below any bound and, on a city, read every entry.
 */
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgres, type OpenedPostgres } from '../../src/db/database.js';
import { scopeGradingRows } from '../../src/db/grading.repository.js';
import { migrateToLatest } from '../../src/db/migrate.js';

const url = process.env.TEST_DATABASE_URL;
const onServer = process.env.DANGJIAN_TEST_DIALECT === 'postgres' && url !== undefined;
let opened: OpenedPostgres | undefined;
afterAll(async () => {
  await opened?.close();
});

describe('grading reads on the server', () => {
  it.skipIf(!onServer)(
    `${onServer ? '' : 'skipped: needs the PostgreSQL server (TEST_DATABASE_URL) and the postgres project: '}an as-of read of a community's entries keeps to (year, unit_id) in its generic plan`,
    async () => {
      const schema = `grading_plans_${process.pid}`;
      const u = new URL(url!);
      u.searchParams.set('options', `-c search_path=${schema}`);
      // One connection: the named statement and the EXPLAIN of it must share a session.
      opened = await openPostgres(u.toString(), { max: 1 });
      const db = opened.db;
      await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(db);
      await sql.raw(`CREATE SCHEMA ${schema}`).execute(db);
      try {
        await migrateToLatest(db);
        // A street, 100 communities of 100 compounds each, 20 entries per compound: 200k entries,
        // as a city has (on a small table a scan of everything is cheapest), stored in the order
        // they were entered, as a live table is (so the entered_at index looks cheap to read).
        await sql`INSERT INTO unit (id, name, level, parent_id, created_at) VALUES (1, '城东街道', 'street', NULL, 0)`.execute(db);
        await sql`INSERT INTO unit (id, name, level, parent_id, created_at)
          SELECT 1 + c, '社区' || c, 'community', 1, 0 FROM generate_series(1, 100) AS c`.execute(db);
        await sql`INSERT INTO unit (id, name, level, parent_id, created_at)
          SELECT 1000 + k, '小区' || k, 'compound', 2 + (k - 1) / 100, 0 FROM generate_series(1, 10000) AS k`.execute(db);
        await sql`INSERT INTO score_entry (unit_id, year, item_code, points, entered_by, entered_at, note)
          SELECT 1000 + k, 2026, '6.' || i, 5, 'test', 1767225600000 + (k * 20 + i) * 1000, NULL
          FROM generate_series(1, 10000) AS k, generate_series(1, 20) AS i ORDER BY k, i`.execute(db);
        await sql`ANALYZE`.execute(db);

        const community = 2;
        const asOf = 1798761600000;
        const rows = await scopeGradingRows(db, { kind: 'subtree', rootId: community }, [2026], { asOf });
        expect(rows.entries).toHaveLength(100 * 20);
        const prepared = await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE ${'%FROM score_entry e%'}`.execute(db);
        expect(prepared.rows, 'the read ran as a named statement').toHaveLength(1);
        const { name, statement } = prepared.rows[0]!;
        // Its parameters in order: the scope's root, the entries' year and bound, the vetoes' year and instant (twice).
        expect(statement).toContain('$6');
        expect(statement).not.toContain('$7');

        await sql`SET plan_cache_mode = force_generic_plan`.execute(db);
        const plan = (await sql<{ 'QUERY PLAN': string }>`EXPLAIN EXECUTE ${sql.raw(name)}(${sql.lit(community)}, ${sql.lit(2026)}, ${sql.lit(asOf)}, ${sql.lit(2026)}, ${sql.lit(asOf)}, ${sql.lit(asOf)})`.execute(db)).rows
          .map((r) => r['QUERY PLAN'])
          .join('\n');
        expect(plan).toContain('score_entry_unit_year_idx');
        expect(plan).not.toContain('score_entry_entered_at_idx');
      } finally {
        await sql`RESET plan_cache_mode`.execute(db).catch(() => undefined);
        await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(db).catch(() => undefined);
      }
    },
  );
});
