/**
 * Which plan items a programme year's task list holds (issue 16 #9). Annex 3 is the first
 * year's list (「2021年…重点任务清单」); 四 asks for a yearly list (排定年度重点任务清单) and a
 * yearly check (一年一验收). Later years copy the standing duties only; the one-offs of year one
 * (首批示范型, 绮园景区, 吾悦广场, the 改造提升工程 …) are not repeated. The office can still add
 * any item to any year. Pure.
 */
import type { Cadence, Plan, TaskTarget } from './schema.js';

/** A plan item as it is instantiated in a given year. */
export interface TaskTemplate {
  seq: number;
  category: string;
  content: string;
  deadlineText: string;
  leadUnits: string[];
  cadence: Cadence | null;
  target: TaskTarget | null;
}

/**
 * The plan items of programme year `year` (year 1 = `firstYear`): every item as written in
 * year 1; in later years the `every_year` items, in their `laterYears` form where the plan
 * gives one; none before year 1 (the planning months have no task list of their own).
 */
export function tasksToInstantiate(plan: Plan, year: number, firstYear: number): TaskTemplate[] {
  if (year < firstYear) return [];
  const firstYearList = year === firstYear;
  const out: TaskTemplate[] = [];
  for (const t of plan.tasks) {
    if (!firstYearList && t.recurrence !== 'every_year') continue;
    const later = firstYearList ? null : t.laterYears;
    out.push({
      seq: t.seq,
      category: t.category,
      content: later?.content ?? t.content,
      deadlineText: later?.deadlineText ?? t.deadlineText,
      leadUnits: [...t.leadUnits],
      cadence: later ? later.cadence : t.cadence,
      target: later ? null : t.target,
    });
  }
  return out;
}

/** Seqs of the items of year 1 that later years leave out (for reporting what instantiate skipped). */
export function firstYearOnlySeqs(plan: Plan): number[] {
  return plan.tasks.filter((t) => t.recurrence === 'first_year_only').map((t) => t.seq);
}
