/**
 * `dangjian db copy` (issue 17): a populated street copied SQLite → PostgreSQL → SQLite comes back
 * row for row; the report; refusals (a target with data, a missing file, a bad URL, a source
 * behind on migrations) change nothing and leave no file; ids continue after the copy; a copy that
 * does not read back the same is rolled back and exits 1. The PostgreSQL side is the server named
 * by TEST_DATABASE_URL (a fresh schema, through the real CLI) or, without one, an embedded PGlite
 * driven through the service in process (a CLI process cannot reach it).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromDialect, openDatabase, openPostgres, type AnyOpenedDatabase, type Db } from '../../src/db/database.js';
import { copyTables, transientTables, type Row, type TableName } from '../../src/db/copy.repository.js';
import { migrateToLatest, migrationNames, migrator } from '../../src/db/migrate.js';
import { insertUnit } from '../../src/db/unit.repository.js';
import { copyDatabase, type CopyReport } from '../../src/services/db-copy.service.js';
import { UserError } from '../../src/errors.js';
import { cliOkInProcess as cliOk, runCli as runCliChild, runCliInProcess as runCli, tempDbFile, REPO_ROOT } from '../support/cli.js';

const SERVER = process.env.TEST_DATABASE_URL;
const TABLES = copyTables();

interface PgSide {
  opened: AnyOpenedDatabase;
  /** The schema's URL on the real server (a CLI process can use it); null on PGlite. */
  url: string | null;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database: a new schema on the server, else a new embedded PGlite. */
async function freshPostgres(): Promise<PgSide> {
  if (SERVER) {
    const schema = `dbcopy_${randomBytes(5).toString('hex')}`;
    const admin = await openPostgres(SERVER, { max: 1 });
    await admin.db.executeQuery(CompiledQuery.raw(`CREATE SCHEMA ${schema}`));
    const url = `${SERVER}${SERVER.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const opened = await openPostgres(url, { max: 2 });
    return {
      opened,
      url,
      drop: async () => {
        await opened.close();
        await admin.db.executeQuery(CompiledQuery.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
        await admin.close();
      },
    };
  }
  // One embedded PGlite for the file (it takes seconds to start): each test gets its public schema anew.
  embedded ??= (async () => {
    const [{ PGlite }, { PGliteDialect }] = await Promise.all([import('@electric-sql/pglite'), import('kysely-pglite-dialect')]);
    const pglite = await PGlite.create({ parsers: { 1700: (v: string) => Number(v), 20: (v: string) => Number(v) } });
    return fromDialect(new PGliteDialect(pglite));
  })();
  const opened = await embedded;
  await opened.db.executeQuery(CompiledQuery.raw('DROP SCHEMA IF EXISTS public CASCADE'));
  await opened.db.executeQuery(CompiledQuery.raw('CREATE SCHEMA public'));
  return { opened, url: null, drop: async () => {} };
}

let embedded: Promise<AnyOpenedDatabase> | undefined;
afterAll(async () => (await embedded)?.close());

/** A URL with a password (the local server trusts it and ignores it): it must never be printed. */
const withPassword = (url: string): string => url.replace('postgres://postgres@', 'postgres://postgres:s3cret-pw@');

const compareKeys = (a: unknown, b: unknown): number => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);

/** Every row of a table, in key order (sorted here: independent of the engine's collation). */
async function tableRows(db: Db, table: TableName): Promise<Row[]> {
  const spec = TABLES.find((t) => t.table === table)!;
  const rows = (await sql<Row>`select * from ${sql.table(table)}`.execute(db)).rows;
  return rows.sort((x, y) => {
    for (const k of spec.key) {
      const c = compareKeys(x[k], y[k]);
      if (c !== 0) return c;
    }
    return 0;
  });
}

async function allTables(db: Db): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const { table } of TABLES) out[table] = await tableRows(db, table);
  return out;
}

async function withSqlite<T>(file: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const opened = openDatabase(file);
  try {
    return await fn(opened.db);
  } finally {
    await opened.close();
  }
}

const digest = (file: string) => createHash('sha256').update(Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)))).digest('hex');

/**
 * A street with history in most tables: units (one moved under a unit added after it: its
 * parent has the higher id), the roster, chats, scores (7.5), a veto set and cleared, completed
 * tasks, a closed round with frozen grades, a target override, audit rows; then, as the service
 * would leave them, cards and items of the outbox, inbox events, a self-check, an application,
 * a rectification and a chosen candidate (Chinese text, JSON, nulls).
 */
async function populate(file: string): Promise<void> {
  await cliOk(file, ['init', '--year', '2026', '--street', '城东街道']);
  await cliOk(file, ['unit', 'add', '--name', '城东社区', '--level', '社区']);
  await cliOk(file, ['unit', 'add', '--name', '幸福小区', '--level', '小区', '--parent', '城东社区']);
  await cliOk(file, ['unit', 'add', '--name', '城南社区', '--level', '社区']);
  await cliOk(file, ['unit', 'move', '--name', '幸福小区', '--parent', '城南社区']);
  await cliOk(file, ['member', 'add', '--name', '李书记', '--role', '书记', '--unit', '城东社区', '--mobile', '13800138000']);
  await cliOk(file, ['member', 'bind', '--name', '党建办主任', '--open-id', 'ou_office']);
  await cliOk(file, ['chat', 'bind', '--chat', 'oc_leaders', '--to', '领导小组']);
  await cliOk(file, ['review', 'open', '--kind', '年度验收', '--year', '2026']);
  await cliOk(file, ['score', 'set', '--unit', '城东街道', '--item', '2.2', '--points', '7.5', '--year', '2026', '--note', '阵地“八个有”已完成']);
  await cliOk(file, ['score', 'set', '--unit', '城东社区', '--item', '6.1', '--points', '5', '--year', '2026']);
  await cliOk(file, ['veto', 'set', '--unit', '城南社区', '--reason', '发生重大安全事故', '--year', '2026']);
  await cliOk(file, ['veto', 'clear', '--unit', '城南社区', '--reason', '经复核撤销', '--year', '2026']);
  await cliOk(file, ['review', 'close', '--year', '2026']);
  await cliOk(file, ['task', 'done', '--seq', '1', '--year', '2026', '--note', '自查完成']);
  await cliOk(file, ['targets', 'set', '--milestone', '2027-12', '--level', '社区', '--count', '2']);
  const raw = new SQLite(file);
  try {
    const at = Date.UTC(2026, 2, 9, 1);
    const unitId = (name: string) => (raw.prepare('select id from unit where name = ?').get(name) as { id: number }).id;
    const roundId = (raw.prepare('select max(id) as id from assessment_round').get() as { id: number }).id;
    raw.prepare(`insert into outbox (key, kind, chat_id, task_seq, period, payload, due_at, not_before, status, attempts, claimed_by, claim_expires_at, sent_at, message_id, last_error, created_at)
      values (?, 'daily', 'oc_leaders', null, null, ?, ?, ?, 'sent', 1, null, null, ?, 'om_1', null, ?)`).run('daily:2026-03-09:oc_leaders', JSON.stringify({ sections: [{ title: '今日待办', items: ['任务 1：自查'] }] }), at, at, at + 5000, at);
    raw.prepare(`insert into outbox (key, kind, chat_id, task_seq, period, payload, due_at, not_before, status, attempts, claimed_by, claim_expires_at, sent_at, message_id, last_error, created_at)
      values ('daily:2026-03-10:oc_leaders', 'daily', 'oc_leaders', 3, '2026-03', '{}', ?, ?, 'failed', 3, 'host-1', ?, null, null, '飞书返回 230002：机器人不在群里', ?)`).run(at + 86_400_000, at + 86_400_000, at + 86_460_000, at);
    raw.prepare(`insert into outbox_item (key, kind, chat_id, task_year, task_seq, period, date, due_at, not_before, status, outbox_id, reason, payload, created_at)
      values ('due:1:2026-03', 'due', 'oc_leaders', 2026, 1, '2026-03', '2026-03-09', ?, ?, 'carried', 1, null, '{"title":"召开专题会议"}', ?)`).run(at, at, at);
    raw.prepare(`insert into outbox_item (key, kind, chat_id, task_year, task_seq, period, date, due_at, not_before, status, outbox_id, reason, payload, created_at)
      values ('due:2:2026-03', 'due', '', null, null, null, '2026-03-09', ?, ?, 'skipped', null, '没有群订阅', '{}', ?)`).run(at, at, at);
    raw.prepare(`insert into processed_event (event_id, received_at) values (?, ?), (?, ?)`).run('ev_b', at, 'ev_a', at + 1);
    raw.prepare(`insert into inbox (event_id, kind, chat_id, payload, status, received_at, done_at) values ('ev_a', 'message', 'oc_leaders', ?, 'done', ?, ?), ('ev_b', 'card', '', '{"action":"done"}', 'pending', ?, null)`).run(JSON.stringify({ text: '@党建助手 得分 城东社区' }), at, at + 10, at);
    raw.prepare(`insert into self_check (unit_id, year, status, created_at, updated_at, submitted_at, submitted_by) values (?, 2026, 'submitted', ?, ?, ?, '李书记')`).run(unitId('城东社区'), at, at, at);
    raw.prepare(`insert into self_check_entry (self_check_id, item_code, half_points, shortfall, measure, target_date, entered_by, entered_at) values (1, '6.1', 9, '台账不全', '补齐台账', '2026-06-30', '李书记', ?), (1, '6.2', 4, null, null, null, '李书记', ?)`).run(at, at);
    raw.prepare(`insert into unit_item (unit_id, year, source, source_ref, title, due_date, created_at, updated_at, retired_at) values (?, 2026, 'self_check', 'self_check:2026:6.1', '补齐台账', '2026-06-30', ?, ?, null)`).run(unitId('城东社区'), at, at);
    raw.prepare(`insert into unit_item_completion (unit_item_id, done_at, done_by, undone_at, undone_by) values (1, ?, '李书记', null, null)`).run(at);
    raw.prepare(`insert into application (unit_id, year, status, fields, office_opinion, opinion_date, created_at, updated_at, submitted_at, submitted_by, decided_at, decided_by) values (?, 2026, 'returned', ?, '请补充材料', '2026-03-10', ?, ?, ?, '李书记', null, null)`).run(unitId('城东社区'), JSON.stringify({ 申报等级: '示范型', 主要做法: '“红色物业”' }), at, at, at);
    raw.prepare(`insert into application_event (application_id, action, actor, at, comment) values (1, 'submit', '李书记', ?, null), (1, 'return', '党建办主任', ?, '请补充材料')`).run(at, at + 1);
    raw.prepare(`insert into rectification_item (round_id, unit_id, title, item_code, responsible, due_date, created_by, created_at) values (?, ?, '完善阵地标识', '6.1', '李书记', '2026-05-01', '党建办主任', ?)`).run(roundId, unitId('城东社区'), at);
    raw.prepare(`insert into rectification_completion (item_id, done_at, done_by, note, undone_at, undone_by) values (1, ?, '李书记', '已整改', null, null)`).run(at);
    raw.prepare(`insert into round_candidate (round_id, unit_id, chosen_by, chosen_at) values (?, ?, '党建办主任', ?)`).run(roundId, unitId('城东社区'), at);
  } finally {
    raw.close();
  }
}

describe('the copy list', () => {
  it('names every table of the migrated schema with its primary key, each after the tables it references', async () => {
    const file = tempDbFile();
    await withSqlite(file, (db) => migrateToLatest(db));
    const sqlite = new SQLite(file, { readonly: true });
    try {
      const tables = (sqlite.prepare("select name from sqlite_master where type = 'table' and name not like 'kysely_%' and name <> 'sqlite_sequence'").all() as Array<{ name: string }>).map((r) => r.name);
      const order = TABLES.map((t) => t.table as string);
      // Every table is copied but the runtime state named transient (the shared rate limiter's).
      expect([...order, ...transientTables()].sort()).toEqual([...tables].sort());
      for (const spec of TABLES) {
        const columns = sqlite.prepare(`pragma table_info(${spec.table})`).all() as Array<{ name: string; type: string; pk: number }>;
        const key = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
        expect(key.map((c) => c.name), spec.table).toEqual(spec.key);
        expect(spec.textKey === true, spec.table).toBe(key.every((c) => c.type.toLowerCase() === 'text'));
        expect(spec.identity === true, spec.table).toBe(key.length === 1 && key[0]!.name === 'id' && key[0]!.type.toLowerCase() === 'integer');
        for (const fk of sqlite.prepare(`pragma foreign_key_list(${spec.table})`).all() as Array<{ table: string; from: string }>) {
          if (fk.table === spec.table) expect(spec.selfReference, `${spec.table}.${fk.from}`).toBe(fk.from);
          else expect(order.indexOf(fk.table), `${spec.table}.${fk.from} → ${fk.table}`).toBeLessThan(order.indexOf(spec.table));
        }
      }
    } finally {
      sqlite.close();
    }
  });

  it('names every table of the Database interface in src/db/schema.ts', () => {
    const source = readFileSync(join(REPO_ROOT, 'src/db/schema.ts'), 'utf8');
    const body = /export interface Database \{([^}]*)\}/.exec(source)![1]!;
    const names = [...body.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(20);
    expect([...TABLES.map((t) => t.table), ...transientTables()].sort()).toEqual([...names].sort());
    expect(transientTables()).toEqual(['rate_bucket', 'unit_version']);
  });
});

describe('dangjian db copy', () => {
  let source: string;
  let expected: Record<string, Row[]>;
  beforeAll(async () => {
    source = tempDbFile('dangjian-copy-');
    await populate(source);
    expected = await withSqlite(source, allTables);
    // The fixture exercises what a copy must carry: most tables, nulls, reals, Chinese text, JSON.
    const empty = Object.entries(expected).filter(([, rows]) => rows.length === 0).map(([t]) => t);
    expect(empty).toEqual([]);
    expect(expected.score_entry!.map((r) => r.points)).toContain(7.5);
    expect(expected.outbox!.some((r) => r.sent_at === null && r.last_error === '飞书返回 230002：机器人不在群里')).toBe(true);
    const units = expected.unit!;
    const moved = units.find((u) => u.name === '幸福小区')!;
    expect(moved.parent_id as number).toBeGreaterThan(moved.id as number);
  });

  it('SQLite → PostgreSQL → SQLite brings back every row of every table; checksums agree across engines', async () => {
    const pg = await freshPostgres();
    const back = tempDbFile('dangjian-back-');
    try {
      let there: CopyReport;
      let again: CopyReport;
      if (pg.url) {
        // The real CLI in child processes, a password in the URL that must never be printed.
        const url = withPassword(pg.url);
        const out = await runCliChild(['db', 'copy', '--from', source, '--to', url, '--json']);
        expect(out.stderr).toBe('');
        expect(out.code).toBe(0);
        there = JSON.parse(out.stdout) as CopyReport;
        const home = await runCliChild(['db', 'copy', '--from', url, '--to', back]);
        expect(home.code, home.stderr).toBe(0);
        expect(`${home.stdout}${home.stderr}`).not.toContain('s3cret-pw');
        expect(home.stdout).toContain('postgres://postgres:***@');
        again = JSON.parse((await runCli(['db', 'copy', '--from', back, '--to', join(dirname(back), 'third.db'), '--json'])).stdout) as CopyReport;
      } else {
        // PGlite lives in this process only: the same service the command calls.
        there = await withSqlite(source, (db) => copyDatabase(db, pg.opened.db, { sourceLabel: source, batchSize: 7 }));
        const opened = openDatabase(back);
        try {
          again = await copyDatabase(pg.opened.db, opened.db, { sourceLabel: 'pglite', batchSize: 7 });
        } finally {
          await opened.close();
        }
      }
      // On PostgreSQL: the same rows (ids, nulls, 7.5, Chinese text, JSON text).
      expect(await allTables(pg.opened.db)).toEqual(expected);
      // And the planner knows them at once (ANALYZE after the copy), not once autovacuum comes by.
      const analyzed = await sql<{ tablename: string }>`SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema()`.execute(pg.opened.db);
      expect(analyzed.rows.map((r) => r.tablename)).toEqual(expect.arrayContaining(['unit', 'score_entry', 'member', 'outbox']));
      // And back on SQLite.
      expect(await withSqlite(back, allTables)).toEqual(expected);
      // A table's checksum is the same whichever engine it was read from.
      for (const t of there.tables) {
        expect(t).toMatchObject({ sourceRows: expected[t.table]!.length, targetRows: expected[t.table]!.length, match: true });
        expect(t.targetChecksum).toBe(t.sourceChecksum);
        expect(again.tables.find((x) => x.table === t.table)!.sourceChecksum, t.table).toBe(t.sourceChecksum);
      }
    } finally {
      await pg.drop();
    }
  });

  it('pages of one or two rows: every key kind pages through, a unit moved under a later one is written after its parent', async () => {
    expect(expected.assessment_round_grade!.length).toBeGreaterThan(2);
    for (const batchSize of [1, 2]) {
      const to = tempDbFile('dangjian-pages-');
      const opened = openDatabase(to);
      try {
        const report = await withSqlite(source, (db) => copyDatabase(db, opened.db, { sourceLabel: source, batchSize }));
        expect(report.total.match).toBe(true);
        expect(await allTables(opened.db)).toEqual(expected);
      } finally {
        await opened.close();
      }
    }
  });

  it('ids continue after the copy: a unit added on PostgreSQL, or on the SQLite copy, gets the next id', async () => {
    const pg = await freshPostgres();
    const copy = tempDbFile('dangjian-ids-');
    try {
      await withSqlite(source, (db) => copyDatabase(db, pg.opened.db, { sourceLabel: source }));
      expect((await runCli(['db', 'copy', '--from', source, '--to', copy])).code).toBe(0);
      const next = (table: TableName) => Math.max(...expected[table]!.map((r) => r.id as number)) + 1;
      const street = expected.unit!.find((u) => u.level === 'street')!.id as number;
      const unit = await insertUnit(pg.opened.db, { name: '新建社区', level: 'community', parentId: street, at: 1 });
      expect(unit.id).toBe(next('unit'));
      const audit = await pg.opened.db.insertInto('audit_log').values({ at: 1, actor: '党建办主任', source: 'cli', action: 'unit.add', subject: '新建社区', outcome: 'ok', detail: null }).returning('id').executeTakeFirstOrThrow();
      expect(audit.id).toBe(next('audit_log'));
      // On the SQLite copy, through the CLI as a person would.
      await cliOk(copy, ['unit', 'add', '--name', '新建社区', '--level', '社区']);
      expect((await withSqlite(copy, (db) => tableRows(db, 'unit'))).find((u) => u.name === '新建社区')?.id).toBe(next('unit'));
    } finally {
      await pg.drop();
    }
  });

  it('prints a table per table (表 / 源行数 / 目标行数 / 校验) and 「已复制 N 张表、M 行，校验一致」; --json gives the same numbers', async () => {
    const to = tempDbFile('dangjian-report-');
    const r = await runCli(['db', 'copy', '--from', source, '--to', to]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(['表', '源行数', '目标行数', '校验']);
    const total = Object.values(expected).reduce((n, rows) => n + rows.length, 0);
    for (const { table } of TABLES) {
      const n = expected[table]!.length;
      expect(lines, table).toContainEqual(expect.stringMatching(new RegExp(`^${table}\\s+${n}\\s+${n}\\s+一致 [0-9a-f]{12}$`)));
    }
    expect(lines.at(-1)).toBe(`已复制 ${TABLES.length} 张表、${total} 行，校验一致（${source} → ${to}）`);
    const json = JSON.parse((await runCli(['db', 'copy', '--from', to, '--to', tempDbFile('dangjian-json-'), '--json'])).stdout) as CopyReport;
    expect(json.total).toEqual({ tables: TABLES.length, rows: total, match: true, mismatched: [] });
    expect(json.tables.map((t) => t.table)).toEqual(TABLES.map((t) => t.table));
    for (const t of json.tables) expect(t).toEqual({ table: t.table, sourceRows: expected[t.table]!.length, targetRows: expected[t.table]!.length, sourceChecksum: expect.stringMatching(/^[0-9a-f]{64}$/), targetChecksum: t.sourceChecksum, match: true });
  });

  it('refuses a target that holds data, naming the table; the target is byte for byte unchanged', async () => {
    const to = tempDbFile('dangjian-full-');
    await cliOk(to, ['init', '--year', '2026']);
    const before = digest(to);
    const r = await runCliChild(['db', 'copy', '--from', source, '--to', to]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('错误：--to：目标数据库不是空的：表 setting 已有 2 行数据。db copy 只复制到空数据库（一个新文件，或新建的 PostgreSQL 数据库），目标没有任何改动\n');
    expect(digest(to)).toBe(before);
  });

  it('refuses a PostgreSQL target that holds data (only an audit row): nothing added', async () => {
    const pg = await freshPostgres();
    try {
      await migrateToLatest(pg.opened.db);
      await pg.opened.db.insertInto('audit_log').values({ at: 1, actor: '某人', source: 'cli', action: 'x', subject: null, outcome: 'ok', detail: null }).execute();
      const refused = await withSqlite(source, (db) => copyDatabase(db, pg.opened.db, { sourceLabel: source })).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(UserError);
      expect((refused as Error).message).toMatch(/^目标数据库不是空的：表 audit_log 已有 1 行数据/);
      for (const { table } of TABLES) expect((await tableRows(pg.opened.db, table)).length, table).toBe(table === 'audit_log' ? 1 : 0);
    } finally {
      await pg.drop();
    }
  });

  it.skipIf(!SERVER)('backup on PostgreSQL points to db copy, and the copy it suggests works (needs TEST_DATABASE_URL: a CLI process cannot reach PGlite)', async () => {
    const pg = await freshPostgres();
    try {
      await withSqlite(source, (db) => copyDatabase(db, pg.opened.db, { sourceLabel: source }));
      const out = join(dirname(tempDbFile('dangjian-pgbackup-')), 'backup.db');
      const r = await runCli(['backup', '--db', withPassword(pg.url!), '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`错误：--db：数据库在 PostgreSQL 上，backup 只备份 SQLite 文件：用 dangjian db copy --from 〈DATABASE_URL〉 --to ${out} 复制成一个可以打开的 SQLite 文件，或用 pg_dump\n`);
      expect(existsSync(out)).toBe(false);
      expect((await runCli(['db', 'copy', '--from', withPassword(pg.url!), '--to', out])).code).toBe(0);
      expect(await withSqlite(out, allTables)).toEqual(expected);
    } finally {
      await pg.drop();
    }
  });

  it('a missing source file, a bad URL, an unreachable server or the same database: one Chinese line, no file left behind', async () => {
    const dir = dirname(tempDbFile('dangjian-bad-'));
    const to = join(dir, 'new', 'copy.db');
    const cases: Array<[string[], string | RegExp]> = [
      [['--from', join(dir, 'typo.db'), '--to', to], `错误：--from：源数据库文件不存在：${join(dir, 'typo.db')}（是否写错了路径？）\n`],
      [['--from', source, '--to', 'mysql://root:hunter2@db/dangjian'], '错误：--to：不认识的数据库地址「mysql://root:***@db/dangjian」：写 SQLite 文件路径，或 postgres://用户:密码@主机:端口/数据库\n'],
      [['--from', 'postgres://dangjian:hunter2@127.0.0.1:1/dangjian', '--to', to], /^错误：--from：无法打开源数据库 postgres:\/\/dangjian:\*\*\*@127\.0\.0\.1:1\/dangjian：.*ECONNREFUSED.*\n$/],
      [['--from', source, '--to', source], `错误：--to：--from 和 --to 是同一个数据库（${source}）\n`],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['db', 'copy', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      if (typeof message === 'string') expect(r.stderr).toBe(message);
      else expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain('hunter2');
      expect(existsSync(to), args.join(' ')).toBe(false);
      expect(existsSync(dirname(to)), args.join(' ')).toBe(false);
    }
  });

  it('refuses a source behind on migrations, saying which command brings it up to date', async () => {
    const old = tempDbFile('dangjian-old-');
    await withSqlite(old, async (db) => {
      await migrator(db).migrateTo(migrationNames()[0]!);
    });
    const to = join(dirname(old), 'copy.db');
    const r = await runCli(['db', 'copy', '--from', old, '--to', to]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`错误：--from：源数据库还有 ${migrationNames().length - 1} 个迁移未执行：先运行 dangjian migrate --db ${old}\n`);
    expect(existsSync(to)).toBe(false);
  });

  it('a copy that does not read back the same is rolled back, names the table and exits 1', async () => {
    const to = tempDbFile('dangjian-mangled-');
    await cliOk(to, ['migrate']);
    // Something in the target rewrites what is written (here a trigger): the copy must notice.
    const raw = new SQLite(to);
    raw.exec("create trigger mangle after insert on audit_log begin update audit_log set actor = actor || '!' where id = new.id; end");
    raw.close();
    const r = await runCli(['db', 'copy', '--from', source, '--to', to]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`错误：复制后核对不一致：audit_log。已全部撤销，目标 ${to} 没有写入任何数据\n`);
    expect(r.stdout).toMatch(/^audit_log\s+\d+\s+\d+\s+不一致：源 [0-9a-f]{12}，目标 [0-9a-f]{12}$/m);
    expect(r.stdout).not.toContain('已复制');
    const rows = await withSqlite(to, allTables);
    for (const { table } of TABLES) expect(rows[table], table).toEqual([]);
  });
});
