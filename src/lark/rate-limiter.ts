/**
 * A pacing rate limiter: `acquire(keys)` waits until every key's rules allow one more request,
 * then takes the slot and returns a ticket. It never rejects for being too fast.
 *
 * - Each key (e.g. `app`, `chat:oc_x`, `user:ou_x`) belongs to a class (`chat` for `chat:oc_x`)
 *   whose rules apply to it.
 * - Safety, whatever the jitter: every rule is a sliding-window log of `limit` per
 *   `windowMs + marginMs`, but an entry is stamped with the time its request COMPLETED (the
 *   ticket's `complete()`), and counts as "now or later" while still in flight. A server stamps a
 *   request somewhere between our release and our receipt of its answer, so releasing only when
 *   fewer than `limit` requests completed (or are pending) within the last window guarantees the
 *   server never counts more than `limit` in any window of `windowMs` - even if the network or a
 *   stalled process delays some requests and not others. Delays cost throughput only where they
 *   happen. `marginMs` is left for clock granularity.
 * - Smoothness: a `smooth` rule (the per-second limits) also spaces releases on an ideal schedule
 *   `interval = (windowMs + marginMs) / limit` apart (a GCRA-style virtual schedule), so the server
 *   sees no bursts. A waiting request released late by a busy event loop may fall up to
 *   `burstToleranceMs` behind that schedule and catch up (the window log still caps it), so timer
 *   lateness does not pile up into a lower rate. A request that finds its key idle starts a fresh
 *   schedule: no burst after an idle period.
 * - Fairness without head-of-line blocking: waiters queue per lane (the exact set of keys), FIFO
 *   within a lane; lanes take turns (round-robin): whenever the shared keys allow a request, the next
 *   lane in turn whose own keys are free goes. A busy chat never blocks the others, a bulk send to
 *   many chats finishes all chats together (no slow tail) and a single reply to a quiet chat waits
 *   at most one round, not behind the whole bulk.
 * - Grants happen in a microtask (not inside acquire()), so a release is taken when the caller's
 *   continuation (the HTTP send) can run at once, even after a large synchronous burst of acquire().
 */

export interface RateRule {
  /** Max requests per window. */
  limit: number;
  windowMs: number;
  /** Also spread requests evenly on an ideal schedule (effective window / limit apart). */
  smooth?: boolean;
}

export interface RateLimiterOptions {
  /** Rules per key class. The class of `chat:oc_1` is `chat`; a key without `:` is its own class. */
  rules: Record<string, RateRule[]>;
  /** Added to every window (ms). Default 5. */
  marginMs?: number;
  /** How far (ms) a waiting request released late may fall behind its smooth schedule and still catch up. Default 50. */
  burstToleranceMs?: number;
  /** Monotonic time in ms (may be fractional). */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** A taken slot. Settle it exactly once: `complete()` when the answer (or failure) arrived, or `refund()`. */
export interface RateTicket {
  /** When the slot was taken (per `now`). */
  at: number;
  /** The request is over (answer or error): its window entry is stamped `at` (default now). */
  complete(at?: number): void;
  /**
   * The server refused the request as rate limited and did not count it: its window entry is
   * removed (the smooth schedule is kept). Also allowed after complete().
   */
  refund(): void;
}

export interface RateLimiter {
  /** Resolves when one request for all `keys` may be sent now (the slot is then taken). */
  acquire(keys: readonly string[]): Promise<RateTicket>;
  /** Earliest time (per `now`) at which a request for `keys` would be allowed, ignoring queued waiters (Infinity: waiting for in-flight requests). */
  nextAllowedAt(keys: readonly string[]): number;
  /** Number of requests waiting. */
  pending(): number;
  /** Number of taken slots not yet settled. */
  inFlight(): number;
  /** Rejects every waiter with `reason` and refuses new acquisitions. */
  close(reason?: Error): void;
}

interface CompiledRule {
  limit: number;
  /** Effective window (windowMs + marginMs). */
  windowMs: number;
  intervalMs: number | undefined;
}

interface KeyState {
  /** Completion stamps of settled requests, ascending, pruned to the longest window. */
  done: number[];
  /** Requests released and not yet settled (stamped "now or later"). */
  inFlight: number;
  /** Next slot on the ideal schedule, per rule (smooth rules only; -Infinity when idle). */
  schedule: number[];
  rules: readonly CompiledRule[];
  horizonMs: number;
}

interface Waiter {
  enqueuedAt: number;
  keys: readonly string[];
  resolve: (ticket: RateTicket) => void;
  reject: (e: Error) => void;
}

const keyClass = (key: string): string => {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
};

function insertSorted(list: number[], value: number): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as number) > value) i--;
  list.splice(i, 0, value);
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const marginMs = options.marginMs ?? 5;
  const tolerance = options.burstToleranceMs ?? 50;
  if (!(marginMs >= 0) || !(tolerance >= 0)) throw new RangeError('marginMs and burstToleranceMs must be >= 0');
  const compiled = new Map<string, CompiledRule[]>();
  for (const [cls, rules] of Object.entries(options.rules)) {
    compiled.set(
      cls,
      rules.map((r) => {
        if (!(r.limit >= 1) || !(r.windowMs > 0)) throw new RangeError(`bad rate rule for ${cls}: ${JSON.stringify(r)}`);
        const limit = Math.floor(r.limit);
        const effective = r.windowMs + marginMs;
        return { limit, windowMs: effective, intervalMs: r.smooth ? effective / limit : undefined };
      }),
    );
  }

  const states = new Map<string, KeyState>();
  const lanes = new Map<string, Waiter[]>();
  let waiting = 0;
  let unsettled = 0;
  let closedWith: Error | undefined;
  let pumping = false;
  const wakes = new Set<number>();
  let grantsSincePrune = 0;

  const stateOf = (key: string): KeyState => {
    let s = states.get(key);
    if (!s) {
      const rules = compiled.get(keyClass(key)) ?? [];
      s = { done: [], inFlight: 0, schedule: rules.map(() => -Infinity), rules, horizonMs: Math.max(0, ...rules.map((r) => r.windowMs)) };
      states.set(key, s);
    }
    return s;
  };

  const prune = (s: KeyState, now: number) => {
    const cutoff = now - s.horizonMs;
    let drop = 0;
    while (drop < s.done.length && (s.done[drop] as number) <= cutoff) drop++;
    if (drop > 0) s.done.splice(0, drop);
  };

  const keyNext = (key: string, now: number): number => {
    const s = stateOf(key);
    prune(s, now);
    let t = -Infinity;
    const n = s.done.length + s.inFlight;
    s.rules.forEach((r, i) => {
      if (r.intervalMs !== undefined) t = Math.max(t, s.schedule[i] as number);
      if (n >= r.limit) {
        // The limit-th latest stamp must leave the window; in-flight requests are the latest.
        const fromDone = r.limit - s.inFlight;
        t = Math.max(t, fromDone <= 0 ? Infinity : (s.done[s.done.length - fromDone] as number) + r.windowMs);
      }
    });
    return t;
  };

  const nextAllowedAt = (keys: readonly string[], now = options.now()): number => {
    let t = -Infinity;
    for (const k of keys) t = Math.max(t, keyNext(k, now));
    return t;
  };

  /** `waited`: the waiter was queued before its slot, so any lateness is ours to make up. */
  const record = (keys: readonly string[], now: number, waited: boolean) => {
    for (const k of keys) {
      const s = stateOf(k);
      s.inFlight++;
      s.rules.forEach((r, i) => {
        if (r.intervalMs === undefined) return;
        // A late release (up to `tolerance` behind schedule) keeps the schedule: the next slots catch
        // up. A request that found the key idle starts a fresh schedule (no burst after idle).
        const base = waited ? Math.max(s.schedule[i] as number, now - tolerance) : now;
        s.schedule[i] = base + r.intervalMs;
      });
    }
    unsettled++;
  };

  const ticketFor = (keys: readonly string[], at: number): RateTicket => {
    let state: 'in-flight' | 'done' | 'refunded' = 'in-flight';
    let stamp = 0;
    const leaveFlight = () => {
      unsettled--;
      for (const k of keys) stateOf(k).inFlight--;
    };
    return {
      at,
      complete(when) {
        if (state !== 'in-flight') return;
        state = 'done';
        stamp = Math.max(at, when ?? options.now());
        leaveFlight();
        for (const k of keys) insertSorted(stateOf(k).done, stamp);
        schedulePump();
      },
      refund() {
        if (state === 'refunded') return;
        if (state === 'in-flight') leaveFlight();
        else {
          for (const k of keys) {
            const done = states.get(k)?.done;
            const i = done ? done.lastIndexOf(stamp) : -1;
            if (done && i >= 0) done.splice(i, 1);
          }
        }
        state = 'refunded';
        schedulePump();
      },
    };
  };

  const pruneIdleKeys = (now: number) => {
    for (const [k, s] of states) {
      const last = s.done[s.done.length - 1];
      const idle = s.inFlight === 0 && (last === undefined || last <= now - s.horizonMs) && s.schedule.every((at) => at <= now - tolerance);
      if (idle) states.delete(k);
    }
  };

  const scheduleWake = (at: number, now: number) => {
    for (const w of wakes) if (w <= at) return;
    wakes.add(at);
    const after = () => {
      wakes.delete(at);
      pump();
    };
    options.sleep(Math.max(1, Math.ceil(at - now))).then(after, after);
  };

  const pump = (): void => {
    if (pumping || closedWith) return;
    pumping = true;
    try {
      for (;;) {
        if (waiting === 0) return;
        const now = options.now();
        // Lanes are kept in turn order: the first eligible one goes, then moves to the back.
        let chosen: { waiter: Waiter; lane: Waiter[]; laneKey: string; at: number } | undefined;
        let earliest = Infinity;
        for (const [laneKey, lane] of lanes) {
          const head = lane[0];
          if (!head) continue;
          const at = nextAllowedAt(head.keys, now);
          if (at <= now) {
            chosen = { waiter: head, lane, laneKey, at };
            break;
          }
          if (at < earliest) earliest = at;
        }
        if (!chosen) {
          // Infinity: blocked by in-flight requests only; their completion pumps again.
          if (earliest < Infinity) scheduleWake(earliest, now);
          return;
        }
        chosen.lane.shift();
        lanes.delete(chosen.laneKey);
        if (chosen.lane.length > 0) lanes.set(chosen.laneKey, chosen.lane);
        waiting--;
        record(chosen.waiter.keys, now, chosen.at > chosen.waiter.enqueuedAt);
        if (++grantsSincePrune >= 1000) {
          grantsSincePrune = 0;
          pruneIdleKeys(now);
        }
        chosen.waiter.resolve(ticketFor(chosen.waiter.keys, now));
      }
    } finally {
      pumping = false;
    }
  };

  let pumpQueued = false;
  const schedulePump = () => {
    if (pumpQueued) return;
    pumpQueued = true;
    queueMicrotask(() => {
      pumpQueued = false;
      pump();
    });
  };

  return {
    acquire(keys) {
      if (closedWith) return Promise.reject(closedWith);
      return new Promise<RateTicket>((resolve, reject) => {
        const laneKey = keys.join('\u0000');
        let lane = lanes.get(laneKey);
        if (!lane) {
          lane = [];
          lanes.set(laneKey, lane);
        }
        lane.push({ enqueuedAt: options.now(), keys: [...keys], resolve, reject });
        waiting++;
        schedulePump();
      });
    },
    nextAllowedAt: (keys) => nextAllowedAt(keys),
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
