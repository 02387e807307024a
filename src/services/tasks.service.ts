/**
 * Task-list operations shared by the CLI, the bot, the scheduler and the weekly digest:
 * the 督办 board (built here once, with its memo), the task state the reminder rules read,
 * completing / undoing an occurrence, and the office's add / edit / retire / instantiate.
 * Permissions come from src/auth/policy.ts; every change and every refusal is audited.
 *
 * Board status filter: `status` matches the task-level status exactly (see src/tasks/board.ts):
 * `--status green` lists tasks that are on track but not finished, `--status done` the finished
 * ones. Occurrences are never filtered: a listed task always carries all of its periods.
 */
import type { Actor } from '../auth/actor.js';
import { checkRole, mayCompleteTask, requireOffice, requireRole } from '../auth/policy.js';
import type { Clock } from '../clock.js';
import { audit } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { rootOf } from '../db/unit-of-work.js';
import { listMembers } from '../db/member.repository.js';
import {
  activeCompletion,
  activeCompletions,
  activeCompletionsOfYear,
  completionsStandingAt,
  countTasks,
  findTask,
  insertCompletion,
  insertTask,
  insertTaskIfAbsent,
  latestTaskYearBefore,
  listTasks,
  markCompletionUndone,
  maxTaskSeq,
  retireTaskRow,
  taskYears,
  updateTask,
  type CompletionRecord,
  type NewTaskInput,
  type TaskPatch,
  type TaskRecord,
} from '../db/task.repository.js';
import type { Transaction } from '../db/schema.js';
import { parseCadenceWord, parseTaskStatusWord } from '../domain/option-words.js';
import { UserError } from '../errors.js';
import { CADENCE_NAMES_ZH, CADENCES, type Cadence, type Plan } from '../plan/schema.js';
import { firstYearOnlySeqs, tasksToInstantiate } from '../plan/plan-tasks.js';
import { boardEntry, openOccurrence, type BoardTask } from '../tasks/board.js';
import { parseDeadline } from '../tasks/deadline.js';
import type { PeriodSelection } from '../tasks/period-selection.js';
import { findOccurrence, occurrencesFor, type Occurrence } from '../tasks/occurrences.js';
import { occurrenceStatus, TASK_STATUSES, type TaskStatus } from '../tasks/status.js';
import { isoInZone, localDate } from '../time.js';
import { requireProgramme } from './programme.service.js';
import { parseNote, parseProgrammeYear, parseYear } from './scores.service.js';

export interface TaskDeps {
  db: Db;
  /** DANGJIAN_TZ. */
  tz: string;
  clock: Clock;
}

/** What the board needs: yellow when due within `yellowDays` (YELLOW_DAYS, the scheduler settings). */
export interface BoardDeps {
  db: Db;
  tz: string;
  yellowDays: number;
}

export interface TaskDepsWithPlan extends TaskDeps {
  plan: Plan;
}

const MAX_CONTENT = 500;
const DEFAULT_CATEGORY = '其他任务';

// ---- argument parsing shared with the bot ----

function parseSeq(value: string | number, field = '--seq'): number {
  const text = String(value).trim();
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1) throw new UserError('bad_argument', `任务序号应为正整数（收到「${text}」）`, field);
  return Number(text);
}

/** Lead-unit name as stored: NFKC folds full-width brackets, so 「党建办（组织）」 = 「党建办(组织)」. */
function normaliseLeadUnit(name: string): string {
  return name.normalize('NFKC').trim();
}

/** 'UNIT[,UNIT]' (also separated by 、 or ，) → names, de-duplicated, in order. */
export function parseLeadUnitList(text: string, field = '--lead'): string[] {
  const names = text
    .normalize('NFKC')
    .split(/[,、]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new UserError('bad_argument', '至少需要一个牵头单位', field);
  return [...new Set(names)];
}

/** 'key=value,key=value' → numbers by key. */
export function parseProgress(text: string, field = '--progress'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.normalize('NFKC').split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const m = /^([A-Za-z_][\w-]*)\s*=\s*(-?\d+(?:\.\d+)?)\s*%?$/.exec(p);
    if (!m) throw new UserError('bad_argument', `进度应写作 key=数值[,key=数值]（收到「${p}」）`, field);
    const key = m[1] ?? '';
    if (key in out) throw new UserError('bad_argument', `进度指标 ${key} 重复`, field);
    out[key] = Number(m[2]);
  }
  if (Object.keys(out).length === 0) throw new UserError('bad_argument', '进度为空；应写作 key=数值[,key=数值]', field);
  return out;
}

function validateContent(text: string, field = '--content'): string {
  const t = text.trim();
  if (t === '' || t.length > MAX_CONTENT || /\p{Cc}/u.test(t)) {
    throw new UserError('bad_argument', `任务内容应为 1–${MAX_CONTENT} 个可打印字符`, field);
  }
  return t;
}

function validateCategory(text: string, field = '--category'): string {
  const t = text.trim();
  if (t === '' || t.length > 100 || /\p{Cc}/u.test(t)) throw new UserError('bad_argument', '任务类别应为 1–100 个可打印字符', field);
  return t;
}

// ---- permissions ----

function completionRefusal(task: TaskRecord, verb: string): string {
  return `你不是任务 ${task.seq} 的牵头单位（${task.leadUnits.join('、')}）成员，也不是党建办或领导小组成员，不能${verb}`;
}

function subject(year: number, seq: number): string {
  return `task:${year}:${seq}`;
}

const notInstantiated = (year: number) =>
  new UserError('not_initialised', `${year} 年的任务清单尚未建立（运行 dangjian init --year YYYY 或 dangjian task instantiate --year ${year}）`, '--year');

/** Throws not_initialised when the year has no task list; else how many tasks it has (retired included). */
export async function requireTaskList(db: Db, year: number): Promise<number> {
  const count = await countTasks(db, year);
  if (count === 0) throw notInstantiated(year);
  return count;
}

async function requireTask(db: Db, year: number, seq: number, field = '--seq'): Promise<TaskRecord> {
  const task = await findTask(db, year, seq);
  if (task) return task;
  await requireTaskList(db, year);
  throw new UserError('not_found', `${year} 年没有序号为 ${seq} 的任务`, field);
}

function requireNotRetired(task: TaskRecord, tz: string): void {
  if (task.retiredAt !== null) {
    throw new UserError('conflict', `任务 ${task.seq} 已于 ${isoInZone(task.retiredAt, tz)} 撤销，不能再操作`, '--seq');
  }
}

// ---- completion ----

export interface CompleteInput {
  year: number | string;
  seq: number | string;
  /** Period id ('2026-03', '2026-03-上', '2026-Q1', '2026-B1', '2026'); see occurrences.ts. */
  period?: string | undefined;
  note?: string | null | undefined;
  progress?: Record<string, number> | undefined;
  /** When the work was done (epoch ms); default now. */
  at?: number | undefined;
}

export interface CompletionResult {
  year: number;
  seq: number;
  period: string;
  dueDate: string;
  doneAt: string;
  doneBy: string;
  late: boolean;
  note: string | null;
  progress: Record<string, number> | null;
}

function validateProgress(task: TaskRecord, progress: Record<string, number>): Record<string, number> {
  const metrics = task.target?.metrics ?? [];
  if (metrics.length === 0) throw new UserError('bad_argument', `任务 ${task.seq} 没有可记录的进度指标`, '--progress');
  const keys = metrics.map((m) => m.key);
  for (const [key, value] of Object.entries(progress)) {
    if (!keys.includes(key)) throw new UserError('bad_argument', `任务 ${task.seq} 没有进度指标 ${key}；可用：${metrics.map((m) => `${m.key}（${m.label}）`).join('、')}`, '--progress');
    if (!Number.isFinite(value) || value < 0) throw new UserError('bad_argument', `进度 ${key} 应为非负数（收到 ${value}）`, '--progress');
  }
  return { ...progress };
}

/**
 * Marks an occurrence done. Without a period: the dated task's single occurrence, or for a
 * recurring task the earliest not-done occurrence whose period has started at `at`.
 * Errors: not_found / forbidden (audited as denied) / bad_argument (period, progress) /
 * conflict when already done (naming who and when; no second row).
 */
export async function completeOccurrence(deps: TaskDeps, actor: Actor, input: CompleteInput): Promise<CompletionResult> {
  const { db, tz, clock } = deps;
  const year = parseYear(input.year);
  const seq = parseSeq(input.seq);
  const recordedAt = clock.now().getTime();
  if (input.at !== undefined && !Number.isFinite(input.at)) throw new UserError('bad_argument', '完成时间无效', '--at');
  const doneAt = input.at ?? recordedAt;
  const task = await requireTask(db, year, seq);
  await requireRole(deps, actor, (a) => mayCompleteTask(a, task.leadUnits), { action: 'task.done', subject: subject(year, seq), reason: completionRefusal(task, '标记完成'), detail: { period: input.period ?? null } });
  requireNotRetired(task, tz);
  const note = parseNote(input.note ?? null);
  const progress = input.progress === undefined ? null : validateProgress(task, input.progress);

  let occurrence: Occurrence;
  if (input.period !== undefined) {
    occurrence = findOccurrence(task, input.period);
    if (task.cadence !== null && occurrence.start > localDate(doneAt, tz)) {
      throw new UserError('bad_argument', `周期 ${occurrence.period} 从 ${occurrence.start} 开始，尚未开始，不能标记完成`, '--period');
    }
  } else {
    occurrence = await defaultOpenOccurrence(db, task, doneAt, tz);
  }

  return recordCompletion(deps, actor, task, occurrence, { doneAt, recordedAt, note, progress });
}

/** One occurrence marked done in its own transaction, audited; conflict (naming who and when) when it already is. */
async function recordCompletion(
  deps: TaskDeps,
  actor: Actor,
  task: TaskRecord,
  occurrence: Occurrence,
  o: { doneAt: number; recordedAt: number; note: string | null; progress: Record<string, number> | null; batch?: boolean },
): Promise<CompletionResult> {
  const { db, tz } = deps;
  const { year, seq } = task;
  const late = occurrenceStatus({ dueDate: occurrence.dueDate, doneAt: o.doneAt }, o.doneAt, tz).doneLate;
  const row = await db.transaction().execute(async (trx) => {
    // Checked inside the transaction so that two concurrent completions cannot both insert.
    const existing = await activeCompletion(trx, task.id, occurrence.period);
    if (existing) {
      throw new UserError('conflict', `任务 ${seq} 的周期 ${occurrence.period} 已由 ${existing.doneBy} 于 ${isoInZone(existing.doneAt, tz)} 标记完成`, '--period');
    }
    const inserted = await insertCompletion(trx, { taskId: task.id, period: occurrence.period, doneAt: o.doneAt, doneBy: actor.name, note: o.note, progress: o.progress, late });
    if (!inserted) {
      // Another connection completed it between the check and the insert (PostgreSQL replicas).
      const winner = await activeCompletion(trx, task.id, occurrence.period);
      throw new UserError('conflict', `任务 ${seq} 的周期 ${occurrence.period} 已由 ${winner?.doneBy ?? '他人'}${winner ? ` 于 ${isoInZone(winner.doneAt, tz)}` : ''} 标记完成`, '--period');
    }
    await audit(trx, {
      at: o.recordedAt,
      actor: actor.name,
      source: actor.source,
      action: 'task.done',
      subject: subject(year, seq),
      outcome: 'ok',
      detail: { period: occurrence.period, dueDate: occurrence.dueDate, doneAt: isoInZone(o.doneAt, tz), late, note: o.note, progress: o.progress, completionId: inserted.id, ...(o.batch ? { batch: true } : {}) },
    });
    return inserted;
  });
  return { year, seq, period: row.period, dueDate: occurrence.dueDate, doneAt: isoInZone(row.doneAt, tz), doneBy: row.doneBy, late: row.late, note: row.note, progress: row.progress };
}

async function defaultOpenOccurrence(db: Db, task: TaskRecord, at: number, tz: string): Promise<Occurrence> {
  const occurrences = occurrencesFor(task);
  // A dated task's one occurrence even when done: completing it again is a conflict that names who did it.
  if (task.cadence === null) return occurrences[0] as Occurrence;
  const today = localDate(at, tz);
  const done = new Set((await activeCompletions(db, [task.id])).map((c) => c.period));
  const open = openOccurrence(task, occurrences, (o) => done.has(o.period), today);
  if (!open) {
    const started = occurrences.filter((o) => o.start <= today);
    const why = started.length === 0 ? `${task.year} 年的第一个周期从 ${occurrences[0]?.start} 开始` : '已开始的周期都已完成';
    throw new UserError('bad_argument', `任务 ${task.seq} 在 ${today} 没有待完成的周期（${why}）；请用 --period 指定，有效周期：${occurrences.map((o) => o.period).join(', ')}`, '--period');
  }
  return open;
}

export interface UndoInput {
  year: number | string;
  seq: number | string;
  /** Default: the dated task's single occurrence, or the most recently completed occurrence of a recurring task. */
  period?: string | undefined;
  at?: number | undefined;
}

export interface UndoResult {
  year: number;
  seq: number;
  period: string;
  /** The completion that was withdrawn. */
  undone: { doneAt: string; doneBy: string };
  undoneAt: string;
  undoneBy: string;
}

/** Withdraws an occurrence's completion (the row stays, stamped undone). Error when it is not done. */
export async function undoOccurrence(deps: TaskDeps, actor: Actor, input: UndoInput): Promise<UndoResult> {
  const { db, tz, clock } = deps;
  const year = parseYear(input.year);
  const seq = parseSeq(input.seq);
  const at = input.at ?? clock.now().getTime();
  const task = await requireTask(db, year, seq);
  await requireRole(deps, actor, (a) => mayCompleteTask(a, task.leadUnits), { action: 'task.undo', subject: subject(year, seq), reason: completionRefusal(task, '撤销完成'), detail: { period: input.period ?? null } });
  requireNotRetired(task, tz);

  let completion: CompletionRecord | undefined;
  let period: string;
  if (input.period !== undefined || task.cadence === null) {
    period = input.period !== undefined ? findOccurrence(task, input.period).period : (occurrencesFor(task)[0] as Occurrence).period;
    completion = await activeCompletion(db, task.id, period);
    if (!completion) throw new UserError('conflict', `任务 ${seq} 的周期 ${period} 尚未完成，无需撤销`, '--period');
  } else {
    const valid = new Set(occurrencesFor(task).map((o) => o.period));
    const all = (await activeCompletions(db, [task.id])).filter((c) => valid.has(c.period));
    completion = all.sort((a, b) => b.doneAt - a.doneAt || b.id - a.id)[0];
    if (!completion) throw new UserError('conflict', `任务 ${seq} 没有已完成的周期可撤销`, '--period');
    period = completion.period;
  }
  await withdrawCompletion(deps, actor, task, completion, { at });
  return { year, seq, period, undone: { doneAt: isoInZone(completion.doneAt, tz), doneBy: completion.doneBy }, undoneAt: isoInZone(at, tz), undoneBy: actor.name };
}

/** A standing completion stamped undone in its own transaction, audited. */
async function withdrawCompletion(deps: TaskDeps, actor: Actor, task: TaskRecord, completion: CompletionRecord, o: { at?: number; batch?: boolean }): Promise<void> {
  const { db, tz } = deps;
  const at = o.at ?? deps.clock.now().getTime();
  await db.transaction().execute(async (trx) => {
    const changed = await markCompletionUndone(trx, completion.id, { by: actor.name, at });
    if (changed !== 1) throw new UserError('conflict', `任务 ${task.seq} 的周期 ${completion.period} 已被撤销`, '--period');
    await audit(trx, {
      at,
      actor: actor.name,
      source: actor.source,
      action: 'task.undo',
      subject: subject(task.year, task.seq),
      outcome: 'ok',
      detail: { period: completion.period, completionId: completion.id, doneAt: isoInZone(completion.doneAt, tz), doneBy: completion.doneBy, ...(o.batch ? { batch: true } : {}) },
    });
  });
}

// ---- batches: several occurrences (and tasks) at once ----

export interface BatchInput {
  year: number | string;
  seqs: ReadonlyArray<number | string>;
  select: PeriodSelection;
  note?: string | null | undefined;
}

export interface BatchOccurrence {
  seq: number;
  period: string;
  /** Position among the task's occurrences (consecutive positions make a range). */
  index: number;
}

export interface BatchResult {
  year: number;
  /** The occurrences completed (or undone), in order. */
  done: BatchOccurrence[];
  /** The occurrences refused, with the reason. */
  refused: Array<BatchOccurrence & { reason: string }>;
}

const MAX_BATCH_TASKS = 50;

function selected(task: TaskRecord, select: PeriodSelection, today: string, isDone: (period: string) => boolean): BatchOccurrence[] {
  return occurrencesFor(task)
    .map((o, index) => ({ o, index }))
    .filter(({ o }) => (select.kind === 'overdue' ? o.dueDate < today && !isDone(o.period) : o.dueDate >= select.first && o.dueDate <= select.last))
    .map(({ o, index }) => ({ seq: task.seq, period: o.period, index }));
}

/**
 * Runs one batch: for each task and each selected occurrence, the permission is checked (a
 * refusal audited per occurrence) and `act` applied to the permitted ones, each in its own
 * transaction with its own audit row. Nothing selected at all is an error naming the selection.
 */
async function runBatch(
  deps: TaskDeps,
  actor: Actor,
  input: BatchInput,
  verb: { action: 'task.done' | 'task.undo'; zh: string },
  act: (task: TaskRecord, occurrence: Occurrence) => Promise<void>,
): Promise<BatchResult> {
  const { db, tz, clock } = deps;
  const year = parseYear(input.year);
  const seqs = [...new Set(input.seqs.map((s) => parseSeq(s)))];
  if (seqs.length === 0) throw new UserError('bad_argument', '缺少任务序号', '〈序号〉');
  if (seqs.length > MAX_BATCH_TASKS) throw new UserError('bad_argument', `一次最多 ${MAX_BATCH_TASKS} 项任务（收到 ${seqs.length} 项）`, '〈序号〉');
  if (input.select.kind === 'due_between' && input.select.first > input.select.last) throw new UserError('bad_argument', `期次范围的起点 ${input.select.first} 晚于终点 ${input.select.last}`, '[期次]');
  const today = localDate(clock.now().getTime(), tz);
  const result: BatchResult = { year, done: [], refused: [] };
  for (const seq of seqs) {
    const task = await requireTask(db, year, seq, '〈序号〉');
    const standing = new Set((await activeCompletions(db, [task.id])).map((c) => c.period));
    const occurrences = selected(task, input.select, today, (p) => standing.has(p));
    if (task.retiredAt !== null) {
      for (const o of occurrences) result.refused.push({ ...o, reason: `任务 ${seq} 已撤销` });
      continue;
    }
    const byPeriod = new Map(occurrencesFor(task).map((o) => [o.period, o]));
    for (const o of occurrences) {
      const reason = await checkRole(deps, actor, (a) => mayCompleteTask(a, task.leadUnits), { action: verb.action, subject: subject(year, seq), reason: completionRefusal(task, verb.zh), detail: { period: o.period, batch: true } });
      if (reason !== null) {
        result.refused.push({ ...o, reason });
        continue;
      }
      try {
        await act(task, byPeriod.get(o.period)!);
        result.done.push(o);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        result.refused.push({ ...o, reason: err.message });
      }
    }
  }
  if (result.done.length + result.refused.length === 0) {
    const what = input.select.kind === 'overdue' ? '逾期未完成的期次' : `在 ${input.select.first} 至 ${input.select.last} 之间截止的期次`;
    throw new UserError('not_found', `任务 ${seqs.join('、')} 没有${what}`, '[期次]');
  }
  return result;
}

/** Completes the selected occurrences of the tasks the actor may complete (「完成 8 1-11月」, 「全部标记完成」). */
export async function completeBatch(deps: TaskDeps, actor: Actor, input: BatchInput): Promise<BatchResult> {
  const note = parseNote(input.note ?? null);
  const today = localDate(deps.clock.now().getTime(), deps.tz);
  return runBatch(deps, actor, input, { action: 'task.done', zh: '标记完成' }, async (task, occurrence) => {
    if (task.cadence !== null && occurrence.start > today) throw new UserError('bad_argument', `${occurrence.period} 从 ${occurrence.start} 开始，尚未开始`);
    const at = deps.clock.now().getTime();
    await recordCompletion(deps, actor, task, occurrence, { doneAt: at, recordedAt: at, note, progress: null, batch: true });
  });
}

/** Withdraws the completions of the selected occurrences (「撤销 8 1-11月」). */
export async function undoBatch(deps: TaskDeps, actor: Actor, input: BatchInput): Promise<BatchResult> {
  if (input.select.kind === 'overdue') throw new UserError('bad_argument', '撤销需要写明期次范围，例如「撤销 8 1-11月」', '[期次]');
  return runBatch(deps, actor, input, { action: 'task.undo', zh: '撤销完成' }, async (task, occurrence) => {
    const completion = await activeCompletion(deps.db, task.id, occurrence.period);
    if (!completion) throw new UserError('conflict', '尚未完成，无需撤销');
    await withdrawCompletion(deps, actor, task, completion, { batch: true });
  });
}

// ---- the board ----

export interface BoardQuery {
  /** Default: the year of `at` in tz. */
  year?: number | string | undefined;
  /** Instant the status is evaluated at (epoch ms); default now. */
  at?: number | undefined;
  /** Only tasks this lead unit leads. */
  lead?: string | undefined;
  status?: TaskStatus | string | undefined;
}

const MAX_MEMO_ENTRIES = 5000;
const memos = new WeakMap<Db, Map<string, BoardTask>>();

/**
 * `boardEntry` costs ~1 ms of CPU per task (time-zone arithmetic per occurrence) while reading
 * the tasks and completions costs ~0.5 ms for a whole year. Its result depends on the instant
 * only through the local date (a deadline is the end of a day; yellow counts calendar days), so
 * an entry is reused while the task, its standing completions, today's date and yellowDays are
 * unchanged. Reads always go to the database: changes made elsewhere are seen at once.
 */
function memoEntry(deps: BoardDeps, task: TaskRecord, completions: readonly CompletionRecord[], at: number, today: string): BoardTask {
  // One memo per database, shared by its transactions (src/db/unit-of-work.ts): the key is the
  // content (a completion by its fields, not its id: a rolled-back id can come back different).
  const root = rootOf(deps.db);
  let memo = memos.get(root);
  if (!memo) memos.set(root, (memo = new Map()));
  const { id: _id, createdAt: _c, updatedAt: _u, ...fields } = task;
  const key = `${deps.tz}|${deps.yellowDays}|${today}|${task.id}|${JSON.stringify(completions)}|${JSON.stringify(fields)}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const fresh = boardEntry(task, completions, at, deps.tz, deps.yellowDays);
  if (memo.size >= MAX_MEMO_ENTRIES) memo.clear();
  memo.set(key, fresh);
  return fresh;
}

function byTaskId(completions: readonly CompletionRecord[]): Map<number, CompletionRecord[]> {
  const out = new Map<number, CompletionRecord[]>();
  for (const c of completions) {
    const list = out.get(c.taskId);
    if (list) list.push(c);
    else out.set(c.taskId, [c]);
  }
  return out;
}

/** Every task of a year as of `at` (a task retired after `at` still shows), by seq. */
export async function boardOfYear(deps: BoardDeps, year: number, at: number): Promise<BoardTask[]> {
  const today = localDate(at, deps.tz);
  // The completions are read beside the tasks (by year, not by the tasks' ids): one round trip.
  const [tasks, completed] = await Promise.all([listTasks(deps.db, { year, activeAt: at }), activeCompletionsOfYear(deps.db, year)]);
  const completions = byTaskId(completed);
  return tasks.map((t) => memoEntry(deps, t, completions.get(t.id) ?? [], at, today));
}

/** One task as of `at`; undefined when there is none or it was retired by then. */
export async function boardOfTask(deps: BoardDeps, year: number, seq: number, at: number): Promise<BoardTask | undefined> {
  const [task, completions] = await Promise.all([findTask(deps.db, year, seq), activeCompletionsOfYear(deps.db, year, seq)]);
  if (!task || (task.retiredAt !== null && task.retiredAt <= at)) return undefined;
  return memoEntry(deps, task, completions, at, localDate(at, deps.tz));
}

/**
 * The boards of every task year up to `year`, as of `at` (the digest and the pushes): only
 * completions made by `at`, and those undone later still count as done (issue 16 #5).
 */
export async function boardsUpTo(deps: BoardDeps, year: number, at: number): Promise<BoardTask[]> {
  const out: BoardTask[] = [];
  const today = localDate(at, deps.tz);
  for (const y of (await taskYears(deps.db)).filter((y) => y <= year)) {
    const tasks = await listTasks(deps.db, { year: y, activeAt: at });
    const completions = byTaskId(await completionsStandingAt(deps.db, tasks.map((t) => t.id), at));
    out.push(...tasks.map((t) => memoEntry(deps, t, completions.get(t.id) ?? [], at, today)));
  }
  return out;
}

/**
 * The 督办 board of a year as of `at`, optionally one lead unit's, optionally one status (see
 * the module comment). Errors: the year has no task list; an unknown lead unit or status.
 */
export async function taskBoard(deps: BoardDeps & { clock: Clock; plan: Plan }, query: BoardQuery = {}): Promise<BoardTask[]> {
  const { db, tz, clock } = deps;
  const at = query.at ?? clock.now().getTime();
  const year = query.year === undefined ? Number(localDate(at, tz).slice(0, 4)) : await parseProgrammeYear(deps, query.year);
  const status = query.status === undefined ? undefined : parseTaskStatusWord(query.status);
  if (!Number.isInteger(deps.yellowDays) || deps.yellowDays < 0) throw new UserError('bad_argument', `黄灯提前天数应为非负整数（收到 ${deps.yellowDays}）`, '--yellow-days');
  await requireTaskList(db, year);
  let board = await boardOfYear(deps, year, at);
  if (query.lead !== undefined) {
    const lead = normaliseLeadUnit(query.lead);
    const known = new Set((await listTasks(db, { year, includeRetired: true })).flatMap((t) => t.leadUnits));
    if (!known.has(lead)) throw new UserError('bad_argument', `${year} 年没有牵头单位「${query.lead}」的任务；牵头单位：${[...known].join('、') || '（无）'}`, '--lead');
    board = board.filter((t) => t.leadUnits.includes(lead));
  }
  return status === undefined ? board : board.filter((b) => b.status === status);
}

// ---- the task state the reminder rules read ----

export interface TaskState {
  /** Tasks of every task year up to `untilYear` (retired ones as of `at` left out), by `year:seq`. */
  tasks: Map<string, TaskRecord>;
  /** Standing completion instants by task id, then period. */
  done: Map<number, Map<string, number>>;
}

export const taskKey = (year: number, seq: number) => `${year}:${seq}`;

/**
 * Tasks and their standing completions, read once for a scheduler pass or dispatch: the rules
 * need due dates and completion instants, not the board's statuses, and a pass runs every minute.
 */
export async function loadTaskState(db: Db, options: { at: number; untilYear?: number | undefined }): Promise<TaskState> {
  const tasks = new Map<string, TaskRecord>();
  const done = new Map<number, Map<string, number>>();
  for (const year of await taskYears(db)) {
    if (options.untilYear !== undefined && year > options.untilYear) continue;
    const list = await listTasks(db, { year, activeAt: options.at });
    for (const t of list) tasks.set(taskKey(t.year, t.seq), t);
    for (const c of await activeCompletions(db, list.map((t) => t.id))) {
      let periods = done.get(c.taskId);
      if (!periods) done.set(c.taskId, (periods = new Map()));
      periods.set(c.period, c.doneAt);
    }
  }
  return { tasks, done };
}

// ---- the office's list management ----

async function knownLeadUnits(db: Db, plan: Plan): Promise<string[]> {
  const fromRoster = (await listMembers(db)).map((m) => m.lead_unit).filter((u): u is string => u !== null);
  return [...new Set([...plan.leadUnits, ...fromRoster])];
}

async function validateLeadUnits(db: Db, plan: Plan, units: readonly string[], field = '--lead'): Promise<string[]> {
  const known = await knownLeadUnits(db, plan);
  const out = units.map(normaliseLeadUnit);
  for (const u of out) {
    if (!known.includes(u)) throw new UserError('bad_argument', `未知的牵头单位「${u}」；可用：${known.join('、')}`, field);
  }
  if (out.length === 0) throw new UserError('bad_argument', '至少需要一个牵头单位', field);
  return [...new Set(out)];
}

/** Deadline + cadence must agree: a cadence iff the deadline is 「贯穿全年」. Returns the cadence to store. */
function checkSchedule(deadlineText: string, cadence: Cadence | null, year: number): Cadence | null {
  const d = parseDeadline(deadlineText, year);
  if (d.kind === 'recurring' && cadence === null) {
    throw new UserError('bad_argument', `完成时间「贯穿全年」需要 --cadence（${CADENCES.map((c) => CADENCE_NAMES_ZH[c]).join('、')}）`, '--cadence');
  }
  if (d.kind === 'date' && cadence !== null) {
    throw new UserError('bad_argument', `--cadence 只用于「贯穿全年」的任务（完成时间「${deadlineText}」是固定日期）`, '--cadence');
  }
  return cadence;
}

export interface AddTaskInput {
  year: number | string;
  content: string;
  deadlineText: string;
  leadUnits: readonly string[];
  category?: string | undefined;
  cadence?: Cadence | string | undefined;
}

/** Adds a task beyond the plan's list (office only); its seq continues after the year's highest. */
export async function addTask(deps: TaskDepsWithPlan, actor: Actor, input: AddTaskInput): Promise<TaskRecord> {
  const { db, plan, clock } = deps;
  await requireOffice(deps, actor, '新增任务', { action: 'task.add', subject: null });
  const year = await parseProgrammeYear(deps, input.year);
  const content = validateContent(input.content);
  const deadlineText = input.deadlineText.normalize('NFKC').trim();
  const cadence = checkSchedule(deadlineText, input.cadence === undefined ? null : parseCadenceWord(input.cadence), year);
  const leadUnits = await validateLeadUnits(db, plan, input.leadUnits);
  const category = input.category === undefined ? DEFAULT_CATEGORY : validateCategory(input.category);
  await requireTaskList(db, year);
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    const seq = Math.max(await maxTaskSeq(trx, year), ...plan.tasks.map((t) => t.seq)) + 1;
    const task = await insertTask(trx, { year, seq, category, content, deadlineText, leadUnits, cadence, target: null, source: 'office', at });
    await audit(trx, {
      at,
      actor: actor.name,
      source: actor.source,
      action: 'task.add',
      subject: subject(year, seq),
      outcome: 'ok',
      detail: { content, deadlineText, leadUnits, cadence, category },
    });
    return task;
  });
}

export interface EditTaskInput {
  year: number | string;
  seq: number | string;
  content?: string | undefined;
  deadlineText?: string | undefined;
  leadUnits?: readonly string[] | undefined;
  category?: string | undefined;
  cadence?: Cadence | string | undefined;
}

/**
 * Edits a task (office only; plan items too — the change is audited with the previous values).
 * Changing the schedule is refused while a standing completion would lose its period.
 */
export async function editTask(deps: TaskDepsWithPlan, actor: Actor, input: EditTaskInput): Promise<TaskRecord> {
  const { db, plan, clock, tz } = deps;
  const year = parseYear(input.year);
  const seq = parseSeq(input.seq);
  await requireOffice(deps, actor, '修改任务', { action: 'task.edit', subject: subject(year, seq) });
  const task = await requireTask(db, year, seq);
  requireNotRetired(task, tz);
  const patch: TaskPatch = {};
  if (input.content !== undefined) patch.content = validateContent(input.content);
  if (input.category !== undefined) patch.category = validateCategory(input.category);
  if (input.leadUnits !== undefined) patch.leadUnits = await validateLeadUnits(db, plan, input.leadUnits);
  if (input.deadlineText !== undefined || input.cadence !== undefined) {
    const deadlineText = input.deadlineText === undefined ? task.deadlineText : input.deadlineText.normalize('NFKC').trim();
    const recurring = parseDeadline(deadlineText, year).kind === 'recurring';
    // A new dated deadline drops the cadence; a recurring one keeps the old cadence unless a new one is given.
    const cadence = input.cadence !== undefined ? parseCadenceWord(input.cadence) : recurring ? task.cadence : null;
    checkSchedule(deadlineText, cadence, year);
    const periods = new Set(occurrencesFor({ deadlineText, cadence, year }).map((o) => o.period));
    const orphaned = (await activeCompletions(db, [task.id])).filter((c) => !periods.has(c.period));
    if (orphaned.length > 0) {
      throw new UserError(
        'conflict',
        `修改后周期 ${orphaned.map((c) => c.period).join(', ')} 不再存在，但已标记完成；请先撤销这些完成记录`,
        input.cadence !== undefined ? '--cadence' : '--deadline',
      );
    }
    if (deadlineText !== task.deadlineText) patch.deadlineText = deadlineText;
    if (cadence !== task.cadence) patch.cadence = cadence;
  }
  const changed = (Object.keys(patch) as Array<keyof TaskPatch>).filter((k) => JSON.stringify(patch[k]) !== JSON.stringify(task[k]));
  if (changed.length === 0) throw new UserError('bad_argument', '没有要修改的内容（可用 --content、--deadline、--lead、--category、--cadence）');
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    const updated = await updateTask(trx, task.id, patch, at);
    await audit(trx, {
      at,
      actor: actor.name,
      source: actor.source,
      action: 'task.edit',
      subject: subject(year, seq),
      outcome: 'ok',
      detail: { before: Object.fromEntries(changed.map((k) => [k, task[k]])), after: Object.fromEntries(changed.map((k) => [k, updated[k]])) },
    });
    return updated;
  });
}

/** Retires a task (office only): from now on it is left out of listings and reminders; its history stays. */
export async function retireTask(deps: TaskDeps, actor: Actor, input: { year: number | string; seq: number | string }): Promise<TaskRecord> {
  const { db, clock, tz } = deps;
  const year = parseYear(input.year);
  const seq = parseSeq(input.seq);
  await requireOffice(deps, actor, '撤销任务', { action: 'task.retire', subject: subject(year, seq) });
  const task = await requireTask(db, year, seq);
  requireNotRetired(task, tz);
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    const retired = await retireTaskRow(trx, task.id, at);
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'task.retire', subject: subject(year, seq), outcome: 'ok', detail: { content: task.content } });
    return retired;
  });
}

export interface InstantiateResult {
  year: number;
  /** Seqs inserted now (plan items and copied office tasks). */
  inserted: number[];
  /** Seqs that already existed for the year (a re-run inserts nothing). */
  existing: number[];
  /** Office tasks of the source year that could not be copied, with the reason. */
  skipped: Array<{ seq: number; reason: string }>;
  /** The year office-added tasks were copied from, or null when there was none. */
  copiedFrom: number | null;
  /** Plan items of the first year only (首批, named sites …) left out of a later year. */
  firstYearOnly: number[];
}

/**
 * Writes a programme year's task list: the plan's items for that year (every item in year 1 =
 * `firstYear`, the recurring ones later: `tasksToInstantiate`), plus the office-added tasks of the
 * latest earlier year that are not retired (same seqs; their deadline phrase must make sense in
 * the new year — a one-off ISO date of another year is skipped and reported). Idempotent:
 * existing (year, seq) rows are left alone.
 */
export async function instantiateYear(trx: Transaction, plan: Plan, year: number, at: number, firstYear: number): Promise<InstantiateResult> {
  const result: InstantiateResult = { year, inserted: [], existing: [], skipped: [], copiedFrom: null, firstYearOnly: year > firstYear ? firstYearOnlySeqs(plan) : [] };
  const record = async (t: NewTaskInput) => {
    if (await insertTaskIfAbsent(trx, t)) result.inserted.push(t.seq);
    else result.existing.push(t.seq);
  };
  for (const t of tasksToInstantiate(plan, year, firstYear)) {
    await record({ year, seq: t.seq, category: t.category, content: t.content, deadlineText: t.deadlineText, leadUnits: t.leadUnits, cadence: t.cadence, target: t.target, source: 'plan', at });
  }
  const sourceYear = await latestTaskYearBefore(trx, year);
  if (sourceYear !== null) {
    result.copiedFrom = sourceYear;
    const officeTasks = (await listTasks(trx, { year: sourceYear })).filter((t) => t.source === 'office');
    for (const t of officeTasks) {
      try {
        occurrencesFor({ deadlineText: t.deadlineText, cadence: t.cadence, year });
      } catch (err) {
        result.skipped.push({ seq: t.seq, reason: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const existing = await findTask(trx, year, t.seq);
      if (existing && existing.content !== t.content) {
        result.skipped.push({ seq: t.seq, reason: `${year} 年已有序号 ${t.seq} 的其他任务「${existing.content}」` });
        continue;
      }
      await record({ ...t, year, source: 'office', at });
    }
  }
  return result;
}

/**
 * Instantiates a programme year's list (office only; idempotent): the plan's items for the
 * year (all in year 1, the recurring ones later) and the office-added, non-retired tasks of
 * the latest earlier year.
 */
export async function instantiateTasks(deps: TaskDepsWithPlan, actor: Actor, input: { year: number | string }): Promise<InstantiateResult> {
  const { db, plan, clock } = deps;
  const year = await parseProgrammeYear(deps, input.year);
  await requireOffice(deps, actor, '建立年度任务清单', { action: 'task.instantiate', subject: `tasks:${year}` });
  const programme = await requireProgramme(db);
  if (year < programme.firstYear) {
    throw new UserError('bad_argument', `${year} 早于本轮行动的第一年 ${programme.firstYear}`, '--year');
  }
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    const result = await instantiateYear(trx, plan, year, at, programme.firstYear);
    if (result.inserted.length > 0 || result.skipped.length > 0) {
      await audit(trx, { at, actor: actor.name, source: actor.source, action: 'task.instantiate', subject: `tasks:${year}`, outcome: 'ok', detail: result });
    }
    return result;
  });
}
