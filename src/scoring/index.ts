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
 * - `needsRectification(previousGrade, grade)`, `nextGradeOf`, `compareGrades`
 * - `gradeState(unit)` / `gradeLabelZh(unit)`: 「尚无评分」 for a unit without entries in the year
 */
export * from './types.js';
export {
  GradedTree,
  MAX_NAMED_SUB_UNITS,
  NOT_SCORED_ZH,
  TreeError,
  compareGrades,
  gradeLabelZh,
  gradeState,
  gradeTree,
  gradeUnit,
  needsRectification,
  nextGradeOf,
  type GradeUnitInput,
} from './grade.js';
export { DEFAULT_TOP_LOSSES, gapToNextGrade } from './gap.js';
export { compareNames, countGrades, pinyinCollationAvailable, rankUnits, type ParentLookup } from './rank.js';
export {
  dayNumber,
  emptyScopeCounts,
  endOfMonth,
  milestoneDate,
  programmeStart,
  targetProgress,
  type LevelCounts,
  type MilestoneProgress,
  type MilestoneState,
  type RequirementProgress,
  type RequirementStatus,
  type ScopeCounts,
  type TargetInput,
  type TargetProgress,
  type UnitYearGrade,
} from './targets.js';
export { fmtPercent, fmtPoints, joinLevels } from './format.js';
