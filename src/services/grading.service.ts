/**
 * Grading service: loads units, latest scores and vetoes, and asks the pure engine
 * (src/scoring) for grades. The CLI (`score show`, `rank`, `targets`), the bot and the
 * weekly digest call these functions; their names and shapes are stable.
 *
 * - `scoreReport(deps, unitName, year?)` → `ScoreReport`: exactly the `score show --json`
 *   shape (unit, level, year, total, max, grade, veto, items, blockers, gap) plus
 *   indicators, checks, notes, veto reasons, previous year and `needsRectification`.
 * - `ranking(deps, {level, parent?, year?})` → `{year, level, parent, rows: [{rank, unit, total, grade}], counts}`.
 * - `gradeSubtree(deps, {unit?, year?})` → every unit below (and including) a unit, graded.
 * - `rectificationList(deps, {unit?, year?})` → units whose grade fell below last year's (需整改).
 * - `targetsReport(deps, {at?})` → progress towards section 二's milestones (`TargetProgress` + scope).
 * - `gradeChanges(deps, {since, until?})` → units whose total, grade or veto changed through
 *   entries made (score_entry.entered_at) or vetoes set/cleared in [since, until).
 *
 * Years default to the current assessment year (`assessmentYear(clock, tz)`). Unit names
 * are matched by `matchUnit` (src/services/units.service.ts), as everywhere.
 */
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { changesInWindow, readScope, scopeGradingRows, scopeUnits, scoredYearsUpTo, type ScopeGradingRows, type ScopeUnitRow, type UnitScope } from '../db/grading.repository.js';
import type { UnitRow } from '../db/schema.js';
import { getProgramme } from '../db/setting.repository.js';
import { listTargetOverrides } from '../db/target-override.repository.js';
import { listUnits } from '../db/unit.repository.js';
import { UserError } from '../errors.js';
import { GRADE_NAMES_ZH, LEVEL_NAMES_ZH, LEVELS, type Grade, type Level, type Plan } from '../plan/schema.js';
import {
  compareGrades,
  compareNames,
  gapToNextGrade,
  gradeTree,
  needsRectification,
  rankUnits,
  targetProgress,
  type ConditionCheck,
  type GradeCounts,
  type GradedTree,
  type GradedUnit,
  type Loss,
  type SubUnitGrade,
  type TargetProgress,
  type UnitGrade,
  type UnitInput,
  type UnitYearGrade,
  type UpperGrade,
} from '../scoring/index.js';
import { programmeYearProblem, programmeYears } from '../plan/programme.js';
import { endOfLocalDay, localDate, parseIsoDate } from '../time.js';
import { requireProgramme } from './programme.service.js';
import { assessmentYear, parseProgrammeYear, parseYear } from './scores.service.js';
import { parseLevel, requiredParentLevel, resolveUnit } from './units.service.js';

export interface GradingDeps {
  db: Db;
  plan: Plan;
  clock: Clock;
  tz: string;
}

/** A year from the user (score show, rank): the current one by default, else one of the programme's. */
async function resolveYear(deps: GradingDeps, year: number | string | undefined): Promise<number> {
  if (year === undefined || String(year).trim() === '') return assessmentYear(deps.clock, deps.tz);
  return parseProgrammeYear(deps, year);
}

/** A year from code (the digest's, or one its caller already checked): the current one by default. */
function givenYear(deps: GradingDeps, year: number | string | undefined): number {
  if (year === undefined || String(year).trim() === '') return assessmentYear(deps.clock, deps.tz);
  return parseYear(year);
}

interface LoadedTree {
  tree: GradedTree;
  units: UnitInput[];
}

/** A scope's units, read or being read. */
type Units = UnitInput[] | Promise<UnitInput[]>;

/** A scope read for some years, to be graded per year. */
interface LoadedScope {
  graded(year: number): LoadedTree;
}

/**
 * The scope's rows (with the parents' names) and its grading for `years` (`grade` picks the
 * years' trees), from one read (readScope: the unit tree kept in this process while the database
 * says it is current; on PostgreSQL outside a transaction the reads go on connections of their own).
 */
async function withScopeRows<T>(deps: GradingDeps, scope: UnitScope, years: number[], asOf: number | undefined, grade: (loaded: LoadedScope) => T): Promise<[ScopeUnitRow[], T]> {
  const read = readScope(deps.db, scope, years, asOf === undefined ? {} : { asOf });
  return Promise.all([read.units, loadScope(deps, scope, years, asOf, read.units.then(toUnitInputs), read.rows).then(grade)]);
}

/** Grades every unit of a scope for a year (scores as they stood `before` an instant, if given). */
async function gradeScope(deps: GradingDeps, scope: UnitScope, year: number, asOf?: number, preloaded?: Units): Promise<LoadedTree> {
  const loaded = await loadScope(deps, scope, [year], asOf, preloaded);
  return loaded.graded(year);
}

/**
 * Grades a scope for `year` and the year before from one read of their rows (score show, 需整改
 * and 评分表 compare the two).
 */
async function gradeScopeAndYearBefore(deps: GradingDeps, scope: UnitScope, year: number, preloaded?: Units): Promise<{ current: LoadedTree; previous: LoadedTree }> {
  const loaded = await loadScope(deps, scope, [year, year - 1], undefined, preloaded);
  return { current: loaded.graded(year), previous: loaded.graded(year - 1) };
}

/** A scope's units, entries and vetoes for `years` (those not given are read), ready to grade per year. */
async function loadScope(
  deps: GradingDeps,
  scope: UnitScope,
  years: number[],
  asOf: number | undefined,
  preloaded: Units | undefined,
  preloadedRows?: Promise<ScopeGradingRows>,
): Promise<LoadedScope> {
  const { db, plan } = deps;
  const options = asOf === undefined ? {} : { asOf };
  const read = preloaded === undefined && preloadedRows === undefined ? readScope(db, scope, years, options) : undefined;
  const [units, rows] = await Promise.all([preloaded ?? read!.units.then(toUnitInputs), preloadedRows ?? read?.rows ?? scopeGradingRows(db, scope, years, options)]);
  const single = years.length === 1;
  return {
    graded: (year) => ({
      tree: gradeTree(plan, {
        units,
        scores: single ? rows.entries : rows.entries.filter((e) => e.year === year),
        vetoes: (single ? rows.vetoes : rows.vetoes.filter((v) => v.year === year)).map((v) => ({ unitId: v.unit_id, reason: v.reason })),
      }),
      units,
    }),
  };
}

/** Scope rows → the engine's input; a unit whose parent lies outside the scope is a root. */
function toUnitInputs(rows: ReadonlyArray<{ id: number; name: string; level: Level; parent_id: number | null }>): UnitInput[] {
  const known = new Set(rows.map((r) => r.id));
  return rows.map((r) => ({ id: r.id, name: r.name, level: r.level, parentId: r.parent_id !== null && known.has(r.parent_id) ? r.parent_id : null }));
}

// ---------------------------------------------------------------- score show

export interface ScoreReportItem {
  code: string;
  title: string;
  indicator: number;
  points: number;
  max: number;
  assessed: boolean;
}

export interface ScoreReport {
  unit: string;
  level: Level;
  levelName: string;
  parent: string | null;
  year: number;
  total: number;
  max: number;
  grade: Grade;
  gradeName: string;
  nextGrade: UpperGrade | null;
  veto: boolean;
  vetoReasons: string[];
  /** Sub-items with an entry / sub-items of the rubric. */
  assessed: number;
  itemCount: number;
  items: ScoreReportItem[];
  indicators: Array<{ number: number; title: string; points: number; max: number; assessed: number; itemCount: number }>;
  blockers: string[];
  gap: { nextGrade: UpperGrade | null; pointsShort: number; topLosses: Loss[] };
  checks: ConditionCheck[];
  notes: string[];
  previousYear: { year: number; grade: Grade | null; total: number | null };
  /** 需整改: assessed this year and the grade fell below last year's. */
  needsRectification: boolean;
}

/**
 * A unit's subtree (its units, entries and vetoes for `years`) read by the unit's name while the
 * caller looks the name up: when the lookup finds the unit of exactly that name (the usual case)
 * the rows are there without another round trip. Otherwise they are never used (nor their
 * failure reported).
 */
export interface SubtreeReadAhead {
  name: string;
  years: readonly number[];
  units: Promise<ScopeUnitRow[]>;
  rows: Promise<ScopeGradingRows>;
}

function readSubtreeAhead(deps: GradingDeps, name: string, years: number[]): SubtreeReadAhead {
  const { units, rows } = readScope(deps.db, { kind: 'named', name }, years);
  // Never used when the lookup finds another unit: not an unhandled rejection then.
  units.catch(() => undefined);
  rows.catch(() => undefined);
  return { name, years, units, rows };
}

/** What `scoreReport` reads for the unit named `name` in the current year (undefined for a year given: it is checked first). */
export function scoreReadAhead(deps: GradingDeps, name: string, year: number | string | undefined): SubtreeReadAhead | undefined {
  if (year !== undefined) return undefined;
  const y = assessmentYear(deps.clock, deps.tz);
  return readSubtreeAhead(deps, name.normalize('NFKC').trim(), [y, y - 1]);
}

/** What `rankingWithMix` reads below the unit named `name` in the current year. */
export function rankingReadAhead(deps: GradingDeps, name: string, year: number | string | undefined): SubtreeReadAhead | undefined {
  if (year !== undefined) return undefined;
  return readSubtreeAhead(deps, name.normalize('NFKC').trim(), [assessmentYear(deps.clock, deps.tz)]);
}

/** The read-ahead when it is of `unit`'s subtree for exactly `years`. */
const readAheadOf = (ahead: SubtreeReadAhead | undefined, unit: UnitRow, years: readonly number[]): SubtreeReadAhead | undefined =>
  ahead !== undefined && ahead.name === unit.name && ahead.years.length === years.length && ahead.years.every((y, i) => y === years[i]) ? ahead : undefined;

/**
 * The full score card of one unit for one year (default: the current assessment year).
 * The previous year's grade counts only if the unit had entries that year; a fall is
 * flagged only once the unit has entries this year (an unassessed year is not a fall).
 */
export async function scoreReport(deps: GradingDeps, unitOrName: string | UnitRow, year?: number | string, readAhead?: SubtreeReadAhead): Promise<ScoreReport> {
  const y = await resolveYear(deps, year);
  // A row the caller has already looked up is not looked up again.
  const unit = typeof unitOrName === 'string' ? await resolveUnit(deps.db, unitOrName, '--unit') : unitOrName;
  const scope: UnitScope = { kind: 'subtree', rootId: unit.id };
  const ahead = readAheadOf(readAhead, unit, [y, y - 1]);
  const [rows, { current, previous }] = ahead
    ? await Promise.all([ahead.units, loadScope(deps, scope, [y, y - 1], undefined, ahead.units.then(toUnitInputs), ahead.rows).then((l) => ({ current: l.graded(y), previous: l.graded(y - 1) }))])
    : await withScopeRows(deps, scope, [y, y - 1], undefined, (l) => ({ current: l.graded(y), previous: l.graded(y - 1) }));
  const detail = current.tree.detail(unit.id);
  const prev = previous.tree.get(unit.id);
  if (!detail || !prev) throw new Error(`unit ${unit.id} missing from its own subtree`);
  // The scope's rows carry each unit's parent name, also the root's (outside the scope).
  const parent = rows.find((r) => r.id === unit.id)?.parent_name ?? null;
  return toScoreReport({ name: unit.name, level: unit.level, parent }, y, detail, prev);
}

/**
 * A unit's official standing for a year: its explained grade (null when it has no entry in
 * the year), its active veto reasons and every descendant's grade (what the self-check grades
 * its self-scores against).
 */
export async function officialStanding(deps: GradingDeps, unit: UnitRow, year: number): Promise<{ grade: UnitGrade | null; vetoReasons: string[]; subUnits: SubUnitGrade[] }> {
  const { tree } = await gradeScope(deps, { kind: 'subtree', rootId: unit.id }, year);
  const detail = tree.detail(unit.id);
  if (!detail) throw new Error(`unit ${unit.id} missing from its own subtree`);
  return {
    grade: detail.assessed > 0 ? detail : null,
    vetoReasons: detail.vetoReasons,
    subUnits: tree.descendants(unit.id).map((u) => ({ name: u.name, level: u.level, total: u.total, grade: u.grade })),
  };
}

/** A graded unit (this year's detail, last year's compact grade) as the ScoreReport shape. */
function toScoreReport(unit: { name: string; level: Level; parent: string | null }, y: number, detail: UnitGrade, prev: GradedUnit): ScoreReport {
  const previousGrade = prev.assessed > 0 ? prev.grade : null;
  const gap = gapToNextGrade(detail);
  return {
    unit: unit.name,
    level: unit.level,
    levelName: LEVEL_NAMES_ZH[unit.level],
    parent: unit.parent,
    year: y,
    total: detail.total,
    max: detail.max,
    grade: detail.grade,
    gradeName: GRADE_NAMES_ZH[detail.grade],
    nextGrade: detail.nextGrade,
    veto: detail.veto,
    vetoReasons: detail.vetoReasons,
    assessed: detail.assessed,
    itemCount: detail.itemCount,
    items: detail.items.map((i) => ({ code: i.code, title: i.title, indicator: i.indicator, points: i.points, max: i.max, assessed: i.assessed })),
    indicators: detail.indicators.map((i) => ({ number: i.number, title: i.title, points: i.points, max: i.max, assessed: i.assessed, itemCount: i.items.length })),
    blockers: detail.blockers,
    gap: { nextGrade: gap.nextGrade, pointsShort: gap.pointsShort, topLosses: gap.topLosses },
    checks: detail.checks,
    notes: detail.notes,
    previousYear: { year: y - 1, grade: previousGrade, total: prev.assessed > 0 ? prev.total : null },
    needsRectification: detail.assessed > 0 && needsRectification(previousGrade, detail.grade),
  };
}

// ---------------------------------------------------------------- ranking

export interface RankingReport {
  year: number;
  level: Level;
  parent: string | null;
  /** `parent`: 所属社区 for compounds (the street for other levels); `veto`: 一票否决; `scored`: false = 尚无评分. */
  rows: Array<{ rank: number; unit: string; total: number; grade: Grade; parent: string | null; veto: boolean; scored: boolean }>;
  counts: GradeCounts;
}

/** Whether units of `level` can sit below a unit of `ancestor` in the hierarchy. */
function canBeBelow(level: Level, ancestor: Level): boolean {
  for (let l = requiredParentLevel(level); l !== null; l = requiredParentLevel(l)) if (l === ancestor) return true;
  return false;
}

/**
 * Units of one level ranked by total, then name; within a street or community when
 * `parent` is given (all its descendants of that level), else across the database.
 */
export async function ranking(deps: GradingDeps, options: { level: string; parent?: string | undefined; year?: number | string | undefined }): Promise<RankingReport> {
  const level = parseLevel(options.level);
  const year = await resolveYear(deps, options.year);
  let parent: UnitRow | undefined;
  if (options.parent !== undefined && options.parent.trim() !== '') {
    parent = await resolveUnit(deps.db, options.parent, '--parent');
    if (!canBeBelow(level, parent.level)) {
      throw new UserError('bad_argument', `${LEVEL_NAMES_ZH[level]}不在「${parent.name}」（${LEVEL_NAMES_ZH[parent.level]}）之下`, '--parent');
    }
  }
  const scope: UnitScope = parent === undefined ? { kind: 'level', level } : { kind: 'level', level, withinId: parent.id };
  // The scope holds the units of the level (within the parent) and their descendants, not
  // their parents: 所属社区 (or the street) comes with each unit's row.
  const [rows, { tree }] = await withScopeRows(deps, scope, [year], undefined, (l) => l.graded(year));
  return rankingOf(tree, rows, level, year, parent?.name ?? null);
}

function rankingOf(tree: GradedTree, rows: ReadonlyArray<{ id: number; parent_id: number | null; parent_name: string | null }>, level: Level, year: number, parent: string | null): RankingReport {
  const parentOf = new Map(rows.map((r) => [r.id, r.parent_id === null || r.parent_name === null ? null : { id: r.parent_id, name: r.parent_name }]));
  const ranked = rankUnits(
    tree.units.filter((u) => u.level === level),
    (u) => parentOf.get(u.id) ?? null,
  );
  return {
    year,
    level,
    parent,
    rows: ranked.rows.map((r) => ({ rank: r.rank, unit: r.unit, total: r.total, grade: r.grade, parent: r.parent, veto: r.veto, scored: r.scored })),
    counts: ranked.counts,
  };
}

/**
 * 排名 below a parent with its picture: the ranking of `level` and the grade mix of the parent's
 * whole subtree (what `ranking` and `gradeMix` give), from ONE grading of that subtree — a
 * unit's grade depends only on the units below it, all of which the subtree holds.
 */
export async function rankingWithMix(deps: GradingDeps, options: { level: string; parent: UnitRow; year?: number | string | undefined; readAhead?: SubtreeReadAhead | undefined }): Promise<{ ranking: RankingReport; mix: GradeMixReport }> {
  const level = parseLevel(options.level);
  const year = await resolveYear(deps, options.year);
  const parent = options.parent;
  if (!canBeBelow(level, parent.level)) {
    throw new UserError('bad_argument', `${LEVEL_NAMES_ZH[level]}不在「${parent.name}」（${LEVEL_NAMES_ZH[parent.level]}）之下`, '--parent');
  }
  const scope: UnitScope = { kind: 'subtree', rootId: parent.id };
  const ahead = readAheadOf(options.readAhead, parent, [year]);
  const [rows, { tree }] = ahead
    ? await Promise.all([ahead.units, loadScope(deps, scope, [year], undefined, ahead.units.then(toUnitInputs), ahead.rows).then((l) => l.graded(year))])
    : await withScopeRows(deps, scope, [year], undefined, (l) => l.graded(year));
  return {
    ranking: rankingOf(tree, rows, level, year, parent.name),
    mix: mixOf(tree.units.filter((u) => u.id !== parent.id), year, parent.name),
  };
}

// ---------------------------------------------------------------- subtree

export interface SubtreeReport {
  year: number;
  root: string | null;
  units: Array<{ unit: string; level: Level; parent: string | null; total: number; grade: Grade; veto: boolean; assessed: number; itemCount: number }>;
  counts: Record<Level, GradeCounts>;
}

/** Every unit below (and including) `unit`, or every unit, graded for a year. */
export async function gradeSubtree(deps: GradingDeps, options: { unit?: string | undefined; year?: number | string | undefined; asOf?: number | undefined } = {}): Promise<SubtreeReport> {
  const year = givenYear(deps, options.year);
  // The subtree of exactly the typed name is read beside the lookup (one round trip fewer on a
  // database server when the lookup finds that unit, the usual case).
  const name = options.unit?.normalize('NFKC').trim();
  const readAhead = name && options.asOf === undefined ? readSubtreeAhead(deps, name, [year]) : undefined;
  const root = options.unit === undefined ? undefined : await resolveUnit(deps.db, options.unit, '--unit');
  const scope: UnitScope = root === undefined ? { kind: 'all' } : { kind: 'subtree', rootId: root.id };
  const ahead = root === undefined ? undefined : readAheadOf(readAhead, root, [year]);
  const [rows, { tree }] = ahead
    ? await Promise.all([ahead.units, loadScope(deps, scope, [year], undefined, ahead.units.then(toUnitInputs), ahead.rows).then((l) => l.graded(year))])
    : await withScopeRows(deps, scope, [year], options.asOf, (l) => l.graded(year));
  const counts = Object.fromEntries(LEVELS.map((l) => [l, { none: 0, standard: 0, demonstration: 0 }])) as Record<Level, GradeCounts>;
  // The root's parent lies outside the subtree: the scope's rows carry its name.
  const rootParent = root === undefined ? null : (rows.find((r) => r.id === root.id)?.parent_name ?? null);
  const units = tree.units.map((u) => {
    counts[u.level][u.grade] += 1;
    const parent = u.parentId === null ? (u.id === root?.id ? rootParent : null) : (tree.get(u.parentId)?.name ?? null);
    return { unit: u.name, level: u.level, parent, total: u.total, grade: u.grade, veto: u.veto, assessed: u.assessed, itemCount: u.itemCount };
  });
  return { year, root: root?.name ?? null, units, counts };
}

// ---------------------------------------------------------------- rectification (需整改)

export interface RectificationReport {
  year: number;
  root: string | null;
  /** Units assessed this year whose grade fell below last year's, street first, then by name. */
  units: Array<{ unit: string; level: Level; parent: string | null; grade: Grade; total: number; previousGrade: Grade; previousTotal: number }>;
}

/**
 * 需整改 list (长效提升: 对未能长效保持的，责令整改提升): every unit (below `unit`, if given)
 * that has entries this year and whose grade is lower than its grade of the year before
 * (the same rule as `scoreReport().needsRectification`).
 */
export async function rectificationList(deps: GradingDeps, options: { unit?: string | undefined; year?: number | string | undefined } = {}): Promise<RectificationReport> {
  const year = givenYear(deps, options.year);
  const root = options.unit === undefined ? undefined : await resolveUnit(deps.db, options.unit, '--unit');
  const scope: UnitScope = root === undefined ? { kind: 'all' } : { kind: 'subtree', rootId: root.id };
  const { current, previous } = await gradeScopeAndYearBefore(deps, scope, year);
  const units: RectificationReport['units'] = [];
  for (const u of current.tree.units) {
    const p = previous.tree.get(u.id);
    if (!p || p.assessed === 0 || u.assessed === 0 || !needsRectification(p.grade, u.grade)) continue;
    const parent = u.parentId === null ? null : (current.tree.get(u.parentId)?.name ?? null);
    units.push({ unit: u.name, level: u.level, parent, grade: u.grade, total: u.total, previousGrade: p.grade, previousTotal: p.total });
  }
  units.sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
  return { year, root: root?.name ?? null, units };
}

// ---------------------------------------------------------------- targets

/** The programme's street: the unit named at `dangjian init`, else the only street, else none (every unit counts). */
export async function programmeStreet(db: Db): Promise<UnitRow | undefined> {
  // Both reads at once (one round trip on a database server, not two).
  const [programme, streets] = await Promise.all([getProgramme(db), listUnits(db, { level: 'street' })]);
  return streetOfProgramme(programme?.streetName, streets);
}

function streetOfProgramme(streetName: string | undefined, streets: readonly UnitRow[]): UnitRow | undefined {
  return streets.find((s) => s.name === streetName) ?? (streets.length === 1 ? streets[0] : undefined);
}

export interface TargetsReport extends TargetProgress {
  /** The street whose units are counted (null: every unit in the database). */
  street: string | null;
}

/**
 * Progress towards section 二 at a date (default: today in the configured zone) from the scores
 * entered by the end of that day (or before `asOf`), counting
 * the programme street's units (the street named at `dangjian init`; the only street when
 * that name is not a unit; every unit otherwise). See src/scoring/targets.ts for the rules.
 */
export async function targetsReport(deps: GradingDeps, options: { at?: string | undefined; asOf?: number | undefined; grades?: ReadonlyMap<number, UnitYearGrade[]> } = {}): Promise<TargetsReport> {
  const { db, plan, clock, tz } = deps;
  const typed = options.at?.trim() ?? '';
  const at = typed === '' ? localDate(clock.now(), tz) : parseIsoDate(typed);
  // The reads that need nothing but the date go out together (on a database server each one
  // in a row is a round trip); an uninitialised programme is still reported before a bad date.
  const programmeRead = requireProgramme(db);
  const streetsRead = listUnits(db, { level: 'street' });
  const overridesRead = listTargetOverrides(db);
  const yearsRead = options.grades === undefined && at ? scoredYearsUpTo(db, Number(at.slice(0, 4))) : undefined;
  const [programme, streets, overrides, scoredYears] = await Promise.all([programmeRead, streetsRead, overridesRead, yearsRead]);
  if (!at) throw new UserError('bad_argument', `日期应为 YYYY-MM-DD，例如 2022-06-30（收到“${typed}”）`, '--at');
  const street = streetOfProgramme(programme.streetName, streets);
  const scope: UnitScope = street === undefined ? { kind: 'all' } : { kind: 'subtree', rootId: street.id };

  // An as-of view: only entries made, and vetoes standing, by the end of the date (issue 16 #5).
  // `asOf` (an instant within that day, e.g. the digest's send time) narrows it further.
  const asOf = Math.min(endOfLocalDay(at, tz) + 1, options.asOf ?? Infinity);
  // Every programme year with entries up to the date: 累计 targets count a unit built in any of them.
  const range = programmeYears(plan, programme.firstYear);
  // Given grades (the frozen grades of assessment rounds) stand for the entries.
  let grades = options.grades === undefined ? undefined : new Map([...options.grades].filter(([y]) => y >= range.first && y <= range.last && y <= Number(at.slice(0, 4))));
  const years = grades === undefined ? (scoredYears ?? []).filter((y) => y >= range.first && y <= range.last) : [];
  // The street's units and every year's rows in one read.
  const read = readScope(db, scope, years, { asOf });
  if (grades === undefined) {
    const loaded = await loadScope(deps, scope, years, asOf, read.units.then(toUnitInputs), read.rows);
    grades = new Map<number, UnitYearGrade[]>();
    // A year whose entries in this street were all made after the date has no assessment yet.
    for (const year of years) {
      const { tree } = loaded.graded(year);
      if (tree.units.some((u) => u.assessed > 0)) grades.set(year, tree.units.map((u) => ({ id: u.id, level: u.level, grade: u.grade })));
    }
  }
  const units = await read.units;
  const unitCounts = Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<Level, number>;
  for (const u of units) unitCounts[u.level] += 1;
  const progress = targetProgress(plan, { firstYear: programme.firstYear, at, grades, units: unitCounts, overrides });
  return { ...progress, street: street?.name ?? null };
}

/** `targets --at D` as someone typed it: D's year must be one of the programme's (issue 16 #7). */
export async function targetsAt(deps: GradingDeps, at: string | undefined): Promise<TargetsReport> {
  const text = at?.trim() ?? '';
  const date = text === '' ? undefined : parseIsoDate(text);
  if (date !== undefined) {
    const programme = await requireProgramme(deps.db);
    const problem = programmeYearProblem(deps.plan, programme.firstYear, Number(date.slice(0, 4)));
    if (problem !== null) throw new UserError('bad_argument', problem, '--at');
  }
  return targetsReport(deps, { at });
}

// ---------------------------------------------------------------- changes (weekly digest)

export interface GradeChange {
  unit: string;
  level: Level;
  parent: string | null;
  year: number;
  before: { total: number; grade: Grade; veto: boolean };
  after: { total: number; grade: Grade; veto: boolean };
  /** 'up' / 'down': the grade changed; 'same': only the total or the veto did. */
  direction: 'up' | 'down' | 'same';
  /** Score entries of this unit made in the window (0: changed through its sub-units). */
  entries: number;
  vetoEvents: number;
}

export interface GradeChangesReport {
  since: number;
  until: number | null;
  years: number[];
  changes: GradeChange[];
  /** Per year: how many units went up or down a grade. */
  summary: Array<{ year: number; up: number; down: number; changed: number }>;
}

/**
 * What the entries made (and vetoes set or cleared) in [since, until) changed: every unit
 * whose total, grade or veto differs between the state before `since` and the state at
 * `until` (now when omitted), including parents whose grade moved because of a sub-unit.
 * `within`: only that unit and the units below it. Ordered by year, level (street first) and name.
 */
export async function gradeChanges(deps: GradingDeps, options: { since: number; until?: number | undefined; within?: UnitRow | undefined }): Promise<GradeChangesReport> {
  const { since, until } = options;
  const scope: UnitScope = options.within === undefined ? { kind: 'all' } : { kind: 'subtree', rootId: options.within.id };
  if (!Number.isFinite(since)) throw new UserError('bad_argument', 'since must be an instant (epoch ms)', 'since');
  if (until !== undefined && !(until > since)) throw new UserError('bad_argument', 'until must be after since', 'until');
  const events = await changesInWindow(deps.db, since, until);
  const years = [...new Set(events.map((e) => e.year))].sort((a, b) => a - b);
  const changes: GradeChange[] = [];
  const summary: GradeChangesReport['summary'] = [];
  if (years.length === 0) return { since, until: until ?? null, years, changes, summary };
  const units = toUnitInputs(await scopeUnits(deps.db, scope));
  const inScope = new Set(units.map((u) => u.id));
  if (!events.some((e) => inScope.has(e.unit_id))) return { since, until: until ?? null, years: [], changes, summary };
  const eventsByKey = new Map(events.map((e) => [`${e.year}:${e.unit_id}`, e]));
  for (const year of years) {
    const before = await gradeScope(deps, scope, year, since, units);
    const after = await gradeScope(deps, scope, year, until, units);
    let up = 0;
    let down = 0;
    const yearChanges: GradeChange[] = [];
    for (const a of after.tree.units) {
      const b = before.tree.get(a.id);
      if (!b || (b.totalHalf === a.totalHalf && b.grade === a.grade && b.veto === a.veto)) continue;
      const cmp = compareGrades(a.grade, b.grade);
      if (cmp > 0) up++;
      if (cmp < 0) down++;
      const ev = eventsByKey.get(`${year}:${a.id}`);
      yearChanges.push({
        unit: a.name,
        level: a.level,
        parent: a.parentId === null ? null : (after.tree.get(a.parentId)?.name ?? null),
        year,
        before: { total: b.total, grade: b.grade, veto: b.veto },
        after: { total: a.total, grade: a.grade, veto: a.veto },
        direction: cmp > 0 ? 'up' : cmp < 0 ? 'down' : 'same',
        entries: ev?.entries ?? 0,
        vetoEvents: ev?.veto_events ?? 0,
      });
    }
    yearChanges.sort((x, y) => LEVELS.indexOf(x.level) - LEVELS.indexOf(y.level) || (x.unit < y.unit ? -1 : x.unit > y.unit ? 1 : 0));
    changes.push(...yearChanges);
    summary.push({ year, up, down, changed: yearChanges.length });
  }
  return { since, until: until ?? null, years, changes, summary };
}

// ---------------------------------------------------------------- score sheet (评分表 export)

export interface RubricItem {
  code: string;
  title: string;
  indicator: number;
  indicatorTitle: string;
  max: number;
}

export interface ScoreSheetLevel {
  level: Level;
  levelName: string;
  /** Every sub-item of the level's rubric, in the plan's order. */
  items: RubricItem[];
  /** The level's units, ordered by parent then name. */
  reports: ScoreReport[];
}

export interface ScoreSheetReport {
  year: number;
  /** The street whose units are included (null: every unit). */
  street: string | null;
  /** Levels that have units, street first. */
  levels: ScoreSheetLevel[];
}

/**
 * The full score card (ScoreReport) of every unit of the programme's street (every unit when
 * there is none), grouped by level; graded in one pass per year instead of one per unit.
 */
export async function scoreSheet(deps: GradingDeps, options: { year?: number | string | undefined; level?: string | undefined } = {}): Promise<ScoreSheetReport> {
  const year = givenYear(deps, options.year);
  const only = options.level === undefined ? undefined : parseLevel(options.level, '--level');
  const graded = await gradeStreetYears(deps, year);
  const levels: ScoreSheetLevel[] = [];
  for (const level of LEVELS) {
    if (only !== undefined && level !== only) continue;
    const units = graded.units.filter((u) => u.level === level);
    if (units.length === 0) continue;
    const spec = deps.plan.levels.find((l) => l.level === level);
    const items = (spec?.indicators ?? []).flatMap((ind) => ind.subItems.map((s) => ({ code: s.code, title: s.text, indicator: ind.number, indicatorTitle: ind.title, max: s.points })));
    const reports = units.map((u) => toScoreReport({ name: u.name, level, parent: u.parent }, year, u.current, u.previous));
    reports.sort((a, b) => compareNames(a.parent ?? '', b.parent ?? '') || compareNames(a.unit, b.unit));
    levels.push({ level, levelName: LEVEL_NAMES_ZH[level], items, reports });
  }
  return { year, street: graded.street, levels };
}

/** A unit of the programme's street graded for a year (explained) and for the year before. */
export interface UnitYears {
  name: string;
  level: Level;
  parent: string | null;
  current: UnitGrade;
  previous: GradedUnit;
}

/**
 * Every unit of the programme's street (every unit when there is none) graded for `year` and
 * `year - 1`, in one pass per year: what 评分表 and the 年度通报 compare.
 */
export async function gradeStreetYears(deps: GradingDeps, year: number): Promise<{ street: string | null; units: UnitYears[] }> {
  const street = await programmeStreet(deps.db);
  const scope: UnitScope = street === undefined ? { kind: 'all' } : { kind: 'subtree', rootId: street.id };
  const [rows, { current, previous }] = await withScopeRows(deps, scope, [year, year - 1], undefined, (l) => ({ current: l.graded(year), previous: l.graded(year - 1) }));
  const parentNames = new Map(rows.map((r) => [r.id, r.parent_name]));
  const units = current.tree.units.map((u) => {
    const detail = current.tree.detail(u.id);
    const prev = previous.tree.get(u.id);
    if (!detail || !prev) throw new Error(`unit ${u.id} missing from its own scope`);
    return { name: u.name, level: u.level, parent: parentNames.get(u.id) ?? null, current: detail, previous: prev };
  });
  return { street: street?.name ?? null, units };
}

/** A unit of the programme's street graded for one year, explained. */
export interface StreetUnitGrade {
  id: number;
  name: string;
  level: Level;
  parent: string | null;
  grade: UnitGrade;
}

/**
 * Every unit of the programme's street (every unit when there is none) graded for `year` with
 * the entries made up to and including the instant `upTo`: what closing an assessment round freezes.
 */
export async function gradeStreetAt(deps: GradingDeps, year: number, upTo: number): Promise<{ street: string | null; units: StreetUnitGrade[] }> {
  const street = await programmeStreet(deps.db);
  const scope: UnitScope = street === undefined ? { kind: 'all' } : { kind: 'subtree', rootId: street.id };
  const [rows, { tree }] = await withScopeRows(deps, scope, [year], upTo + 1, (l) => l.graded(year));
  const parentNames = new Map(rows.map((r) => [r.id, r.parent_name]));
  const units = tree.units.map((u) => {
    const detail = tree.detail(u.id);
    if (!detail) throw new Error(`unit ${u.id} missing from its own scope`);
    return { id: u.id, name: u.name, level: u.level, parent: parentNames.get(u.id) ?? null, grade: detail };
  });
  return { street: street?.name ?? null, units };
}

// ---------------------------------------------------------------- grade mix (charts)

export interface GradeMixLevel {
  level: Level;
  levelName: string;
  units: number;
  demonstration: number;
  standard: number;
  /** Assessed (some entry this year) and below 标准型. */
  none: number;
  /** No entry this year (未评分). */
  unscored: number;
}

export interface GradeMixReport {
  year: number;
  /** The unit whose sub-units are counted (null: every unit). */
  root: string | null;
  levels: GradeMixLevel[];
}

/**
 * How the units below `unit` (default: the programme's street; 「全部」 callers pass `all`) divide
 * into grades per level, 未评分 apart. The root itself is not counted. Levels without units are left out.
 */
export async function gradeMix(deps: GradingDeps, options: { unit?: string | undefined; all?: boolean; year?: number | string | undefined; asOf?: number | undefined } = {}): Promise<GradeMixReport> {
  let root: string | undefined = options.unit;
  if (root === undefined && !options.all) root = (await programmeStreet(deps.db))?.name;
  const sub = await gradeSubtree(deps, { unit: root, year: options.year, asOf: options.asOf });
  return mixOf(
    sub.units.filter((u) => root === undefined || u.unit !== sub.root),
    sub.year,
    sub.root,
  );
}

/** Units (the root already left out) counted per level and grade, 未评分 apart. */
function mixOf(units: ReadonlyArray<{ level: Level; grade: Grade; assessed: number }>, year: number, root: string | null): GradeMixReport {
  const mix = new Map<Level, GradeMixLevel>();
  for (const u of units) {
    let m = mix.get(u.level);
    if (!m) {
      m = { level: u.level, levelName: LEVEL_NAMES_ZH[u.level], units: 0, demonstration: 0, standard: 0, none: 0, unscored: 0 };
      mix.set(u.level, m);
    }
    m.units += 1;
    if (u.assessed === 0) m.unscored += 1;
    else m[u.grade] += 1;
  }
  return { year, root, levels: LEVELS.flatMap((l) => (mix.has(l) ? [mix.get(l)!] : [])) };
}
