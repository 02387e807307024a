/**
 * The 督办 traffic-light convention. Pure: `now` is an instant passed in, the calendar is read
 * in `tz` (DANGJIAN_TZ), never in the process's own zone.
 *
 * An occurrence is due at the end of its due date (23:59:59.999 in tz).
 *   done   — completed (shown with a green light); `doneLate` when completed after the deadline
 *   red    — not done and the deadline has passed
 *   yellow — not done and the due date is at most `yellowDays` calendar days from today
 *            (today in tz; 7 days by default: due 2026-02-28 turns yellow at 2026-02-21 00:00)
 *   green  — not done and due later than that
 * `late` = the deadline was missed: red, or done late.
 */
import { endOfLocalDay, localDate } from '../time.js';
import { daysBetween } from './dates.js';

export type TaskStatus = 'red' | 'yellow' | 'green' | 'done';
export type Light = 'red' | 'yellow' | 'green';
export const TASK_STATUSES: readonly TaskStatus[] = ['red', 'yellow', 'green', 'done'];
export const DEFAULT_YELLOW_DAYS = 7;

export interface OccurrenceStatus {
  status: TaskStatus;
  /** The lamp shown: done is green. */
  light: Light;
  /** The deadline was missed (red, or done after the deadline). */
  late: boolean;
  /** Completed after the deadline. */
  doneLate: boolean;
  /** The deadline instant (end of the due date in tz), epoch ms. */
  dueAt: number;
  /** Calendar days from today (in tz) to the due date; negative when overdue. */
  daysLeft: number;
}

export function occurrenceStatus(
  occurrence: { dueDate: string; doneAt: number | null },
  now: number,
  tz: string,
  yellowDays: number = DEFAULT_YELLOW_DAYS,
): OccurrenceStatus {
  const dueAt = endOfLocalDay(occurrence.dueDate, tz);
  const daysLeft = daysBetween(localDate(now, tz), occurrence.dueDate);
  if (occurrence.doneAt !== null) {
    const doneLate = occurrence.doneAt > dueAt;
    return { status: 'done', light: 'green', late: doneLate, doneLate, dueAt, daysLeft };
  }
  if (now > dueAt) return { status: 'red', light: 'red', late: true, doneLate: false, dueAt, daysLeft };
  const status = daysLeft <= yellowDays ? 'yellow' : 'green';
  return { status, light: status, late: false, doneLate: false, dueAt, daysLeft };
}

const SEVERITY: Record<Light, number> = { green: 0, yellow: 1, red: 2 };

/**
 * A task's status from its occurrences. A task is 'done' only when every occurrence is done.
 * Otherwise it is the worst light (red > yellow > green) among the occurrences that have started
 * by `today` (done ones count as green); green when none has started yet.
 */
export function aggregateStatus(occurrences: ReadonlyArray<{ start: string; status: OccurrenceStatus }>, today: string): TaskStatus {
  if (occurrences.length > 0 && occurrences.every((o) => o.status.status === 'done')) return 'done';
  let worst: Light = 'green';
  for (const o of occurrences) {
    if (o.start > today) continue;
    if (SEVERITY[o.status.light] > SEVERITY[worst]) worst = o.status.light;
  }
  return worst;
}
