/**
 * The unit tree kept per process (grading.repository.ts readScope): a scope's units are read once
 * and then checked against the unit table's change counter, which a trigger bumps on every write
 * to unit — through the repositories, a hand-written statement, or another process. On either engine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AnyOpenedDatabase, type Db } from '../../src/db/database.js';
import { readScope } from '../../src/db/grading.repository.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { insertScoreEntry } from '../../src/db/score.repository.js';
import { insertUnit, renameUnitRow } from '../../src/db/unit.repository.js';
import { inOneTransaction } from '../../src/db/unit-of-work.js';
import { openTestDatabase } from '../support/database.js';

const YEAR = 2026;
let file: string;
const opened: AnyOpenedDatabase[] = [];
let db: Db;
let street: number;

beforeEach(async () => {
  file = join(mkdtempSync(join(tmpdir(), 'dangjian-unit-cache-')), 'cache.db');
  const o = await openTestDatabase(file);
  opened.push(o);
  db = o.db;
  await migrateToLatest(db);
  street = (await insertUnit(db, { name: '城东街道', level: 'street', parentId: null, at: 1 })).id;
  for (const name of ['一社区', '二社区']) {
    const c = await insertUnit(db, { name, level: 'community', parentId: street, at: 1 });
    await insertScoreEntry(db, { unitId: c.id, year: YEAR, itemCode: '6.1', points: 8, by: 't', at: 1, note: null });
  }
});
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

const scope = () => ({ kind: 'subtree' as const, rootId: street });
async function read(on: Db = db) {
  const r = readScope(on, scope(), [YEAR]);
  const [units, rows] = await Promise.all([r.units, r.rows]);
  return { names: units.map((u) => u.name).sort(), entries: rows.entries.map((e) => `${units.find((u) => u.id === e.unitId)?.name ?? e.unitId}:${e.itemCode}`).sort() };
}
const version = async () => Number((await sql<{ n: number }>`SELECT n FROM unit_version WHERE id = 1`.execute(db)).rows[0]!.n);

describe('the unit tree kept per process', () => {
  it('is served while the change counter stands (a write that hid itself from the counter is not seen), read again once it moves', async () => {
    expect(await read()).toEqual({ names: ['一社区', '二社区', '城东街道'], entries: ['一社区:6.1', '二社区:6.1'] });
    // A rename with the counter put back by hand: the kept tree is served (the cache is in use).
    const before = await version();
    await sql`UPDATE unit SET name = '东一社区' WHERE name = '一社区'`.execute(db);
    expect(await version()).toBe(before + 1);
    await sql`UPDATE unit_version SET n = ${before} WHERE id = 1`.execute(db);
    expect((await read()).names).toEqual(['一社区', '二社区', '城东街道']);
    // Entries are always read as they stand.
    const second = (await sql<{ id: number }>`SELECT id FROM unit WHERE name = '二社区'`.execute(db)).rows[0]!.id;
    await insertScoreEntry(db, { unitId: Number(second), year: YEAR, itemCode: '6.2', points: 9, by: 't', at: 2, note: null });
    expect((await read()).entries).toEqual(['一社区:6.1', '二社区:6.1', '二社区:6.2']);
    // The counter moves: the tree is read again.
    await sql`UPDATE unit_version SET n = n + 1 WHERE id = 1`.execute(db);
    expect((await read()).names).toEqual(['东一社区', '二社区', '城东街道']);
  });

  it('sees every kind of unit write at once: added (with its entries), renamed, moved out, archived', async () => {
    await read();
    const added = await insertUnit(db, { name: '三社区', level: 'community', parentId: street, at: 2 });
    await insertScoreEntry(db, { unitId: added.id, year: YEAR, itemCode: '6.1', points: 7, by: 't', at: 2, note: null });
    expect(await read()).toEqual({ names: ['一社区', '三社区', '二社区', '城东街道'], entries: ['一社区:6.1', '三社区:6.1', '二社区:6.1'] });
    await renameUnitRow(db, added.id, '新三社区');
    expect((await read()).names).toContain('新三社区');
    const other = await insertUnit(db, { name: '城西街道', level: 'street', parentId: null, at: 2 });
    await read();
    await sql`UPDATE unit SET parent_id = ${other.id} WHERE id = ${added.id}`.execute(db);
    expect((await read()).names).toEqual(['一社区', '二社区', '城东街道']);
    // Archived: out of the tree (its entries, if read, belong to no unit of it and are not graded).
    await sql`UPDATE unit SET archived_at = 5 WHERE name = '二社区'`.execute(db);
    const after = await read();
    expect(after.names).toEqual(['一社区', '城东街道']);
    expect(after.entries.filter((e) => !/^\d/.test(e))).toEqual(['一社区:6.1']);
  });

  it('never keeps what a transaction read: a rename rolled back is not served afterwards', async () => {
    await read();
    await expect(
      inOneTransaction(db, async (trx) => {
        await sql`UPDATE unit SET name = '改名社区' WHERE name = '一社区'`.execute(trx);
        expect((await read(trx)).names).toEqual(['二社区', '城东街道', '改名社区']);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await read()).names).toEqual(['一社区', '二社区', '城东街道']);
    // And a later write that takes the same counter value is read as it is.
    await sql`UPDATE unit SET name = '后改社区' WHERE name = '二社区'`.execute(db);
    expect((await read()).names).toEqual(['一社区', '后改社区', '城东街道']);
  });

  it('does not keep a scope of more than 2,000 units (a city-wide read): it is read as it stands every time', async () => {
    const community = Number((await sql<{ id: number }>`SELECT id FROM unit WHERE name = '一社区'`.execute(db)).rows[0]!.id);
    await sql`INSERT INTO unit (name, level, parent_id, created_at)
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2001) SELECT '小区' || i, 'compound', ${community}, 1 FROM n`.execute(db);
    const compounds = { kind: 'level' as const, level: 'compound' as const };
    const unitsOf = async (sc: Parameters<typeof readScope>[1]) => {
      const r = readScope(db, sc, [YEAR]);
      return (await Promise.all([r.units, r.rows]))[0];
    };
    const names = async () => (await unitsOf(compounds)).map((u) => u.name);
    expect(await names()).toHaveLength(2001);
    // A small scope is kept meanwhile.
    const second = { kind: 'named' as const, name: '二社区' };
    const secondNames = async () => (await unitsOf(second)).map((u) => u.name);
    expect(await secondNames()).toEqual(['二社区']);
    const before = await version();
    await sql`UPDATE unit SET name = '改名小区' WHERE name = '小区7'`.execute(db);
    await sql`UPDATE unit SET parent_id = NULL WHERE name = '二社区'`.execute(db);
    await sql`UPDATE unit_version SET n = ${before} WHERE id = 1`.execute(db);
    expect(await names()).toContain('改名小区');
    // The hidden move is not seen in the kept small scope: its parent is still the street.
    expect((await unitsOf(second))[0]!.parent_name).toBe('城东街道');
  });
});
