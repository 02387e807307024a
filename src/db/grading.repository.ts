/**
 * Read-side queries for grading (src/services/grading.service.ts): the units of a scope
 * with all their descendants, the score entries and vetoes of that scope, and what changed
 * in a time window. Scopes are resolved in SQL (recursive CTEs over unit.parent_id), so no
 * id lists travel as parameters.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Level } from '../plan/schema.js';
import { dialectOf, type Db } from './database.js';
import { rootOf } from './unit-of-work.js';

/**
 * Which units to load. Every scope includes all descendants of the units it names, so the
 * grades of the named units can be computed.
 * - all: every unit.
 * - subtree: the unit `rootId` and everything below it.
 * - level: every unit of `level` (only those below `withinId` when given), with descendants.
 */
export type UnitScope =
  | { kind: 'all' }
  | { kind: 'subtree'; rootId: number }
  /** The unit of this exact name and everything below it (read before the name is looked up). */
  | { kind: 'named'; name: string }
  | { kind: 'level'; level: Level; withinId?: number }
  /** These units only (no descendants added): the ids of a scope read before (readScope). */
  | { kind: 'ids'; ids: readonly number[] };

export interface ScopeUnitRow {
  id: number;
  name: string;
  level: Level;
  parent_id: number | null;
  /** The parent's name, also when the parent lies outside the scope. */
  parent_name: string | null;
}

/** A score entry in the shape the scoring engine reads (no per-row mapping needed). */
export interface ScoreEntryLite {
  unitId: number;
  itemCode: string;
  points: number;
  /** The score_entry id: the highest id per (unit, item, year) is the entry that counts. */
  seq: number;
}

export interface ScopeVetoRow {
  unit_id: number;
  reason: string;
}

/**
 * `WITH RECURSIVE scope_ids(id) AS (...)` for a scope; null for 'all' (no restriction). With
 * `carry: 'units'` the CTE is `scope_units(id, name, level, parent_id, archived_at)`: the rows
 * travel with the recursion, so that reading them needs no second join on unit (PostgreSQL
 * cannot estimate a recursive CTE's size and hashed the whole unit table to join a street's 361
 * units back: 25 ms instead of 7).
 */
function scopeCte(scope: UnitScope, carry: 'ids' | 'units' = 'ids'): RawBuilder<unknown> | null {
  const units = carry === 'units';
  const name = sql.raw(units ? 'scope_units' : 'scope_ids');
  const head = sql.raw(units ? 'scope_units(id, name, level, parent_id, archived_at)' : 'scope_ids(id)');
  const cols = sql.raw(units ? 'id, name, level, parent_id, archived_at' : 'id');
  const step = sql`SELECT ${sql.raw(units ? 'u.id, u.name, u.level, u.parent_id, u.archived_at' : 'u.id')} FROM unit u JOIN ${name} s ON u.parent_id = s.id`;
  switch (scope.kind) {
    case 'all':
    case 'ids':
      return null;
    case 'subtree':
      return sql`WITH RECURSIVE ${head} AS (
        SELECT ${cols} FROM unit WHERE id = ${scope.rootId}
        UNION ALL ${step})`;
    case 'named':
      return sql`WITH RECURSIVE ${head} AS (
        SELECT ${cols} FROM unit WHERE name = ${scope.name}
        UNION ALL ${step})`;
    case 'level': {
      if (scope.withinId !== undefined) {
        // Walk down from the parent only, marking the units of the level and everything below
        // them: the walk starts from one row, so PostgreSQL plans it with the parent_id index
        // (seeded with every unit of the level, it hashed the whole unit table twice: 19 ms for
        // a community's 15 compounds).
        const walked = sql.raw(units ? 'id, name, level, parent_id, archived_at' : 'id');
        const walkStep = sql.raw(units ? 'u.id, u.name, u.level, u.parent_id, u.archived_at' : 'u.id');
        return sql`WITH RECURSIVE scope_walk(${walked}, inside) AS (
            SELECT ${walked}, level = ${scope.level} FROM unit WHERE id = ${scope.withinId}
            UNION ALL SELECT ${walkStep}, (w.inside OR u.level = ${scope.level}) FROM unit u JOIN scope_walk w ON u.parent_id = w.id),
          ${head} AS (SELECT ${cols} FROM scope_walk WHERE inside)`;
      }
      return sql`WITH RECURSIVE ${head} AS (
        SELECT ${cols} FROM unit WHERE level = ${scope.level}
        UNION ALL ${step})`;
    }
  }
}

/**
 * `col` is one of `ids`, with the ids as ONE parameter (an array on PostgreSQL, a JSON array on
 * SQLite): one statement text for any number of ids, planned like a list of values.
 */
function inIds(db: Db, col: RawBuilder<unknown>, ids: readonly number[]): RawBuilder<unknown> {
  return dialectOf(db) === 'postgres' ? sql`${col} = ANY(${[...ids]}::bigint[])` : sql`${col} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

/** The units of a scope (id, name, level, parent_id, parent_name); archived units are left out (`unit remove --archive`). */
export async function scopeUnits(db: Db, scope: UnitScope): Promise<ScopeUnitRow[]> {
  return (await scopeUnitsAt(db, scope)).units;
}

/**
 * scopeUnits and the unit table's change counter, from one statement (one snapshot): the counter
 * comes as a row of its own (no id), so that the unit rows keep the driver's shape (a property
 * deleted from 15,000 rows would turn each into a slower, larger dictionary object).
 */
async function scopeUnitsAt(db: Db, scope: UnitScope): Promise<{ units: ScopeUnitRow[]; version: number | null }> {
  const cte = scopeCte(scope, 'units');
  const counter = sql`UNION ALL SELECT NULL, NULL, NULL, n, NULL FROM unit_version WHERE id = 1`;
  type Row = Omit<ScopeUnitRow, 'id'> & { id: number | null };
  const query =
    scope.kind === 'ids'
      ? sql<Row>`SELECT u.id, u.name, u.level, u.parent_id, p.name AS parent_name FROM unit u LEFT JOIN unit p ON p.id = u.parent_id WHERE ${inIds(db, sql.ref('u.id'), scope.ids)} AND u.archived_at IS NULL ${counter}`
      : cte === null
        ? sql<Row>`SELECT u.id, u.name, u.level, u.parent_id, p.name AS parent_name FROM unit u LEFT JOIN unit p ON p.id = u.parent_id WHERE u.archived_at IS NULL ${counter}`
        : sql<Row>`${cte} SELECT s.id, s.name, s.level, s.parent_id, p.name AS parent_name FROM scope_units s LEFT JOIN unit p ON p.id = s.parent_id WHERE s.archived_at IS NULL ${counter}`;
  const { rows } = await query.execute(db);
  const units: ScopeUnitRow[] = [];
  let version: number | null = null;
  for (const r of rows) {
    if (r.id === null) version = Number(r.parent_id);
    else units.push(r as ScopeUnitRow);
  }
  return { units, version };
}

/** The unit table's change counter (null before its migration). */
async function unitVersion(db: Db): Promise<number | null> {
  const row = await db.selectFrom('unit_version').select('n').where('id', '=', 1).executeTakeFirst();
  return row === undefined ? null : Number(row.n);
}

// ---------------------------------------------------------------- the unit tree cache

interface CachedScope {
  version: number;
  units: ScopeUnitRow[];
  ids: number[];
}

/** Scopes kept per database (every unit and community a street's chats ask about), and units in all of them together. */
const MAX_CACHED_SCOPES = 2_000;
const MAX_CACHED_UNITS = 20_000;
/**
 * A scope of more units is not kept: city-wide reads (a ranking of every compound) are rare, gain
 * little (their entries are read through the walk anyway) and would hold megabytes, or push out
 * every street and community kept (the service's peak RSS at city scale rose to 157 MB with them).
 */
const MAX_KEPT_SCOPE_UNITS = 2_000;

/** The kept scopes of one database, least recently used first (a Map keeps insertion order). */
interface ScopeCache {
  scopes: Map<string, CachedScope>;
  units: number;
}
const caches = new WeakMap<Db, ScopeCache>();

const scopeKey = (scope: UnitScope): string | undefined => (scope.kind === 'ids' ? undefined : JSON.stringify(scope));

function remember(db: Db, key: string, entry: CachedScope): void {
  const root = rootOf(db);
  let cache = caches.get(root);
  if (!cache) caches.set(root, (cache = { scopes: new Map(), units: 0 }));
  const old = cache.scopes.get(key);
  if (old) {
    cache.scopes.delete(key);
    cache.units -= old.units.length;
  }
  cache.scopes.set(key, entry);
  cache.units += entry.units.length;
  for (const [k, e] of cache.scopes) {
    if (cache.scopes.size <= MAX_CACHED_SCOPES && cache.units <= MAX_CACHED_UNITS) break;
    cache.scopes.delete(k);
    cache.units -= e.units.length;
  }
}

export interface ScopeRead {
  units: Promise<ScopeUnitRow[]>;
  rows: Promise<ScopeGradingRows>;
}

/**
 * A scope's units (scopeUnits) and its entries and vetoes for `years` (scopeGradingRows), read
 * side by side. The unit tree of a scope read before is kept in this process: then only the unit
 * table's change counter is read (one number), beside the entries of the kept units' ids, and the
 * tree is read again only when the counter moved (a unit added, renamed, moved or archived — by
 * any process: a trigger counts every write). Kept only from reads outside a transaction (what a
 * transaction read may be rolled back); used inside one when the counter matches.
 */
export function readScope(db: Db, scope: UnitScope, years: readonly number[], options: { asOf?: number } = {}): ScopeRead {
  const key = scopeKey(scope);
  const cached = key === undefined ? undefined : caches.get(rootOf(db))?.scopes.get(key);
  const fresh = (): ScopeRead => {
    const unitsAt = scopeUnitsAt(db, scope);
    const units = unitsAt.then(({ units: u, version }) => {
      if (key !== undefined && version !== null && !db.isTransaction && u.length <= MAX_KEPT_SCOPE_UNITS) remember(db, key, { version, units: u, ids: u.map((r) => r.id) });
      return u;
    });
    return { units, rows: scopeGradingRows(db, scope, years, options) };
  };
  if (cached === undefined) return fresh();
  // The entries of the kept ids (a plain index read, as a bare read of them is) and the counter,
  // in one statement.
  const current = gradingRows(db, { kind: 'ids', ids: cached.ids }, years, options, true).then(({ version, ...rows }): ScopeRead => {
    if (version !== cached.version) return fresh();
    remember(db, key!, cached);
    return { units: Promise.resolve(cached.units), rows: Promise.resolve(rows) };
  });
  current.catch(() => undefined);
  return { units: current.then((r) => r.units), rows: current.then((r) => r.rows) };
}

/**
 * What a grading reads besides the units: the score entries and the vetoes of a scope. Read for
 * several years, each row carries its year; for one year, the entries do not (a city-wide
 * ranking reads 157k of them: a fifth column and a copy of every row cost memory).
 */
export interface ScopeGradingRows {
  entries: Array<ScoreEntryLite & { year?: number }>;
  vetoes: Array<ScopeVetoRow & { year: number }>;
}

/**
 * The score entries (history included: the engine keeps the entry with the highest id per
 * (unit, item), so no grouping is needed here and the read is as cheap as a bare read) and the
 * vetoes of a scope for each of `years`, in ONE statement (one round trip on PostgreSQL). With
 * `asOf`, as they stood at that instant: entries entered before it, vetoes set before it and not
 * cleared by then; else the vetoes active now.
 */
export async function scopeGradingRows(db: Db, scope: UnitScope, years: readonly number[], options: { asOf?: number } = {}): Promise<ScopeGradingRows> {
  return gradingRows(db, scope, years, options, false);
}

/**
 * scopeGradingRows, and with `withVersion` the unit table's change counter from the same
 * statement (one snapshot, one round trip): its row is the one without a unit.
 */
async function gradingRows(db: Db, scope: UnitScope, years: readonly number[], options: { asOf?: number }, withVersion: boolean): Promise<ScopeGradingRows & { version?: number | null }> {
  if (years.length === 0) return withVersion ? { entries: [], vetoes: [], version: await unitVersion(db) } : { entries: [], vetoes: [] };
  const cte = scopeCte(scope);
  const at = options.asOf;
  const inYears = (col: string) => (years.length === 1 ? sql`${sql.ref(col)} = ${years[0]}` : sql`${sql.ref(col)} IN (${sql.join(years)})`);
  const inScope = (col: string) => (scope.kind === 'ids' ? sql`AND ${inIds(db, sql.ref(col), scope.ids)}` : cte === null ? sql`` : sql`AND ${sql.ref(col)} IN (SELECT id FROM scope_ids)`);
  // `+ 0`: the bound must filter the scope's rows, never choose the entered_at index (kept for
  // changesInWindow). A generic plan of this named statement cannot see that the bound is "now"
  // and guesses a third of the table below it: it read all 191k city entries through that index
  // (36 ms) instead of the scope's 3.8k through (year, unit_id) (2 ms).
  const entered = at === undefined ? sql`` : sql`AND e.entered_at + 0 < ${at}`;
  const active = at === undefined ? sql`v.cleared_at IS NULL` : sql`v.set_at < ${at} AND (v.cleared_at IS NULL OR v.cleared_at >= ${at})`;
  // One column list for both: a veto is the row without points (an entry always has them); the
  // year only when several are read (a city-wide ranking reads 157k rows of one year).
  const year = years.length === 1 ? sql`` : sql`, e.year AS year`;
  const vetoYear = years.length === 1 ? sql`` : sql`, v.year`;
  const versionRow = withVersion ? sql`UNION ALL SELECT NULL, NULL, NULL, n${years.length === 1 ? sql`` : sql`, NULL`} FROM unit_version WHERE id = 1` : sql``;
  type Row = { unitId: number | null; itemCode: string; points: number | null; seq: number; year?: number };
  const { rows } = await sql<Row>`${cte ?? sql``}
    SELECT e.unit_id AS "unitId", e.item_code AS "itemCode", e.points AS points, e.id AS seq${year} FROM score_entry e
      WHERE ${inYears('e.year')} ${inScope('e.unit_id')} ${entered}
    UNION ALL
    SELECT v.unit_id, v.reason, NULL, v.id${vetoYear} FROM veto v
      WHERE ${inYears('v.year')} AND ${active} ${inScope('v.unit_id')}
    ${versionRow}`.execute(db);
  const entries: ScopeGradingRows['entries'] = [];
  const vetoes: Array<ScopeVetoRow & { year: number; seq: number }> = [];
  let version: number | null = null;
  for (const r of rows) {
    if (r.unitId === null) version = Number(r.seq);
    else if (r.points === null) vetoes.push({ unit_id: r.unitId, reason: r.itemCode, year: r.year ?? years[0]!, seq: r.seq });
    // The driver's row itself: the engine reads these fields.
    else entries.push(r as ScoreEntryLite & { year?: number });
  }
  // Vetoes in the order they were set (their reasons are listed so).
  vetoes.sort((x, y) => x.seq - y.seq);
  const read = { entries, vetoes: vetoes.map(({ seq: _, ...v }) => v) };
  return withVersion ? { ...read, version } : read;
}

export interface WindowChangeRow {
  unit_id: number;
  year: number;
  /** Score entries entered in the window. */
  entries: number;
  /** Vetoes set or cleared in the window. */
  veto_events: number;
}

/**
 * Per (unit, year): score entries entered and vetoes set or cleared in [since, until).
 * (PostgreSQL's numeric sums come back as numbers too: see openPostgres.)
 */
export async function changesInWindow(db: Db, since: number, until?: number): Promise<WindowChangeRow[]> {
  const upper = (col: RawBuilder<unknown>) => (until === undefined ? sql`` : sql`AND ${col} < ${until}`);
  const query = sql<WindowChangeRow>`
    SELECT unit_id, year, sum(entries) AS entries, sum(veto_events) AS veto_events FROM (
      SELECT unit_id, year, count(*) AS entries, 0 AS veto_events FROM score_entry
        WHERE entered_at >= ${since} ${upper(sql.ref('entered_at'))} GROUP BY unit_id, year
      UNION ALL
      SELECT unit_id, year, 0, count(*) FROM veto WHERE set_at >= ${since} ${upper(sql.ref('set_at'))} GROUP BY unit_id, year
      UNION ALL
      SELECT unit_id, year, 0, count(*) FROM veto WHERE cleared_at >= ${since} ${upper(sql.ref('cleared_at'))} GROUP BY unit_id, year
    ) AS w GROUP BY unit_id, year ORDER BY year, unit_id`;
  return (await query.execute(db)).rows;
}

/** Years that have any score entry at or before `year`, newest first. */
export async function scoredYearsUpTo(db: Db, year: number): Promise<number[]> {
  // A skip scan in one statement: one index seek (max(year) below the last found) per distinct
  // year, instead of DISTINCT reading the whole index (~12 ms on a city-sized table).
  const { rows } = await sql<{ y: number }>`WITH RECURSIVE scored(y) AS (
      SELECT max(year) FROM score_entry WHERE year <= ${year}
      UNION ALL
      SELECT (SELECT max(e.year) FROM score_entry e WHERE e.year < s.y) FROM scored s WHERE s.y IS NOT NULL
    ) SELECT y FROM scored WHERE y IS NOT NULL`.execute(db);
  return rows.map((r) => Number(r.y));
}
