/**
 * The repository layer on either engine (issue 17): the same calls give the same values on
 * SQLite and PostgreSQL — types (epoch milliseconds beyond int4, fractional points, counts as
 * numbers), literal text search, ids continuing, and the outbox claim and card recording staying
 * exactly-once when several connections (replicas) race.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AnyOpenedDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { claimDueOutbox, claimOutboxByKey, countOutboxByStatus, insertOutboxMessage, recordCard } from '../../src/db/outbox.repository.js';
import { insertScoreEntry, latestScores } from '../../src/db/score.repository.js';
import { insertUnit, searchUnits } from '../../src/db/unit.repository.js';
import { bindChat, findChat, findMemberAndChat } from '../../src/db/chat.repository.js';
import { markEventsProcessed } from '../../src/db/event.repository.js';
import { scopeGradingRows, scoredYearsUpTo } from '../../src/db/grading.repository.js';
import { recordInboxEvent } from '../../src/db/inbox.repository.js';
import { findMemberByOpenId, insertMember, markMemberRemoved } from '../../src/db/member.repository.js';
import { clearVetoes, insertVeto } from '../../src/db/score.repository.js';
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

  it("reads a message's sender and chat in one statement, as the two look-ups would", async () => {
    const { db } = opened[0]!;
    const member = await insertMember(db, { name: '王博文', openId: 'ou_wang', role: 'office', leadUnit: null, unitId: null, mobile: '13800000000', at: Date.parse('2099-01-01T00:00:00Z') });
    await insertMember(db, { name: '李四', openId: 'ou_li', role: 'secretary', leadUnit: null, unitId: null, at: 2 });
    await markMemberRemoved(db, (await findMemberByOpenId(db, 'ou_li'))!.id, 3);
    await bindChat(db, { chatId: 'oc_group', target: { kind: 'leadership' }, by: '王博文', at: 4 });
    const both = await findMemberAndChat(db, 'ou_wang', 'oc_group');
    expect(both.member).toEqual(await findMemberByOpenId(db, 'ou_wang'));
    expect(both.member).toEqual(member);
    expect(both.chat).toEqual(await findChat(db, 'oc_group'));
    expect(both.chat?.target).toEqual({ kind: 'leadership' });
    // Nobody, or a removed member; an unbound chat, or none asked for (one-to-one).
    expect(await findMemberAndChat(db, 'ou_nobody', 'oc_other')).toEqual({ member: undefined, chat: undefined });
    expect(await findMemberAndChat(db, 'ou_li', null)).toEqual({ member: undefined, chat: undefined });
    expect(await findMemberAndChat(db, 'ou_wang', null)).toEqual({ member, chat: undefined });
  });

  it('marks the inbox row done with the dedup marks, only when pending, and reports which ids were new', async () => {
    const { db } = opened[0]!;
    await recordInboxEvent(db, { eventId: 'ev_1', kind: 'message', chatId: 'oc_1', payload: { text: '帮助' }, at: 1 });
    await recordInboxEvent(db, { eventId: 'ev_2', kind: 'message', chatId: 'oc_1', payload: { text: '帮助' }, at: 1 });
    const inbox = () => db.selectFrom('inbox').select(['event_id', 'status', 'done_at']).orderBy('id').execute();
    expect([...(await markEventsProcessed(db, ['ev_1', 'message:om_1'], 10, { inboxDone: 'ev_1' }))].sort()).toEqual(['ev_1', 'message:om_1']);
    expect(await inbox()).toEqual([
      { event_id: 'ev_1', status: 'done', done_at: 10 },
      { event_id: 'ev_2', status: 'pending', done_at: null },
    ]);
    // Again (a replay): nothing new, the row keeps its first done time.
    expect([...(await markEventsProcessed(db, ['ev_1', 'message:om_1'], 20, { inboxDone: 'ev_1' }))]).toEqual([]);
    expect((await inbox())[0]).toEqual({ event_id: 'ev_1', status: 'done', done_at: 10 });
    // Without the option no inbox row is touched.
    expect([...(await markEventsProcessed(db, ['ev_2', 'message:om_1'], 30))]).toEqual(['ev_2']);
    expect((await inbox())[1]).toEqual({ event_id: 'ev_2', status: 'pending', done_at: null });
  });

  it("reads a scope's entries and vetoes of one or several years in one statement, now or as they stood at an instant", async () => {
    const { db } = opened[0]!;
    const street = await insertUnit(db, { name: '城东街道', level: 'street', parentId: null, at: 1 });
    const community = await insertUnit(db, { name: '城东社区', level: 'community', parentId: street.id, at: 1 });
    const other = await insertUnit(db, { name: '城西街道', level: 'street', parentId: null, at: 1 });
    for (const [unitId, year, itemCode, points, at] of [
      [street.id, 2025, '1.1', 3, 5],
      [community.id, 2025, '11.1', 7.5, 5],
      [community.id, 2026, '11.1', 8, 5],
      [community.id, 2026, '11.1', 9, 50],
      [community.id, 2024, '11.2', 1, 5],
      [other.id, 2026, '1.1', 4, 5],
    ] as const) await insertScoreEntry(db, { unitId, year, itemCode, points, by: '王博文', at, note: null });
    await insertVeto(db, { unitId: community.id, year: 2026, reason: '发生重大安全事故', by: '王博文', at: 6 });
    await insertVeto(db, { unitId: community.id, year: 2025, reason: '班子成员违纪', by: '王博文', at: 6 });
    await insertVeto(db, { unitId: street.id, year: 2025, reason: '已撤销', by: '王博文', at: 6 });
    await clearVetoes(db, { unitId: street.id, year: 2025, reason: '复核后撤销', by: '王博文', at: 40 });
    await insertVeto(db, { unitId: community.id, year: 2026, reason: '后设', by: '王博文', at: 60 });
    await insertVeto(db, { unitId: other.id, year: 2026, reason: '范围外', by: '王博文', at: 6 });
    const scope = { kind: 'subtree', rootId: street.id } as const;
    const entry = (unitId: number, year: number | undefined, itemCode: string, points: number) => expect.objectContaining({ unitId, year, itemCode, points });
    const byPoints = (rows: Array<{ points: number }>) => [...rows].sort((a, b) => a.points - b.points);

    const both = await scopeGradingRows(db, scope, [2026, 2025]);
    expect(byPoints(both.entries)).toEqual([entry(street.id, 2025, '1.1', 3), entry(community.id, 2025, '11.1', 7.5), entry(community.id, 2026, '11.1', 8), entry(community.id, 2026, '11.1', 9)]);
    expect(both.vetoes).toEqual([
      { unit_id: community.id, reason: '发生重大安全事故', year: 2026 },
      { unit_id: community.id, reason: '班子成员违纪', year: 2025 },
      { unit_id: community.id, reason: '后设', year: 2026 },
    ]);
    // The later entry of an item has the higher seq (the engine keeps it).
    const [first, later] = both.entries.filter((e) => e.year === 2026);
    expect(Math.sign(later!.seq - first!.seq)).toBe(later!.points === 9 ? 1 : -1);
    // One year: the same rows as the two-year read gives for it.
    for (const year of [2026, 2025]) {
      const one = await scopeGradingRows(db, scope, [year]);
      expect(byPoints(one.entries), `${year}`).toEqual(byPoints(both.entries.filter((e) => e.year === year).map(({ year: _, ...e }) => e)));
      expect(one.vetoes, `${year}`).toEqual(both.vetoes.filter((v) => v.year === year));
    }
    // As they stood at 45: the entry made at 50 and the veto set at 60 not yet, the veto cleared at 40 no longer.
    const then = await scopeGradingRows(db, scope, [2026, 2025], { asOf: 45 });
    expect(byPoints(then.entries)).toEqual([entry(street.id, 2025, '1.1', 3), entry(community.id, 2025, '11.1', 7.5), entry(community.id, 2026, '11.1', 8)]);
    expect(then.vetoes.map((v) => v.reason)).toEqual(['发生重大安全事故', '班子成员违纪']);
    // At 20 the cleared veto still stood.
    expect((await scopeGradingRows(db, scope, [2025], { asOf: 20 })).vetoes.map((v) => v.reason)).toEqual(['班子成员违纪', '已撤销']);
    // Every unit: the other street's rows too.
    expect((await scopeGradingRows(db, { kind: 'all' }, [2026])).entries).toHaveLength(3);
    expect(await scopeGradingRows(db, scope, [])).toEqual({ entries: [], vetoes: [] });
    expect(await scoredYearsUpTo(db, 2027)).toEqual([2026, 2025, 2024]);
    expect(await scoredYearsUpTo(db, 2025)).toEqual([2025, 2024]);
    expect(await scoredYearsUpTo(db, 2023)).toEqual([]);
  });

  it('claims a reply by key once; the caller that recorded it gets its payload back without the row being read', async () => {
    const { db } = opened[0]!;
    const stored = { messageId: 'om_1', msgType: 'text', content: { text: '已记录' } };
    expect(await insertOutboxMessage(db, { key: 'reply:om_1', kind: 'reply', chatId: 'oc_1', payload: stored, at: 5 })).toBe(true);
    expect(await insertOutboxMessage(db, { key: 'reply:om_2', kind: 'reply', chatId: 'oc_1', payload: stored, at: 5 })).toBe(true);
    const known = { messageId: 'om_1', msgType: 'text', content: { text: '内存里的' } };
    const mine = await claimOutboxByKey(db, { key: 'reply:om_1', now: 10, worker: 'w1', leaseMs: 1000, payload: known });
    expect(mine).toMatchObject({ key: 'reply:om_1', chatId: 'oc_1', status: 'sending', claimedBy: 'w1', claimExpiresAt: 1010, attempts: 0, payload: known });
    expect(await claimOutboxByKey(db, { key: 'reply:om_1', now: 11, worker: 'w2', leaseMs: 1000, payload: known })).toBeUndefined();
    expect(await claimOutboxByKey(db, { key: 'reply:om_2', now: 10, worker: 'w1', leaseMs: 1000 })).toMatchObject({ key: 'reply:om_2', status: 'sending', payload: stored });
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
