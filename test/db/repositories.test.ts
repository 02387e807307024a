/**
 * The repository layer on either engine (issue 17): the same calls give the same values on
 * SQLite and PostgreSQL — types (epoch milliseconds beyond int4, fractional points, counts as
 * numbers), literal text search, ids continuing, and the outbox claim and card recording staying
 * exactly-once when several connections (replicas) race.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AnyOpenedDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { claimDueOutbox, countOutboxByStatus, insertOutboxMessage, recordCard } from '../../src/db/outbox.repository.js';
import { insertScoreEntry, latestScores } from '../../src/db/score.repository.js';
import { insertUnit, searchUnits } from '../../src/db/unit.repository.js';
import { onPostgres, openTestDatabase, TEST_DIALECT } from '../support/database.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let file: string;
const opened: AnyOpenedDatabase[] = [];
async function connect(): Promise<AnyOpenedDatabase> {
  const o = await openTestDatabase(file);
  opened.push(o);
  return o;
}

beforeEach(async () => {
  file = join(mkdtempSync(join(tmpdir(), 'dangjian-repo-')), 'test.db');
  await migrateToLatest((await connect()).db);
});
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

describe(`repositories on ${TEST_DIALECT}`, () => {
  it('the engine under test is the one the project names', () => {
    expect(opened[0]!.dialect).toBe(onPostgres ? 'postgres' : 'sqlite');
  });

  it('keeps epoch milliseconds past 2038, fractional points, and returns ids and counts as numbers', async () => {
    const { db } = opened[0]!;
    const at = Date.parse('2099-12-31T16:00:00Z');
    const unit = await insertUnit(db, { name: '城东社区', level: 'community', parentId: null, at });
    expect(typeof unit.id).toBe('number');
    expect(unit.created_at).toBe(at);
    await insertScoreEntry(db, { unitId: unit.id, year: 2026, itemCode: '11.1', points: 7.5, by: '王博文', at, note: null });
    await insertScoreEntry(db, { unitId: unit.id, year: 2026, itemCode: '11.2', points: 0.1, by: '王博文', at: at + 1, note: '复核' });
    const latest = await latestScores(db, 2026, [unit.id]);
    expect(latest.map((r) => [r.item_code, r.points])).toEqual([
      ['11.1', 7.5],
      ['11.2', 0.1],
    ]);
    const n = await db.selectFrom('score_entry').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(n.n).toBe(2);
  });

  it('finds a name fragment literally (% and _ are characters, not wildcards)', async () => {
    const { db } = opened[0]!;
    for (const name of ['100%达标小区', '1000达标小区', 'A_B楼宇', 'AxB楼宇']) await insertUnit(db, { name, level: 'compound', parentId: null, at: 1 });
    expect((await searchUnits(db, '0%')).map((u) => u.name)).toEqual(['100%达标小区']);
    expect((await searchUnits(db, '_B')).map((u) => u.name)).toEqual(['A_B楼宇']);
  });

  it('three connections claiming due replies at once get each row exactly once', async () => {
    const [first] = opened;
    for (let i = 0; i < 60; i++) await insertOutboxMessage(first!.db, { key: `reply:${i}`, kind: 'reply', chatId: `oc_${i % 5}`, payload: { i }, at: 1000 });
    const replicas = [first!, await connect(), await connect()];
    const claimed: number[][] = [[], [], []];
    for (let round = 0; round < 10; round++) {
      const batches = await Promise.all(replicas.map((r, k) => claimDueOutbox(r.db, { now: 2000, worker: `w${k}`, leaseMs: 60_000, limit: 3 })));
      batches.forEach((b, k) => claimed[k]!.push(...b.map((row) => row.id)));
    }
    const all = claimed.flat();
    expect(all).toHaveLength(60);
    expect(new Set(all).size).toBe(60);
    expect(await countOutboxByStatus(first!.db)).toMatchObject({ pending: 0, sending: 60 });
  });

  it('two connections recording the same card: one records it, the other is told it lost', async () => {
    const [first] = opened;
    const second = await connect();
    const card = (chat: string) => ({ key: `daily:${chat}:2026-03-05`, kind: 'daily', chat_id: chat, task_seq: null, period: null, payload: '{}', due_at: 1, not_before: 1, status: 'pending' as const, created_at: 1 });
    const item = (chat: string) => ({ key: `overdue:1:2026:${chat}`, kind: 'overdue', chat_id: chat, task_year: 2026, task_seq: 1, period: '2026', date: '2026-03-05', due_at: 1, not_before: 1, status: 'pending' as const, reason: null, payload: '{}', created_at: 1 });
    const recording = { card: card('oc_a'), fresh: [item('oc_a')], held: [], skipped: [], skippedHeld: [] };
    const results = await Promise.all([recordCard(first!.db, recording), recordCard(second.db, recording)]);
    expect(results.filter((r) => r === null)).toHaveLength(1);
    const ids = results.filter((r): r is number => r !== null);
    expect(ids).toHaveLength(1);
    const items = await first!.db.selectFrom('outbox_item').select(['status', 'outbox_id']).execute();
    expect(items).toEqual([{ status: 'carried', outbox_id: ids[0] }]);
    expect(await first!.db.selectFrom('outbox').select('id').execute()).toHaveLength(1);
  });
});
