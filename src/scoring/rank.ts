/**
 * Rankings of units of one level: by total (highest first), then by name in pinyin order
 * (the order a Chinese reader expects: 百尺花园, 北苑新村, 星河湾), equal totals sharing a rank.
 */
import type { Grade } from '../plan/schema.js';
import type { GradeCounts, GradedUnit, RankRow, Ranking } from './types.js';

/**
 * Pinyin collation from the runtime's ICU data (Node ships full ICU; `zh` sorts by pinyin by
 * default, `-u-co-pinyin` says so explicitly). Strings the collator holds equal fall back to
 * code-point order, so the order never depends on the input order.
 */
// Created on first use: building it costs ≈ 10 ms, paid otherwise by every CLI command at start.
let pinyin: Intl.Collator | undefined;
const pinyinCollator = (): Intl.Collator => (pinyin ??= new Intl.Collator('zh-CN-u-co-pinyin', { usage: 'sort', sensitivity: 'variant' }));

/** Whether the runtime's ICU has Chinese collation (false on a small-icu build: names then sort by code point). */
export function pinyinCollationAvailable(): boolean {
  return pinyinCollator().resolvedOptions().locale.startsWith('zh');
}

/** Names in pinyin order, ties by code point. */
export function compareNames(a: string, b: string): number {
  return pinyinCollator().compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

function countGrades(units: ReadonlyArray<{ grade: Grade }>): GradeCounts {
  const counts: GradeCounts = { none: 0, standard: 0, demonstration: 0 };
  for (const u of units) counts[u.grade] += 1;
  return counts;
}

/** Where a rank row's parent (所属社区) comes from: a lookup by the unit's `parentId` (e.g. the `GradedTree`), or a function of the unit. */
export type ParentLookup = { get(id: number): { name: string } | undefined } | ((unit: GradedUnit) => { id: number; name: string } | null);

/**
 * Orders units by total descending, then name (pinyin); equal totals share a rank (1, 2, 2, 4).
 * The caller chooses the units (one level, within a street or a community). `parents`
 * supplies the parent for 所属社区.
 */
export function rankUnits(units: readonly GradedUnit[], parents?: ParentLookup): Ranking {
  const sorted = [...units].sort((a, b) => b.totalHalf - a.totalHalf || compareNames(a.name, b.name));
  const rows: RankRow[] = [];
  let previousHalf = Number.NaN;
  let rank = 0;
  sorted.forEach((u, i) => {
    if (u.totalHalf !== previousHalf) {
      rank = i + 1;
      previousHalf = u.totalHalf;
    }
    let parentId = u.parentId;
    let parent: string | null = null;
    if (typeof parents === 'function') {
      const p = parents(u);
      if (p !== null) [parentId, parent] = [p.id, p.name];
    } else if (parentId !== null) parent = parents?.get(parentId)?.name ?? null;
    rows.push({ rank, id: u.id, unit: u.name, level: u.level, total: u.total, grade: u.grade, parentId, parent, veto: u.veto, scored: u.assessed > 0 });
  });
  return { rows, counts: countGrades(units) };
}
