/**
 * A generated city for benchmarks: streets → communities → compounds, plus buildings,
 * business districts and social organisations under each street, with every sub-item of
 * every unit scored (and a share of entries corrected, so that history exists).
 * Written with raw better-sqlite3 prepared statements in one transaction (schema by the
 * normal migrations). Deterministic for a given seed.
 */
import { rmSync } from 'node:fs';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { loadPlan } from '../src/plan/load-plan.js';
import type { Level, Plan } from '../src/plan/schema.js';
import { mulberry32 } from '../test/support/prng.js';

export interface CityOptions {
  streets: number;
  communities: number;
  compounds: number;
  /** Buildings, business districts and social organisations together (spread over the streets, in turn). */
  others: number;
  seed: number;
  /** Assessment years to score (default [2023]). */
  years?: number[];
  /** Share of entries entered twice (a correction; the later one wins). Default 0.05. */
  revisions?: number;
  plan?: Plan;
}

export interface City {
  file: string;
  years: number[];
  /** Programme first year written to the settings (the first scored year − 2). */
  firstYear: number;
  streetNames: string[];
  units: Record<Level, number>;
  scoreRows: number;
  generationMs: number;
}


/** `total` split over `parts` as evenly as possible. */
function spread(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export async function generateCity(file: string, options: CityOptions): Promise<City> {
  const started = performance.now();
  const plan = options.plan ?? loadPlan();
  const years = options.years ?? [2023];
  const revisions = options.revisions ?? 0.05;
  const random = mulberry32(options.seed);
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });

  const opened = openDatabase(file);
  await migrateToLatest(opened.db);
  await opened.close();
  const { default: SQLite } = await import('better-sqlite3');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = OFF');

  const items = new Map<Level, Array<{ code: string; points: number }>>(
    plan.levels.map((l) => [l.level, l.indicators.flatMap((i) => i.subItems.map((s) => ({ code: s.code, points: s.points })))]),
  );
  const insertUnit = sqlite.prepare('INSERT INTO unit (name, level, parent_id, created_at) VALUES (?, ?, ?, ?)');
  const insertScore = sqlite.prepare(
    'INSERT INTO score_entry (unit_id, year, item_code, points, entered_by, entered_at, note) VALUES (?, ?, ?, ?, ?, ?, NULL)',
  );
  const setSetting = sqlite.prepare('INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)');
  const counts: Record<Level, number> = { street: 0, community: 0, compound: 0, building: 0, district: 0, social_org: 0 };
  const streetNames: string[] = [];
  const created = Date.UTC(years[0]! - 2, 0, 1);
  let scoreRows = 0;
  let clock = Date.UTC(years[0]!, 5, 1);

  const addUnit = (name: string, level: Level, parentId: number | null): number => {
    counts[level] += 1;
    return Number(insertUnit.run(name, level, parentId, created).lastInsertRowid);
  };
  const units: Array<{ id: number; level: Level }> = [];

  sqlite.transaction(() => {
    const communitiesPerStreet = spread(options.communities, options.streets);
    const compoundsPerCommunity = spread(options.compounds, options.communities);
    const othersPerStreet = spread(options.others, options.streets);
    const otherLevels: Level[] = ['building', 'district', 'social_org'];
    let communityIndex = 0;
    let otherIndex = 0;
    for (let s = 0; s < options.streets; s++) {
      const streetName = `第${s + 1}街道`;
      streetNames.push(streetName);
      const streetId = addUnit(streetName, 'street', null);
      units.push({ id: streetId, level: 'street' });
      for (let c = 0; c < communitiesPerStreet[s]!; c++) {
        const communityName = `${streetName}${c + 1}社区`;
        const communityId = addUnit(communityName, 'community', streetId);
        units.push({ id: communityId, level: 'community' });
        for (let k = 0; k < compoundsPerCommunity[communityIndex]!; k++) {
          units.push({ id: addUnit(`${communityName}${k + 1}小区`, 'compound', communityId), level: 'compound' });
        }
        communityIndex++;
      }
      for (let o = 0; o < othersPerStreet[s]!; o++) {
        const level = otherLevels[otherIndex++ % otherLevels.length]!;
        units.push({ id: addUnit(`${streetName}${level}${o + 1}`, level, streetId), level });
      }
    }
    for (const year of years) {
      for (const u of units) {
        // Unit quality: most units between 70 % and 100 %, so all three grades occur.
        const quality = 0.7 + random() * 0.3;
        for (const item of items.get(u.level)!) {
          const share = Math.min(1, Math.max(0, quality + (random() - 0.5) * 0.1));
          const points = Math.round(share * item.points * 2) / 2;
          if (random() < revisions) {
            insertScore.run(u.id, year, item.code, Math.max(0, points - 1), 'bench', clock++);
            scoreRows++;
          }
          insertScore.run(u.id, year, item.code, points, 'bench', clock++);
          scoreRows++;
        }
      }
    }
    setSetting.run('programme_first_year', String(years[0]! - 2));
    setSetting.run('street_name', streetNames[0] ?? '');
  })();
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.close();
  return { file, years, firstYear: years[0]! - 2, streetNames, units: counts, scoreRows, generationMs: performance.now() - started };
}
