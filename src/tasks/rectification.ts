/**
 * Where a unit's 整改 stands at an instant (pure): open while some item is not done; closed when
 * all are, on time when each was done by the end of its deadline day, else closed late.
 */
import { endOfLocalDay } from '../time.js';

export interface RectificationItemState {
  unit: string;
  dueDate: string;
  /** Standing completion instant, or null. */
  doneAt: number | null;
}

export type RectificationState = 'open' | 'closed' | 'closed_late';

export interface UnitRectificationState<I> {
  unit: string;
  items: Array<I & { overdue: boolean; late: boolean }>;
  done: number;
  state: RectificationState;
  /** When the last item was done (closed states). */
  closedAt: number | null;
}

/** Per unit (in first-seen order): its items as of `at` (completions after `at` not counted). */
export function rectificationByUnit<I extends RectificationItemState>(items: readonly I[], at: number, tz: string): Array<UnitRectificationState<I>> {
  const byUnit = new Map<string, I[]>();
  for (const i of items) byUnit.set(i.unit, [...(byUnit.get(i.unit) ?? []), i]);
  return [...byUnit].map(([unit, list]) => {
    const marked = list.map((i) => {
      const doneAt = i.doneAt !== null && i.doneAt <= at ? i.doneAt : null;
      const deadline = endOfLocalDay(i.dueDate, tz);
      return { ...i, doneAt, overdue: doneAt === null && at > deadline, late: doneAt !== null && doneAt > deadline };
    });
    const done = marked.filter((i) => i.doneAt !== null).length;
    const all = done === marked.length;
    return { unit, items: marked, done, state: !all ? 'open' : marked.some((i) => i.late) ? 'closed_late' : 'closed', closedAt: all ? Math.max(...marked.map((i) => i.doneAt!)) : null };
  });
}
