/**
 * The scoring engine: pure functions over plain data (no database, clock or logger).
 * The bot, the CLI and the digest all grade through this module (via
 * src/services/grading.service.ts).
 *
 * - `gradeUnit(plan, {name, level, scores, vetoReasons, subUnits})` → `UnitGrade`
 * - `gradeTree(plan, {units, scores, vetoes})` → `GradedTree` (every unit, one pass; `.detail(id)`)
 * - `gapToNextGrade(unitGrade, {limit?})` → `Gap`
 * - `rankUnits(gradedUnits, tree?)` → `Ranking` (rows by total then pinyin name; parent, veto, scored)
 * - `targetProgress(plan, {firstYear, at, grades, units, overrides?})` → `TargetProgress`
 * - `needsRectification(previousGrade, grade)`, `gradeMove(previous, current)` (晋位 / 保持 / 降级 / 新评), `nextGradeOf`, `compareGrades`
 * - `gradeState(unit)` / `gradeLabelZh(unit)`: 「尚无评分」 for a unit without entries in the year
 */
export * from './types.js';
export {
  GradedTree,
  compareGrades,
  gradeLabelZh,
  gradeMove,
  gradeState,
  gradeTree,
  gradeUnit,
  needsRectification,
  nextGradeOf,
  type GradeMove,
} from './grade.js';
export { gapToNextGrade } from './gap.js';
export { compareNames, pinyinCollationAvailable, rankUnits } from './rank.js';
export {
  endOfMonth,
  milestoneDate,
  programmeStart,
  targetProgress,
  type MilestoneProgress,
  type RequirementProgress,
  type TargetProgress,
  type UnitYearGrade,
} from './targets.js';
