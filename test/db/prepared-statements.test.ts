/**
 * Named statements on PostgreSQL (src/db/prepared-statements.ts): which texts are named, the cap,
 * and, on the real server, reuse across calls and the way out when a table changes under a
 * prepared statement.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openPostgres, type OpenedPostgres } from '../../src/db/database.js';
import { statementNames } from '../../src/db/prepared-statements.js';

describe('statement names', () => {
  it('names parameterised SELECT, INSERT, UPDATE, DELETE and WITH statements, the same text the same name', () => {
    const names = statementNames();
    const a = names.nameOf('select * from unit where id = $1', 1);
    expect(a).toMatch(/^dj_/);
    expect(names.nameOf('select * from unit where id = $1', 1)).toBe(a);
    for (const text of ['insert into t values ($1)', 'UPDATE t SET a = $1', ' delete from t where a = $1', 'with x as (select $1) select * from x']) {
      expect(names.nameOf(text, 1)).toMatch(/^dj_/);
    }
    expect(new Set([a, ...['insert into t values ($1)', 'UPDATE t SET a = $1'].map((t) => names.nameOf(t, 1))]).size).toBe(3);
  });

  it('runs unnamed what has no parameters (it may hold several statements) and what is not a query', () => {
    const names = statementNames();
    expect(names.nameOf('select 1; select 2', 0)).toBeUndefined();
    expect(names.nameOf('begin', 0)).toBeUndefined();
    expect(names.nameOf('SET LOCAL lock_timeout = $1', 1)).toBeUndefined();
    expect(names.nameOf('create table t (a int)', 0)).toBeUndefined();
    expect(names.size).toBe(0);
  });

  it('names at most `max` texts; the rest, and a forgotten text, run unnamed', () => {
    const names = statementNames(3);
    const given = Array.from({ length: 5 }, (_, i) => names.nameOf(`select $1 + ${i}`, 1));
    expect(given.filter((n) => n !== undefined)).toHaveLength(3);
    expect(given.slice(3)).toEqual([undefined, undefined]);
    names.forget('select $1 + 0');
    expect(names.nameOf('select $1 + 0', 1)).toBeUndefined();
    expect(names.size).toBe(3);
  });
});

const url = process.env.TEST_DATABASE_URL;
const onServer = process.env.DANGJIAN_TEST_DIALECT === 'postgres' && url !== undefined;
let opened: OpenedPostgres | undefined;
afterAll(async () => {
  await opened?.close();
});

describe('on the server', () => {
  it.skipIf(!onServer)(`${onServer ? '' : 'skipped: needs the PostgreSQL server (TEST_DATABASE_URL) and the postgres project: '}a statement is prepared once per connection and reused; after its table changes it fails once, then runs unnamed`, async () => {
    const schema = `prepared_${process.pid}`;
    const u = new URL(url!);
    u.searchParams.set('options', `-c search_path=${schema}`);
    opened = await openPostgres(u.toString(), { max: 1 });
    const db = opened.db;
    await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(db);
    await sql.raw(`CREATE SCHEMA ${schema}`).execute(db);
    await sql.raw(`CREATE TABLE ${schema}.t (id int primary key, a text)`).execute(db);
    try {
      const read = (id: number) => sql<{ id: number }>`select * from t where id = ${id}`.execute(db);
      await sql`insert into t (id, a) values (${1}, ${'x'}), (${2}, ${'y'})`.execute(db);
      expect((await read(1)).rows).toEqual([{ id: 1, a: 'x' }]);
      expect((await read(2)).rows).toEqual([{ id: 2, a: 'y' }]);
      const prepared = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements where statement like ${'select * from t where id = $1%'}`.execute(db);
      expect(prepared.rows[0]!.n).toBe(1);

      await sql.raw(`ALTER TABLE ${schema}.t ADD COLUMN b int`).execute(db);
      await expect(read(1)).rejects.toMatchObject({ code: '0A000' });
      expect((await read(1)).rows).toEqual([{ id: 1, a: 'x', b: null }]);
    } finally {
      await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(db).catch(() => undefined);
    }
  });
});
