/**
 * A pacing rate limiter: `acquire(keys)` waits until every key's rules allow one more request,
 * then records it. It never rejects for being too fast.
 *
 * - Each key (e.g. `app`, `chat:oc_x`, `user:ou_x`) belongs to a class (`chat` for `chat:oc_x`)
 *   whose rules apply to it.
 * - A `smooth` rule (used for the per-second limits) spaces requests evenly, `(windowMs + marginMs) / limit`
 *   apart, so the server never sees a burst; a non-smooth rule (the per-minute limit) is an exact
 *   sliding-window log: at most `limit` requests in any `windowMs + marginMs` interval.
 * - `marginMs` absorbs network jitter between our send time and the server's arrival time.
 * - Work-conserving: waiters are queued per lane (the exact set of keys), FIFO within a lane; whenever
 *   the shared keys allow a request, the oldest waiter whose own keys are free goes. A busy chat never
 *   blocks other chats (no head-of-line blocking).
 * - A request released slightly late by timer granularity is recorded at its ideal time (up to
 *   `lateToleranceMs` earlier than now), so timer rounding does not accumulate into a lower rate.
 */

export interface RateRule {
  /** Max requests per window. */
  limit: number;
  windowMs: number;
  /** Spread requests evenly (min interval = effective window / limit) instead of allowing bursts. */
  smooth?: boolean;
}

export interface RateLimiterOptions {
  /** Rules per key class. The class of `chat:oc_1` is `chat`; a key without `:` is its own class. */
  rules: Record<string, RateRule[]>;
  /** Added to every window (ms). Default 20. */
  marginMs?: number;
  /** Monotonic-ish time in ms (may be fractional). */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Default 2 ms. */
  lateToleranceMs?: number;
}

export interface RateLimiter {
  /** Resolves when one request for all `keys` may be sent now (the slot is then taken). */
  acquire(keys: readonly string[]): Promise<void>;
  /** Earliest time (per `now`) at which a request for `keys` would be allowed, ignoring queued waiters. */
  nextAllowedAt(keys: readonly string[]): number;
  /** Number of requests waiting. */
  pending(): number;
  /** Rejects every waiter with `reason` and refuses new acquisitions. */
  close(reason?: Error): void;
}

interface KeyState {
  /** Recorded grant times, ascending, pruned to the longest window. */
  times: number[];
  rules: readonly CompiledRule[];
  horizonMs: number;
}

interface CompiledRule {
  limit: number;
  windowMs: number;
  intervalMs: number | undefined;
}

interface Waiter {
  seq: number;
  keys: readonly string[];
  resolve: () => void;
  reject: (e: Error) => void;
}

const keyClass = (key: string): string => {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
};

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const marginMs = options.marginMs ?? 20;
  const tolerance = options.lateToleranceMs ?? 2;
  const compiled = new Map<string, CompiledRule[]>();
  for (const [cls, rules] of Object.entries(options.rules)) {
    compiled.set(
      cls,
      rules.map((r) => {
        if (!(r.limit >= 1) || !(r.windowMs > 0)) throw new RangeError(`bad rate rule for ${cls}: ${JSON.stringify(r)}`);
        const effective = r.windowMs + marginMs;
        return { limit: Math.floor(r.limit), windowMs: effective, intervalMs: r.smooth ? effective / Math.floor(r.limit) : undefined };
      }),
    );
  }

  const states = new Map<string, KeyState>();
  const lanes = new Map<string, Waiter[]>();
  let seq = 0;
  let waiting = 0;
  let closedWith: Error | undefined;
  let pumping = false;
  const wakes = new Set<number>();
  let grantsSincePrune = 0;

  const stateOf = (key: string): KeyState => {
    let s = states.get(key);
    if (!s) {
      const rules = compiled.get(keyClass(key)) ?? [];
      s = { times: [], rules, horizonMs: Math.max(0, ...rules.map((r) => r.windowMs)) };
      states.set(key, s);
    }
    return s;
  };

  const prune = (s: KeyState, now: number) => {
    const cutoff = now - s.horizonMs;
    let drop = 0;
    // Keep at least one entry for spacing rules.
    while (drop < s.times.length - 1 && (s.times[drop] as number) <= cutoff) drop++;
    if (drop > 0) s.times.splice(0, drop);
  };

  const keyNext = (key: string, now: number): number => {
    const s = stateOf(key);
    prune(s, now);
    let t = -Infinity;
    const n = s.times.length;
    for (const r of s.rules) {
      if (r.intervalMs !== undefined && n > 0) t = Math.max(t, (s.times[n - 1] as number) + r.intervalMs);
      if (n >= r.limit) t = Math.max(t, (s.times[n - r.limit] as number) + r.windowMs);
    }
    return t;
  };

  const nextAllowedAt = (keys: readonly string[], now = options.now()): number => {
    let t = -Infinity;
    for (const k of keys) t = Math.max(t, keyNext(k, now));
    return t;
  };

  const record = (keys: readonly string[], at: number) => {
    for (const k of keys) {
      const s = stateOf(k);
      const last = s.times[s.times.length - 1];
      s.times.push(last !== undefined && last > at ? last : at);
    }
  };

  const pruneIdleKeys = (now: number) => {
    for (const [k, s] of states) {
      const last = s.times[s.times.length - 1];
      if (last === undefined || last <= now - s.horizonMs) states.delete(k);
    }
  };

  const scheduleWake = (at: number, now: number) => {
    for (const w of wakes) if (w <= at) return;
    wakes.add(at);
    const delay = Math.max(1, Math.ceil(at - now));
    options.sleep(delay).then(
      () => {
        wakes.delete(at);
        pump();
      },
      () => {
        wakes.delete(at);
        pump();
      },
    );
  };

  const pump = (): void => {
    if (pumping || closedWith) return;
    pumping = true;
    try {
      for (;;) {
        if (waiting === 0) return;
        const now = options.now();
        let best: { waiter: Waiter; lane: Waiter[]; laneKey: string; at: number } | undefined;
        let earliest = Infinity;
        for (const [laneKey, lane] of lanes) {
          const head = lane[0];
          if (!head) continue;
          const at = nextAllowedAt(head.keys, now);
          if (at <= now) {
            if (!best || head.seq < best.waiter.seq) best = { waiter: head, lane, laneKey, at };
          } else if (at < earliest) {
            earliest = at;
          }
        }
        if (!best) {
          if (earliest < Infinity) scheduleWake(earliest, now);
          return;
        }
        best.lane.shift();
        if (best.lane.length === 0) lanes.delete(best.laneKey);
        waiting--;
        // Released within tolerance of its ideal time: record the ideal time so that timer
        // rounding does not accumulate; otherwise (idle key, or released late) record now.
        record(best.waiter.keys, best.at >= now - tolerance ? best.at : now);
        if (++grantsSincePrune >= 1000) {
          grantsSincePrune = 0;
          pruneIdleKeys(now);
        }
        best.waiter.resolve();
      }
    } finally {
      pumping = false;
    }
  };

  return {
    acquire(keys) {
      if (closedWith) return Promise.reject(closedWith);
      return new Promise<void>((resolve, reject) => {
        const laneKey = keys.join('\u0000');
        let lane = lanes.get(laneKey);
        if (!lane) {
          lane = [];
          lanes.set(laneKey, lane);
        }
        lane.push({ seq: seq++, keys: [...keys], resolve, reject });
        waiting++;
        pump();
      });
    },
    nextAllowedAt: (keys) => nextAllowedAt(keys),
    pending: () => waiting,
    close(reason) {
      if (closedWith) return;
      closedWith = reason ?? new Error('rate limiter closed');
      for (const lane of lanes.values()) for (const w of lane) w.reject(closedWith);
      lanes.clear();
      waiting = 0;
    },
  };
}
