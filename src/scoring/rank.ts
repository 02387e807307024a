/** Rankings of units of one level: by total (highest first), then by name. */
import type { Grade } from '../plan/schema.js';
import type { GradeCounts, GradedUnit, RankRow, Ranking } from './types.js';

/** Code-point order: deterministic on every machine (no locale collation). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function countGrades(units: ReadonlyArray<{ grade: Grade }>): GradeCounts {
  const counts: GradeCounts = { none: 0, standard: 0, demonstration: 0 };
  for (const u of units) counts[u.grade] += 1;
  return counts;
}

/**
 * Orders units by total descending, then name; equal totals share a rank (1, 2, 2, 4).
 * The caller chooses the units (one level, within a street or a community).
 */
export function rankUnits(units: readonly GradedUnit[]): Ranking {
  const sorted = [...units].sort((a, b) => b.totalHalf - a.totalHalf || compareNames(a.name, b.name));
  const rows: RankRow[] = [];
  let previousHalf = Number.NaN;
  let rank = 0;
  sorted.forEach((u, i) => {
    if (u.totalHalf !== previousHalf) {
      rank = i + 1;
      previousHalf = u.totalHalf;
    }
    rows.push({ rank, id: u.id, unit: u.name, level: u.level, total: u.total, grade: u.grade });
  });
  return { rows, counts: countGrades(units) };
}
