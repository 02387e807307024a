/**
 * A pacing rate limiter whose state lives in a store every replica shares (issue 17: the
 * PostgreSQL `rate_bucket` rows, src/db/rate.repository.ts), so the app's 50/s and 1,000/min
 * and each chat's 5/s hold for all processes together. Same RateLimiter interface and the same
 * rules as the in-memory limiter (src/lark/rate-limiter.ts), which a single process (SQLite)
 * keeps using.
 *
 * - Safety as in memory: every rule is a sliding-window log of `limit` per `windowMs + marginMs`
 *   whose entries are stamped when the request COMPLETES (settled), counting as "now or later"
 *   while in flight. The store grants a request only when every window has room NOW (one atomic
 *   statement on the store's clock, shared by all replicas): nothing is reserved ahead, so a
 *   request released late (a stalled event loop) cannot crowd the ones after it.
 * - Smoothness: a `smooth` rule spaces grants (effective window / limit) apart on a schedule
 *   that a grant up to `burstToleranceMs` late keeps, so the next ones catch up.
 * - One pump per process asks the store, one call at a time, for the waiter whose keys are free
 *   as last seen (lanes per exact key set, FIFO within a lane, lanes in turn), and sleeps until
 *   the earliest key is free again (at most `pollMs`: other replicas' requests complete and free
 *   the windows unseen). A busy chat never holds up the others.
 * - A ticket's complete() stamps the request in the store (refund(): removes it, Lark did not
 *   count it). A replica that dies with requests in flight leaves stamps that expire `inFlightMs`
 *   after their grant.
 */
import type { RateLimiter, RateRule, RateTicket } from './rate-limiter.js';

/** One key of a grant and its rules (windows include the margin). */
export interface SlotKeyRules {
  key: string;
  intervalMs: number;
  toleranceMs: number;
  windows: Array<{ limit: number; windowMs: number }>;
}

/** Where the shared state is kept; times on the store's clock (ms), shared by every replica. */
export interface RateSlotStore {
  /**
   * Grants one request for all keys together if they all allow it now: `marker` identifies it
   * for settle(); not granted, `free` says when each key is free again; granted, `next` each
   * key's next spaced slot.
   */
  grant(keys: SlotKeyRules[], options: { inFlightMs: number }): Promise<{ granted: boolean; now: number; marker: number; free: Record<string, number>; next: Record<string, number> }>;
  /** The granted request `marker` is over: its answer arrived `at` (store clock; default: now), or (refund) Lark did not count it. */
  settle(keys: string[], marker: number, options?: { refund?: boolean; at?: number }): Promise<unknown>;
  /** Forgets long idle keys (called now and then, failures ignored). */
  prune?(): Promise<unknown>;
}

export interface SharedRateLimiterOptions {
  store: RateSlotStore;
  /** Rules per key class, as createRateLimiter's. */
  rules: Record<string, RateRule[]>;
  /** Added to every window (ms). Default 5. */
  marginMs?: number;
  /** How far (ms) a grant may fall behind its smooth schedule and still catch up. Default 50. */
  burstToleranceMs?: number;
  /** This process's monotonic time (ms). */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Longest wait before asking the store again (ms). Default 250. */
  pollMs?: number;
  /** How long an unsettled request counts as in flight before its stamp expires (ms). Default 30,000. */
  inFlightMs?: number;
  /** Store failures in a row (connection lost) before the waiter in turn fails; 100 ms, 200 ms, … apart. Default 4. */
  storeAttempts?: number;
  /** Prune the store every this many grants. Default 1,000. */
  pruneEvery?: number;
}

interface Waiter {
  keys: string[];
  resolve: (ticket: RateTicket) => void;
  reject: (e: Error) => void;
}

const keyClass = (key: string): string => {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
};

export function createSharedRateLimiter(options: SharedRateLimiterOptions): RateLimiter {
  const marginMs = options.marginMs ?? 5;
  const tolerance = options.burstToleranceMs ?? 50;
  if (!(marginMs >= 0) || !(tolerance >= 0)) throw new RangeError('marginMs and burstToleranceMs must be >= 0');
  const compiled = new Map<string, Omit<SlotKeyRules, 'key'>>();
  for (const [cls, rules] of Object.entries(options.rules)) {
    let intervalMs = 0;
    const windows: SlotKeyRules['windows'] = [];
    for (const r of rules) {
      if (!(r.limit >= 1) || !(r.windowMs > 0)) throw new RangeError(`bad rate rule for ${cls}: ${JSON.stringify(r)}`);
      const limit = Math.floor(r.limit);
      const windowMs = r.windowMs + marginMs;
      windows.push({ limit, windowMs });
      if (r.smooth) intervalMs = Math.max(intervalMs, windowMs / limit);
    }
    compiled.set(cls, { intervalMs, toleranceMs: intervalMs > 0 ? tolerance : 0, windows });
  }
  const rulesFor = (key: string): SlotKeyRules => ({ key, ...(compiled.get(keyClass(key)) ?? { intervalMs: 0, toleranceMs: 0, windows: [] }) });
  const pollMs = options.pollMs ?? 250;
  const inFlightMs = options.inFlightMs ?? 30_000;
  const attempts = options.storeAttempts ?? 4;
  const pruneEvery = options.pruneEvery ?? 1000;

  /** Local time (per `now`) from which each key is free, as last seen. */
  const freeAt = new Map<string, number>();
  const lanes = new Map<string, Waiter[]>();
  let waiting = 0;
  let unsettled = 0;
  let grants = 0;
  let failures = 0;
  let closedWith: Error | undefined;
  let pumping = false;
  let wakeAt = Infinity;

  // The store's clock, seen from here: its reading lies between our send and receipt of a
  // grant, so "store - local" lies between `storeNow - receivedAt` and `storeNow - sentAt`. The
  // tightest bounds seen (the grants answered fastest) are kept; they give way by 1 ms per second
  // of age, so that a stepped or drifting clock is followed. Store times are mapped here with the
  // lower bound (never earlier than they are), local completion times to the store with the
  // upper bound (never earlier than they were).
  let lower: { offset: number; at: number } | undefined;
  let upper: { offset: number; at: number } | undefined;
  const observe = (storeNow: number, sentAt: number, receivedAt: number): number => {
    const lo = storeNow - receivedAt;
    const hi = storeNow - sentAt;
    if (!lower || lo >= lower.offset - (receivedAt - lower.at) / 1000) lower = { offset: lo, at: receivedAt };
    if (!upper || hi <= upper.offset + (receivedAt - upper.at) / 1000) upper = { offset: hi, at: receivedAt };
    return storeNow - lower.offset;
  };
  const toStore = (local: number): number | undefined => (upper ? local + upper.offset + (local - upper.at) / 1000 : undefined);

  const remember = (times: Record<string, number>, storeNow: number, localNow: number) => {
    for (const [k, at] of Object.entries(times)) freeAt.set(k, localNow + (at - storeNow));
    if (freeAt.size > 10_000) for (const [k, at] of freeAt) if (at < localNow) freeAt.delete(k);
  };

  const ticketFor = (keys: string[], marker: number): RateTicket => {
    let state: 'in-flight' | 'done' | 'refunded' = 'in-flight';
    const settle = (refund: boolean) => {
      unsettled--;
      // Stamped when the answer arrived (on the store's clock), not when the store hears of it.
      const at = toStore(options.now());
      const attempt = (n: number): void => {
        options.store.settle(keys, marker, { refund, ...(at === undefined ? {} : { at }) }).then(
          () => {
            // Our own window entry moved: what waits on these keys may go sooner.
            for (const k of keys) freeAt.delete(k);
            schedulePump();
          },
          // Tried again a few times; a stamp never settled expires `inFlightMs` after its grant.
          () => {
            if (n < attempts && !closedWith) void options.sleep(50 * n).then(() => attempt(n + 1));
          },
        );
      };
      attempt(1);
    };
    return {
      at: options.now(),
      complete() {
        if (state !== 'in-flight') return;
        state = 'done';
        settle(false);
      },
      refund() {
        // After complete() the stamp is already the answer's time: kept (counting it only slows).
        if (state !== 'in-flight') return;
        state = 'refunded';
        settle(true);
      },
    };
  };

  const scheduleWake = (at: number) => {
    if (wakeAt <= at) return;
    wakeAt = at;
    const after = () => {
      if (wakeAt === at) wakeAt = Infinity;
      schedulePump();
    };
    options.sleep(Math.max(1, Math.ceil(at - options.now()))).then(after, after);
  };

  const take = (laneKey: string, lane: Waiter[]): Waiter => {
    const w = lane.shift()!;
    waiting--;
    // Lanes take turns: this one goes to the back.
    lanes.delete(laneKey);
    if (lane.length > 0) lanes.set(laneKey, lane);
    return w;
  };

  const pump = async (): Promise<void> => {
    if (pumping || closedWith) return;
    pumping = true;
    try {
      while (waiting > 0 && !closedWith) {
        const now = options.now();
        let chosen: { laneKey: string; lane: Waiter[]; head: Waiter } | undefined;
        let earliest = Infinity;
        for (const [laneKey, lane] of lanes) {
          const head = lane[0];
          if (!head) continue;
          const at = Math.max(-Infinity, ...head.keys.map((k) => freeAt.get(k) ?? -Infinity));
          if (at <= now) {
            chosen = { laneKey, lane, head };
            break;
          }
          earliest = Math.min(earliest, at);
        }
        if (!chosen) {
          scheduleWake(Math.min(earliest, now + pollMs));
          return;
        }
        let r: Awaited<ReturnType<RateSlotStore['grant']>>;
        const sentAt = options.now();
        try {
          r = await options.store.grant(chosen.head.keys.map(rulesFor), { inFlightMs });
          failures = 0;
        } catch (e) {
          if (closedWith) return;
          if (++failures >= attempts) {
            failures = 0;
            if (chosen.lane[0] === chosen.head) take(chosen.laneKey, chosen.lane).reject(e as Error);
          } else await options.sleep(100 * 2 ** (failures - 1));
          continue;
        }
        if (closedWith) {
          // Granted meanwhile: give the slot back.
          if (r.granted) options.store.settle(chosen.head.keys, r.marker, { refund: true }).catch(() => {});
          return;
        }
        const localNow = observe(r.now, sentAt, options.now());
        if (!r.granted) {
          // At most `pollMs` ahead: another replica's in-flight requests may complete sooner.
          remember(Object.fromEntries(Object.entries(r.free).map(([k, at]) => [k, Math.min(at, r.now + pollMs)])), r.now, localNow);
          continue;
        }
        remember(r.next, r.now, localNow);
        if (++grants % pruneEvery === 0) options.store.prune?.().catch(() => {});
        const w = take(chosen.laneKey, chosen.lane);
        unsettled++;
        w.resolve(ticketFor(w.keys, r.marker));
      }
    } finally {
      pumping = false;
    }
  };

  let pumpQueued = false;
  const schedulePump = () => {
    if (pumpQueued || closedWith) return;
    pumpQueued = true;
    queueMicrotask(() => {
      pumpQueued = false;
      void pump();
    });
  };

  return {
    acquire(keys) {
      if (closedWith) return Promise.reject(closedWith);
      return new Promise<RateTicket>((resolve, reject) => {
        const laneKey = keys.join('\u0000');
        let lane = lanes.get(laneKey);
        if (!lane) lanes.set(laneKey, (lane = []));
        lane.push({ keys: [...keys], resolve, reject });
        waiting++;
        schedulePump();
      });
    },
    nextAllowedAt: (keys) => Math.max(-Infinity, ...keys.map((k) => freeAt.get(k) ?? -Infinity)),
    pending: () => waiting,
    inFlight: () => unsettled,
    close(reason) {
      if (closedWith) return;
      closedWith = reason ?? new Error('rate limiter closed');
      for (const lane of lanes.values()) for (const w of lane) w.reject(closedWith);
      lanes.clear();
      waiting = 0;
    },
  };
}
