/**
 * The weekly digest (周报), gathered: task boards, completions, the grading service, outbox
 * failures. The leadership chat gets it on the first working day of each week and the 周报
 * command shows it; a chat subscribed to one unit gets that unit's digest and, the working day
 * after scores changed a grade in its subtree, a notice (src/scheduler/digest-card.ts renders both).
 */
import type { Clock } from '../clock.js';
import type { SchedulerSettings } from '../config/scheduler-settings.js';
import type { Db } from '../db/database.js';
import { listOutbox } from '../db/outbox.repository.js';
import type { Plan } from '../plan/schema.js';
import { itemsDueBetween, redItems } from '../scheduler/content.js';
import type { Digest, DigestCompletion, DigestGradeChange, DigestLights, DigestOverdue, TargetsSummary, UnitChangeNotice, UnitDigest, UnitGradeLine } from '../scheduler/digest-card.js';
import { firstWorkdayOfWeek, weekStartOf } from '../scheduler/rules.js';
import { addDays, daysBetween } from '../tasks/dates.js';
import type { WorkCalendar } from '../tasks/work-calendar.js';
import { isoInZone, localDate, parseIsoDate, zonedInstant } from '../time.js';
import { UserError } from '../errors.js';
import { gradeChanges, gradeMix, gradeSubtree, targetsReport, type GradeChangesReport } from './grading.service.js';
import { declaredLine, declaredTargets } from './application.service.js';
import { requireProgramme } from './programme.service.js';
import { progressOf } from './self-check.service.js';
import { boardsUpTo } from './tasks.service.js';
import { resolveUnit } from './units.service.js';

export interface DigestDeps {
  db: Db;
  plan: Plan;
  config: { timeZone: string };
  clock: Clock;
  calendar: Pick<WorkCalendar, 'isWorkday' | 'workdaysBetween'>;
  settings: SchedulerSettings;
}

/** Progress towards the current milestone, in the digest's compact form. */
export async function targetsSummary(deps: { db: Db; plan: Plan; clock: Clock; tz: string }, date: string, asOf?: number): Promise<TargetsSummary | null> {
  const report = await targetsReport(deps, { at: date, asOf });
  const current = report.milestones.find((m) => m.id === report.current);
  return {
    current: report.current,
    onTrack: report.onTrack,
    label: current?.label ?? null,
    lines: (current?.requirements ?? []).map((r) => ({
      milestone: current?.id ?? '',
      due: current?.due ?? '',
      text: r.text,
      reached: r.reached,
      required: r.required,
      met: r.met,
      status: r.status,
      warning: r.warning,
      levels: r.levels,
      available: r.available,
      overridden: r.overridden,
    })),
  };
}

/** The instant the scheduled digest of a week goes out: its first working day at digestTime (Monday when none). */
function digestInstant(deps: { calendar: Pick<WorkCalendar, 'isWorkday'>; tz: string; settings: SchedulerSettings }, monday: string): number {
  return zonedInstant(firstWorkdayOfWeek(deps.calendar, monday) ?? monday, deps.settings.digestTime, deps.tz);
}

/**
 * The digest of a week. Without `weekStart`: the week containing `at`, evaluated at `at`.
 * With `weekStart` (any date of the week; normalised to its Monday): evaluated at that week's
 * digest time, or at `at` when that is earlier.
 */
/** The week a digest is for: its Monday, the instant it is evaluated at, last week's bounds. */
function digestWeek(deps: DigestDeps, options: { weekStart?: string | undefined; at?: number | undefined }) {
  const tz = deps.config.timeZone;
  const at = options.at ?? deps.clock.now().getTime();
  let monday: string;
  let asOf: number;
  if (options.weekStart === undefined) {
    monday = weekStartOf(localDate(at, tz));
    asOf = at;
  } else {
    const date = parseIsoDate(options.weekStart.trim());
    if (!date) throw new UserError('bad_argument', `日期应为 YYYY-MM-DD，例如 2026-03-09（收到「${options.weekStart}」）`, '--week');
    monday = weekStartOf(date);
    asOf = Math.min(at, digestInstant({ calendar: deps.calendar, tz, settings: deps.settings }, monday));
  }
  const lastMonday = addDays(monday, -7);
  return { monday, asOf, lastMonday, lastWeekFrom: zonedInstant(lastMonday, '00:00', tz), weekFrom: zonedInstant(monday, '00:00', tz) };
}

const toDigestChanges = (report: GradeChangesReport): DigestGradeChange[] =>
  report.changes.map((c) => ({ unit: c.unit, level: c.level, year: c.year, before: { total: c.before.total, grade: c.before.grade }, after: { total: c.after.total, grade: c.after.grade }, direction: c.direction }));

export async function buildDigest(deps: DigestDeps, options: { weekStart?: string | undefined; at?: number | undefined } = {}): Promise<Digest> {
  const tz = deps.config.timeZone;
  const programme = await requireProgramme(deps.db);
  const { monday, asOf, lastMonday, lastWeekFrom, weekFrom } = digestWeek(deps, options);
  const today = localDate(asOf, tz);
  const year = Number(today.slice(0, 4));
  const boards = await boardsUpTo({ db: deps.db, tz, yellowDays: deps.settings.yellowDays }, year + 1, asOf);

  const completedLastWeek: DigestCompletion[] = [];
  for (const t of boards) {
    for (const o of t.occurrences) {
      if (o.doneAt === null) continue;
      const doneAt = Date.parse(o.doneAt);
      if (doneAt >= lastWeekFrom && doneAt < weekFrom && doneAt <= asOf) {
        completedLastWeek.push({ year: t.year, seq: t.seq, content: t.content, period: o.period, dueDate: o.dueDate, doneAt: o.doneAt, doneBy: o.doneBy, late: o.doneLate });
      }
    }
  }
  completedLastWeek.sort((a, b) => (a.doneAt < b.doneAt ? -1 : a.doneAt > b.doneAt ? 1 : a.seq - b.seq));

  const window = { from: today, to: addDays(today, 13) };
  const dueNext14Days = itemsDueBetween(boards, window.from, window.to, today).filter((i) => i.status !== 'done');
  const overdue: DigestOverdue[] = redItems(
    boards.filter((t) => t.year <= year),
    today,
  ).map((i) => ({
    ...i,
    daysOverdue: daysBetween(i.dueDate, today),
    workdaysOverdue: deps.calendar.workdaysBetween(addDays(i.dueDate, 1), today),
  }));

  const gradingDeps = { db: deps.db, plan: deps.plan, clock: deps.clock, tz };
  const until = Math.min(weekFrom, asOf);
  const changes = until > lastWeekFrom ? await gradeChanges(gradingDeps, { since: lastWeekFrom, until }) : { changes: [], summary: [] };
  const gradeChangeList = until > lastWeekFrom ? toDigestChanges(changes as GradeChangesReport) : [];
  const sum = (k: 'up' | 'down' | 'changed') => changes.summary.reduce((a, s) => a + s[k], 0);

  // As of the digest's instant: a past week's digest shows what was recorded by then (issue 16 #5).
  const targets = await targetsSummary(gradingDeps, today, asOf + 1);
  const mix = await gradeMix(gradingDeps, { year, asOf: asOf + 1 });

  const yearBoards = boards.filter((t) => t.year === year);
  const units = [...new Set([...deps.plan.leadUnits, ...yearBoards.flatMap((t) => t.leadUnits)])];
  const lights: DigestLights[] = units.map((leadUnit) => {
    const l: DigestLights = { leadUnit, red: 0, yellow: 0, green: 0, done: 0 };
    for (const t of yearBoards) if (t.leadUnits.includes(leadUnit)) l[t.status] += 1;
    return l;
  });

  // Issue 13: the self-check's progress while task 1 (自查) is open; declared vs reached targets.
  const selfCheckOpen = yearBoards.some((t) => t.seq === 1 && t.status !== 'done');
  const progress = selfCheckOpen ? await progressOf(deps.db, year) : null;
  const declared = await declaredTargets(gradingDeps, year);

  const failed = await listOutbox(deps.db, { status: 'failed', dueSince: lastWeekFrom, dueBefore: asOf + 1 });
  const skipped = await listOutbox(deps.db, { status: 'skipped', dueSince: lastWeekFrom, dueBefore: asOf + 1 });

  return {
    street: programme.streetName,
    weekStart: monday,
    weekEnd: addDays(monday, 6),
    lastWeek: { from: lastMonday, to: addDays(lastMonday, 6) },
    asOf: isoInZone(asOf, tz),
    completedLastWeek,
    dueNext14Days,
    overdue,
    gradeChanges: { up: sum('up'), down: sum('down'), changed: sum('changed'), changes: gradeChangeList },
    gradeMix: mix.levels,
    targets,
    lights,
    failedMessages: failed.map((r) => ({ key: r.key, kind: r.kind, chatId: r.chatId, dueAt: isoInZone(r.dueAt, tz), attempts: r.attempts, lastError: r.lastError })),
    missedReminders: skipped.filter((r) => (r.lastError ?? '').startsWith('too late')).length,
    selfCheck: progress && { submitted: progress.submitted, total: progress.total, levels: progress.levels.map((l) => ({ levelName: l.levelName, submitted: l.submitted, total: l.total })) },
    declared: declared.levels.map((l) => ({ levelName: l.levelName, line: declaredLine(l) })),
  };
}


// ---------------------------------------------------------------- a unit's chat

/** The digest of one unit (a chat subscribed as `unit:NAME`): its grade, its sub-units', last week's changes. */
export async function buildUnitDigest(deps: DigestDeps, unitName: string, options: { weekStart?: string | undefined; at?: number | undefined } = {}): Promise<UnitDigest> {
  const tz = deps.config.timeZone;
  const { monday, asOf, lastMonday, lastWeekFrom, weekFrom } = digestWeek(deps, options);
  const unit = await resolveUnit(deps.db, unitName, '〈单位〉');
  const year = Number(localDate(asOf, tz).slice(0, 4));
  const gradingDeps = { db: deps.db, plan: deps.plan, clock: deps.clock, tz };
  const tree = await gradeSubtree(gradingDeps, { unit: unit.name, year, asOf: asOf + 1 });
  const line = (u: (typeof tree.units)[number]): UnitGradeLine => ({ unit: u.unit, level: u.level, total: u.total, grade: u.grade, veto: u.veto, assessed: u.assessed, itemCount: u.itemCount });
  const own = tree.units.find((u) => u.unit === unit.name);
  if (!own) throw new Error(`unit ${unit.name} missing from its own subtree`);
  const rank = { none: 0, standard: 1, demonstration: 2 } as const;
  const subUnits = tree.units.filter((u) => u.unit !== unit.name).map(line).sort((a, b) => rank[a.grade] - rank[b.grade] || a.total - b.total || (a.unit < b.unit ? -1 : 1));
  const until = Math.min(weekFrom, asOf);
  const changes = until > lastWeekFrom ? toDigestChanges(await gradeChanges(gradingDeps, { since: lastWeekFrom, until, within: unit })) : [];
  return {
    unit: unit.name,
    level: unit.level,
    year,
    weekStart: monday,
    weekEnd: addDays(monday, 6),
    lastWeek: { from: lastMonday, to: addDays(lastMonday, 6) },
    asOf: isoInZone(asOf, tz),
    own: line(own),
    subUnits,
    changes,
  };
}

/** Grade changes in a unit's subtree through the entries made in [since, until); null when none. */
export async function unitChangeNotice(deps: DigestDeps, unitName: string, window: { since: number; until: number }): Promise<UnitChangeNotice | null> {
  const tz = deps.config.timeZone;
  const unit = await resolveUnit(deps.db, unitName, '〈单位〉');
  const report = await gradeChanges({ db: deps.db, plan: deps.plan, clock: deps.clock, tz }, { since: window.since, until: window.until, within: unit });
  // Only a move between grades is news for the unit's chat; totals are in the weekly digest.
  const changes = toDigestChanges(report).filter((c) => c.direction !== 'same');
  if (changes.length === 0) return null;
  return { unit: unit.name, from: isoInZone(window.since, tz), to: isoInZone(window.until, tz), changes };
}
