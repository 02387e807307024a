/**
 * The scoring engine: pure functions over plain data (no database, clock or logger).
 * The bot, the CLI and the digest all grade through this module (via
 * src/services/grading.service.ts).
 *
 * - `gradeUnit(plan, {name, level, scores, vetoReasons, subUnits})` → `UnitGrade`
 * - `gradeTree(plan, {units, scores, vetoes})` → `GradedTree` (every unit, one pass; `.detail(id)`)
 * - `gapToNextGrade(unitGrade, {limit?})` → `Gap`
 * - `rankUnits(gradedUnits)` → `Ranking` (rows by total then name, grade counts)
 * - `targetProgress(plan, {firstYear, at, years, units})` → `TargetProgress`
 * - `needsRectification(previousGrade, grade)`, `nextGradeOf`, `compareGrades`
 */
export * from './types.js';
export { GradedTree, MAX_NAMED_SUB_UNITS, TreeError, compareGrades, gradeTree, gradeUnit, needsRectification, nextGradeOf, type GradeUnitInput } from './grade.js';
export { DEFAULT_TOP_LOSSES, gapToNextGrade } from './gap.js';
export { compareNames, countGrades, rankUnits } from './rank.js';
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
} from './targets.js';
export { fmtPercent, fmtPoints, joinLevels } from './format.js';
