/**
 * Target progress against section 二 (行动目标).
 *
 * Decisions (grades are per year, 长效提升):
 * - "Reached" for a requirement = units of its levels holding at least its grade in one
 *   assessment year: for a milestone not yet due, the latest assessment year with entries
 *   at or before the query date ("now"); for a past milestone, the latest such year at or
 *   before the milestone's year. 累计 (cumulative) targets are counted the same way: a grade
 *   must be re-earned each year, so a unit that lost its grade no longer counts.
 * - Standard targets count demonstration units too (示范型 is built on 标准型).
 * - 「达100%」 targets: `required` is the number of units of those levels in scope now.
 * - The milestone that decides `onTrack` is the first one due on or after the date that has
 *   at least one measurable requirement. It is on track when every non-stretch (非「力争」)
 *   requirement is met now, or the straight-line pace from the programme start (the first
 *   phase's first day) reaches it by the milestone date. Once every milestone has passed,
 *   the last one is re-checked every year against the latest assessment (长效保持).
 * All comparisons are on integers (day numbers and counts).
 */
import { LEVELS, type Level, type Plan, type TargetRequirement } from '../plan/schema.js';
import { resolveMonthRef } from '../plan/load-plan.js';
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

export interface TargetInput {
  firstYear: number;
  /** The date asked about, 'YYYY-MM-DD' (local calendar date). */
  at: string;
  /** Grade counts of the units in scope, per assessment year that has entries. */
  years: ReadonlyMap<number, ScopeCounts>;
  /** Units per level in scope now (denominators of 「达100%」). */
  units: Record<Level, number>;
}

export type RequirementStatus = 'met' | 'on_track' | 'behind' | 'missed';

export interface RequirementProgress {
  text: string;
  levels: Level[];
  grade: UpperGrade;
  count: number | 'all';
  cumulative: boolean;
  stretch: boolean;
  /** The count needed (for 'all': the number of units of those levels). */
  required: number;
  reached: number;
  met: boolean;
  /** Straight-line forecast at the milestone date (null when not forecast). */
  forecast: number | null;
  status: RequirementStatus;
}

export type MilestoneState = 'past' | 'current' | 'future' | 'sustain';

export interface MilestoneProgress {
  id: string;
  /** Last day of the milestone month. */
  due: string;
  text: string;
  state: MilestoneState;
  /** The assessment year the counts come from (null: no year with entries yet). */
  asOfYear: number | null;
  requirements: RequirementProgress[];
  otherTargets: string[];
  /** Every non-stretch requirement met (true when there is none). */
  met: boolean;
  /** For current/future/sustain milestones with requirements: met now or by pace; else null. */
  onTrack: boolean | null;
}

export interface TargetProgress {
  at: string;
  firstYear: number;
  programmeStart: string;
  /** Id of the milestone that decides `onTrack` (null: none has measurable requirements). */
  current: string | null;
  onTrack: boolean | null;
  milestones: MilestoneProgress[];
}

const DAY_MS = 86_400_000;

function parseDate(date: string): { year: number; month: number; day: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`expected YYYY-MM-DD, got "${date}"`);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/** Days since 1970-01-01 of a calendar date (pure; no clock). */
export function dayNumber(date: string): number {
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

function latestYearAtOrBefore(years: ReadonlyMap<number, ScopeCounts>, year: number): number | null {
  let best: number | null = null;
  for (const y of years.keys()) if (y <= year && (best === null || y > best)) best = y;
  return best;
}

function reachedCount(req: TargetRequirement, counts: ScopeCounts | undefined): number {
  if (!counts) return 0;
  return req.levels.reduce((a, l) => a + counts[l][req.grade], 0);
}

/**
 * Progress towards every milestone at a date. See the module comment for how
 * "reached", 「达100%」, cumulative targets and "on track" are decided.
 */
export function targetProgress(plan: Plan, input: TargetInput): TargetProgress {
  const atDay = dayNumber(input.at);
  const atYear = parseDate(input.at).year;
  const start = programmeStart(plan, input.firstYear);
  const startDay = dayNumber(start);
  const elapsed = atDay - startDay;
  const nowYear = latestYearAtOrBefore(input.years, atYear);

  const dated = plan.milestones.map((m) => ({ m, due: milestoneDate(m.due, input.firstYear) }));
  const measurable = (m: (typeof dated)[number]) => m.m.requirements.some((r) => !r.stretch);
  const currentIdx = dated.findIndex((d) => dayNumber(d.due) >= atDay && measurable(d));
  let lastMeasurable = -1;
  dated.forEach((d, i) => {
    if (measurable(d)) lastMeasurable = i;
  });
  const noCurrent = currentIdx === -1;

  const milestones = dated.map(({ m, due }, i): MilestoneProgress => {
    const dueDay = dayNumber(due);
    const isPast = dueDay < atDay;
    const state: MilestoneState = isPast ? (noCurrent && i === lastMeasurable ? 'sustain' : 'past') : i === currentIdx ? 'current' : 'future';
    const asOfYear = state === 'past' ? latestYearAtOrBefore(input.years, Number(due.slice(0, 4))) : nowYear;
    const counts = asOfYear === null ? undefined : input.years.get(asOfYear);
    const forecasting = (state === 'current' || state === 'future') && elapsed > 0;
    const requirements = m.requirements.map((req): RequirementProgress => {
      const available = req.levels.reduce((a, l) => a + input.units[l], 0);
      const required = req.count === 'all' ? available : req.count;
      const reached = reachedCount(req, counts);
      const met = reached >= required;
      let forecast: number | null = null;
      let paceMet = false;
      if (forecasting) {
        const span = dueDay - startDay;
        forecast = Math.min(available, Math.floor((reached * span) / elapsed));
        paceMet = reached * span >= required * elapsed && available >= required;
      }
      const status: RequirementStatus = met ? 'met' : state === 'past' || state === 'sustain' ? 'missed' : paceMet ? 'on_track' : 'behind';
      return {
        text: req.text,
        levels: [...req.levels],
        grade: req.grade,
        count: req.count,
        cumulative: req.cumulative,
        stretch: req.stretch,
        required,
        reached,
        met,
        forecast,
        status,
      };
    });
    const binding = requirements.filter((r) => !r.stretch);
    const met = binding.every((r) => r.met);
    const onTrack = state === 'past' || binding.length === 0 ? null : binding.every((r) => r.status === 'met' || r.status === 'on_track');
    return { id: m.id, due, text: m.text, state, asOfYear, requirements, otherTargets: [...m.otherTargets], met, onTrack };
  });

  const deciding = milestones.find((m) => m.state === 'current') ?? milestones.find((m) => m.state === 'sustain');
  return {
    at: input.at,
    firstYear: input.firstYear,
    programmeStart: start,
    current: deciding?.id ?? null,
    onTrack: deciding?.onTrack ?? null,
    milestones,
  };
}

/** Empty counts for every level (a helper for callers building `TargetInput`). */
export function emptyScopeCounts(): ScopeCounts {
  return Object.fromEntries(LEVELS.map((l) => [l, { units: 0, standard: 0, demonstration: 0 }])) as ScopeCounts;
}
