/**
 * The 督办 board for chat, memoised. `boardEntry` (src/tasks/task-service.ts) is pure and costs
 * ~1 ms of CPU per task (time-zone arithmetic per occurrence), while reading the tasks and their
 * completions costs ~0.5 ms for the whole year. Its result depends on the instant only through
 * the local date (a deadline is the end of a day; yellow counts calendar days), so an entry is
 * reused while the task, its active completions and today's date are unchanged. Reads always
 * go to the database, so changes made elsewhere (the CLI, another process) are seen at once.
 */
import type { Db } from '../../db/database.js';
import { boardEntry, type BoardTask } from '../../tasks/task-service.js';
import { activeCompletions, findTask, listTasks, type CompletionRecord, type TaskRecord } from '../../tasks/task.repository.js';
import { localDate } from '../../time.js';

const MAX_ENTRIES = 5000;
const memos = new WeakMap<Db, Map<string, BoardTask>>();

function entry(db: Db, task: TaskRecord, completions: readonly CompletionRecord[], at: number, tz: string, today: string): BoardTask {
  let memo = memos.get(db);
  if (!memo) memos.set(db, (memo = new Map()));
  const { id: _id, createdAt: _c, updatedAt: _u, ...fields } = task;
  const key = `${tz}|${today}|${task.id}|${completions.map((c) => c.id).join(',')}|${JSON.stringify(fields)}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const fresh = boardEntry(task, completions, at, tz);
  if (memo.size >= MAX_ENTRIES) memo.clear();
  memo.set(key, fresh);
  return fresh;
}

/** Every non-retired task of a year as of `at` (like taskBoard without filters), by seq. `today` = localDate(at, tz). */
export async function boardOfYear(deps: { db: Db; tz: string }, year: number, at: number, today = localDate(at, deps.tz)): Promise<BoardTask[]> {
  const tasks = await listTasks(deps.db, { year, activeAt: at });
  const completions = await activeCompletions(deps.db, tasks.map((t) => t.id));
  const byTask = new Map<number, CompletionRecord[]>();
  for (const c of completions) {
    const list = byTask.get(c.taskId);
    if (list) list.push(c);
    else byTask.set(c.taskId, [c]);
  }
  return tasks.map((t) => entry(deps.db, t, byTask.get(t.id) ?? [], at, deps.tz, today));
}

/** One task as of `at`; undefined when there is none or it was retired by then. */
export async function boardOfTask(deps: { db: Db; tz: string }, year: number, seq: number, at: number, today = localDate(at, deps.tz)): Promise<BoardTask | undefined> {
  const task = await findTask(deps.db, year, seq);
  if (!task || (task.retiredAt !== null && task.retiredAt <= at)) return undefined;
  return entry(deps.db, task, await activeCompletions(deps.db, [task.id]), at, deps.tz, today);
}
