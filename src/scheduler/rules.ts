/**
 * The reminder rules: pure functions from (tasks with their occurrences and completion state,
 * chat bindings, working-day calendar, plan phases, settings) to reminder intents in a time
 * window. No I/O and no clock: the caller passes the window. The kinds, their keys, audiences
 * and times are the table in ./kinds.ts; here is when each falls due:
 *
 *   before_due / due_today  T−k calendar days (REMINDER_OFFSETS), moved to the nearest earlier working
 *                           day; when two offsets land on the same day only the one closest to the
 *                           deadline is kept. k = 0 is due_today.
 *   overdue                 every working day after the due date (n = working days overdue).
 *   escalation              n = escalateAfter, then every escalateEvery working days.
 *   monthly / quarterly     the first working day of the month / quarter.
 *   yearly                  topic project-list (January), self-check (July), acceptance (December):
 *                           the first working day of the month.
 *   phase                   the first working day of the phase's first month.
 *   digest / unit_digest    the first working day of the week (Mon–Sun); unit_digest's subject is
 *                           `<monday>:<unit>`.
 *   unit_item               a unit's own item (issue 13), to the unit's chats: T−k as before_due
 *                           (k = 0 on the due day) and the first working day overdue; subject the item id.
 *   unit_changes            every working day: the grade changes the entries made since the previous
 *                           working day's check; subject `<since epoch ms>:<unit>`.
 *   bulletin                when an assessment round closes (at pushTime that day or the next working
 *                           day, or at the close itself when it falls later inside the push window):
 *                           the leadership chats and every unit chat (a unit the 通报 does not name
 *                           is skipped); subject `<round>@<closed ms>[:<unit>]` — closing a re-opened
 *                           round again is a new 通报.
 *   rectification           a 整改 item in its unit's chats at T−k (REMINDER_OFFSETS, moved to an earlier
 *                           working day) and on the first working day overdue; to the leadership chats
 *                           after ESCALATE_AFTER_WORKDAYS working days overdue; none once it is done.
 *
 * Every intent has a unique key; the outbox records it once (outbox_item), so an intent is
 * announced at most once. Every `at` lies on a working day within the push window; a configured
 * time outside the window moves to the next window opening. A task reminder is produced only
 * while the occurrence is not done at its instant, so a completion stops the overdue series.
 * With no chat at all the intent has chatId null and key suffix '-'.
 */
import type { Phase } from '../plan/schema.js';
import type { ChatRouting, IntentWindow, ReminderIntent, ReminderKind, RuleInput, RuleOccurrence, RuleTask, YearlyTopic } from './intent.js';
import { KIND_SPECS } from './kinds.js';
import { addDays, daysBetween, formatDate, weekday } from '../tasks/dates.js';
import type { WorkCalendar } from '../tasks/work-calendar.js';
import { localDate as localDateOf, localMinutes as localMinutesOf, zonedInstant as instantOf } from '../time.js';
import { minutesOf, type SchedulerSettings } from '../config/scheduler-settings.js';

// ---------------------------------------------------------------- working-day table

/**
 * Working-day flags, cumulative working-day counts and day-start instants over a date range,
 * so that the rules do O(1) work per day. Pure memo: built from `calendar.isWorkday` only.
 */
class DayTable {
  readonly n: number;
  readonly dates: string[];
  readonly work: Uint8Array;
  /** cum[i] = working days in dates[0..i]. */
  readonly cum: Int32Array;
  /** Day start instants; dayStart[n] is the start of the day after the range. */
  readonly dayStart: Float64Array;

  constructor(
    readonly start: string,
    readonly end: string,
    calendar: Pick<WorkCalendar, 'isWorkday'>,
    readonly tz: string,
  ) {
    this.n = daysBetween(start, end) + 1;
    this.dates = new Array<string>(this.n);
    this.work = new Uint8Array(this.n);
    this.cum = new Int32Array(this.n);
    this.dayStart = new Float64Array(this.n + 1);
    let d = start;
    let c = 0;
    for (let i = 0; i < this.n; i++) {
      this.dates[i] = d;
      const w = calendar.isWorkday(d);
      this.work[i] = w ? 1 : 0;
      if (w) c++;
      this.cum[i] = c;
      this.dayStart[i] = instantOf(d, '00:00', tz);
      d = addDays(d, 1);
    }
    this.dayStart[this.n] = instantOf(d, '00:00', tz);
  }

  covers(start: string, end: string): boolean {
    return this.start <= start && end <= this.end;
  }

  idx(date: string): number {
    return daysBetween(this.start, date);
  }

  /** Instant of a wall-clock time on day i (exact also on a DST-change day). */
  instant(i: number, minutes: number): number {
    const s = this.dayStart[i] as number;
    if ((this.dayStart[i + 1] as number) - s === 86_400_000) return s + minutes * 60_000;
    const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
    const mm = String(minutes % 60).padStart(2, '0');
    return instantOf(this.dates[i] as string, `${hh}:${mm}`, this.tz);
  }

  /** i itself when a working day, else the previous working day (−1 if none in range). */
  onOrBefore(i: number): number {
    let j = i;
    while (j >= 0 && this.work[j] === 0) j--;
    return j;
  }

  /** The first working day at or after i (n if none in range). */
  onOrAfter(i: number): number {
    let j = i;
    while (j < this.n && this.work[j] === 0) j++;
    return j;
  }
}

const tableCache = new WeakMap<object, Map<string, DayTable>>();

/** A memoised table covering [start, end] for this calendar and zone. */
function dayTable(calendar: Pick<WorkCalendar, 'isWorkday'>, tz: string, start: string, end: string): DayTable {
  let byTz = tableCache.get(calendar);
  if (!byTz) {
    byTz = new Map();
    tableCache.set(calendar, byTz);
  }
  const cached = byTz.get(tz);
  if (cached?.covers(start, end)) return cached;
  // Grow generously so that passes moving forward day by day rarely rebuild the table.
  const s = cached && cached.start < start ? cached.start : addDays(start, -31);
  const e = cached && cached.end > end ? cached.end : addDays(end, 120);
  const table = new DayTable(s, e, calendar, tz);
  byTz.set(tz, table);
  return table;
}

// ---------------------------------------------------------------- helpers

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Chat part of a key. */
const chatKey = (chatId: string | null) => chatId ?? '-';

interface Target {
  chatId: string | null;
  leadUnits: string[];
  fallbackUnits: string[];
}

/** Chats for a task's lead units, merged per chat (several units may share a chat or fall back to the same one). */
function taskTargets(leadUnits: readonly string[], chats: ChatRouting): Target[] {
  const out = new Map<string, Target>();
  const add = (chatId: string | null, unit: string, fallback: boolean) => {
    const k = chatKey(chatId);
    let t = out.get(k);
    if (!t) {
      t = { chatId, leadUnits: [], fallbackUnits: [] };
      out.set(k, t);
    }
    if (!t.leadUnits.includes(unit)) t.leadUnits.push(unit);
    if (fallback && !t.fallbackUnits.includes(unit)) t.fallbackUnits.push(unit);
  };
  for (const unit of leadUnits) {
    const own = chats.leadUnits.get(unit) ?? [];
    if (own.length > 0) for (const c of own) add(c, unit, false);
    else if (chats.leadership.length > 0) for (const c of chats.leadership) add(c, unit, true);
    else add(null, unit, true);
  }
  return [...out.values()];
}

const leadershipTargets = (chats: ChatRouting): Array<string | null> => (chats.leadership.length > 0 ? [...chats.leadership] : [null]);

/** Plan month references resolved against the programme's first year. */
function phaseStart(p: Phase, firstYear: number): { year: number; month: number } {
  return { year: firstYear + p.start.yearOffset, month: p.start.month };
}

/** All intents share one class (monomorphic objects keep the rules fast at scale). */
class Intent implements ReminderIntent {
  constructor(
    public key: string,
    public kind: ReminderKind,
    public at: number,
    public date: string,
    public chatId: string | null,
    public taskSeq: number | null,
    public period: string | null,
    public taskYear: number | null,
    public dueDate: string | null,
    public offset: number | null,
    public daysLeft: number | null,
    public overdueDays: number | null,
    public overdueWorkdays: number | null,
    public leadUnits: string[],
    public fallbackUnits: string[],
    public subject: string | null,
  ) {}
}

const NONE: string[] = [];
const pushIntent = (key: string, kind: ReminderKind, at: number, date: string, chatId: string | null, subject: string): Intent =>
  new Intent(key, kind, at, date, chatId, null, null, null, null, null, null, null, null, NONE, NONE, subject);

// ---------------------------------------------------------------- the rules

/**
 * Every reminder intent with `window.from ≤ at ≤ window.to`, ordered by `at` (ties in a fixed
 * order: before-deadline reminders by task and occurrence, plan pushes, the digest, then overdue
 * reminders and escalations by task and occurrence).
 */
export function computeIntents(input: RuleInput, window: IntentWindow): ReminderIntent[] {
  const out: ReminderIntent[] = [];
  forEachIntent(input, window, (i) => out.push(i));
  return out;
}

interface OverdueSeries {
  task: RuleTask;
  occ: RuleOccurrence;
  targets: Target[];
  suffixes: string[];
  allUnits: string[];
  dueIdx: number;
  dueCum: number;
  overduePrefix: string;
  escalationPrefix: string;
}

/**
 * The same intents as `computeIntents`, handed to `emit` one by one in order, day by day: a
 * year's preview (hundreds of thousands of reminders) is produced without holding them all.
 * Returns how many were emitted.
 */
export function forEachIntent(input: RuleInput, window: IntentWindow, emit: (intent: ReminderIntent) => void): number {
  const { tz, settings: s, chats } = input;
  if (!(window.to >= window.from)) return 0;
  const dFrom = localDateOf(window.from, tz);
  const dTo = localDateOf(window.to, tz);
  const maxOffset = Math.max(0, ...s.offsets);
  let minDue = dFrom;
  for (const t of input.tasks) for (const o of t.occurrences) if (o.dueDate < minDue) minDue = o.dueDate;
  // Margins: reminders move back over holidays (≤ ~10 days); plan pushes look at the month/week start.
  const table = dayTable(input.calendar, tz, addDays(minDue < dFrom ? minDue : dFrom, -(maxOffset + 40)), addDays(dTo, 40));
  const iFrom = table.idx(dFrom);
  const iTo = table.idx(dTo);
  const wsMin = minutesOf(s.windowStart);
  const weMin = minutesOf(s.windowEnd);

  /** The send instant for a wall-clock time on day i: inside the push window of a working day. */
  const sendAt = (i: number, time: string): { i: number; at: number } => {
    const m = minutesOf(time);
    if (table.work[i] === 1 && m >= wsMin && m < weMin) return { i, at: table.instant(i, m) };
    if (table.work[i] === 1 && m < wsMin) return { i, at: table.instant(i, wsMin) };
    const j = table.onOrAfter(i + 1);
    return { i: j, at: table.instant(j, wsMin) };
  };
  const inWindow = (at: number) => at >= window.from && at <= window.to;

  // One bucket per day of the window, flushed in day order (an intent's day is that of its `at`).
  const buckets: Array<ReminderIntent[] | undefined> = new Array<ReminderIntent[] | undefined>(iTo - iFrom + 1);
  const put = (day: number, it: ReminderIntent) => {
    const k = day - iFrom;
    const b = buckets[k];
    if (b) b.push(it);
    else buckets[k] = [it];
  };

  const offsetsAsc = [...new Set(s.offsets)].sort((a, b) => a - b);
  const leaders = leadershipTargets(chats);
  const overdueMin = minutesOf(KIND_SPECS.overdue.time(s));
  const overdueInWindow = overdueMin >= wsMin && overdueMin < weMin;
  const series: OverdueSeries[] = [];

  for (const task of input.tasks) {
    const targets = taskTargets(task.leadUnits, chats);
    const allUnits = [...task.leadUnits];
    for (const occ of task.occurrences) {
      const dueIdx = table.idx(occ.dueDate);
      const subject = `${task.seq}:${occ.period}`;
      // Before the deadline and on the due day.
      const usedDays: number[] = [];
      for (const k of offsetsAsc) {
        // Beyond the table (which reaches 40+ days past the window): even moved back over a holiday it is after the window.
        if (dueIdx - k >= table.n) continue;
        const day = table.onOrBefore(dueIdx - k);
        if (day < 0 || usedDays.includes(day)) continue;
        usedDays.push(day);
        const { i, at } = sendAt(day, KIND_SPECS.before_due.time(s));
        if (!inWindow(at)) continue;
        if (occ.doneAt !== null && occ.doneAt <= at) continue;
        const date = table.dates[i] as string;
        const kind: ReminderKind = k === 0 ? 'due_today' : 'before_due';
        const daysLeft = dueIdx - i;
        for (const t of targets) {
          put(i, new Intent(`due:${subject}:d${k}:${chatKey(t.chatId)}`, kind, at, date, t.chatId, task.seq, occ.period, task.year, occ.dueDate, k, daysLeft, null, null, t.leadUnits, t.fallbackUnits, null));
        }
      }
      // Overdue series that can reach into the window.
      if ((occ.doneAt === null || occ.doneAt > window.from) && dueIdx < iTo) {
        series.push({
          task,
          occ,
          targets,
          suffixes: targets.map((t) => `:${chatKey(t.chatId)}`),
          allUnits,
          dueIdx,
          dueCum: table.cum[dueIdx] as number,
          overduePrefix: `overdue:${subject}:w`,
          escalationPrefix: `escalation:${subject}:w`,
        });
      }
    }
  }

  // A unit's own items: before the date, on it, and once on the first working day overdue.
  for (const item of input.unitItems ?? []) {
    const chatIds: ReadonlyArray<string | null> = chats.units.get(item.unit) ?? [null];
    const dueIdx = table.idx(item.dueDate);
    const days: Array<{ day: number; tag: string }> = [];
    for (const k of offsetsAsc) {
      if (dueIdx - k >= table.n) continue;
      const day = table.onOrBefore(dueIdx - k);
      if (day >= 0 && !days.some((x) => x.day === day)) days.push({ day, tag: `d${k}` });
    }
    if (dueIdx + 1 < table.n) days.push({ day: table.onOrAfter(dueIdx + 1), tag: 'w1' });
    for (const { day, tag } of days) {
      if (day >= table.n) continue;
      const { i, at } = sendAt(day, KIND_SPECS.unit_item.time(s));
      if (!inWindow(at) || (item.doneAt !== null && item.doneAt <= at)) continue;
      const date = table.dates[i] as string;
      for (const chatId of chatIds) {
        put(i, new Intent(`unit_item:${item.id}:${tag}:${chatKey(chatId)}`, 'unit_item', at, date, chatId, null, null, null, item.dueDate, null, dueIdx - i, null, null, NONE, NONE, String(item.id)));
      }
    }
  }

  // The plan's rhythm: first working day of a month / quarter / phase, to the leadership chats.
  const programmeStart = formatDate(input.firstYear, 1, 1);
  const push = (kind: ReminderKind, subject: string, year: number, month: number, time: string, onlyInProgramme: boolean) => {
    const firstIdx = table.onOrAfter(table.idx(formatDate(year, month, 1)));
    if (firstIdx >= table.n) return;
    const { i, at } = sendAt(firstIdx, time);
    if (!inWindow(at)) return;
    const date = table.dates[i] as string;
    if (onlyInProgramme && date < programmeStart) return;
    for (const chatId of leaders) put(i, pushIntent(`${kind}:${subject}:${chatKey(chatId)}`, kind, at, date, chatId, subject));
  };
  // Months whose first working day can fall in the window (it is never before the 1st).
  let yy = Number(dFrom.slice(0, 4));
  let m = Number(dFrom.slice(5, 7));
  const ty = Number(dTo.slice(0, 4));
  const tm = Number(dTo.slice(5, 7));
  const topics: Array<[YearlyTopic, number]> = [
    ['project-list', s.projectListMonth],
    ['self-check', s.selfCheckMonth],
    ['acceptance', s.acceptanceMonth],
  ];
  while (yy < ty || (yy === ty && m <= tm)) {
    const ym = `${yy}-${pad2(m)}`;
    push('monthly', ym, yy, m, KIND_SPECS.monthly.time(s), true);
    if (m % 3 === 1) push('quarterly', `${yy}-Q${(m + 2) / 3}`, yy, m, KIND_SPECS.quarterly.time(s), true);
    for (const [topic, month] of topics) if (month === m) push('yearly', `${yy}:${topic}`, yy, m, KIND_SPECS.yearly.time(s), true);
    for (const p of input.phases) {
      const st = phaseStart(p, input.firstYear);
      if (st.year === yy && st.month === m) push('phase', p.id, yy, m, KIND_SPECS.phase.time(s), false);
    }
    m++;
    if (m > 12) {
      m = 1;
      yy++;
    }
  }

  // Weekly digest: first working day of each Monday–Sunday week.
  for (let monday = weekStartOf(addDays(dFrom, -7)); monday <= dTo; monday = addDays(monday, 7)) {
    const mi = table.idx(monday);
    let first = -1;
    for (let i = mi; i < mi + 7 && i < table.n; i++) {
      if (table.work[i] === 1) {
        first = i;
        break;
      }
    }
    if (first < 0) continue; // a week without a working day (e.g. the Spring Festival week)
    const { i, at } = sendAt(first, KIND_SPECS.digest.time(s));
    if (!inWindow(at)) continue;
    const date = table.dates[i] as string;
    if (date < programmeStart) continue;
    for (const chatId of leaders) put(i, pushIntent(`digest:${monday}:${chatKey(chatId)}`, 'digest', at, date, chatId, monday));
    for (const [unit, chatIds] of chats.units) {
      for (const chatId of chatIds) put(i, pushIntent(`unit_digest:${monday}:${chatId}`, 'unit_digest', at, date, chatId, `${monday}:${unit}`));
    }
  }

  // A unit chat's grade changes: checked every working day at pushTime, since the previous check.
  if (chats.units.size > 0) {
    for (let d = table.onOrAfter(iFrom); d <= iTo; d = table.onOrAfter(d + 1)) {
      const { i, at } = sendAt(d, KIND_SPECS.unit_changes.time(s));
      if (!inWindow(at)) continue;
      const date = table.dates[i] as string;
      if (date < programmeStart) continue;
      const prev = table.onOrBefore(d - 1);
      if (prev < 0) continue;
      const since = sendAt(prev, KIND_SPECS.unit_changes.time(s)).at;
      for (const [unit, chatIds] of chats.units) {
        for (const chatId of chatIds) put(i, pushIntent(`unit_changes:${date}:${chatId}`, 'unit_changes', at, date, chatId, `${since}:${unit}`));
      }
    }
  }

  // A closed round's 通报: the first push slot at or after the close.
  for (const r of input.rounds ?? []) {
    if (r.closedAt > window.to) continue;
    const d = table.idx(localDateOf(r.closedAt, tz));
    if (d < 0) continue;
    let slot = sendAt(d, KIND_SPECS.bulletin.time(s));
    if (slot.at < r.closedAt) {
      const m = localMinutesOf(r.closedAt, tz);
      slot = table.work[d] === 1 && m >= wsMin && m < weMin ? { i: d, at: r.closedAt } : sendAt(table.onOrAfter(d + 1), KIND_SPECS.bulletin.time(s));
    }
    if (!inWindow(slot.at)) continue;
    const date = table.dates[slot.i] as string;
    const subject = `${r.id}@${r.closedAt}`;
    for (const chatId of leaders) put(slot.i, pushIntent(`bulletin:${subject}:${chatKey(chatId)}`, 'bulletin', slot.at, date, chatId, subject));
    for (const [unit, chatIds] of chats.units) {
      for (const chatId of chatIds) put(slot.i, pushIntent(`bulletin:${subject}:${chatId}`, 'bulletin', slot.at, date, chatId, `${subject}:${unit}`));
    }
  }

  // 整改 items: before and on the deadline and once overdue in the unit's chats, escalated later.
  for (const r of input.rectifications ?? []) {
    const dueIdx = table.idx(r.dueDate);
    if (dueIdx < 0 || dueIdx >= table.n) continue;
    const unitChats = chats.units.get(r.unit) ?? [];
    const emit = (day: number, stage: string, time: string, chatIds: ReadonlyArray<string | null>) => {
      if (day < 0 || day >= table.n) return;
      const { i, at } = sendAt(day, time);
      if (!inWindow(at) || (r.doneAt !== null && r.doneAt <= at)) return;
      const date = table.dates[i] as string;
      for (const chatId of chatIds) put(i, pushIntent(`rectification:${r.id}:${stage}:${chatKey(chatId)}`, 'rectification', at, date, chatId, `${r.id}:${stage}`));
    };
    const used: number[] = [];
    for (const k of offsetsAsc) {
      const day = table.onOrBefore(dueIdx - k);
      if (day < 0 || used.includes(day)) continue;
      used.push(day);
      emit(day, `d${k}`, KIND_SPECS.rectification.time(s), unitChats);
    }
    const firstOverdue = table.onOrAfter(dueIdx + 1);
    emit(firstOverdue, 'overdue', KIND_SPECS.rectification.time(s), unitChats);
    let escalation = firstOverdue;
    while (escalation < table.n && (table.cum[escalation] as number) - (table.cum[dueIdx] as number) < s.escalateAfterWorkdays) escalation = table.onOrAfter(escalation + 1);
    emit(escalation, 'escalation', KIND_SPECS.rectification.time(s), leaders);
  }

  // Day by day: the overdue reminders of the day, then everything of the day in time order.
  let emitted = 0;
  for (let d = iFrom; d <= iTo; d++) {
    if (table.work[d] === 1 && series.length > 0) {
      const slot = overdueInWindow ? { i: d, at: table.instant(d, overdueMin) } : sendAt(d, KIND_SPECS.overdue.time(s));
      const { at } = slot;
      if (inWindow(at)) {
        const date = table.dates[slot.i] as string;
        const cumD = table.cum[d] as number;
        for (const o of series) {
          if (o.dueIdx >= d || (o.occ.doneAt !== null && o.occ.doneAt <= at)) continue;
          const n = cumD - o.dueCum;
          const overdueDays = slot.i - o.dueIdx;
          for (let ti = 0; ti < o.targets.length; ti++) {
            const t = o.targets[ti] as Target;
            put(slot.i, new Intent(o.overduePrefix + n + (o.suffixes[ti] as string), 'overdue', at, date, t.chatId, o.task.seq, o.occ.period, o.task.year, o.occ.dueDate, null, null, overdueDays, n, t.leadUnits, t.fallbackUnits, null));
          }
          if (n >= s.escalateAfterWorkdays && (n - s.escalateAfterWorkdays) % s.escalateEveryWorkdays === 0) {
            for (const chatId of leaders) {
              put(slot.i, new Intent(`${o.escalationPrefix}${n}:${chatKey(chatId)}`, 'escalation', at, date, chatId, o.task.seq, o.occ.period, o.task.year, o.occ.dueDate, null, null, overdueDays, n, o.allUnits, NONE, null));
            }
          }
        }
      }
    }
    const k = d - iFrom;
    const bucket = buckets[k];
    if (!bucket) continue;
    buckets[k] = undefined;
    bucket.sort((a, b) => a.at - b.at); // stable: generation order within an instant
    for (const it of bucket) emit(it);
    emitted += bucket.length;
  }
  return emitted;
}

/** Monday of the Monday–Sunday week containing `date`. */
export function weekStartOf(date: string): string {
  return addDays(date, -((weekday(date) + 6) % 7));
}

/**
 * The first working day of the week starting `monday`, or null when the week has none.
 */
export function firstWorkdayOfWeek(calendar: Pick<WorkCalendar, 'isWorkday'>, monday: string): string | null {
  for (let i = 0; i < 7; i++) {
    const d = addDays(monday, i);
    if (calendar.isWorkday(d)) return d;
  }
  return null;
}

/**
 * The push window test: a working day and a wall-clock time in [windowStart, windowEnd).
 */
export function inPushWindow(at: number, input: { tz: string; settings: SchedulerSettings; calendar: Pick<WorkCalendar, 'isWorkday'> }): boolean {
  if (!input.calendar.isWorkday(localDateOf(at, input.tz))) return false;
  const m = localMinutesOf(at, input.tz);
  return m >= minutesOf(input.settings.windowStart) && m < minutesOf(input.settings.windowEnd);
}
