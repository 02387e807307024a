/** Gap to the next grade: points short and where the points were lost. */
import type { Gap, Loss, UnitGrade } from './types.js';

/** How many lost sub-items `gapToNextGrade` lists unless told otherwise. */
const DEFAULT_TOP_LOSSES = 5;

/**
 * Points short of the next grade's threshold, the sub-items that lost the most points
 * (largest first, ties in plan order; not-yet-assessed items lose their full value), and
 * the next grade's other unmet rules. At the top grade `nextGrade` is null and
 * `pointsShort` 0, but `topLosses` still shows where points were lost (to keep the grade).
 */
export function gapToNextGrade(unit: UnitGrade, options: { limit?: number } = {}): Gap {
  const limit = options.limit ?? DEFAULT_TOP_LOSSES;
  const topLosses: Loss[] = unit.items
    .map((i, order) => {
      const lostHalf = i.max * 2 - i.points * 2;
      return { order, lostHalf, loss: { code: i.code, title: i.title, indicator: i.indicator, lost: lostHalf / 2, points: i.points, max: i.max, assessed: i.assessed } };
    })
    .filter((x) => x.lostHalf > 0)
    .sort((a, b) => b.lostHalf - a.lostHalf || a.order - b.order)
    .slice(0, Math.max(0, limit))
    .map((x) => x.loss);
  const next = unit.nextGrade;
  if (next === null) return { nextGrade: null, pointsShort: 0, topLosses, otherBlockers: [] };
  const shortHalf = Math.max(0, unit.thresholds[next] * 2 - unit.totalHalf);
  const otherBlockers = unit.checks.filter((c) => c.grade === next && c.rule !== 'threshold' && !c.met).map((c) => c.detail);
  return { nextGrade: next, pointsShort: shortHalf / 2, topLosses, otherBlockers };
}
