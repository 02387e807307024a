/**
 * PostgreSQL connections commit asynchronously (openPostgres), except the inbox record Lark is
 * acknowledged for: one statement whose own commit waits for the WAL flush. Checked on the real
 * server with its WAL counters (pg_stat_wal.wal_sync counts the flushes): N records one after
 * another flush N times; N ordinary inserts on the same pool flush a handful of times (the WAL
 * writer's own flushes). Other tests on the server can only add flushes to both counts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { markEventProcessed } from '../../src/db/event.repository.js';
import { recordInboxEvent } from '../../src/db/inbox.repository.js';
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

describe('the inbox record is a synchronous commit on PostgreSQL', () => {
  it.skipIf(!onServer)(`${onServer ? '' : 'skipped: needs the PostgreSQL server (TEST_DATABASE_URL) and the postgres project: '}${N} inbox records flush the WAL ${N} times, ${N} ordinary inserts do not`, async () => {
    const schema = `inbox_durable_${process.pid}`;
    const admin = await openPostgres(url!, { max: 1 });
    await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`).execute(admin.db);
    await admin.close();
    const u = new URL(url!);
    u.searchParams.set('options', `-c search_path=${schema}`);
    opened = await openPostgres(u.toString(), { max: 1 });
    await migrateToLatest(opened.db);
    try {
      const before = await walSyncs(opened);
      for (let i = 0; i < N; i++) await markEventProcessed(opened.db, `plain-${i}`, i);
      const plain = (await walSyncs(opened)) - before;

      const start = await walSyncs(opened);
      for (let i = 0; i < N; i++) {
        expect(await recordInboxEvent(opened.db, { eventId: `ev-${i}`, kind: 'message', chatId: 'oc_x', payload: { i }, at: i })).toBe(true);
      }
      const durable = (await walSyncs(opened)) - start;
      // A redelivery records nothing.
      expect(await recordInboxEvent(opened.db, { eventId: 'ev-0', kind: 'message', chatId: 'oc_x', payload: {}, at: 0 })).toBe(false);
      expect(durable).toBeGreaterThanOrEqual(N);
      expect(plain).toBeLessThan(N / 2);
    } finally {
      await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(opened.db).catch(() => undefined);
    }
  });
});
