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
import type { BenchResult } from './index.js';
import { generateCity } from './city.js';
import { fixedClock } from '../src/clock.js';
import { openDatabase } from '../src/db/database.js';
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

export default async function scoringBench(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dangjian-bench-scoring-'));
  const file = join(dir, 'city.db');
  try {
    const city = await generateCity(file, { streets: 50, communities: 1000, compounds: 15000, others: 2000, seed: 20231231 });
    const year = city.years[0]!;
    const street = city.streetNames[7]!;

    const opened = openDatabase(file);
    const deps: GradingDeps = { db: opened.db, plan: loadPlan(), clock: fixedClock(`${year}-12-01T10:00:00+08:00`), tz: 'Asia/Shanghai' };
    // The bare reads use their own connection, as a separate reader would.
    const raw = new SQLite(file, { readonly: true });
    const streetIds = (
      raw
        .prepare(
          `WITH RECURSIVE sub(id) AS (SELECT id FROM unit WHERE name = ? UNION ALL SELECT u.id FROM unit u JOIN sub ON u.parent_id = sub.id) SELECT id FROM sub`,
        )
        .all(street) as Array<{ id: number }>
    ).map((r) => r.id);
    const streetRead = raw.prepare(`SELECT unit_id, item_code, points FROM score_entry WHERE year = ? AND unit_id IN (${streetIds.map(() => '?').join(',')})`);
    const compoundRead = raw.prepare(
      `SELECT s.unit_id, s.item_code, s.points FROM score_entry s JOIN unit u ON u.id = s.unit_id WHERE s.year = ? AND u.level = 'compound'`,
    );
    const streetRows = streetRead.all(year, ...streetIds).length;
    const compoundRows = compoundRead.all(year).length;

    let graded = 0;
    const gradeStreet = await compare(
      31,
      () => streetRead.all(year, ...streetIds),
      async () => {
        graded = (await gradeSubtree(deps, { unit: street, year })).units.length;
      },
    );
    let ranked = 0;
    const rankCity = await compare(
      11,
      () => compoundRead.all(year),
      async () => {
        ranked = (await ranking(deps, { level: 'compound', year })).rows.length;
      },
    );
    raw.close();
    await opened.close();

    return {
      bench: 'scoring',
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      measures: [
        {
          name: 'generate city',
          value: city.generationMs,
          unit: 'ms',
          detail: { units: city.units, scoreRows: city.scoreRows },
        },
        {
          name: `grade every unit of one street (${graded} units, ${streetRows} score rows)`,
          ratio: gradeStreet.measureMs / gradeStreet.boundMs,
          goal: GOAL,
          value: gradeStreet.measureMs,
          unit: 'ms',
          detail: { boundMs: Number(gradeStreet.boundMs.toFixed(2)) },
        },
        {
          name: `rank all compounds of the city (${ranked} units, ${compoundRows} score rows)`,
          ratio: rankCity.measureMs / rankCity.boundMs,
          goal: GOAL,
          value: rankCity.measureMs,
          unit: 'ms',
          detail: { boundMs: Number(rankCity.boundMs.toFixed(2)) },
        },
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
