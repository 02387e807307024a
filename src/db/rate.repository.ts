/**
 * The shared Lark rate limiter's slots (issue 17, PostgreSQL only): one `rate_bucket` row per
 * limiter key, which every replica reserves its sends in. The pacing around it (waiting for a
 * slot, rules from LarkRateLimits) is src/lark/shared-rate-limiter.ts.
 */
import { sql } from 'kysely';
import { dialectOf, type Db } from './database.js';

/** One key of a reservation and the rules that apply to it (windows already include their margin). */
export interface RateSlotKey {
  key: string;
  /** Slots of this key at least this far apart (ms; 0: no spacing). */
  intervalMs: number;
  /** At most `limit` slots of this key in any `windowMs`. */
  windows: ReadonlyArray<{ limit: number; windowMs: number }>;
}

/** A reserved slot, on the database's clock (epoch ms, fractional). */
export interface RateSlotReservation {
  /** When the request may go. */
  at: number;
  /** The database's clock when the slot was taken: wait `at - now`. */
  now: number;
  /** Each key's next free slot by its spacing, after this reservation. */
  next: Record<string, number>;
}

interface ReservedRow {
  key: string;
  tat: number;
  at: number;
  now: number;
}

/**
 * Reserves the earliest slot at which one request for all `keys` together may go, in ONE
 * statement: it locks the keys' rows (in key order, so concurrent reservations never deadlock),
 * reads the database clock only once it holds them, takes the latest of the clock, every key's
 * next spaced slot and every window's "limit-th latest slot + window", and writes the slot to
 * every key. All replicas share the rows and the clock, so the quota holds across processes.
 * Keys without a row yet get one first (a separate statement; the reservation is retried).
 */
export async function reserveRateSlots(db: Db, keys: readonly RateSlotKey[]): Promise<RateSlotReservation> {
  if (dialectOf(db) !== 'postgres') throw new Error('reserveRateSlots needs PostgreSQL (SQLite paces in memory)');
  const unique = [...new Map(keys.map((k) => [k.key, k])).values()];
  if (unique.length === 0) throw new RangeError('reserveRateSlots needs at least one key');
  const names = unique.map((k) => k.key);
  const intervals = unique.map((k) => k.intervalMs);
  const keep = unique.map((k) => Math.max(0, ...k.windows.map((w) => w.limit)));
  const wKeys = unique.flatMap((k) => k.windows.map(() => k.key));
  const wLimits = unique.flatMap((k) => k.windows.map((w) => w.limit));
  const wMs = unique.flatMap((k) => k.windows.map((w) => w.windowMs));
  for (let attempt = 0; attempt < 3; attempt++) {
    const { rows } = await sql<ReservedRow>`
      WITH k AS (
        SELECT * FROM unnest(${names}::text[], ${intervals}::float8[], ${keep}::int[]) AS k(key, interval_ms, keep)
      ), w AS (
        SELECT * FROM unnest(${wKeys}::text[], ${wLimits}::int[], ${wMs}::float8[]) AS w(key, lim, window_ms)
      ), locked AS (
        SELECT b.key, b.tat, b.log FROM rate_bucket b WHERE b.key = ANY(${names}::text[]) ORDER BY b.key FOR UPDATE
      ), clock AS (
        -- The clock is read after the aggregate has consumed (locked) every row.
        SELECT x.n, (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now FROM (SELECT count(*) AS n FROM locked) x
      ), slot AS (
        SELECT c.n, c.now, greatest(
          c.now,
          (SELECT max(l.tat) FROM locked l),
          (SELECT max(l.log[cardinality(l.log) - w.lim + 1] + w.window_ms) FROM w JOIN locked l ON l.key = w.key WHERE cardinality(l.log) >= w.lim)
        ) AS at FROM clock c
      )
      UPDATE rate_bucket b SET
        tat = s.at + k.interval_ms,
        log = CASE WHEN k.keep <= 0 THEN '{}'::float8[] ELSE (b.log || s.at)[greatest(1, cardinality(b.log) + 2 - k.keep):] END,
        updated_at = s.at
      FROM k, slot s
      WHERE b.key = k.key AND s.n = ${unique.length}
      RETURNING b.key, b.tat, s.at, s.now`.execute(db);
    const first = rows[0];
    if (first && rows.length === unique.length) {
      return { at: Number(first.at), now: Number(first.now), next: Object.fromEntries(rows.map((r) => [r.key, Number(r.tat)])) };
    }
    // A key without its row (first use, or pruned): nothing was reserved; create it and retry.
    await sql`INSERT INTO rate_bucket (key, tat, log, updated_at) SELECT unnest(${names}::text[]), 0, '{}'::float8[], 0 ON CONFLICT (key) DO NOTHING`.execute(db);
  }
  throw new Error(`could not reserve a rate slot for ${names.join(', ')}`);
}

/** Deletes the rows of keys idle for `idleMs` (all their slots long past: they constrain nothing). */
export async function pruneIdleRateBuckets(db: Db, idleMs: number): Promise<number> {
  const r = await sql`DELETE FROM rate_bucket WHERE updated_at < (extract(epoch FROM clock_timestamp()) * 1000)::float8 - ${idleMs}::float8`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/** The shared limiter's store (src/lark/shared-rate-limiter.ts) over this database. */
export function rateSlotStore(db: Db, options: { idleMs?: number } = {}) {
  return {
    reserve: (keys: readonly RateSlotKey[]) => reserveRateSlots(db, keys),
    prune: () => pruneIdleRateBuckets(db, options.idleMs ?? 3_600_000),
  };
}
