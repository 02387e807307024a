/** Wording helpers for blockers and notes (Simplified Chinese, the plan's vocabulary). */
import { LEVEL_NAMES_ZH, type Level } from '../plan/schema.js';

/** Half points → points as a plain number: 175 → 87.5, 180 → 90. */
export const halfToPoints = (half: number): number => half / 2;

/** Points for display: 87.5, 90 (never 87.49999). */
export function fmtPoints(points: number): string {
  return String(Math.round(points * 2) / 2);
}

/** 「社区、小区、楼宇和商圈」 as the document writes lists of levels. */
export function joinLevels(levels: readonly Level[]): string {
  const names = levels.map((l) => LEVEL_NAMES_ZH[l]);
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join('、')}和${names[names.length - 1]}`;
}

/** A ratio as a percentage for display only (one decimal, no trailing .0): 2/7 → 28.6, 3/10 → 30. */
export function fmtPercent(numerator: number, denominator: number): string {
  if (denominator === 0) return '0';
  return String(Math.round((numerator * 1000) / denominator) / 10);
}
