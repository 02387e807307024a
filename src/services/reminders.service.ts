/**
 * One scheduler pass: compute from the database what is due up to `at`, record each reminder in
 * the outbox under its unique key (insert-or-ignore), then dispatch the unsent rows. The pass is
 * the source of truth (node-cron only triggers it), so running it twice for the same instant, in
 * two processes at once, or after a restart sends nothing twice.
 *
 * Catch-up: the pass looks back to the previous pass (persisted in the `setting` table), at least
 * `catchUpHours`. A reminder first seen more than `catchUpHours` after its time is recorded as
 * skipped ("too late"); one first seen later than `lateGraceMinutes` is sent once, marked 补发 with
 * its original time. Rows for one chat claimed together are coalesced into one card.
 */
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import type { SchedulerSettings } from '../config/scheduler-settings.js';
import { audit } from '../db/audit.repository.js';
import { listChats } from '../db/chat.repository.js';
import type { Db } from '../db/database.js';
import {
  claimDueOutbox,
  existingOutboxKeys,
  insertOutboxRows,
  markOutboxAttemptFailed,
  markOutboxSent,
  markOutboxSkipped,
  recordOutboxBatch,
  releaseExpiredClaims,
  type OutboxRecord,
} from '../db/outbox.repository.js';
import type { NewOutbox } from '../db/schema.js';
import { getSetting, setSetting, type ProgrammeSettings } from '../db/setting.repository.js';
import type { TaskRecord } from '../db/task.repository.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Outbound } from '../messaging/outbound.js';
import { programmePlan } from '../plan/programme.js';
import type { Plan } from '../plan/schema.js';
import { reminderCard, type CardItem } from '../scheduler/cards.js';
import { monthlyPush, phasePush, quarterlyPush, yearlyPush, type PushContext, type ReminderPayload } from '../scheduler/content.js';
import type { TargetsSummary } from '../scheduler/digest-card.js';
import { computeIntents, forEachIntent, inPushWindow, type ChatRouting, type ReminderIntent, type RuleInput, type RuleTask, type YearlyTopic } from '../scheduler/rules.js';
import type { BoardTask } from '../tasks/board.js';
import { occurrencesFor } from '../tasks/occurrences.js';
import type { WorkCalendar } from '../tasks/work-calendar.js';
import { isoInZone, localDate } from '../time.js';
import { buildDigest, buildUnitDigest, targetsSummary, unitChangeNotice } from './digest.service.js';
import { requireProgramme } from './programme.service.js';
import { boardsUpTo, loadTaskState, taskKey } from './tasks.service.js';

export interface SchedulerDeps {
  db: Db;
  plan: Plan;
  config: { timeZone: string };
  clock: Clock;
  log: Logger;
  outbound: Outbound;
  calendar: WorkCalendar;
  /** The configured knobs (Config.scheduler). */
  settings: SchedulerSettings;
  /** Identity of this process in outbox claims. Default: host:pid:random. */
  workerId?: string | undefined;
}

/** Deps for computing without sending (preview). */
export type RuleDeps = Pick<SchedulerDeps, 'db' | 'plan' | 'config' | 'clock' | 'calendar' | 'settings'>;

export interface DispatchResult {
  /** False when `at` is outside the push window (nothing is sent then). */
  inWindow: boolean;
  claimed: number;
  /** Rows marked sent, and the messages (cards) that carried them. */
  sent: number;
  messages: number;
  /** Rows dropped because the item was completed (or removed) meanwhile. */
  dropped: number;
  /** Rows dropped because they waited longer than the catch-up limit. */
  stale: number;
  /** Rows back to pending after a retryable failure, and rows now failed. */
  retrying: number;
  failed: number;
  /** Expired claims (crashed sender) put back to pending / marked failed. */
  released: number;
  lostClaims: number;
}

export interface PassResult {
  at: string;
  window: { from: string; to: string };
  /** Intents due in the window (already recorded ones included). */
  due: number;
  /** New outbox rows to send, of which `late` are 补发. */
  inserted: number;
  late: number;
  /** New rows recorded as skipped: first seen too late, or no chat to send to. */
  skippedTooLate: number;
  skippedNoChat: number;
  /** Unit chats' daily grade checks that found no change (recorded as skipped, nothing sent). */
  unchangedUnits: number;
  dispatch: DispatchResult;
}

export const LAST_PASS_SETTING = 'scheduler_last_pass_at';
/** A pass never looks back further than this (a service down for longer records nothing older). */
const MAX_LOOKBACK_MS = 400 * 86_400_000;
/** Cards stay below Lark's 30 KB card limit. */
const MAX_CARD_BYTES = 28_000;

const settingsOf = (deps: { settings: SchedulerSettings }) => deps.settings;

export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

// ---------------------------------------------------------------- state → rule input

export interface RuleState {
  programme: ProgrammeSettings;
  /** Tasks of every task year up to the window's year (retired ones as of `at` left out), by `year:seq`. */
  tasks: Map<string, TaskRecord>;
  input: RuleInput;
}

/** Chat bindings as the rules see them (oldest binding first). */
async function chatRouting(db: Db): Promise<ChatRouting> {
  const leadership: string[] = [];
  const leadUnits = new Map<string, string[]>();
  const units = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, chatId: string) => map.set(key, [...(map.get(key) ?? []), chatId]);
  for (const c of await listChats(db)) {
    if (c.target.kind === 'leadership') leadership.push(c.chatId);
    else if (c.target.kind === 'lead') add(leadUnits, c.target.leadUnit, c.chatId);
    else add(units, c.target.unitName, c.chatId);
  }
  return { leadership, leadUnits, units };
}

/** Tasks with their occurrences and standing completions, for the rules. */
async function loadRuleTasks(db: Db, untilYear: number, at: number): Promise<{ tasks: Map<string, TaskRecord>; ruleTasks: RuleTask[] }> {
  const state = await loadTaskState(db, { at, untilYear });
  const ruleTasks: RuleTask[] = [];
  for (const t of state.tasks.values()) {
    const done = state.done.get(t.id);
    ruleTasks.push({
      year: t.year,
      seq: t.seq,
      content: t.content,
      leadUnits: t.leadUnits,
      occurrences: occurrencesFor(t).map((o) => ({ period: o.period, dueDate: o.dueDate, doneAt: done?.get(o.period) ?? null })),
    });
  }
  return { tasks: state.tasks, ruleTasks };
}

/** Reads tasks (every task year up to `untilYear`, as of `at`), chats and the programme. */
async function loadRuleState(deps: RuleDeps, at: number, untilYear: number): Promise<RuleState> {
  const tz = deps.config.timeZone;
  const settings = settingsOf(deps);
  const programme = await requireProgramme(deps.db);
  const { tasks, ruleTasks } = await loadRuleTasks(deps.db, untilYear, at);
  const input: RuleInput = {
    tz,
    settings,
    calendar: deps.calendar,
    firstYear: programme.firstYear,
    phases: deps.plan.phases,
    tasks: ruleTasks,
    chats: await chatRouting(deps.db),
  };
  return { programme, tasks, input };
}

/** Every reminder the rules produce in [from, to], without sending or recording anything. */
export async function previewReminders(deps: RuleDeps, window: { from: number; to: number }): Promise<ReminderIntent[]> {
  const out: ReminderIntent[] = [];
  await streamReminders(deps, window, (i) => out.push(i));
  return out;
}

/** As `previewReminders`, handing the reminders to `onIntent` in time order instead of collecting them. Returns the count. */
export async function streamReminders(deps: RuleDeps, window: { from: number; to: number }, onIntent: (intent: ReminderIntent) => void): Promise<number> {
  if (!(window.to >= window.from)) throw new UserError('bad_argument', '--to must not be before --from', '--to');
  const tz = deps.config.timeZone;
  const now = deps.clock.now().getTime();
  const state = await loadRuleState(deps, now, Number(localDate(window.to, tz).slice(0, 4)));
  return forEachIntent(state.input, window, onIntent);
}

// ---------------------------------------------------------------- payloads

interface PayloadContext {
  deps: SchedulerDeps;
  now: number;
  state: RuleState;
  /** The boards (statuses as of now), read once and only when a plan push is composed. */
  boards?: Promise<BoardTask[]>;
  targets?: Promise<TargetsSummary | null>;
}

async function payloadFor(ctx: PayloadContext, intent: ReminderIntent, late: boolean, withContent: boolean): Promise<ReminderPayload> {
  const tz = ctx.deps.config.timeZone;
  const payload: ReminderPayload = { v: 1, kind: intent.kind, at: isoInZone(intent.at, tz), late };
  if (intent.taskSeq !== null && intent.taskYear !== null) {
    const t = ctx.state.tasks.get(`${intent.taskYear}:${intent.taskSeq}`);
    payload.task = {
      year: intent.taskYear,
      seq: intent.taskSeq,
      content: t?.content ?? '',
      period: intent.period ?? '',
      cadence: t?.cadence ?? null,
      dueDate: intent.dueDate ?? '',
      offset: intent.offset,
      daysLeft: intent.daysLeft,
      overdueDays: intent.overdueDays,
      overdueWorkdays: intent.overdueWorkdays,
      leadUnits: intent.leadUnits,
      fallbackUnits: intent.fallbackUnits,
    };
    return payload;
  }
  if (!withContent || intent.subject === null) return payload;
  const today = localDate(ctx.now, tz);
  const targets = () => (ctx.targets ??= targetsSummary({ db: ctx.deps.db, plan: ctx.deps.plan, clock: ctx.deps.clock, tz }, today));
  if (intent.kind === 'digest') {
    payload.digest = await buildDigest(ctx.deps, { weekStart: intent.subject, at: ctx.now });
    return payload;
  }
  if (intent.kind === 'unit_digest' || intent.kind === 'unit_changes') {
    const cut = intent.subject.indexOf(':');
    const [head, unit] = [intent.subject.slice(0, cut), intent.subject.slice(cut + 1)];
    if (intent.kind === 'unit_digest') payload.unitDigest = await buildUnitDigest(ctx.deps, unit, { weekStart: head, at: ctx.now });
    else {
      const notice = await unitChangeNotice(ctx.deps, unit, { since: Number(head), until: intent.at });
      if (notice) payload.unitChanges = notice;
    }
    return payload;
  }
  const settings = settingsOf(ctx.deps);
  ctx.boards ??= boardsUpTo({ db: ctx.deps.db, tz, yellowDays: settings.yellowDays }, Number(today.slice(0, 4)), ctx.now);
  // The plan's texts in the programme's years (phase summaries print 「2021年6月」, 「从2023年7月起」).
  const push: PushContext = { plan: programmePlan(ctx.deps.plan, ctx.state.programme.firstYear), firstYear: ctx.state.programme.firstYear, boards: await ctx.boards, today, targets: null };
  switch (intent.kind) {
    case 'monthly':
      payload.push = monthlyPush(push, intent.subject);
      break;
    case 'quarterly':
      payload.push = quarterlyPush(push, intent.subject);
      break;
    case 'yearly': {
      const [year, topic] = intent.subject.split(':') as [string, YearlyTopic];
      payload.push = yearlyPush({ ...push, targets: topic === 'project-list' ? null : await targets() }, Number(year), topic);
      break;
    }
    case 'phase': {
      const p = phasePush(push, intent.subject);
      if (p) payload.push = p;
      break;
    }
    default:
      break;
  }
  return payload;
}

// ---------------------------------------------------------------- the pass

/**
 * Runs one pass as if it were `at` (default: the clock's now): records what is due, then
 * dispatches. Never sends outside the push window (rows wait for the next one).
 */
export async function runPass(deps: SchedulerDeps, at?: number | Date): Promise<PassResult> {
  const settings = settingsOf(deps);
  const tz = deps.config.timeZone;
  const log = deps.log.child({ name: 'scheduler' });
  const now = at === undefined ? deps.clock.now().getTime() : typeof at === 'number' ? at : at.getTime();
  const catchUpMs = settings.catchUpHours * 3_600_000;
  const lastText = await getSetting(deps.db, LAST_PASS_SETTING);
  const last = lastText === undefined ? undefined : Number(lastText);
  let from = now - catchUpMs;
  if (last !== undefined && Number.isFinite(last) && last < from) from = Math.max(last, now - MAX_LOOKBACK_MS);

  const state = await loadRuleState(deps, now, Number(localDate(now, tz).slice(0, 4)));
  const intents = computeIntents(state.input, { from, to: now });
  const existing = await existingOutboxKeys(
    deps.db,
    intents.map((i) => i.key),
  );
  const fresh = intents.filter((i) => !existing.has(i.key));

  const ctx: PayloadContext = { deps, now, state };
  const rows: NewOutbox[] = [];
  let late = 0;
  let tooLate = 0;
  let noChat = 0;
  /** unit_changes checks with nothing to report. */
  let quiet = 0;
  const graceMs = settings.lateGraceMinutes * 60_000;
  for (const intent of fresh) {
    const delay = now - intent.at;
    let status: 'pending' | 'skipped' = 'pending';
    let reason: string | null = null;
    if (intent.chatId === null) {
      status = 'skipped';
      reason = `no chat: ${intent.leadUnits.length > 0 ? `neither ${intent.leadUnits.join('、')} nor the leadership group has` : 'the leadership group has no'} a bound chat`;
      noChat++;
    } else if (delay > catchUpMs) {
      status = 'skipped';
      reason = `too late: first seen ${(delay / 3_600_000).toFixed(1)} h after its time (catch-up limit ${settings.catchUpHours} h)`;
      tooLate++;
    }
    let isLate = status === 'pending' && delay > graceMs;
    const payload = await payloadFor(ctx, intent, isLate, status === 'pending');
    if (status === 'pending' && intent.kind === 'unit_changes' && !payload.unitChanges) {
      // Checked, nothing to say: recorded so that the check is not repeated.
      status = 'skipped';
      reason = 'nothing changed: no grade moved in the unit since the previous check';
      isLate = false;
      payload.late = false;
      quiet++;
    }
    if (isLate) late++;
    rows.push({
      key: intent.key,
      kind: intent.kind,
      chat_id: intent.chatId ?? '',
      task_seq: intent.taskSeq,
      period: intent.period,
      payload: JSON.stringify(payload),
      due_at: intent.at,
      not_before: intent.at,
      status,
      last_error: reason,
      created_at: now,
    });
  }
  const inserted = new Set(await insertOutboxRows(deps.db, rows));
  const freshByKey = new Map(fresh.map((i) => [i.key, i]));
  const fallbackUnits = new Set<string>();
  let fallbackRows = 0;
  const skipped: string[] = [];
  for (const r of rows) {
    if (!inserted.has(r.key)) continue;
    const intent = freshByKey.get(r.key);
    if (r.status === 'skipped' && intent?.kind !== 'unit_changes') skipped.push(r.key);
    else if (intent && intent.fallbackUnits.length > 0) {
      fallbackRows++;
      for (const u of intent.fallbackUnits) fallbackUnits.add(u);
    }
  }
  if (fallbackRows > 0) {
    log.warn({ leadUnits: [...fallbackUnits], reminders: fallbackRows }, 'lead units without a bound chat: their reminders go to the leadership chat');
  }
  if (skipped.length > 0) {
    log.warn({ tooLate, noChat, examples: skipped.slice(0, 5) }, 'reminders recorded as skipped (see `dangjian outbox --status skipped`)');
  }
  if (last === undefined || !(last >= now)) await setSetting(deps.db, LAST_PASS_SETTING, String(now));

  const dispatch = await dispatchDue(deps, now);
  const result: PassResult = {
    at: isoInZone(now, tz),
    window: { from: isoInZone(from, tz), to: isoInZone(now, tz) },
    due: intents.length,
    inserted: rows.filter((r) => inserted.has(r.key) && r.status === 'pending').length,
    late,
    skippedTooLate: tooLate,
    skippedNoChat: noChat,
    unchangedUnits: quiet,
    dispatch,
  };
  if (result.inserted > 0 || dispatch.claimed > 0 || dispatch.released > 0) log.info({ ...result }, 'scheduler pass');
  return result;
}

// ---------------------------------------------------------------- dispatch

interface SendGroup {
  chatId: string;
  rows: OutboxRecord[];
  idempotencyKey: string;
  /** The card (its idempotency key) must be recorded on the rows before sending. */
  newBatch: boolean;
}

const payloadOf = (r: OutboxRecord): ReminderPayload => r.payload as ReminderPayload;

/** Idempotency key of a coalesced card: a hash of its rows' sorted keys. */
export function batchKey(keys: readonly string[]): string {
  return `batch:${createHash('sha256').update([...keys].sort().join('\n'), 'utf8').digest('hex').slice(0, 40)}`;
}

const cardItems = (rows: readonly OutboxRecord[]): CardItem[] => rows.map((r) => ({ key: r.key, payload: payloadOf(r) }));

/** Groups claimed rows into cards: recorded batches stay as they were; the rest per chat, coalesced, size-capped. */
function planGroups(rows: readonly OutboxRecord[], settings: SchedulerSettings, tz: string): SendGroup[] {
  const groups: SendGroup[] = [];
  const batches = new Map<string, OutboxRecord[]>();
  const perChat = new Map<string, OutboxRecord[]>();
  for (const r of rows) {
    const b = payloadOf(r).batch;
    if (b) {
      const list = batches.get(b) ?? [];
      list.push(r);
      batches.set(b, list);
    } else if (r.attempts > 0) {
      // Tried alone before (and maybe delivered despite the error): again alone, under its own key.
      groups.push({ chatId: r.chatId, rows: [r], idempotencyKey: r.key, newBatch: false });
    } else {
      const list = perChat.get(r.chatId) ?? [];
      list.push(r);
      perChat.set(r.chatId, list);
    }
  }
  for (const [key, list] of batches) groups.push({ chatId: (list[0] as OutboxRecord).chatId, rows: list, idempotencyKey: key, newBatch: false });
  const fits = (list: OutboxRecord[]) => Buffer.byteLength(JSON.stringify(reminderCard(cardItems(list), tz)), 'utf8') <= MAX_CARD_BYTES;
  const split = (list: OutboxRecord[]): OutboxRecord[][] => {
    if (list.length <= 1 || fits(list)) return [list];
    const mid = Math.ceil(list.length / 2);
    return [...split(list.slice(0, mid)), ...split(list.slice(mid))];
  };
  for (const [chatId, list] of perChat) {
    for (let i = 0; i < list.length; i += settings.coalesceMax) {
      for (const part of split(list.slice(i, i + settings.coalesceMax))) {
        const single = part.length === 1;
        // Recorded on the rows before the first send, also for a row alone: if that send's outcome
        // is unknown (the process was killed, the answer lost), a retry or the process that takes the
        // expired claim over sends the same card under the same key, never the row in a new card.
        groups.push({ chatId, rows: part, idempotencyKey: single ? (part[0] as OutboxRecord).key : batchKey(part.map((r) => r.key)), newBatch: true });
      }
    }
  }
  const first = (g: SendGroup) => Math.min(...g.rows.map((r) => r.notBefore));
  return groups.sort((a, b) => first(a) - first(b));
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return code !== undefined && code !== -1 ? `${err.message} (code ${String(code)})` : err.message;
  }
  return String(err);
}

const isRetryable = (err: unknown): boolean => !(typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === false);

/**
 * Sends what is due at `now`: releases crashed claims, claims pending rows atomically, drops
 * rows whose item is done or which waited too long, coalesces per chat and sends. Chats are
 * served concurrently, each chat's cards in order. Nothing is sent outside the push window.
 */
export async function dispatchDue(deps: SchedulerDeps, now: number): Promise<DispatchResult> {
  const settings = settingsOf(deps);
  const tz = deps.config.timeZone;
  const log = deps.log.child({ name: 'scheduler' });
  const result: DispatchResult = { inWindow: true, claimed: 0, sent: 0, messages: 0, dropped: 0, stale: 0, retrying: 0, failed: 0, released: 0, lostClaims: 0 };
  if (!inPushWindow(now, { tz, settings, calendar: deps.calendar })) return { ...result, inWindow: false };
  const worker = deps.workerId ?? defaultWorkerId();
  const leaseMs = settings.claimLeaseMinutes * 60_000;
  const released = await releaseExpiredClaims(deps.db, { now, leaseMs, uuidWindowMs: settings.uuidWindowMinutes * 60_000 });
  result.released = released.released;
  result.lostClaims = released.failed;
  if (released.failed > 0) log.error({ rows: released.failed }, 'outbox claims expired long ago: delivery unknown, marked failed');

  // Completion state as of now, read once per dispatch and only when a task reminder is claimed.
  let current: ReturnType<typeof loadTaskState> | undefined;
  const taskState = () => (current ??= loadTaskState(deps.db, { at: now }));

  const catchUpMs = settings.catchUpHours * 3_600_000;
  for (let round = 0; round < 100; round++) {
    const rows = await claimDueOutbox(deps.db, { now, worker, leaseMs, limit: settings.claimBatch });
    if (rows.length === 0) break;
    result.claimed += rows.length;
    const keep: OutboxRecord[] = [];
    const stale: number[] = [];
    const done: number[] = [];
    const removed: number[] = [];
    for (const r of rows) {
      const p = payloadOf(r);
      if (now - Math.max(r.dueAt, r.notBefore) > catchUpMs) {
        stale.push(r.id);
        continue;
      }
      if (p?.task) {
        const state = await taskState();
        const t = state.tasks.get(taskKey(p.task.year, p.task.seq));
        if (!t || !occurrencesFor(t).some((o) => o.period === p.task?.period)) {
          removed.push(r.id);
          continue;
        }
        const doneAt = state.done.get(t.id)?.get(p.task.period);
        if (doneAt !== undefined && doneAt <= now) {
          done.push(r.id);
          continue;
        }
      }
      keep.push(r);
    }
    if (stale.length > 0) {
      const n = await markOutboxSkipped(deps.db, stale, `too late: not sent within ${settings.catchUpHours} h of its time`);
      result.stale += n;
    }
    if (done.length > 0) {
      const n = await markOutboxSkipped(deps.db, done, 'completed: the item was marked done before the reminder went out');
      result.dropped += n;
    }
    if (removed.length > 0) {
      const n = await markOutboxSkipped(deps.db, removed, 'removed: the task or period is no longer on the list');
      result.dropped += n;
    }

    const groups = planGroups(keep, settings, tz);
    for (const g of groups) {
      if (g.newBatch) await recordOutboxBatch(deps.db, g.rows.map((r) => r.id), { key: g.idempotencyKey, size: g.rows.length }, worker);
    }
    const byChat = new Map<string, SendGroup[]>();
    for (const g of groups) {
      const list = byChat.get(g.chatId) ?? [];
      list.push(g);
      byChat.set(g.chatId, list);
    }
    const queues = [...byChat.values()];
    let next = 0;
    const runQueue = async () => {
      for (;;) {
        const q = queues[next++];
        if (!q) return;
        for (const g of q) await sendGroup(deps, g, { worker, now }, result, log);
      }
    };
    await Promise.all(Array.from({ length: Math.min(settings.sendConcurrency, queues.length) }, runQueue));
  }
  return result;
}

async function sendGroup(deps: SchedulerDeps, g: SendGroup, pass: { worker: string; now: number }, result: DispatchResult, log: Logger): Promise<void> {
  const { worker, now } = pass;
  const settings = settingsOf(deps);
  const tz = deps.config.timeZone;
  const ids = g.rows.map((r) => r.id);
  try {
    const card = reminderCard(cardItems(g.rows), tz);
    const sent = await deps.outbound.sendMessage({ receiveIdType: 'chat_id', receiveId: g.chatId, msgType: 'interactive', content: card, idempotencyKey: g.idempotencyKey });
    const n = await markOutboxSent(deps.db, ids, { messageId: sent.messageId, at: now });
    result.sent += n;
    result.messages += 1;
  } catch (err) {
    const final = !isRetryable(err);
    const rows = await markOutboxAttemptFailed(deps.db, ids, {
      error: errorText(err),
      retryAt: now + settings.retryDelayMinutes * 60_000 * Math.max(1, (g.rows[0]?.attempts ?? 0) + 1),
      final,
      maxAttempts: settings.maxSendAttempts,
      worker,
    });
    const failed = rows.filter((r) => r.status === 'failed');
    result.failed += failed.length;
    result.retrying += rows.length - failed.length;
    log.warn({ chatId: g.chatId, keys: g.rows.map((r) => r.key), err: errorText(err), final: failed.length > 0 }, 'reminder send failed');
    for (const r of failed) {
      await audit(deps.db, { at: now, actor: 'scheduler', source: 'scheduler', action: 'reminder.failed', subject: r.key, outcome: 'error', detail: { chatId: r.chatId, attempts: r.attempts, error: r.lastError } });
    }
  }
}
