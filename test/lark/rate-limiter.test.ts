import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRateLimiter, type RateRule } from '../../src/lark/rate-limiter.js';
import { createLarkRateLimiter, DEFAULT_LIMITS } from '../../src/lark/sender.js';
import { manualTime } from './helpers.js';

function setup(rules: Record<string, RateRule[]>, marginMs = 0, burstToleranceMs = 0) {
  const time = manualTime();
  const limiter = createRateLimiter({ rules, marginMs, burstToleranceMs, now: time.now, sleep: time.sleep });
  const grants: Array<{ id: string; at: number }> = [];
  const take = (id: string, keys: string[]) =>
    limiter.acquire(keys).then((ticket) => {
      ticket.complete();
      grants.push({ id, at: time.now() });
    });
  return { time, limiter, grants, take };
}

describe('rate limiter (fake clock)', () => {
  it('spaces requests evenly under a smooth per-second app rule', async () => {
    const { time, grants, take } = setup({ app: [{ limit: 5, windowMs: 1000, smooth: true }] });
    for (let i = 0; i < 10; i++) void take(`m${i}`, ['app']);
    await time.advanceTo(5000);
    expect(grants.map((g) => g.at)).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800]);
  });

  it('adds the safety margin to the window', async () => {
    const { time, grants, take } = setup({ app: [{ limit: 4, windowMs: 1000, smooth: true }] }, 20);
    for (let i = 0; i < 3; i++) void take(`m${i}`, ['app']);
    await time.advanceTo(5000);
    expect(grants.map((g) => g.at)).toEqual([0, 255, 510]);
  });

  it('allows a burst up to the per-minute limit, then waits for the sliding minute window', async () => {
    const { time, grants, take } = setup({ app: [{ limit: 3, windowMs: 60_000 }] }, 0);
    void take('a', ['app']);
    await time.advanceTo(10_000);
    void take('b', ['app']);
    void take('c', ['app']);
    void take('d', ['app']);
    void take('e', ['app']);
    await time.advanceTo(200_000);
    // a at 0, b and c at 10 s; d when a leaves the window (60 s), e when b leaves it (70 s).
    expect(grants).toEqual([
      { id: 'a', at: 0 },
      { id: 'b', at: 10_000 },
      { id: 'c', at: 10_000 },
      { id: 'd', at: 60_000 },
      { id: 'e', at: 70_000 },
    ]);
  });

  it('enforces the per-second and per-minute app windows together', async () => {
    const limiter = setup(
      {
        app: [
          { limit: 10, windowMs: 1000, smooth: true },
          { limit: 15, windowMs: 60_000 },
        ],
      },
      0,
    );
    for (let i = 0; i < 20; i++) void limiter.take(`m${i}`, ['app']);
    await limiter.time.advanceTo(120_000);
    const at = limiter.grants.map((g) => g.at);
    expect(at.slice(0, 15)).toEqual(Array.from({ length: 15 }, (_, i) => i * 100));
    // The 16th waits for the first to leave the minute window, then spacing applies again.
    expect(at.slice(15)).toEqual([60_000, 60_100, 60_200, 60_300, 60_400]);
  });

  it('paces each chat separately and never lets a busy chat block the others', async () => {
    const { time, grants, take } = setup({
      app: [{ limit: 100, windowMs: 1000, smooth: true }],
      chat: [{ limit: 2, windowMs: 1000, smooth: true }],
    });
    for (let i = 0; i < 3; i++) void take(`A${i}`, ['app', 'chat:A']);
    for (let i = 0; i < 3; i++) void take(`B${i}`, ['app', 'chat:B']);
    await time.advanceTo(5000);
    expect(grants).toEqual([
      { id: 'A0', at: 0 },
      { id: 'B0', at: 10 },
      { id: 'A1', at: 500 },
      { id: 'B1', at: 510 },
      { id: 'A2', at: 1000 },
      { id: 'B2', at: 1010 },
    ]);
  });

  it('lets chats take turns when the app limit binds (a bulk to one chat does not delay the others)', async () => {
    const { time, grants, take } = setup({
      app: [{ limit: 10, windowMs: 1000, smooth: true }],
      chat: [{ limit: 100, windowMs: 1000, smooth: true }],
    });
    for (const chat of ['A', 'B', 'C']) for (let i = 0; i < 3; i++) void take(`${chat}${i}`, ['app', `chat:${chat}`]);
    await time.advanceTo(5000);
    expect(grants.map((g) => g.id)).toEqual(['A0', 'B0', 'C0', 'A1', 'B1', 'C1', 'A2', 'B2', 'C2']);
    expect(grants.map((g) => g.at)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800]);
  });

  it('keeps FIFO order within one chat and lets chats take turns', async () => {
    const { time, grants, take } = setup({
      app: [{ limit: 10, windowMs: 1000, smooth: true }],
      chat: [{ limit: 1, windowMs: 1000, smooth: true }],
      user: [{ limit: 1, windowMs: 1000, smooth: true }],
    });
    void take('c1', ['app', 'chat:X']);
    void take('c2', ['app', 'chat:X']);
    void take('u1', ['app', 'user:U']);
    void take('c3', ['app', 'chat:X']);
    void take('u2', ['app', 'user:U']);
    await time.advanceTo(10_000);
    expect(grants).toEqual([
      { id: 'c1', at: 0 },
      { id: 'u1', at: 100 },
      { id: 'c2', at: 1000 },
      { id: 'u2', at: 1100 },
      { id: 'c3', at: 2000 },
    ]);
  });

  it.each([
    { burstToleranceMs: 0, last: 1150 },
    { burstToleranceMs: 10, last: 1003 },
  ])('catches up with its schedule after late timers when burstToleranceMs allows it (%o)', async ({ burstToleranceMs, last }) => {
    const time = manualTime();
    const limiter = createRateLimiter({ rules: { app: [{ limit: 50, windowMs: 1000, smooth: true }] }, marginMs: 0, burstToleranceMs, now: time.now, sleep: time.sleep });
    const at: number[] = [];
    for (let i = 0; i < 51; i++) void limiter.acquire(['app']).then((t) => (t.complete(), at.push(time.now())));
    // Every timer fires 3 ms late. Without tolerance each gap becomes 23 ms; with it the schedule
    // holds (k * 20 - 7) and only the window log (51st >= 1st + 1000) delays the last one.
    await time.advanceTo(5000, 3);
    expect(at).toHaveLength(51);
    expect(at[50]).toBe(last);
  });

  it('does not burst after an idle period, whatever burstToleranceMs', async () => {
    const { time, grants, take } = setup({ app: [{ limit: 50, windowMs: 1000, smooth: true }] }, 0, 50);
    void take('first', ['app']);
    await time.advanceTo(500);
    for (let i = 0; i < 4; i++) void take(`m${i}`, ['app']);
    await time.advanceTo(1000);
    expect(grants.map((g) => g.at)).toEqual([0, 500, 520, 540, 560]);
  });

  it('records the real time when a request comes much later than its slot (no catch-up burst)', async () => {
    const { time, grants, take } = setup({ app: [{ limit: 10, windowMs: 1000, smooth: true }] });
    void take('a', ['app']);
    await time.advanceTo(1000);
    await time.advanceTo(1234);
    void take('b', ['app']);
    void take('c', ['app']);
    await time.advanceTo(5000);
    expect(grants).toEqual([
      { id: 'a', at: 0 },
      { id: 'b', at: 1234 },
      { id: 'c', at: 1334 },
    ]);
  });

  it('counts a window from when requests complete, and waits while `limit` are unanswered', async () => {
    const { time, limiter } = setup({ app: [{ limit: 2, windowMs: 1000 }] });
    const a = await limiter.acquire(['app']);
    const b = await limiter.acquire(['app']);
    let third: number | undefined;
    void limiter.acquire(['app']).then((t) => {
      third = time.now();
      t.complete();
    });
    await time.advanceTo(3000);
    expect(third).toBeUndefined();
    expect(limiter.nextAllowedAt(['app'])).toBe(Infinity);
    b.complete(); // answered at 3000: it may have reached the server as late as that
    await time.advanceTo(3500);
    expect(third).toBeUndefined();
    a.complete(3200);
    await time.advanceTo(10_000);
    // Fewer than 2 stamps may lie in the window: the 2nd-latest (b at 3000) must leave it.
    expect(third).toBe(4000);
    expect(limiter.inFlight()).toBe(0);
  });

  it('gives a refunded slot back to the window log but keeps the schedule', async () => {
    const { time, limiter, grants, take } = setup({ app: [{ limit: 3, windowMs: 60_000 }], chat: [{ limit: 1, windowMs: 1000, smooth: true }] });
    const tickets = await Promise.all([limiter.acquire(['app']), limiter.acquire(['app']), limiter.acquire(['app', 'chat:A'])]);
    for (const t of tickets) t.complete();
    tickets[2]!.refund();
    tickets[2]!.refund(); // idempotent
    void take('app-only', ['app']);
    void take('chat', ['app', 'chat:A']);
    await time.advanceTo(100_000);
    // The refund frees one minute-window slot at once; the chat schedule still holds the second one back.
    expect(grants).toEqual([
      { id: 'app-only', at: 0 },
      { id: 'chat', at: 60_000 },
    ]);
  });

  it('rejects waiters and new acquisitions after close', async () => {
    const { time, limiter, take } = setup({ app: [{ limit: 1, windowMs: 1000, smooth: true }] });
    await take('a', ['app']);
    const waiting = limiter.acquire(['app']);
    expect(limiter.pending()).toBe(1);
    limiter.close(new Error('closed for test'));
    await expect(waiting).rejects.toThrow('closed for test');
    await expect(limiter.acquire(['app'])).rejects.toThrow('closed for test');
    await time.advanceTo(5000);
  });

  it('builds the documented Lark defaults: 50/s and 1000/min per app, 5/s per chat and user', async () => {
    const time = manualTime();
    const limiter = createLarkRateLimiter(DEFAULT_LIMITS, time.now, time.sleep);
    const at: number[] = [];
    for (let i = 0; i < 6; i++) void limiter.acquire(['app', 'chat:oc_1']).then((t) => (t.complete(), at.push(time.now())));
    await time.advanceTo(10_000);
    // Chat interval (1000 + 5) / 5 = 201 ms; the 6th also waits for the window (5 per 1005 ms).
    expect(at).toEqual([0, 201, 402, 603, 804, 1005]);
    expect(limiter.nextAllowedAt(['app', 'chat:oc_1'])).toBeCloseTo(1206, 6);
    expect(limiter.nextAllowedAt(['app', 'user:ou_1'])).toBeLessThanOrEqual(10_000);
    const minute: number[] = [];
    for (let i = 0; i < 1001; i++) void limiter.acquire(['app', `chat:c${i}`]).then((t) => (t.complete(), minute.push(time.now())));
    await time.advanceTo(200_000);
    // 1000 per minute (+ margin): with the 6 above, minute[993] is the 1000th release in the
    // window opened at 0 and goes at 50/s; minute[994] waits until that window has passed.
    expect(minute).toHaveLength(1001);
    expect(minute[993]).toBeLessThan(31_000);
    expect(minute[994]).toBe(60_005);
  });

  // The guarantee as the server sees it: whenever in [release, completion] each request reaches the
  // server, no window of the nominal length holds more than `limit` of them - without any margin.
  it.each([
    { burstToleranceMs: 0, lateMs: 0 },
    { burstToleranceMs: 50, lateMs: 7 },
  ])('never lets the server count more than the limit in a window, whatever the latencies (property, %o)', async ({ burstToleranceMs, lateMs }) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            delay: fc.integer({ min: 0, max: 150 }),
            chat: fc.constantFrom('A', 'B', 'C', 'D'),
            latency: fc.integer({ min: 1, max: 2500 }),
            arrivalShare: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          { minLength: 30, maxLength: 80, size: 'max' },
        ),
        async (requests) => {
          const rules = {
            app: [
              { limit: 8, windowMs: 1000, smooth: true },
              { limit: 20, windowMs: 5_000 },
            ],
            chat: [{ limit: 3, windowMs: 1000, smooth: true }],
          };
          const time = manualTime();
          const limiter = createRateLimiter({ rules, marginMs: 0, burstToleranceMs, now: time.now, sleep: time.sleep });
          const arrivals: Array<{ chat: string; at: number }> = [];
          for (const r of requests) {
            await time.advanceTo(time.now() + r.delay, lateMs);
            void limiter.acquire(['app', `chat:${r.chat}`]).then((ticket) => {
              const released = time.now();
              arrivals.push({ chat: r.chat, at: released + r.arrivalShare * r.latency });
              void time.sleep(r.latency).then(() => ticket.complete());
            });
          }
          await time.advanceTo(time.now() + 200_000, lateMs);
          expect(arrivals).toHaveLength(requests.length);
          expect(limiter.inFlight()).toBe(0);
          const maxIn = (unsorted: number[], windowMs: number) => {
            const times = [...unsorted].sort((a, b) => a - b);
            let max = 0;
            for (let i = 0; i < times.length; i++) {
              let n = 0;
              for (let j = i; j < times.length && (times[j] as number) < (times[i] as number) + windowMs; j++) n++;
              max = Math.max(max, n);
            }
            return max;
          };
          const all = arrivals.map((a) => a.at);
          expect(maxIn(all, 1000)).toBeLessThanOrEqual(8);
          expect(maxIn(all, 5_000)).toBeLessThanOrEqual(20);
          for (const chat of ['A', 'B', 'C', 'D']) expect(maxIn(arrivals.filter((a) => a.chat === chat).map((a) => a.at), 1000)).toBeLessThanOrEqual(3);
        },
      ),
      { numRuns: 40 },
    );
  });
});
