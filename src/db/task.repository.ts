/**
 * Task list state: one `task` row per task of a programme year, `task_completion` rows for the
 * completion history of each occurrence (undo stamps undone_at/undone_by; a new completion is
 * a new row, so history is never lost). Only this module writes those tables.
 */
import { z } from 'zod';
import { taskTargetSchema, type Cadence, type TaskTarget } from '../plan/schema.js';
import type { Db } from './database.js';
import type { TaskCompletionRow, TaskRow, TaskSource, Transaction } from './schema.js';

export interface TaskRecord {
  id: number;
  year: number;
  seq: number;
  category: string;
  content: string;
  deadlineText: string;
  leadUnits: string[];
  cadence: Cadence | null;
  target: TaskTarget | null;
  source: TaskSource;
  createdAt: number;
  updatedAt: number;
  retiredAt: number | null;
}

export interface CompletionRecord {
  id: number;
  taskId: number;
  period: string;
  doneAt: number;
  doneBy: string;
  note: string | null;
  progress: Record<string, number> | null;
  /** Recorded after the occurrence's deadline (as it stood when recorded). */
  late: boolean;
  undoneAt: number | null;
  undoneBy: string | null;
}

const leadUnitsSchema = z.array(z.string());
const progressSchema = z.record(z.string(), z.number()).nullable();

function toTaskRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    year: row.year,
    seq: row.seq,
    category: row.category,
    content: row.content,
    deadlineText: row.deadline_text,
    leadUnits: leadUnitsSchema.parse(JSON.parse(row.lead_units)),
    cadence: row.cadence,
    target: row.target === null ? null : taskTargetSchema.parse(JSON.parse(row.target)),
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    retiredAt: row.retired_at,
  };
}

function toCompletionRecord(row: TaskCompletionRow): CompletionRecord {
  return {
    id: row.id,
    taskId: row.task_id,
    period: row.period,
    doneAt: row.done_at,
    doneBy: row.done_by,
    note: row.note,
    progress: row.progress === null ? null : progressSchema.parse(JSON.parse(row.progress)),
    late: row.late !== 0,
    undoneAt: row.undone_at,
    undoneBy: row.undone_by,
  };
}

// ---- tasks ----

export interface ListTasksFilter {
  year: number;
  /** Include retired tasks (default false). */
  includeRetired?: boolean;
  /**
   * With includeRetired false: the instant the list is for. A task retired after it is still
   * listed (retirement applies "from then on"); without it every retired task is left out.
   */
  activeAt?: number;
}

/** The tasks of a programme year, by seq. */
export async function listTasks(db: Db, filter: ListTasksFilter): Promise<TaskRecord[]> {
  let q = db.selectFrom('task').selectAll().where('year', '=', filter.year);
  if (filter.includeRetired !== true) {
    const activeAt = filter.activeAt;
    q = activeAt === undefined ? q.where('retired_at', 'is', null) : q.where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', activeAt)]));
  }
  const rows = await q.orderBy('seq').execute();
  return rows.map(toTaskRecord);
}

/** A task of a year by seq, retired or not. */
export async function findTask(db: Db, year: number, seq: number): Promise<TaskRecord | undefined> {
  const row = await db.selectFrom('task').selectAll().where('year', '=', year).where('seq', '=', seq).executeTakeFirst();
  return row ? toTaskRecord(row) : undefined;
}

/** How many tasks (retired included) a year has; 0 = the year's list was never instantiated. */
export async function countTasks(db: Db, year: number): Promise<number> {
  const row = await db.selectFrom('task').select((eb) => eb.fn.countAll<number>().as('n')).where('year', '=', year).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The highest seq of a year (retired included), 0 when none. */
export async function maxTaskSeq(db: Db, year: number): Promise<number> {
  const row = await db.selectFrom('task').select((eb) => eb.fn.max<number | null>('seq').as('m')).where('year', '=', year).executeTakeFirst();
  return Number(row?.m ?? 0);
}

/** Years that have a task list, ascending. */
export async function taskYears(db: Db): Promise<number[]> {
  const rows = await db.selectFrom('task').select('year').distinct().orderBy('year').execute();
  return rows.map((r) => r.year);
}

export interface NewTaskInput {
  year: number;
  seq: number;
  category: string;
  content: string;
  deadlineText: string;
  leadUnits: readonly string[];
  cadence: Cadence | null;
  target: TaskTarget | null;
  source: TaskSource;
  at: number;
}

export async function insertTask(db: Db, t: NewTaskInput): Promise<TaskRecord> {
  const row = await db
    .insertInto('task')
    .values(taskValues(t))
    .returningAll()
    .executeTakeFirstOrThrow();
  return toTaskRecord(row);
}

function taskValues(t: NewTaskInput) {
  return {
    year: t.year,
    seq: t.seq,
    category: t.category,
    content: t.content,
    deadline_text: t.deadlineText,
    lead_units: JSON.stringify(t.leadUnits),
    cadence: t.cadence,
    target: t.target === null ? null : JSON.stringify(t.target),
    source: t.source,
    created_at: t.at,
    updated_at: t.at,
    retired_at: null,
  };
}

/** Inserts unless the (year, seq) exists; true when inserted. Part of a year's instantiation, hence in its transaction. */
export async function insertTaskIfAbsent(trx: Transaction, t: NewTaskInput): Promise<boolean> {
  const result = await trx
    .insertInto('task')
    .values(taskValues(t))
    .onConflict((oc) => oc.columns(['year', 'seq']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** The latest year before `year` that has a task list, or null. */
export async function latestTaskYearBefore(db: Db, year: number): Promise<number | null> {
  const row = await db.selectFrom('task').select((eb) => eb.fn.max<number | null>('year').as('y')).where('year', '<', year).executeTakeFirst();
  return row?.y === null || row?.y === undefined ? null : Number(row.y);
}

export interface TaskPatch {
  category?: string;
  content?: string;
  deadlineText?: string;
  leadUnits?: readonly string[];
  cadence?: Cadence | null;
}

export async function updateTask(db: Db, id: number, patch: TaskPatch, at: number): Promise<TaskRecord> {
  const row = await db
    .updateTable('task')
    .set({
      ...(patch.category !== undefined ? { category: patch.category } : {}),
      ...(patch.content !== undefined ? { content: patch.content } : {}),
      ...(patch.deadlineText !== undefined ? { deadline_text: patch.deadlineText } : {}),
      ...(patch.leadUnits !== undefined ? { lead_units: JSON.stringify(patch.leadUnits) } : {}),
      ...(patch.cadence !== undefined ? { cadence: patch.cadence } : {}),
      updated_at: at,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toTaskRecord(row);
}

export async function retireTaskRow(db: Db, id: number, at: number): Promise<TaskRecord> {
  const row = await db.updateTable('task').set({ retired_at: at, updated_at: at }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  return toTaskRecord(row);
}

// ---- completions ----

/** The standing (not undone) completion of one occurrence, if any. */
export async function activeCompletion(db: Db, taskId: number, period: string): Promise<CompletionRecord | undefined> {
  const row = await db
    .selectFrom('task_completion')
    .selectAll()
    .where('task_id', '=', taskId)
    .where('period', '=', period)
    .where('undone_at', 'is', null)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row ? toCompletionRecord(row) : undefined;
}

/** Standing completions of some tasks (all their periods), oldest first. */
export async function activeCompletions(db: Db, taskIds: readonly number[]): Promise<CompletionRecord[]> {
  if (taskIds.length === 0) return [];
  const rows = await db
    .selectFrom('task_completion')
    .selectAll()
    .where('task_id', 'in', taskIds)
    .where('undone_at', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map(toCompletionRecord);
}

/**
 * The active completions of a year's tasks (or of its task `seq`), oldest first: what
 * `activeCompletions` gives for their ids, read without knowing them (beside the tasks' own read).
 */
export async function activeCompletionsOfYear(db: Db, year: number, seq?: number): Promise<CompletionRecord[]> {
  let q = db
    .selectFrom('task_completion as c')
    .innerJoin('task as t', 't.id', 'c.task_id')
    .selectAll('c')
    .where('t.year', '=', year)
    .where('c.undone_at', 'is', null);
  if (seq !== undefined) q = q.where('t.seq', '=', seq);
  const rows = await q.orderBy('c.id').execute();
  return rows.map(toCompletionRecord);
}

/**
 * The completions that stood at `at` (made by then and not undone by then), oldest first: an
 * as-of view (the digest of a past week) counts what was recorded by that instant only.
 */
export async function completionsStandingAt(db: Db, taskIds: readonly number[], at: number): Promise<CompletionRecord[]> {
  if (taskIds.length === 0) return [];
  const rows = await db
    .selectFrom('task_completion')
    .selectAll()
    .where('task_id', 'in', taskIds)
    .where('done_at', '<=', at)
    .where((eb) => eb.or([eb('undone_at', 'is', null), eb('undone_at', '>', at)]))
    .orderBy('id')
    .execute();
  return rows.map(toCompletionRecord);
}

/** Every completion row of a task (optionally one period), undone ones included, oldest first. */
export async function completionHistory(db: Db, taskId: number, period?: string): Promise<CompletionRecord[]> {
  let q = db.selectFrom('task_completion').selectAll().where('task_id', '=', taskId);
  if (period !== undefined) q = q.where('period', '=', period);
  const rows = await q.orderBy('id').execute();
  return rows.map(toCompletionRecord);
}

/**
 * Inserts a completion; undefined when a standing one exists already (a concurrent completion on
 * another connection won: the one-active-completion index decides, on either engine).
 */
export async function insertCompletion(
  db: Transaction,
  c: { taskId: number; period: string; doneAt: number; doneBy: string; note: string | null; progress: Record<string, number> | null; late: boolean },
): Promise<CompletionRecord | undefined> {
  const row = await db
    .insertInto('task_completion')
    .values({
      task_id: c.taskId,
      period: c.period,
      done_at: c.doneAt,
      done_by: c.doneBy,
      note: c.note,
      progress: c.progress === null ? null : JSON.stringify(c.progress),
      late: c.late ? 1 : 0,
      undone_at: null,
      undone_by: null,
    })
    .onConflict((oc) => oc.columns(['task_id', 'period']).where('undone_at', 'is', null).doNothing())
    .returningAll()
    .executeTakeFirst();
  return row && toCompletionRecord(row);
}

/** Stamps a standing completion as undone; returns how many rows changed (0 or 1). */
export async function markCompletionUndone(db: Transaction, completionId: number, undo: { by: string; at: number }): Promise<number> {
  const result = await db
    .updateTable('task_completion')
    .set({ undone_at: undo.at, undone_by: undo.by })
    .where('id', '=', completionId)
    .where('undone_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
