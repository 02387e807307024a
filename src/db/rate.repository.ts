/**
 * The shared Lark rate limiter's slots (issue 17, PostgreSQL only): one `rate_bucket` row per
 * limiter key, in which every replica is granted its sends. The pacing around it (waiting for a
 * slot, rules from LarkRateLimits) is src/lark/shared-rate-limiter.ts.
 */
import { sql } from 'kysely';
import { dialectOf, type Db } from './database.js';

/** One key of a grant and the rules that apply to it (windows already include their margin). */
export interface RateSlotKey {
  key: string;
  /** Grants of this key spaced this far apart (ms; 0: no spacing), on a schedule ... */
  intervalMs: number;
  /** ... that a grant up to this late (ms) keeps, so that the next ones catch up. */
  toleranceMs: number;
  /** At most `limit` requests of this key in any `windowMs`, stamped when they complete. */
  windows: ReadonlyArray<{ limit: number; windowMs: number }>;
}

/** A grant's answer, on the database's clock (epoch ms, fractional). */
export interface RateSlotGrant {
  /** Whether the request may go now (its slot is then taken). */
  granted: boolean;
  /** The database's clock when decided. */
  now: number;
  /** Granted: the in-flight stamp written to every key's log (settle the request with it). */
  marker: number;
  /** Not granted: when each key is free again (an in-flight request's stamp counts as far ahead). */
  free: Record<string, number>;
  /** Granted: each key's next slot by its spacing. */
  next: Record<string, number>;
}

interface DecidedRow {
  n: number;
  now: number;
  granted: boolean;
  marker: number;
  free: Record<string, number> | string;
  next: Record<string, number> | string;
}

const asRecord = (v: Record<string, number> | string | null): Record<string, number> => (v === null ? {} : typeof v === 'string' ? (JSON.parse(v) as Record<string, number>) : v);

/**
 * Grants one request for all `keys` together if every key allows it NOW, in ONE statement: it
 * locks the keys' rows (in key order, so concurrent grants never deadlock), reads the database
 * clock only once it holds them, and grants when the clock has reached every key's next spaced
 * slot and every window has room ("limit-th latest stamp + window" passed). A granted request is
 * written to every key: the schedule moves on, and its log gets an in-flight stamp `now +
 * inFlightMs` (so it counts as "now or later" until settled; a crashed sender's stamp expires).
 * settleRateSlot() replaces it by the time the answer arrived. Slots are never reserved ahead:
 * a request released late cannot crowd the next ones. All replicas share the rows and the clock,
 * so the quota holds across processes. Keys without a row yet get one first (then it is tried again).
 */
export async function grantRateSlot(db: Db, keys: readonly RateSlotKey[], options: { inFlightMs: number }): Promise<RateSlotGrant> {
  if (dialectOf(db) !== 'postgres') throw new Error('grantRateSlot needs PostgreSQL (SQLite paces in memory)');
  const unique = [...new Map(keys.map((k) => [k.key, k])).values()];
  if (unique.length === 0) throw new RangeError('grantRateSlot needs at least one key');
  const names = unique.map((k) => k.key);
  const intervals = unique.map((k) => k.intervalMs);
  const tolerances = unique.map((k) => k.toleranceMs);
  const keep = unique.map((k) => Math.max(0, ...k.windows.map((w) => w.limit)));
  const wKeys = unique.flatMap((k) => k.windows.map(() => k.key));
  const wLimits = unique.flatMap((k) => k.windows.map((w) => w.limit));
  const wMs = unique.flatMap((k) => k.windows.map((w) => w.windowMs));
  for (let attempt = 0; attempt < 3; attempt++) {
    const { rows } = await sql<DecidedRow>`
      WITH k AS (
        SELECT * FROM unnest(${names}::text[], ${intervals}::float8[], ${tolerances}::float8[], ${keep}::int[]) AS k(key, interval_ms, tolerance_ms, keep)
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
      ), decided AS (
        SELECT c.n, c.now, c.now + ${options.inFlightMs}::float8 AS marker,
          (c.n = ${unique.length} AND c.now >= coalesce((SELECT max(b.free_at) FROM bounds b), '-infinity'::float8)) AS granted,
          (SELECT json_object_agg(b.key, b.free_at) FROM bounds b) AS free
        FROM clock c
      ), updated AS (
        UPDATE rate_bucket b SET
          tat = greatest(b.tat, d.now - k.tolerance_ms) + k.interval_ms,
          -- In-flight stamps are the latest (now + inFlightMs grows with now): appended, the log stays sorted.
          log = CASE WHEN k.keep <= 0 THEN '{}'::float8[] ELSE (b.log || d.marker)[greatest(1, cardinality(b.log) + 2 - k.keep):] END,
          updated_at = d.now
        FROM k, decided d
        WHERE b.key = k.key AND d.granted
        RETURNING b.key, b.tat
      )
      SELECT d.n, d.now, d.granted, d.marker, d.free, (SELECT json_object_agg(u.key, u.tat) FROM updated u) AS next FROM decided d`.execute(db);
    const row = rows[0];
    if (!row) throw new Error('grantRateSlot: no answer');
    if (Number(row.n) === unique.length) {
      return { granted: row.granted, now: Number(row.now), marker: Number(row.marker), free: row.granted ? {} : asRecord(row.free), next: asRecord(row.next) };
    }
    // A key without its row (first use, or pruned): nothing was granted; create it and retry.
    await sql`INSERT INTO rate_bucket (key, tat, log, updated_at) SELECT unnest(${names}::text[]), 0, '{}'::float8[], 0 ON CONFLICT (key) DO NOTHING`.execute(db);
  }
  throw new Error(`could not grant a rate slot for ${names.join(', ')}`);
}

/**
 * A granted request is over: its in-flight stamp `marker` becomes `at`, when its answer arrived
 * (the database's clock; at most now, the default: Lark counted it earlier), or, `refund` (Lark
 * refused it as rate limited and did not count it), is removed. The log stays sorted.
 */
export async function settleRateSlot(db: Db, keys: readonly string[], marker: number, options: { refund?: boolean; at?: number } = {}): Promise<void> {
  // The answer's time, at most now.
  const now = sql`(extract(epoch FROM clock_timestamp()) * 1000)::float8`;
  const stamp = options.refund ? sql`NULL::float8` : options.at === undefined ? now : sql`least(${now}, ${options.at}::float8)`;
  // Rows locked in key order, as grants lock them: never a deadlock with a grant.
  await sql`
    WITH locked AS (
      SELECT key FROM rate_bucket WHERE key = ANY(${[...keys]}::text[]) ORDER BY key FOR UPDATE
    )
    UPDATE rate_bucket b SET log = (
      SELECT coalesce(array_agg(u.x ORDER BY u.x), '{}'::float8[])
      FROM unnest(array_replace(b.log, ${marker}::float8, ${stamp})) AS u(x) WHERE u.x IS NOT NULL
    )
    FROM locked l
    WHERE b.key = l.key AND ${marker}::float8 = ANY(b.log)`.execute(db);
}

/** Deletes the rows of keys idle for `idleMs` (all their slots long past: they constrain nothing). */
async function pruneIdleRateBuckets(db: Db, idleMs: number): Promise<number> {
  const r = await sql`DELETE FROM rate_bucket WHERE updated_at < (extract(epoch FROM clock_timestamp()) * 1000)::float8 - ${idleMs}::float8`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/** The shared limiter's store (src/lark/shared-rate-limiter.ts) over this database. */
export function rateSlotStore(db: Db, options: { idleMs?: number } = {}) {
  return {
    grant: (keys: readonly RateSlotKey[], grantOptions: { inFlightMs: number }) => grantRateSlot(db, keys, grantOptions),
    settle: (keys: readonly string[], marker: number, settleOptions?: { refund?: boolean; at?: number }) => settleRateSlot(db, keys, marker, settleOptions),
    prune: () => pruneIdleRateBuckets(db, options.idleMs ?? 3_600_000),
  };
}
