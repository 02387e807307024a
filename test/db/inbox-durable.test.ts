/**
 * PostgreSQL connections commit asynchronously (openPostgres), the inbox record too; Lark is
 * acknowledged for a record only after awaitDurableCommits, one statement whose own commit waits
 * for the WAL flush, and the inbox's durable() shares one such flush among concurrent callers.
 * Checked on the real server: pg_current_wal_flush_lsn() has passed the records' WAL when the
 * call returns, and with the WAL counters (pg_stat_wal.wal_sync counts the flushes): N records
 * flush a handful of times (the WAL writer's own flushes), N calls one after another flush at
 * least N times, N concurrent durable() calls at most a few. Other tests on the server can only
 * add flushes to the counts, so only the lower bound and the sequential/plain contrast are checked
 * strictly; the concurrent bound leaves room for the WAL writer. A message's acknowledgement
 * waiting with a grace is made durable by its own settle (settleMessage commits durably).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { markEventProcessed, settleMessage } from '../../src/db/event.repository.js';
import { awaitDurableCommits, recordInboxEvent } from '../../src/db/inbox.repository.js';
import { createInbox } from '../../src/bot/inbox.js';
import { fixedClock } from '../../src/clock.js';
import { openPostgres, type OpenedPostgres } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

const url = process.env.TEST_DATABASE_URL;
const onServer = process.env.DANGJIAN_TEST_DIALECT === 'postgres' && url !== undefined;
const N = 100;

let opened: OpenedPostgres | undefined;
afterAll(async () => {
  await opened?.close();
});

/** The server's WAL flush count, this backend's own pending counts included (stats are shared lazily). */
async function walSyncs(o: OpenedPostgres): Promise<number> {
  await sql`SELECT pg_stat_force_next_flush()`.execute(o.db);
  await sql`SELECT 1`.execute(o.db);
  return Number((await sql<{ n: number }>`SELECT wal_sync AS n FROM pg_stat_wal`.execute(o.db)).rows[0]!.n);
}

describe('inbox records are made durable on PostgreSQL before Lark is acknowledged', () => {
  it.skipIf(!onServer)(`${onServer ? '' : 'skipped: needs the PostgreSQL server (TEST_DATABASE_URL) and the postgres project: '}${N} records do not each wait for a flush; awaitDurableCommits flushes past them; concurrent durable() calls share flushes`, async () => {
    const schema = `inbox_durable_${process.pid}`;
    const admin = await openPostgres(url!, { max: 1 });
    await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`).execute(admin.db);
    await admin.close();
    const u = new URL(url!);
    u.searchParams.set('options', `-c search_path=${schema}`);
    opened = await openPostgres(u.toString(), { max: 4 });
    await migrateToLatest(opened.db);
    const db = opened.db;
    const lsnPassed = async (lsn: string) => (await sql<{ ok: boolean }>`SELECT pg_current_wal_flush_lsn() >= ${lsn}::pg_lsn AS ok`.execute(db)).rows[0]!.ok;
    try {
      const before = await walSyncs(opened);
      for (let i = 0; i < N; i++) await markEventProcessed(db, `plain-${i}`, i);
      const plain = (await walSyncs(opened)) - before;

      const start = await walSyncs(opened);
      for (let i = 0; i < N; i++) {
        expect(await recordInboxEvent(db, { eventId: `ev-${i}`, kind: 'message', chatId: 'oc_x', payload: { i }, at: i })).toBe(true);
      }
      const recorded = (await walSyncs(opened)) - start;
      // A redelivery records nothing.
      expect(await recordInboxEvent(db, { eventId: 'ev-0', kind: 'message', chatId: 'oc_x', payload: {}, at: 0 })).toBe(false);
      expect(plain).toBeLessThan(N / 2);
      expect(recorded).toBeLessThan(N / 2);

      // The last record's WAL is flushed when awaitDurableCommits returns.
      await recordInboxEvent(db, { eventId: 'ev-last', kind: 'message', chatId: 'oc_x', payload: {}, at: 0 });
      const written = (await sql<{ lsn: string }>`SELECT pg_current_wal_insert_lsn()::text AS lsn`.execute(db)).rows[0]!.lsn;
      await awaitDurableCommits(db);
      expect(await lsnPassed(written)).toBe(true);

      const sequentialStart = await walSyncs(opened);
      for (let i = 0; i < N; i++) await awaitDurableCommits(db);
      const sequential = (await walSyncs(opened)) - sequentialStart;
      expect(sequential).toBeGreaterThanOrEqual(N);

      // The inbox: N events recorded at once, then N acknowledgements waiting at once.
      const inbox = createInbox(db, fixedClock(new Date('2026-03-02T02:00:00Z')));
      await Promise.all(Array.from({ length: N }, (_, i) => inbox.record({ kind: 'message', eventId: `burst-${i}`, chatId: 'oc_x', msg: { i } as never })));
      const burstWritten = (await sql<{ lsn: string }>`SELECT pg_current_wal_insert_lsn()::text AS lsn`.execute(db)).rows[0]!.lsn;
      const concurrentStart = await walSyncs(opened);
      await Promise.all(Array.from({ length: N }, () => inbox.durable()));
      const concurrent = (await walSyncs(opened)) - concurrentStart;
      expect(await lsnPassed(burstWritten)).toBe(true);
      expect(concurrent).toBeGreaterThanOrEqual(1);
      expect(concurrent).toBeLessThan(N / 4);

      // A message's acknowledgement waiting with a grace is made durable by its own settle (a
      // commit that waits for the flush): long before the grace ends, and past the record's WAL.
      await inbox.record({ kind: 'message', eventId: 'settled-1', chatId: 'oc_x', msg: { i: 0 } as never });
      const settledWritten = (await sql<{ lsn: string }>`SELECT pg_current_wal_insert_lsn()::text AS lsn`.execute(db)).rows[0]!.lsn;
      const acknowledged = inbox.durable({ graceMs: 60_000 }).then(() => 'durable');
      await settleMessage(db, { eventIds: ['settled-1', 'om_settled-1'], at: 1, inboxDone: 'settled-1' });
      expect(await Promise.race([acknowledged, new Promise((r) => setTimeout(() => r('still waiting'), 5000))])).toBe('durable');
      expect(await lsnPassed(settledWritten)).toBe(true);
      // Even a settle that writes nothing new (a repeat) writes the few bytes its flush needs.
      await inbox.record({ kind: 'message', eventId: 'settled-2', chatId: 'oc_x', msg: { i: 0 } as never });
      const repeatWritten = (await sql<{ lsn: string }>`SELECT pg_current_wal_insert_lsn()::text AS lsn`.execute(db)).rows[0]!.lsn;
      const repeatAcknowledged = inbox.durable({ graceMs: 60_000 }).then(() => 'durable');
      await settleMessage(db, { eventIds: ['settled-1', 'om_settled-1'], at: 1, inboxDone: 'settled-1' });
      expect(await Promise.race([repeatAcknowledged, new Promise((r) => setTimeout(() => r('still waiting'), 5000))])).toBe('durable');
      expect(await lsnPassed(repeatWritten)).toBe(true);
    } finally {
      await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(opened.db).catch(() => undefined);
    }
  });
});
