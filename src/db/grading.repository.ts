/**
 * Read-side queries for grading (src/services/grading.service.ts): the units of a scope
 * with all their descendants, the score entries and vetoes of that scope, and what changed
 * in a time window. Scopes are resolved in SQL (recursive CTEs over unit.parent_id), so no
 * id lists travel as parameters.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Level } from '../plan/schema.js';
import type { Db } from './database.js';

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
  | { kind: 'level'; level: Level; withinId?: number };

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
      return null;
    case 'subtree':
      return sql`WITH RECURSIVE ${head} AS (
        SELECT ${cols} FROM unit WHERE id = ${scope.rootId}
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

/** The units of a scope (id, name, level, parent_id, parent_name); archived units are left out (`unit remove --archive`). */
export async function scopeUnits(db: Db, scope: UnitScope): Promise<ScopeUnitRow[]> {
  const cte = scopeCte(scope, 'units');
  const query =
    cte === null
      ? sql<ScopeUnitRow>`SELECT u.id, u.name, u.level, u.parent_id, p.name AS parent_name FROM unit u LEFT JOIN unit p ON p.id = u.parent_id WHERE u.archived_at IS NULL`
      : sql<ScopeUnitRow>`${cte} SELECT s.id, s.name, s.level, s.parent_id, p.name AS parent_name FROM scope_units s LEFT JOIN unit p ON p.id = s.parent_id WHERE s.archived_at IS NULL`;
  return (await query.execute(db)).rows;
}

const ENTRY_COLUMNS = sql.raw('e.unit_id AS "unitId", e.item_code AS "itemCode", e.points AS points, e.id AS seq');

/**
 * Every score entry of a scope for a year (history included: the engine keeps the entry
 * with the highest id per (unit, item), so no grouping is needed here and the read is as
 * cheap as a bare read). With `before`, only entries entered before that instant: the
 * scores as they stood then.
 */
export async function scopeScoreEntries(db: Db, scope: UnitScope, year: number, options: { before?: number } = {}): Promise<ScoreEntryLite[]> {
  return (await entriesQuery(scope, sql`e.year = ${year}`, sql``, options.before).execute(db)).rows;
}

/** As scopeScoreEntries, for several years in one read (one round trip), each row with its year. */
export async function scopeScoreEntriesOfYears(db: Db, scope: UnitScope, years: readonly number[]): Promise<Array<ScoreEntryLite & { year: number }>> {
  return (await entriesQuery<ScoreEntryLite & { year: number }>(scope, sql`e.year IN (${sql.join(years)})`, sql`, e.year AS year`).execute(db)).rows;
}

function entriesQuery<Row = ScoreEntryLite>(scope: UnitScope, years: RawBuilder<unknown>, extra: RawBuilder<unknown>, before?: number): RawBuilder<Row> {
  const cte = scopeCte(scope);
  // `+ 0`: the bound must filter the scope's rows, never choose the entered_at index (kept for
  // changesInWindow). A generic plan of this named statement cannot see that the bound is "now"
  // and guesses a third of the table below it: it read all 191k city entries through that index
  // (36 ms) instead of the scope's 3.8k through (year, unit_id) (2 ms).
  const bound = before === undefined ? sql`` : sql`AND e.entered_at + 0 < ${before}`;
  return cte === null
    ? sql<Row>`SELECT ${ENTRY_COLUMNS}${extra} FROM score_entry e WHERE ${years} ${bound}`
    : sql<Row>`${cte} SELECT ${ENTRY_COLUMNS}${extra} FROM score_entry e
          WHERE ${years} AND e.unit_id IN (SELECT id FROM scope_ids) ${bound}`;
}

/**
 * Vetoes of a scope for a year: active now, or (with `at`) active at that instant
 * (set before it and not cleared by then).
 */
export async function scopeVetoes(db: Db, scope: UnitScope, year: number, options: { at?: number } = {}): Promise<ScopeVetoRow[]> {
  return (await vetoesQuery(scope, [year], options.at).execute(db)).rows;
}

/** The vetoes active now of a scope for several years in one read, each row with its year. */
export async function scopeVetoesOfYears(db: Db, scope: UnitScope, years: readonly number[]): Promise<Array<ScopeVetoRow & { year: number }>> {
  return (await vetoesQuery<ScopeVetoRow & { year: number }>(scope, years).execute(db)).rows;
}

function vetoesQuery<Row = ScopeVetoRow>(scope: UnitScope, years: readonly number[], at?: number): RawBuilder<Row> {
  const cte = scopeCte(scope);
  const active = at === undefined ? sql`v.cleared_at IS NULL` : sql`v.set_at < ${at} AND (v.cleared_at IS NULL OR v.cleared_at >= ${at})`;
  const inScope = cte === null ? sql`` : sql`AND v.unit_id IN (SELECT id FROM scope_ids)`;
  const inYears = years.length === 1 ? sql`v.year = ${years[0]}` : sql`v.year IN (${sql.join(years)})`;
  return sql<Row>`${cte ?? sql``} SELECT v.unit_id, v.reason, v.year FROM veto v WHERE ${inYears} AND ${active} ${inScope} ORDER BY v.id`;
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
