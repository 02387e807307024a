/**
 * The 督办 board entry of one task: its 红黄绿 status and its occurrences at an instant, from
 * its standing completions. Pure; built once per task by the tasks service (with a memo) for
 * the chat, the CLI, the digest and the pushes.
 *
 * Status: for a dated task the status of its one occurrence; for a recurring task the worst
 * light among its occurrences that have started (red > yellow > green), or 'done' only when
 * every occurrence of the year is done.
 */
import type { Cadence, TaskTarget } from '../plan/schema.js';
import { isoInZone, localDate } from '../time.js';
import { occurrencesFor, type OccurrenceTask } from './occurrences.js';
import { aggregateStatus, occurrenceStatus, type Light, type TaskStatus } from './status.js';

/** The task fields the board reads. */
export interface BoardSource extends OccurrenceTask {
  id: number;
  seq: number;
  category: string;
  content: string;
  leadUnits: readonly string[];
  target: TaskTarget | null;
  source: 'plan' | 'office';
}

/** A standing completion of one occurrence. */
export interface BoardCompletion {
  taskId: number;
  period: string;
  doneAt: number;
  doneBy: string;
  note: string | null;
  progress: Record<string, number> | null;
  undoneAt: number | null;
}

export interface BoardOccurrence {
  period: string;
  start: string;
  dueDate: string;
  status: TaskStatus;
  light: Light;
  late: boolean;
  doneLate: boolean;
  /** ISO with the zone's offset, or null. */
  doneAt: string | null;
  doneBy: string | null;
  note: string | null;
  progress: Record<string, number> | null;
  /** Whether the recorded progress meets every metric's minimum; null without target or progress. */
  targetMet: boolean | null;
}

export interface BoardTask {
  year: number;
  seq: number;
  category: string;
  content: string;
  deadlineText: string;
  leadUnits: string[];
  cadence: Cadence | null;
  /** Due date of a dated task; null for a recurring one (see occurrences). */
  dueDate: string | null;
  status: TaskStatus;
  light: Light;
  /** Some occurrence missed its deadline (overdue, or done late). */
  late: boolean;
  /** Some occurrence was completed after its deadline. */
  doneLate: boolean;
  /** The recurring task's period containing `at`, or null (dated tasks; outside the year). */
  currentPeriod: string | null;
  source: 'plan' | 'office';
  target: TaskTarget | null;
  occurrences: BoardOccurrence[];
}

function targetMet(target: TaskTarget | null, progress: Record<string, number> | null): boolean | null {
  if (target === null || progress === null) return null;
  return target.metrics.every((m) => (progress[m.key] ?? Number.NEGATIVE_INFINITY) >= m.min);
}

/** Status of one task at `at` from its standing completions; yellow when due within `yellowDays` (YELLOW_DAYS). */
export function boardEntry(task: BoardSource, completions: readonly BoardCompletion[], at: number, tz: string, yellowDays: number): BoardTask {
  // A completion undone after `at` still stood at `at` (as-of boards pass such rows).
  const byPeriod = new Map(completions.filter((c) => c.taskId === task.id && (c.undoneAt === null || c.undoneAt > at)).map((c) => [c.period, c]));
  const today = localDate(at, tz);
  const occurrences = occurrencesFor(task).map((o) => {
    const c = byPeriod.get(o.period);
    const st = occurrenceStatus({ dueDate: o.dueDate, doneAt: c?.doneAt ?? null }, at, tz, yellowDays);
    return { o, c, st };
  });
  const status = task.cadence === null ? (occurrences[0]?.st.status ?? 'green') : aggregateStatus(occurrences.map((x) => ({ start: x.o.start, status: x.st })), today);
  const current = task.cadence === null ? undefined : occurrences.find((x) => x.o.start <= today && today <= x.o.dueDate);
  return {
    year: task.year,
    seq: task.seq,
    category: task.category,
    content: task.content,
    deadlineText: task.deadlineText,
    leadUnits: [...task.leadUnits],
    cadence: task.cadence,
    dueDate: task.cadence === null ? (occurrences[0]?.o.dueDate ?? null) : null,
    status,
    light: status === 'done' ? 'green' : status,
    late: occurrences.some((x) => x.st.late),
    doneLate: occurrences.some((x) => x.st.doneLate),
    currentPeriod: current?.o.period ?? null,
    source: task.source,
    target: task.target,
    occurrences: occurrences.map(({ o, c, st }) => ({
      period: o.period,
      start: o.start,
      dueDate: o.dueDate,
      status: st.status,
      light: st.light,
      late: st.late,
      doneLate: st.doneLate,
      doneAt: c ? isoInZone(c.doneAt, tz) : null,
      doneBy: c?.doneBy ?? null,
      note: c?.note ?? null,
      progress: c?.progress ?? null,
      targetMet: targetMet(task.target, c?.progress ?? null),
    })),
  };
}

/**
 * The occurrence a completion without a period means (「完成 8」, the 「标记完成」 button): a
 * dated task's one occurrence unless done; for a recurring task the earliest occurrence that
 * has started by `today` and is not done. Undefined when there is none.
 */
export function openOccurrence<O extends { period: string; start: string }>(task: { cadence: Cadence | null }, occurrences: readonly O[], isDone: (o: O) => boolean, today: string): O | undefined {
  if (task.cadence === null) {
    const only = occurrences[0];
    return only && !isDone(only) ? only : undefined;
  }
  return occurrences.find((o) => o.start <= today && !isDone(o));
}
