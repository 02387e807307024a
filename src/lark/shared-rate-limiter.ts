/**
 * A pacing rate limiter whose slots live in a store every replica shares (issue 17: the
 * PostgreSQL `rate_bucket` rows, src/db/rate.repository.ts), so the app's 50/s and 1,000/min
 * and each chat's 5/s hold for all processes together. Same RateLimiter interface as the
 * in-memory one (src/lark/rate-limiter.ts), which a single process (SQLite) keeps using.
 *
 * - `acquire(keys)` reserves one slot for all keys together in the store (one atomic statement on
 *   the store's clock) and waits until it. A slot is stamped when reserved, not when the answer
 *   arrives (the replicas cannot see each other's requests in flight), so every window carries a
 *   margin (`marginMs`, LarkRateLimits.sharedMarginMs) for the spread between a slot and its
 *   arrival at Lark: timer lateness and network time. Over-reservation only slows; a slot is
 *   never shared.
 * - A `smooth` rule spaces slots (effective window / limit) apart, which also keeps that rule's
 *   window; other rules (the per-minute ones) are sliding windows over the store's latest slots.
 * - The first key (`app`) is the shared schedule; the others (a chat, a user, a message) are
 *   narrow. A reservation takes the latest of all keys' next slots and moves every key past it,
 *   so a busy chat would push the app's schedule ahead and waste its slots. Hence calls for the
 *   same keys queue locally (FIFO, one reservation at a time), a call first waits locally until
 *   its narrow keys are free as last seen, and the store refuses a reservation whose narrow keys
 *   are busy past the app's next slot (another replica's call to the same chat): the call waits
 *   until they are free and tries again (after `maxRefusals`, it takes the later slot).
 * - A call released more than `lateMs` after its slot (a stalled event loop) takes a new slot
 *   rather than land in the window of the slots after its own.
 * - complete() and refund() only settle the ticket: a slot, once reserved, stays taken.
 */
import type { RateLimiter, RateRule, RateTicket } from './rate-limiter.js';

/** One key of a reservation and its rules (windows include the margin). */
export interface SlotKeyRules {
  key: string;
  intervalMs: number;
  windows: Array<{ limit: number; windowMs: number }>;
}

/** Where the shared slots are kept; times on the store's clock (ms), shared by every replica. */
export interface RateSlotStore {
  /**
   * Reserves the earliest slot for all keys together: `at`, the store's `now`, each key's `next`
   * spaced slot. The first key is the shared one; when the others are busy past its next slot the
   * store may refuse (`granted: false`, try again at `at`), unless `force`.
   */
  reserve(keys: SlotKeyRules[], options?: { force?: boolean }): Promise<{ granted: boolean; at: number; now: number; next: Record<string, number> }>;
  /** Forgets long idle keys (called now and then, failures ignored). */
  prune?(): Promise<unknown>;
}

export interface SharedRateLimiterOptions {
  store: RateSlotStore;
  /** Rules per key class, as createRateLimiter's. */
  rules: Record<string, RateRule[]>;
  /** Added to every window (ms): covers the spread between a reserved slot and its arrival at Lark. */
  marginMs: number;
  /** This process's monotonic time (ms), for tickets and local waits. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Reservation attempts when the store fails (connection lost), 100 ms, 200 ms, … apart. Default 4. */
  storeAttempts?: number;
  /** Prune the store every this many reservations. Default 1,000. */
  pruneEvery?: number;
  /** Refusals (narrow keys busy) after which a call takes the later slot anyway. Default 5. */
  maxRefusals?: number;
  /** A call released more than this late (ms) takes a new slot instead. Default marginMs / 2. */
  lateMs?: number;
  /** How many times a call released late takes a new slot before it goes anyway. Default 3. */
  maxLate?: number;
}

const keyClass = (key: string): string => {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
};

export function createSharedRateLimiter(options: SharedRateLimiterOptions): RateLimiter {
  if (!(options.marginMs >= 0)) throw new RangeError('marginMs must be >= 0');
  const compiled = new Map<string, Omit<SlotKeyRules, 'key'>>();
  for (const [cls, rules] of Object.entries(options.rules)) {
    let intervalMs = 0;
    const windows: SlotKeyRules['windows'] = [];
    for (const r of rules) {
      if (!(r.limit >= 1) || !(r.windowMs > 0)) throw new RangeError(`bad rate rule for ${cls}: ${JSON.stringify(r)}`);
      const limit = Math.floor(r.limit);
      const windowMs = r.windowMs + options.marginMs;
      // Slots `windowMs / limit` apart keep the window by themselves.
      if (r.smooth) intervalMs = Math.max(intervalMs, windowMs / limit);
      else windows.push({ limit, windowMs });
    }
    compiled.set(cls, { intervalMs, windows });
  }
  const rulesFor = (key: string): SlotKeyRules => ({ key, ...(compiled.get(keyClass(key)) ?? { intervalMs: 0, windows: [] }) });
  const attempts = options.storeAttempts ?? 4;
  const pruneEvery = options.pruneEvery ?? 1000;
  const maxRefusals = options.maxRefusals ?? 5;
  const lateMs = options.lateMs ?? options.marginMs / 2;
  const maxLate = options.maxLate ?? 3;

  /** Local time (per `now`) at which each key was last seen free again. */
  const freeAt = new Map<string, number>();
  /** Per exact key set: the previous call's reservation (calls of a lane reserve in order). */
  const lanes = new Map<string, Promise<unknown>>();
  const waiters = new Set<(e: Error) => void>();
  let unsettled = 0;
  let reservations = 0;
  let closedWith: Error | undefined;

  const notClosed = () => {
    if (closedWith) throw closedWith;
  };

  // The store's clock, seen from here: its reading lies between our send and receipt of a
  // reservation, so "store - local" is at least `storeNow - receivedAt`. The largest such bound
  // seen is the tightest (the reservation answered fastest) and never maps a slot earlier than it
  // is; it gives way by 1 ms per second of age, so that a stepped or drifting clock is followed.
  let bound: { offset: number; at: number } | undefined;
  const toLocal = (storeNow: number, receivedAt: number): number => {
    const offset = storeNow - receivedAt;
    if (!bound || offset >= bound.offset - (receivedAt - bound.at) / 1000) bound = { offset, at: receivedAt };
    return storeNow - bound.offset;
  };

  const remember = (next: Record<string, number>, storeNow: number, localNow: number) => {
    for (const [k, at] of Object.entries(next)) freeAt.set(k, localNow + (at - storeNow));
    if (freeAt.size > 10_000) for (const [k, at] of freeAt) if (at < localNow) freeAt.delete(k);
  };

  /** Reserves a slot for `keys`: its local time. */
  const reserve = async (keys: readonly string[]): Promise<number> => {
    const rules = keys.map(rulesFor);
    let failures = 0;
    let refusals = 0;
    for (;;) {
      notClosed();
      let r: Awaited<ReturnType<RateSlotStore['reserve']>>;
      let localNow: number;
      try {
        r = await options.store.reserve(rules, { force: refusals >= maxRefusals });
        localNow = toLocal(r.now, options.now());
      } catch (e) {
        if (++failures >= attempts || closedWith) throw e;
        await options.sleep(100 * 2 ** (failures - 1));
        continue;
      }
      const at = localNow + (r.at - r.now);
      if (r.granted) {
        remember(r.next, r.now, localNow);
        if (++reservations % pruneEvery === 0) options.store.prune?.().catch(() => {});
        return at;
      }
      // A narrow key is busy (another replica's call): wait until it is free, then try again.
      refusals++;
      for (const k of keys.slice(1)) freeAt.set(k, Math.max(freeAt.get(k) ?? -Infinity, at));
      await options.sleep(Math.max(1, at - options.now()));
    }
  };

  const ticketFor = (at: number): RateTicket => {
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      unsettled--;
    };
    return { at, complete: settle, refund: settle };
  };

  const acquireNow = async (keys: readonly string[], laneTurn: Promise<unknown>, reserved: (v: unknown) => void): Promise<RateTicket> => {
    let at: number;
    try {
      await laneTurn;
      // Narrow keys first, locally: reserving while one is busy would push the app's schedule.
      for (;;) {
        notClosed();
        const wait = Math.max(0, ...keys.slice(1).map((k) => (freeAt.get(k) ?? 0) - options.now()));
        if (wait < 1) break;
        await options.sleep(wait);
      }
      at = await reserve(keys);
    } finally {
      reserved(undefined);
    }
    for (let late = 0; ; ) {
      notClosed();
      const wait = at - options.now();
      if (wait >= 1) {
        await options.sleep(wait);
        continue;
      }
      // Released too late (a stalled event loop): sent now, it could land in the next slots'
      // window. Take a new slot instead (the old one stays unused), at most `maxLate` times.
      if (-wait <= lateMs || ++late > maxLate) break;
      at = await reserve(keys);
    }
    notClosed();
    unsettled++;
    return ticketFor(options.now());
  };

  const nextAllowedAt = (keys: readonly string[]): number => Math.max(-Infinity, ...keys.map((k) => freeAt.get(k) ?? -Infinity));

  return {
    acquire(keys) {
      if (closedWith) return Promise.reject(closedWith);
      const laneKey = keys.join('\u0000');
      const turn = lanes.get(laneKey) ?? Promise.resolve();
      let reserved!: (v: unknown) => void;
      const mine = new Promise((resolve) => (reserved = resolve));
      lanes.set(laneKey, mine);
      void mine.then(() => {
        if (lanes.get(laneKey) === mine) lanes.delete(laneKey);
      });
      return new Promise<RateTicket>((resolve, reject) => {
        waiters.add(reject);
        acquireNow(keys, turn, reserved).then(
          (t) => {
            waiters.delete(reject);
            resolve(t);
          },
          (e: unknown) => {
            waiters.delete(reject);
            reject(e as Error);
          },
        );
      });
    },
    nextAllowedAt,
    pending: () => waiters.size,
    inFlight: () => unsettled,
    close(reason) {
      if (closedWith) return;
      closedWith = reason ?? new Error('rate limiter closed');
      for (const reject of waiters) reject(closedWith);
      waiters.clear();
    },
  };
}
