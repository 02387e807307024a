/**
 * Target progress against section 二 (行动目标).
 *
 * Decisions (grades are per year, 长效提升; see docs/plan-readings.md):
 * - Counts come from per-unit grades per assessment year (`grades`); only programme years
 *   (`programmeYears`) up to the query date are used.
 * - A non-cumulative requirement counts the units of its levels holding at least its grade in
 *   one assessment year: for a milestone not yet due, the latest assessment year at or before
 *   the query date ("now"); for a past milestone, the latest such year at or before the
 *   milestone's year.
 * - 「累计建成」 (`cumulative`): a unit counts if its grade reached the level in any programme
 *   year up to the milestone (up to now for a milestone not yet due or kept in 长效保持) — built
 *   by then, even if it lost the grade later. `holdingNow` says how many hold it now.
 * - Standard targets count demonstration units too (示范型 is built on 标准型).
 * - 「达100%」 targets: `required` is the number of units of those levels in scope now; with no
 *   such unit the requirement is 「无此类单位」 (not applicable, never ✅).
 * - The street's own numbers (`plan.targetOverrides`, then `input.overrides`) replace the
 *   document's counts; a count above the street's units of those levels is flagged; 0 = 「本街道
 *   不设此目标」.
 * - A milestone is met when every applicable non-stretch (非「力争」) requirement is; with none it
 *   is neither met nor unmet (`met: null`, no ✅).
 * - The milestone that decides `onTrack` is the first one due on or after the date that has
 *   at least one applicable non-stretch requirement. It is on track when each of those is met
 *   now, or the straight-line pace from the programme start (the first phase's first day)
 *   reaches it by the milestone date. Once every milestone has passed, the last one is
 *   re-checked every year against the latest assessment (长效保持).
 * - Texts and labels are in the programme's years (`programmePlan`), never the document's.
 * All comparisons are on integers (day numbers and counts).
 */
import { resolveMonthRef } from '../plan/load-plan.js';
import { milestoneLabel, programmePlan, programmeYears } from '../plan/programme.js';
import { LEVELS, type Grade, type Level, type Plan, type TargetOverride } from '../plan/schema.js';
import { effectiveRequirements } from '../plan/target-overrides.js';
import { joinLevels } from './format.js';
import type { UpperGrade } from './types.js';

export interface LevelCounts {
  /** Units of the level in scope. */
  units: number;
  /** Units holding standard or demonstration. */
  standard: number;
  /** Units holding demonstration. */
  demonstration: number;
}
export type ScopeCounts = Record<Level, LevelCounts>;

/** One unit's grade in one assessment year. */
export interface UnitYearGrade {
  id: number;
  level: Level;
  grade: Grade;
}

export interface TargetInput {
  /** Programme year 1 (the document's 2021). */
  firstYear: number;
  /** The date asked about, 'YYYY-MM-DD' (local calendar date). */
  at: string;
  /**
   * Per assessment year that has entries: every unit in scope with its grade that year. The
   * grading service passes every such year up to the date's year; years outside the programme
   * and after the date are ignored here.
   */
  grades: ReadonlyMap<number, readonly UnitYearGrade[]>;
  /** Units per level in scope now (denominators of 「达100%」, the bound a target is checked against). */
  units: Record<Level, number>;
  /** The street's numbers set outside the plan file (applied after `plan.targetOverrides`; later wins). */
  overrides?: readonly TargetOverride[];
}

export type RequirementStatus = 'met' | 'on_track' | 'behind' | 'missed' | 'no_units' | 'waived';

export interface RequirementProgress {
  text: string;
  levels: Level[];
  grade: UpperGrade;
  /** The count that applies (the street's when overridden), or 'all' for 「达100%」. */
  count: number | 'all';
  /** The document's own count. */
  planCount: number | 'all';
  overridden: boolean;
  cumulative: boolean;
  stretch: boolean;
  /** The count needed (for 'all': the number of units of those levels). */
  required: number;
  /** Units counted towards it (for 累计: built by then). */
  reached: number;
  /** Units holding the grade in the latest assessment up to the date (null: none yet). */
  holdingNow: number | null;
  /** Units of those levels in scope now. */
  available: number;
  met: boolean;
  /** False for 「无此类单位」 and 「本街道不设此目标」: left out of the milestone's met / on track. */
  applicable: boolean;
  /** A numeric target above the street's units of those levels (it can never be met). */
  exceedsUnits: boolean;
  /** The flag to show beside it (Chinese), or null. */
  warning: string | null;
  /** Straight-line forecast at the milestone date (null when not forecast). */
  forecast: number | null;
  status: RequirementStatus;
}

export type MilestoneState = 'past' | 'current' | 'future' | 'sustain';

export interface MilestoneProgress {
  id: string;
  /** The document's heading in the programme's years: 「到2026年6月底」. */
  label: string;
  /** Last day of the milestone month. */
  due: string;
  /** The milestone's sentence with the programme's years. */
  text: string;
  state: MilestoneState;
  /** The assessment year non-cumulative counts come from (null: no year with entries yet). */
  asOfYear: number | null;
  /** The last year 累计 counts look at. */
  cumulativeUpTo: number;
  requirements: RequirementProgress[];
  otherTargets: string[];
  /** Every applicable non-stretch requirement met; null when there is none (no ✅). */
  met: boolean | null;
  /** For current/future/sustain milestones with applicable requirements: met now or by pace; else null. */
  onTrack: boolean | null;
}

export interface TargetProgress {
  at: string;
  firstYear: number;
  programmeStart: string;
  /** Id of the milestone that decides `onTrack` (null: none has measurable requirements). */
  current: string | null;
  /** Its label (「到2027年12月」) for 「依据 …」 notes. */
  currentLabel: string | null;
  onTrack: boolean | null;
  milestones: MilestoneProgress[];
  /** Street targets that could not be applied (Chinese). */
  overrideProblems: string[];
}

const DAY_MS = 86_400_000;

function parseDate(date: string): { year: number; month: number; day: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`expected YYYY-MM-DD, got "${date}"`);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/** Days since 1970-01-01 of a calendar date (pure; no clock). */
function dayNumber(date: string): number {
  const { year, month, day } = parseDate(date);
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Last calendar day of a month, 'YYYY-MM-DD'. */
export function endOfMonth(year: number, month: number): string {
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return isoDate(year, month, lastDay);
}

/** The programme start: the first day of the earliest phase (1 January of firstYear without phases). */
export function programmeStart(plan: Plan, firstYear: number): string {
  let best: { year: number; month: number } | undefined;
  for (const p of plan.phases) {
    const r = resolveMonthRef(p.start, firstYear);
    if (!best || r.year < best.year || (r.year === best.year && r.month < best.month)) best = r;
  }
  return best ? isoDate(best.year, best.month, 1) : isoDate(firstYear, 1, 1);
}

/** The milestone's date: the last day of its month. */
export function milestoneDate(due: { yearOffset: number; month: number }, firstYear: number): string {
  const r = resolveMonthRef(due, firstYear);
  return endOfMonth(r.year, r.month);
}

function latestYearAtOrBefore(years: readonly number[], year: number): number | null {
  let best: number | null = null;
  for (const y of years) if (y <= year && (best === null || y > best)) best = y;
  return best;
}

const rankOf = (g: Grade): number => (g === 'demonstration' ? 2 : g === 'standard' ? 1 : 0);

/** Per-year counts and, per unit, the first year it reached each grade. */
class GradeHistory {
  readonly years: number[];
  private readonly counts = new Map<number, ScopeCounts>();
  /** unit id → level and first year at ≥ standard / demonstration (Infinity: never). */
  private readonly firstReached = new Map<number, { level: Level; standard: number; demonstration: number }>();

  constructor(grades: ReadonlyMap<number, readonly UnitYearGrade[]>, usable: (year: number) => boolean) {
    this.years = [...grades.keys()].filter(usable).sort((a, b) => a - b);
    for (const y of this.years) {
      const c = emptyScopeCounts();
      for (const u of grades.get(y)!) {
        const r = rankOf(u.grade);
        const lc = c[u.level];
        lc.units += 1;
        if (r >= 1) lc.standard += 1;
        if (r >= 2) lc.demonstration += 1;
        let f = this.firstReached.get(u.id);
        if (!f) {
          f = { level: u.level, standard: Infinity, demonstration: Infinity };
          this.firstReached.set(u.id, f);
        }
        if (r >= 1 && y < f.standard) f.standard = y;
        if (r >= 2 && y < f.demonstration) f.demonstration = y;
      }
      this.counts.set(y, c);
    }
  }

  /** Units of `levels` holding at least `grade` in `year` (0 when the year has no data). */
  holding(levels: readonly Level[], grade: UpperGrade, year: number | null): number {
    const c = year === null ? undefined : this.counts.get(year);
    return c ? levels.reduce((a, l) => a + c[l][grade], 0) : 0;
  }

  /** Units of `levels` that reached at least `grade` in some year ≤ `upTo`. */
  reachedBy(levels: readonly Level[], grade: UpperGrade, upTo: number): number {
    let n = 0;
    for (const f of this.firstReached.values()) if (levels.includes(f.level) && f[grade] <= upTo) n++;
    return n;
  }
}

/**
 * Progress towards every milestone at a date. See the module comment for how "reached",
 * 累计, 「达100%」, the street's own numbers and "on track" are decided.
 */
export function targetProgress(plan: Plan, input: TargetInput): TargetProgress {
  const shown = programmePlan(plan, input.firstYear);
  const atDay = dayNumber(input.at);
  const atYear = parseDate(input.at).year;
  const start = programmeStart(plan, input.firstYear);
  const startDay = dayNumber(start);
  const elapsed = atDay - startDay;
  const range = programmeYears(plan, input.firstYear);
  const history = new GradeHistory(input.grades, (y) => y >= range.first && y <= range.last && y <= atYear);
  const nowYear = latestYearAtOrBefore(history.years, atYear);
  const effective = effectiveRequirements(plan, input.overrides ?? []);

  const available = (levels: readonly Level[]) => levels.reduce((a, l) => a + input.units[l], 0);
  const applicable = (count: number | 'all', levels: readonly Level[]) => (count === 'all' ? available(levels) > 0 : count > 0);
  const dated = plan.milestones.map((m, i) => ({ m, i, due: milestoneDate(m.due, input.firstYear) }));
  const measurable = (i: number) => effective.milestones[i]!.some((e) => !e.requirement.stretch && applicable(e.count, e.requirement.levels));
  const currentIdx = dated.findIndex((d) => dayNumber(d.due) >= atDay && measurable(d.i));
  let lastMeasurable = -1;
  dated.forEach((d) => {
    if (measurable(d.i)) lastMeasurable = d.i;
  });
  const noCurrent = currentIdx === -1;

  const milestones = dated.map(({ m, i, due }): MilestoneProgress => {
    const dueDay = dayNumber(due);
    const dueYear = Number(due.slice(0, 4));
    const isPast = dueDay < atDay;
    const state: MilestoneState = isPast ? (noCurrent && i === lastMeasurable ? 'sustain' : 'past') : i === currentIdx ? 'current' : 'future';
    const asOfYear = state === 'past' ? latestYearAtOrBefore(history.years, dueYear) : nowYear;
    const cumulativeUpTo = state === 'past' ? dueYear : atYear;
    const forecasting = (state === 'current' || state === 'future') && elapsed > 0;
    const requirements = effective.milestones[i]!.map(({ requirement: req, count, planCount, overridden }, k): RequirementProgress => {
      const units = available(req.levels);
      const required = count === 'all' ? units : count;
      const reached = req.cumulative ? history.reachedBy(req.levels, req.grade, cumulativeUpTo) : history.holding(req.levels, req.grade, asOfYear);
      const isApplicable = applicable(count, req.levels);
      const met = isApplicable && reached >= required;
      const exceedsUnits = count !== 'all' && count > units;
      let forecast: number | null = null;
      let paceMet = false;
      if (forecasting && isApplicable) {
        const span = dueDay - startDay;
        forecast = Math.min(units, Math.floor((reached * span) / elapsed));
        paceMet = reached * span >= required * elapsed && units >= required;
      }
      const status: RequirementStatus = !isApplicable
        ? count === 'all'
          ? 'no_units'
          : 'waived'
        : met
          ? 'met'
          : state === 'past' || state === 'sustain'
            ? 'missed'
            : paceMet
              ? 'on_track'
              : 'behind';
      const levelsZh = joinLevels(req.levels);
      const warning = exceedsUnits
        ? `目标 ${count} 个超过本街道${levelsZh}总数 ${units} 个，无法达成${overridden ? '' : '（方案原文的数字，可设置本街道自己的目标）'}`
        : null;
      return {
        text: shown.milestones[i]!.requirements[k]!.text,
        levels: [...req.levels],
        grade: req.grade,
        count,
        planCount,
        overridden,
        cumulative: req.cumulative,
        stretch: req.stretch,
        required,
        reached,
        holdingNow: nowYear === null ? null : history.holding(req.levels, req.grade, nowYear),
        available: units,
        met,
        applicable: isApplicable,
        exceedsUnits,
        warning,
        forecast,
        status,
      };
    });
    const binding = requirements.filter((r) => !r.stretch && r.applicable);
    const met = binding.length === 0 ? null : binding.every((r) => r.met);
    const onTrack = state === 'past' || binding.length === 0 ? null : binding.every((r) => r.status === 'met' || r.status === 'on_track');
    return {
      id: m.id,
      label: milestoneLabel(plan, input.firstYear, m),
      due,
      text: shown.milestones[i]!.text,
      state,
      asOfYear,
      cumulativeUpTo,
      requirements,
      otherTargets: [...shown.milestones[i]!.otherTargets],
      met,
      onTrack,
    };
  });

  const deciding = milestones.find((m) => m.state === 'current') ?? milestones.find((m) => m.state === 'sustain');
  return {
    at: input.at,
    firstYear: input.firstYear,
    programmeStart: start,
    current: deciding?.id ?? null,
    currentLabel: deciding?.label ?? null,
    onTrack: deciding?.onTrack ?? null,
    milestones,
    overrideProblems: effective.problems,
  };
}

/** Empty counts for every level. */
function emptyScopeCounts(): ScopeCounts {
  return Object.fromEntries(LEVELS.map((l) => [l, { units: 0, standard: 0, demonstration: 0 }])) as ScopeCounts;
}
