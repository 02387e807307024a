/**
 * Plain data in and out of the scoring engine. No database rows, no dates-as-objects:
 * the service layer maps rows to these shapes.
 */
import type { Grade, Level } from '../plan/schema.js';

/** A unit of the hierarchy as the engine sees it. */
export interface UnitInput {
  id: number;
  name: string;
  level: Level;
  /** Null for a root, or when the parent is not part of the data given. */
  parentId: number | null;
}

/**
 * One score entry. The service passes the latest entry per (unit, item); when the same
 * (unit, item) appears more than once, the entry with the highest `seq` (the score_entry id)
 * wins, so the result never depends on the order of the array.
 */
export interface ScoreInput {
  unitId: number;
  itemCode: string;
  points: number;
  seq?: number;
}

export interface VetoInput {
  unitId: number;
  reason: string;
}

/** Everything needed to grade a tree for one assessment year. */
export interface YearInput {
  units: readonly UnitInput[];
  scores: readonly ScoreInput[];
  vetoes: readonly VetoInput[];
}

export type UpperGrade = Exclude<Grade, 'none'>;

/** The compact result per unit of `gradeTree` (enough to rank and count). */
export interface GradedUnit {
  id: number;
  name: string;
  level: Level;
  parentId: number | null;
  /** Total in half points (an integer); `total` is the same in points. */
  totalHalf: number;
  total: number;
  max: number;
  grade: Grade;
  veto: boolean;
  /** Sub-items of the unit's rubric that have an entry this year. */
  assessed: number;
  itemCount: number;
}

/** A sub-unit as a condition sees it. */
export interface SubUnitGrade {
  name: string;
  level: Level;
  total: number;
  grade: Grade;
}

export interface ItemResult {
  code: string;
  /** The sub-item's text in Annex 2. */
  title: string;
  indicator: number;
  /** Points counted (0 when not yet assessed). */
  points: number;
  max: number;
  /** False: no entry yet (未评), counted as 0. */
  assessed: boolean;
}

export interface IndicatorResult {
  number: number;
  title: string;
  points: number;
  max: number;
  /** How many of its sub-items are assessed. */
  assessed: number;
  items: ItemResult[];
}

export type CheckRule = 'threshold' | 'veto' | 'all' | 'ratio' | 'count' | 'subItems';

/** One rule of one grade, evaluated. */
export interface ConditionCheck {
  grade: UpperGrade;
  rule: CheckRule;
  met: boolean;
  /** Met only because the unit has no sub-units of the levels concerned. */
  vacuous: boolean;
  /** The rule as the plan states it. */
  ruleText: string;
  /** What was measured, in words a secretary understands (the blocker when unmet). */
  detail: string;
  /**
   * Sub-unit conditions: how many reached the grade, out of how many, how many needed.
   * `subItems` conditions: the items' points, their maximum, the points needed.
   */
  reached?: number;
  of?: number;
  required?: number;
  /** For `all` conditions: the sub-units that have not reached the grade, closest first. */
  failing?: SubUnitGrade[];
}

/** Full result for one unit (`gradeUnit`). */
export interface UnitGrade {
  name: string;
  level: Level;
  totalHalf: number;
  total: number;
  max: number;
  /** The plan's score thresholds, in points. */
  thresholds: Record<UpperGrade, number>;
  grade: Grade;
  /** The grade above the current one; null at the top. */
  nextGrade: UpperGrade | null;
  veto: boolean;
  vetoReasons: string[];
  assessed: number;
  itemCount: number;
  indicators: IndicatorResult[];
  items: ItemResult[];
  /** Every rule of both grades, evaluated, in the plan's order. */
  checks: ConditionCheck[];
  /** The unmet rules of `nextGrade`, as text. Empty at the top. */
  blockers: string[];
  /** Things the secretary should know: vacuous conditions, unassessed items, unenforced rules. */
  notes: string[];
}

export interface Loss {
  code: string;
  title: string;
  indicator: number;
  lost: number;
  points: number;
  max: number;
  assessed: boolean;
}

export interface Gap {
  nextGrade: UpperGrade | null;
  /** Points below the next grade's threshold (0 when the total is already enough). */
  pointsShort: number;
  /** Sub-items that lost the most points, largest first (ties in plan order). */
  topLosses: Loss[];
  /** The other unmet rules of the next grade (sub-units, veto), as text. */
  otherBlockers: string[];
}

export interface RankRow {
  rank: number;
  id: number;
  unit: string;
  level: Level;
  total: number;
  grade: Grade;
  /** The unit it belongs to (所属社区 for a compound; the street for the others), when known. */
  parentId: number | null;
  parent: string | null;
  /** 一票否决 this year: shown next to the grade. */
  veto: boolean;
  /** False when the unit has no entry this year (shown as 「尚无评分」, not 0 分). */
  scored: boolean;
}

export interface GradeCounts {
  none: number;
  standard: number;
  demonstration: number;
}

export interface Ranking {
  rows: RankRow[];
  counts: GradeCounts;
}
