/**
 * Scoring speed on a generated city (50 streets, 1,000 communities, 15,000 compounds,
 * 2,000 buildings/districts/social organisations, every sub-item scored):
 * - grade every unit of one street (`gradeSubtree`), and
 * - rank all compounds of the city (`ranking`),
 * each as a ratio to a bare SQL read of the same score rows (raw better-sqlite3, no
 * de-duplication, no grading) timed in the same run. Goal: at most 2×. Medians of
 * interleaved runs after warm-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { BenchMeasure, BenchResult } from './index.js';
import { generateCity, type City } from './city.js';
import { fixedClock } from '../src/clock.js';
import { openDatabase, type Db } from '../src/db/database.js';
import { loadPlan } from '../src/plan/load-plan.js';
import { gradeSubtree, ranking, type GradingDeps } from '../src/services/grading.service.js';

const WARMUP = 3;
const GOAL = 2;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timeIt(fn: () => unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Runs bound and measure alternately; returns the medians. */
async function compare(runs: number, bound: () => unknown, measure: () => Promise<unknown>): Promise<{ boundMs: number; measureMs: number }> {
  for (let i = 0; i < WARMUP; i++) {
    await timeIt(bound);
    await timeIt(measure);
  }
  const b: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < runs; i++) {
    b.push(await timeIt(bound));
    m.push(await timeIt(measure));
  }
  return { boundMs: median(b), measureMs: median(m) };
}

/**
 * The bare reads the grading is compared with, on one engine: the ids of a street's subtree,
 * that subtree's score rows of a year, and every compound's score rows of a year (each read
 * returns its row count).
 */
export interface BareReads {
  subtreeIds(unitName: string): Promise<number[]>;
  streetRows(year: number, ids: readonly number[]): Promise<number>;
  compoundRows(year: number): Promise<number>;
  close(): Promise<void>;
}

/** The bare reads on SQLite: raw better-sqlite3 on a connection of their own, as a separate reader would. */
export function sqliteBareReads(file: string): BareReads {
  const raw = new SQLite(file, { readonly: true });
  const compoundRead = raw.prepare(
    `SELECT s.unit_id, s.item_code, s.points FROM score_entry s JOIN unit u ON u.id = s.unit_id WHERE s.year = ? AND u.level = 'compound'`,
  );
  let streetRead: { ids: number; stmt: SQLite.Statement } | undefined;
  return {
    subtreeIds: async (name) =>
      (
        raw
          .prepare(`WITH RECURSIVE sub(id) AS (SELECT id FROM unit WHERE name = ? UNION ALL SELECT u.id FROM unit u JOIN sub ON u.parent_id = sub.id) SELECT id FROM sub`)
          .all(name) as Array<{ id: number }>
      ).map((r) => r.id),
    streetRows: async (year, ids) => {
      if (streetRead?.ids !== ids.length) {
        streetRead = { ids: ids.length, stmt: raw.prepare(`SELECT unit_id, item_code, points FROM score_entry WHERE year = ? AND unit_id IN (${ids.map(() => '?').join(',')})`) };
      }
      return streetRead.stmt.all(year, ...ids).length;
    },
    compoundRows: async (year) => compoundRead.all(year).length,
    close: async () => void raw.close(),
  };
}

/**
 * Grades every unit of one street and ranks every compound of the city through the services on
 * `db`, each against the bare read of the same rows on the same engine (`bare`).
 */
export async function measureScoring(city: City, db: Db, bare: BareReads, label = ''): Promise<BenchMeasure[]> {
  const year = city.years[0]!;
  const street = city.streetNames[7]!;
  const deps: GradingDeps = { db, plan: loadPlan(), clock: fixedClock(`${year}-12-01T10:00:00+08:00`), tz: 'Asia/Shanghai' };
  const streetIds = await bare.subtreeIds(street);
  const streetRows = await bare.streetRows(year, streetIds);
  const compoundRows = await bare.compoundRows(year);

  let graded = 0;
  const gradeStreet = await compare(
    31,
    () => bare.streetRows(year, streetIds),
    async () => {
      graded = (await gradeSubtree(deps, { unit: street, year })).units.length;
    },
  );
  let ranked = 0;
  const rankCity = await compare(
    11,
    () => bare.compoundRows(year),
    async () => {
      ranked = (await ranking(deps, { level: 'compound', year })).rows.length;
    },
  );
  return [
    {
      name: `${label}grade every unit of one street (${graded} units, ${streetRows} score rows) vs a bare read`,
      ratio: gradeStreet.measureMs / gradeStreet.boundMs,
      goal: GOAL,
      value: gradeStreet.measureMs,
      unit: 'ms',
      detail: { boundMs: Number(gradeStreet.boundMs.toFixed(2)) },
    },
    {
      name: `${label}rank all compounds of the city (${ranked} units, ${compoundRows} score rows) vs a bare read`,
      ratio: rankCity.measureMs / rankCity.boundMs,
      goal: GOAL,
      value: rankCity.measureMs,
      unit: 'ms',
      detail: { boundMs: Number(rankCity.boundMs.toFixed(2)) },
    },
  ];
}

export default async function scoringBench(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dangjian-bench-scoring-'));
  const file = join(dir, 'city.db');
  try {
    const city = await generateCity(file, { streets: 50, communities: 1000, compounds: 15000, others: 2000, seed: 20231231 });
    const opened = openDatabase(file);
    const bare = sqliteBareReads(file);
    const measures = await measureScoring(city, opened.db, bare);
    await bare.close();
    await opened.close();
    return {
      bench: 'scoring',
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      measures: [{ name: 'generate city', value: city.generationMs, unit: 'ms', detail: { units: city.units, scoreRows: city.scoreRows } }, ...measures],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
