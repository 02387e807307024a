/**
 * The shared Lark rate limiter (issue 17): grants in PostgreSQL's rate_bucket rows, one statement
 * per grant over all of a call's keys, on the database's clock.
 * - On either PostgreSQL (embedded or server): a grant keeps a key's spacing and its windows (a
 *   request in flight counts as far ahead, settled as of its answer, refunded not at all), holds
 *   several keys together, and creates a key's row on first use.
 * - On a real server: three pools (three "replicas"), each with its own shared limiter and 100
 *   concurrent acquirers, never exceed any rule in any window, whether a request is counted when
 *   released, when its answer arrives or anywhere between.
 * - On SQLite a grant is refused (the one process paces in memory; test/bot/shared-limiter.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyOpenedDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { grantRateSlot, rateSlotStore, settleRateSlot, type RateSlotKey } from '../../src/db/rate.repository.js';
import type { RateRule } from '../../src/lark/rate-limiter.js';
import { createSharedRateLimiter } from '../../src/lark/shared-rate-limiter.js';
import { allRows, onPostgres, openTestDatabase } from '../support/database.js';
import { mulberry32 } from '../support/prng.js';

const opened: AnyOpenedDatabase[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

async function fresh(file = ':memory:'): Promise<AnyOpenedDatabase> {
  const o = await openTestDatabase(file);
  opened.push(o);
  await migrateToLatest(o.db);
  return o;
}

/** Spaced a minute apart: a second grant at once is surely refused, whatever the machine's speed. */
const SPACED: RateSlotKey = { key: 'app', intervalMs: 60_000, toleranceMs: 0, windows: [] };
/** At most 2 in any minute, not spaced. */
const WINDOWED: RateSlotKey = { key: 'app', intervalMs: 0, toleranceMs: 0, windows: [{ limit: 2, windowMs: 60_000 }] };
const chat = (id: string): RateSlotKey => ({ key: `chat:${id}`, intervalMs: 60_000, toleranceMs: 0, windows: [] });
const FLIGHT = { inFlightMs: 30_000 };

/** Most entries of `times` (any order) within any window of `windowMs` (a stamp `windowMs` old has left it). */
function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

describe.runIf(onPostgres)('grantRateSlot on PostgreSQL', () => {
  it('grants at once on a fresh key (creating its row) and refuses until its spacing has passed', async () => {
    const o = await fresh();
    expect(await allRows(o, 'select * from rate_bucket')).toHaveLength(0);
    const first = await grantRateSlot(o.db, [SPACED], FLIGHT);
    expect(first).toMatchObject({ granted: true, marker: first.now + 30_000, free: {}, next: { app: first.now + 60_000 } });
    const second = await grantRateSlot(o.db, [SPACED], FLIGHT);
    expect(second).toMatchObject({ granted: false, free: { app: first.now + 60_000 }, next: {} });
    expect(second.now).toBeGreaterThanOrEqual(first.now);
    const rows = await allRows<{ key: string; tat: number; log: number[] }>(o, 'select key, tat, log from rate_bucket');
    expect(rows).toEqual([{ key: 'app', tat: first.now + 60_000, log: [] }]);
  });

  it('keeps a window: in flight a request counts as far ahead, settled as of its answer; a refund removes it', async () => {
    const o = await fresh();
    const a = await grantRateSlot(o.db, [WINDOWED], FLIGHT);
    const b = await grantRateSlot(o.db, [WINDOWED], FLIGHT);
    expect([a.granted, b.granted]).toEqual([true, true]);
    // Two in flight: the window is full until the older one's in-flight stamp leaves it.
    const full = await grantRateSlot(o.db, [WINDOWED], FLIGHT);
    expect(full).toMatchObject({ granted: false, free: { app: a.marker + 60_000 } });
    // Its answer arrived at a.now + 3: the window frees a minute after that. (A time not yet
    // reached on the database clock is taken as now: wait until it has passed.)
    await new Promise((r) => setTimeout(r, 10));
    await settleRateSlot(o.db, ['app'], a.marker, { at: a.now + 3 });
    expect(await grantRateSlot(o.db, [WINDOWED], FLIGHT)).toMatchObject({ granted: false, free: { app: a.now + 3 + 60_000 } });
    expect((await allRows<{ log: number[] }>(o, 'select log from rate_bucket'))[0]!.log).toEqual([a.now + 3, b.marker]);
    // Lark refused b as rate limited (not counted): removed, there is room again.
    await settleRateSlot(o.db, ['app'], b.marker, { refund: true });
    const c = await grantRateSlot(o.db, [WINDOWED], FLIGHT);
    expect(c.granted).toBe(true);
    expect((await allRows<{ log: number[] }>(o, 'select log from rate_bucket'))[0]!.log).toEqual([a.now + 3, c.marker]);
    // Settled without a time: the database's clock then (after the grant, before now).
    await settleRateSlot(o.db, ['app'], c.marker);
    const [stamped] = (await allRows<{ log: number[] }>(o, 'select log from rate_bucket'))[0]!.log.slice(1);
    expect(stamped).toBeGreaterThanOrEqual(c.now);
    expect(stamped).toBeLessThan(c.marker);
  });

  it('grants several keys together only when all are free; a busy chat holds only itself', async () => {
    const o = await fresh();
    const app: RateSlotKey = { key: 'app', intervalMs: 0, toleranceMs: 0, windows: [] };
    const first = await grantRateSlot(o.db, [app, chat('a')], FLIGHT);
    expect(first).toMatchObject({ granted: true, next: { app: first.now, 'chat:a': first.now + 60_000 } });
    const busy = await grantRateSlot(o.db, [app, chat('a')], FLIGHT);
    expect(busy.granted).toBe(false);
    expect(busy.free['chat:a']).toBe(first.now + 60_000);
    expect(busy.free.app).toBeLessThanOrEqual(busy.now);
    expect(await grantRateSlot(o.db, [app, chat('b')], FLIGHT)).toMatchObject({ granted: true });
    expect((await allRows<{ key: string }>(o, 'select key from rate_bucket order by key')).map((r) => r.key)).toEqual(['app', 'chat:a', 'chat:b']);
  });

  it('forgets keys idle for longer than asked, and a forgotten key is created again when used', async () => {
    const o = await fresh();
    const store = rateSlotStore(o.db, { idleMs: 60_000 });
    await store.grant([WINDOWED, chat('a')], FLIGHT);
    expect(await store.prune()).toBe(0);
    await o.db.updateTable('rate_bucket').set({ updated_at: 0 }).where('key', '=', 'chat:a').execute();
    expect(await store.prune()).toBe(1);
    expect(await store.grant([WINDOWED, chat('a')], FLIGHT)).toMatchObject({ granted: true });
  });
});

describe.runIf(!onPostgres)('grantRateSlot on SQLite', () => {
  it('is refused: the single process paces in memory', async () => {
    const o = await fresh();
    await expect(grantRateSlot(o.db, [SPACED], FLIGHT)).rejects.toThrow(/needs PostgreSQL/);
    expect(await allRows(o, 'select * from rate_bucket')).toHaveLength(0);
  });
});

// Compressed rules (as the app's 50/s + 1,000/min and 5/s per chat, faster): 100/s spaced, at
// most 120 in any 2 s, 10/s per chat. 3 pools × 100 acquisitions (30 chats, and 10 of each
// pool's to one hot chat) take a bit over 4 s.
const RULES: Record<string, RateRule[]> = {
  app: [
    { limit: 100, windowMs: 1000, smooth: true },
    { limit: 120, windowMs: 2000 },
  ],
  chat: [{ limit: 10, windowMs: 1000, smooth: true }],
};
const POOLS = 3;
const PER_POOL = 100;
const CHATS = 30;
/** Besides, each pool sends this many to one hot chat: the pools contend for it. */
const HOT = 10;

interface Request {
  keys: string[];
  released: number;
  completed: number;
  /** When "Lark" counted it: any moment between release and completion (seeded). */
  counted: number;
}

describe.runIf(onPostgres)('the shared limiter across pools', () => {
  it.skipIf(!process.env.TEST_DATABASE_URL)(
    `3 pools × ${PER_POOL} concurrent acquirers never exceed 100/s, 120/2 s or 10/s per chat in any window, wherever in its flight a request is counted (needs TEST_DATABASE_URL: real server)`,
    async () => {
      const file = `rate-bucket-pools-${process.pid}`;
      const first = await fresh(file);
      // More pools on the same schema: separate connections, as separate replicas have.
      const pools = [first, ...(await Promise.all(Array.from({ length: POOLS - 1 }, () => openTestDatabase(file))))];
      opened.push(...pools.slice(1));
      const random = mulberry32(17);
      const requests: Request[] = [];
      const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
      const now = () => performance.now();
      const limiters = pools.map((pool) => createSharedRateLimiter({ rules: RULES, now, sleep, store: rateSlotStore(pool.db) }));
      await Promise.all(
        limiters.map((limiter, p) =>
          Promise.all(
            Array.from({ length: PER_POOL }, async (_, i) => {
              const keys = ['app', i < HOT ? 'chat:hot' : `chat:c${(p * PER_POOL + i) % CHATS}`];
              const ticket = await limiter.acquire(keys);
              const released = now();
              // The request's flight: 0-40 ms.
              await sleep(random() * 40);
              const completed = now();
              ticket.complete();
              requests.push({ keys, released, completed, counted: released + random() * (completed - released) });
            }),
          ),
        ),
      );
      for (const l of limiters) expect({ pending: l.pending(), inFlight: l.inFlight() }).toEqual({ pending: 0, inFlight: 0 });
      expect(requests).toHaveLength(POOLS * PER_POOL);

      const most = (at: (r: Request) => number) => {
        const chats = [...new Set(requests.map((r) => r.keys[1]!))];
        return {
          perSecond: maxInWindow(requests.map(at), 1000),
          perTwoSeconds: maxInWindow(requests.map(at), 2000),
          perChat: Math.max(...chats.map((c) => maxInWindow(requests.filter((r) => r.keys[1] === c).map(at), 1000))),
        };
      };
      for (const at of [(r: Request) => r.released, (r: Request) => r.completed, (r: Request) => r.counted]) {
        const found = most(at);
        expect(found.perSecond).toBeLessThanOrEqual(100);
        expect(found.perTwoSeconds).toBeLessThanOrEqual(120);
        expect(found.perChat).toBeLessThanOrEqual(10);
      }
      // 300 need at least two full 2 s windows; the hot chat's 30 at least 2.9 s.
      const span = (list: Request[]) => Math.max(...list.map((r) => r.released)) - Math.min(...list.map((r) => r.released));
      expect(span(requests)).toBeGreaterThanOrEqual(4000);
      expect(span(requests.filter((r) => r.keys[1] === 'chat:hot'))).toBeGreaterThanOrEqual(2900);
      // The store's logs hold every window's requests, all settled (settling runs behind the
      // tickets: no in-flight stamp, far ahead, is left once it is done).
      const inFlight = async () => (await allRows<{ n: number }>(first, 'select count(*) as n from rate_bucket, unnest(log) as u(x) where u.x > extract(epoch from clock_timestamp()) * 1000 + 1000'))[0]!.n;
      for (let i = 0; i < 100 && (await inFlight()) > 0; i++) await sleep(20);
      expect(await inFlight()).toBe(0);
      const app = await allRows<{ log: number[] }>(first, "select log from rate_bucket where key = 'app'");
      expect(app[0]!.log).toHaveLength(120);
    },
    60_000,
  );
});
