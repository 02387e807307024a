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

/** A reservation's answer, on the database's clock (epoch ms, fractional). */
export interface RateSlotReservation {
  /**
   * Whether the slot was taken. Not taken (and nothing written) when a narrow key (not the first)
   * is busy past the shared key's next slot: reserving then would push the shared schedule past
   * the slots it could use meanwhile. Try again at `at`.
   */
  granted: boolean;
  /** When the request may go (granted), or when to try again. */
  at: number;
  /** The database's clock when the slot was decided: wait `at - now`. */
  now: number;
  /** Each key's next free slot by its spacing, after this reservation (empty when not granted). */
  next: Record<string, number>;
}

interface DecidedRow {
  n: number;
  at: number;
  now: number;
  granted: boolean;
  next: Record<string, number> | string;
}

/**
 * Reserves the earliest slot at which one request for all `keys` together may go, in ONE
 * statement: it locks the keys' rows (in key order, so concurrent reservations never deadlock),
 * reads the database clock only once it holds them, takes the latest of the clock, every key's
 * next spaced slot and every window's "limit-th latest slot + window", and writes the slot to
 * every key. All replicas share the rows and the clock, so the quota holds across processes.
 *
 * The first key is the shared one (the app), the others narrow (a chat, a user, a message): when
 * a narrow key is free only later than the shared key's next slot (by more than the shared key's
 * spacing), nothing is reserved and the answer says when to try again, unless `force` (a caller
 * refused often enough takes the later slot). Keys without a row yet get one first (a separate
 * statement; the reservation is then tried again).
 */
export async function reserveRateSlots(db: Db, keys: readonly RateSlotKey[], options: { force?: boolean } = {}): Promise<RateSlotReservation> {
  if (dialectOf(db) !== 'postgres') throw new Error('reserveRateSlots needs PostgreSQL (SQLite paces in memory)');
  const unique = [...new Map(keys.map((k) => [k.key, k])).values()];
  const shared = unique[0];
  if (!shared) throw new RangeError('reserveRateSlots needs at least one key');
  const names = unique.map((k) => k.key);
  const intervals = unique.map((k) => k.intervalMs);
  const keep = unique.map((k) => Math.max(0, ...k.windows.map((w) => w.limit)));
  const wKeys = unique.flatMap((k) => k.windows.map(() => k.key));
  const wLimits = unique.flatMap((k) => k.windows.map((w) => w.limit));
  const wMs = unique.flatMap((k) => k.windows.map((w) => w.windowMs));
  for (let attempt = 0; attempt < 3; attempt++) {
    const { rows } = await sql<DecidedRow>`
      WITH k AS (
        SELECT * FROM unnest(${names}::text[], ${intervals}::float8[], ${keep}::int[]) AS k(key, interval_ms, keep)
      ), w AS (
        SELECT * FROM unnest(${wKeys}::text[], ${wLimits}::int[], ${wMs}::float8[]) AS w(key, lim, window_ms)
      ), locked AS (
        SELECT b.key, b.tat, b.log FROM rate_bucket b WHERE b.key = ANY(${names}::text[]) ORDER BY b.key FOR UPDATE
      ), clock AS (
        -- The clock is read after the aggregate has consumed (locked) every row.
        SELECT x.n, (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now FROM (SELECT count(*) AS n FROM locked) x
      ), bounds AS (
        SELECT l.key, greatest(
          l.tat,
          (SELECT max(l.log[cardinality(l.log) - w.lim + 1] + w.window_ms) FROM w WHERE w.key = l.key AND cardinality(l.log) >= w.lim)
        ) AS free_at FROM locked l
      ), slot AS (
        SELECT c.n, c.now,
          greatest(c.now, (SELECT b.free_at FROM bounds b WHERE b.key = ${shared.key})) AS shared_at,
          (SELECT max(b.free_at) FROM bounds b WHERE b.key <> ${shared.key}) AS narrow_at
        FROM clock c
      ), decided AS (
        SELECT s.n, s.now, greatest(s.shared_at, s.narrow_at) AS at,
          (s.n = ${unique.length} AND (${options.force === true} OR s.narrow_at IS NULL OR s.narrow_at <= s.shared_at + ${shared.intervalMs}::float8)) AS granted
        FROM slot s
      ), updated AS (
        UPDATE rate_bucket b SET
          tat = d.at + k.interval_ms,
          log = CASE WHEN k.keep <= 0 THEN '{}'::float8[] ELSE (b.log || d.at)[greatest(1, cardinality(b.log) + 2 - k.keep):] END,
          updated_at = d.at
        FROM k, decided d
        WHERE b.key = k.key AND d.granted
        RETURNING b.key, b.tat
      )
      SELECT d.n, d.at, d.now, d.granted, (SELECT coalesce(json_object_agg(u.key, u.tat), '{}') FROM updated u) AS next FROM decided d`.execute(db);
    const row = rows[0];
    if (!row) throw new Error('reserveRateSlots: no answer');
    if (Number(row.n) === unique.length) {
      const next = typeof row.next === 'string' ? (JSON.parse(row.next) as Record<string, number>) : row.next;
      return { granted: row.granted, at: Number(row.at), now: Number(row.now), next };
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
    reserve: (keys: readonly RateSlotKey[], options?: { force?: boolean }) => reserveRateSlots(db, keys, options),
    prune: () => pruneIdleRateBuckets(db, options.idleMs ?? 3_600_000),
  };
}
