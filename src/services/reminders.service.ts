/**
 * One scheduler pass: compute from the database what the rules announce up to the end of today,
 * let the per-chat composer (src/scheduler/compose.ts) decide which chats get their card now,
 * record each card with the items it carries in one transaction, then dispatch the unsent cards.
 * The pass is the source of truth (node-cron only triggers it), so running it twice for the
 * same instant, in two processes at once, or after a restart sends nothing twice: a card's key
 * is `daily:<date>:<chat>` (one per chat and day), an item's key is the intent's own, and both
 * are insert-or-ignore.
 *
 * Catch-up: the pass looks back to the previous pass (persisted in the `setting` table), at least
 * `catchUpHours`, never before REMINDERS_START. An item first seen more than `catchUpHours` after
 * its time is recorded as skipped ("too late"); a card composed later than `lateGraceMinutes`
 * after its time is marked 补发. Items that appear after a chat's card of the day has gone (an
 * undone completion, a task added at noon) are held for that chat's next card.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Actor } from '../auth/actor.js';
import { requireOffice } from '../auth/policy.js';
import type { Clock } from '../clock.js';
import type { SchedulerSettings } from '../config/scheduler-settings.js';
import { audit } from '../db/audit.repository.js';
import { listChats } from '../db/chat.repository.js';
import { isBusy, isConnectionLost, retryWhileBusy, type Db } from '../db/database.js';
import { listMembers } from '../db/member.repository.js';
import { listRectificationItems } from '../db/rectification.repository.js';
import { listRounds } from '../db/round.repository.js';
import {
  claimDueOutbox,
  existingItemKeys,
  existingOutboxKeys,
  insertItems,
  listHeldItems,
  markOutboxAttemptFailed,
  markOutboxSent,
  markOutboxSkipped,
  recordCard,
  releaseExpiredClaims,
  releaseOutboxClaims,
  skipHeldItems,
  type OutboxItemRecord,
  type OutboxRecord,
} from '../db/outbox.repository.js';
import type { NewOutboxItem } from '../db/schema.js';
import { getSetting, REMINDERS_START_SETTING, setSetting, type ProgrammeSettings } from '../db/setting.repository.js';
import type { TaskRecord } from '../db/task.repository.js';
import { openUnitItems } from '../db/unit-item.repository.js';
import type { ChatTarget } from '../domain/chat-target.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Outbound } from '../messaging/outbound.js';
import { programmePlan } from '../plan/programme.js';
import type { Plan } from '../plan/schema.js';
import { dailyCard } from '../scheduler/cards.js';
import { cardKeyOf, decideCard, previewCards, type PreviewCard, type WaitingItem } from '../scheduler/compose.js';
import { monthlyPush, phasePush, quarterlyPush, yearlyPush, type CardCounts, type CardData, type CardItem, type CardPerson, type PushContext } from '../scheduler/content.js';
import type { TargetsSummary } from '../scheduler/digest-card.js';
import type { ChatRouting, ReminderIntent, ReminderKind, RuleInput, RuleTask, YearlyTopic } from '../scheduler/intent.js';
import { KIND_SPECS } from '../scheduler/kinds.js';
import { computeIntents, forEachIntent, inPushWindow } from '../scheduler/rules.js';
import type { BoardTask } from '../tasks/board.js';
import { addDays, daysBetween } from '../tasks/dates.js';
import { occurrencesFor } from '../tasks/occurrences.js';
import type { WorkCalendar } from '../tasks/work-calendar.js';
import { isoInZone, localDate, parseIsoDate, zonedInstant } from '../time.js';
import { cardState, cardDataOf } from './cards.service.js';
import { bulletinNotice, roundBulletinReport, unitBulletinNotice } from './bulletin.service.js';
import { buildDigest, buildUnitDigest, targetsSummary, unitChangeNotice } from './digest.service.js';
import { requireProgramme } from './programme.service.js';
import { boardsUpTo, loadTaskState, taskKey } from './tasks.service.js';
import { dispatchDueReplies, REPLY_KIND } from './replies.service.js';

/** A send that happened is recorded even while another process holds the write lock (waited for on timers). */
const OUTCOME_WAIT = { deadlineMs: 30_000, stepMs: 50 };

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
  /** Cards claimed. */
  claimed: number;
  /** Items carried by the cards sent, and the cards (messages). */
  sent: number;
  messages: number;
  /** Cards not sent because every item on them was completed (or removed) meanwhile. */
  dropped: number;
  /** Cards dropped because they waited longer than the catch-up limit. */
  stale: number;
  /** Cards back to pending after a retryable failure, and cards now failed. */
  retrying: number;
  failed: number;
  /** Expired claims (crashed sender) put back to pending / marked failed. */
  released: number;
  lostClaims: number;
}

export interface PassResult {
  at: string;
  window: { from: string; to: string };
  /** Intents from the look-back to the end of today (already recorded ones included). */
  due: number;
  /** Items newly put on cards or held for a chat's next card, of which `late` went on a 补发 card. */
  inserted: number;
  late: number;
  /** Cards composed by this pass, and the items among `inserted` held for a later card. */
  cards: number;
  held: number;
  /** Items recorded as skipped: first seen too late, or no chat to send to. */
  skippedTooLate: number;
  skippedNoChat: number;
  /** Unit chats' daily grade checks that found no change (recorded as skipped, nothing sent). */
  unchangedUnits: number;
  dispatch: DispatchResult;
}

export const LAST_PASS_SETTING = 'scheduler_last_pass_at';
/** A pass never looks back further than this (a service down for longer records nothing older). */
const MAX_LOOKBACK_MS = 400 * 86_400_000;

export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

// ---------------------------------------------------------------- go-live

export interface RemindersStart {
  /** YYYY-MM-DD, or null when nothing says (no chat bound yet). */
  date: string | null;
  source: 'env' | 'database' | 'first_binding' | null;
}

/** REMINDERS_START: the environment, else the database, else the day the oldest binding was made. */
export async function remindersStart(deps: { db: Db; settings: SchedulerSettings; config: { timeZone: string } }): Promise<RemindersStart> {
  if (deps.settings.remindersStart) return { date: deps.settings.remindersStart, source: 'env' };
  const recorded = await getSetting(deps.db, REMINDERS_START_SETTING);
  if (recorded !== undefined) return { date: recorded, source: 'database' };
  const oldest = (await listChats(deps.db))[0];
  return oldest ? { date: localDate(oldest.boundAt, deps.config.timeZone), source: 'first_binding' } : { date: null, source: null };
}

/** `dangjian reminders start --date`: the office moves the go-live date (audited). */
export async function setRemindersStart(deps: { db: Db; clock: Clock; settings: SchedulerSettings; config: { timeZone: string } }, actor: Actor, dateText: string): Promise<RemindersStart & { previous: string | null }> {
  await requireOffice(deps, actor, '设置提醒起始日期', { action: 'reminders.start', subject: null });
  const date = parseIsoDate(dateText.trim());
  if (!date) throw new UserError('bad_argument', `日期应为 YYYY-MM-DD，例如 2026-03-01（收到「${dateText}」）`, '--date');
  const previous = await remindersStart(deps);
  await deps.db.transaction().execute(async (trx) => {
    await setSetting(trx, REMINDERS_START_SETTING, date);
    await audit(trx, { at: deps.clock.now().getTime(), actor: actor.name, source: actor.source, action: 'reminders.start', subject: date, outcome: 'ok', detail: { previous: previous.date, source: previous.source } });
  });
  const now = await remindersStart(deps);
  return { ...now, previous: previous.date };
}

// ---------------------------------------------------------------- state → rule input

interface RuleState {
  programme: ProgrammeSettings;
  /** Tasks of every task year up to the window's year (retired ones as of `at` left out), by `year:seq`. */
  tasks: Map<string, TaskRecord>;
  /** Standing completion instants by task id, then period. */
  done: Map<number, Map<string, number>>;
  input: RuleInput;
  targets: Map<string, ChatTarget>;
}

/** Chat bindings as the rules see them (oldest binding first), and each chat's target. */
async function chatRouting(db: Db): Promise<{ routing: ChatRouting; targets: Map<string, ChatTarget> }> {
  const leadership: string[] = [];
  const leadUnits = new Map<string, string[]>();
  const units = new Map<string, string[]>();
  const targets = new Map<string, ChatTarget>();
  const add = (map: Map<string, string[]>, key: string, chatId: string) => map.set(key, [...(map.get(key) ?? []), chatId]);
  for (const c of await listChats(db)) {
    targets.set(c.chatId, c.target);
    if (c.target.kind === 'leadership') leadership.push(c.chatId);
    else if (c.target.kind === 'lead') add(leadUnits, c.target.leadUnit, c.chatId);
    else add(units, c.target.unitName, c.chatId);
  }
  return { routing: { leadership, leadUnits, units }, targets };
}

/** Reads tasks (every task year up to `untilYear`, as of `at`), completions, chats and the programme. */
async function loadRuleState(deps: RuleDeps, at: number, untilYear: number): Promise<RuleState> {
  const programme = await requireProgramme(deps.db);
  const state = await loadTaskState(deps.db, { at, untilYear });
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
  const { routing, targets } = await chatRouting(deps.db);
  const unitItems = (await openUnitItems(deps.db)).map((u) => ({ id: u.id, unit: u.unitName, title: u.title, dueDate: u.dueDate, doneAt: u.doneAt }));
  const rounds = (await listRounds(deps.db)).flatMap((r) => (r.closed_at === null ? [] : [{ id: r.id, closedAt: r.closed_at }]));
  const rectifications = (await listRectificationItems(deps.db)).map((r) => ({ id: r.id, unit: r.unit, dueDate: r.dueDate, doneAt: r.doneAt }));
  const input: RuleInput = { tz: deps.config.timeZone, settings: deps.settings, calendar: deps.calendar, firstYear: programme.firstYear, phases: deps.plan.phases, tasks: ruleTasks, unitItems, chats: routing, rounds, rectifications };
  return { programme, tasks: state.tasks, done: state.done, input, targets };
}

/** Every reminder intent the rules produce in [from, to] (`reminders preview --raw`), without recording anything. */
export async function previewReminders(deps: RuleDeps, window: { from: number; to: number }): Promise<ReminderIntent[]> {
  const out: ReminderIntent[] = [];
  await streamReminders(deps, window, (i) => out.push(i));
  return out;
}

/** As `previewReminders`, handing the intents to `onIntent` in time order instead of collecting them. Returns the count. */
export async function streamReminders(deps: RuleDeps, window: { from: number; to: number }, onIntent: (intent: ReminderIntent) => void): Promise<number> {
  if (!(window.to >= window.from)) throw new UserError('bad_argument', '结束时间不能早于开始时间', '--to');
  const tz = deps.config.timeZone;
  const now = deps.clock.now().getTime();
  const state = await loadRuleState(deps, now, Number(localDate(window.to, tz).slice(0, 4)));
  return forEachIntent(state.input, window, onIntent);
}

/** The cards the intents of [from, to] make, one per chat and day (`reminders preview`). Returns the count. */
export async function streamCardPreview(deps: RuleDeps, window: { from: number; to: number }, onCard: (card: PreviewCard) => void): Promise<number> {
  let n = 0;
  const cards = previewCards((c) => {
    n++;
    onCard(c);
  });
  await streamReminders(deps, window, (i) => cards.push(i));
  cards.flush();
  return n;
}

// ---------------------------------------------------------------- items and their content

/** A task intent as its card shows it (content and cadence from the task). */
function itemOf(intent: ReminderIntent, tasks: ReadonlyMap<string, TaskRecord>, tz: string): CardItem {
  const item: CardItem = { key: intent.key, kind: intent.kind, at: isoInZone(intent.at, tz), date: intent.date };
  if (intent.taskSeq !== null && intent.taskYear !== null) {
    const t = tasks.get(taskKey(intent.taskYear, intent.taskSeq));
    item.task = {
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
  } else if (intent.subject !== null) item.subject = intent.subject;
  return item;
}

function itemRow(item: CardItem, chatId: string, dueAt: number, notBefore: number, now: number, reason: string | null = null): NewOutboxItem {
  return {
    key: item.key,
    kind: item.kind,
    chat_id: chatId,
    task_year: item.task?.year ?? null,
    task_seq: item.task?.seq ?? null,
    period: item.task?.period ?? null,
    date: item.date,
    due_at: dueAt,
    not_before: notBefore,
    status: 'pending',
    reason,
    payload: JSON.stringify(item),
    created_at: now,
  };
}

interface PassContext {
  deps: SchedulerDeps;
  now: number;
  today: string;
  state: RuleState;
  start: string | null;
  /** Read once, only when needed. */
  boards?: Promise<BoardTask[]>;
  targets?: Promise<TargetsSummary | null>;
  people?: Promise<Map<string, CardPerson[]>>;
}

const boardsOf = (ctx: PassContext) => (ctx.boards ??= boardsUpTo({ db: ctx.deps.db, tz: ctx.deps.config.timeZone, yellowDays: ctx.deps.settings.yellowDays }, Number(ctx.today.slice(0, 4)), ctx.now));

/** Why an item without content is skipped, per kind. */
const NOTHING_TO_SAY: Partial<Record<ReminderKind, string>> = {
  unit_changes: 'nothing changed: no grade moved in the unit since the previous check',
  bulletin: 'not named: the 通报 names neither a move nor a veto of this unit (or the round was re-opened)',
  rectification: 'done: the 整改 item was marked done before its card was composed',
};

/** Fills in a push's or a digest's content as of now; false when there is nothing to say (unit_changes without a change). */
async function withContent(ctx: PassContext, item: CardItem): Promise<boolean> {
  const { deps } = ctx;
  const tz = deps.config.timeZone;
  if (item.task || item.subject === undefined) return true;
  const subject = item.subject;
  switch (item.kind) {
    case 'digest':
      item.digest = await buildDigest(deps, { weekStart: subject, at: ctx.now });
      return true;
    case 'unit_item': {
      // As of now: an item done or retired since the rules ran is not carried.
      const [u] = await openUnitItems(deps.db, { ids: [Number(subject)] });
      if (!u || u.doneAt !== null) return false;
      item.unitItem = { id: u.id, unit: u.unitName, title: u.title, dueDate: u.dueDate, daysLeft: daysBetween(item.date, u.dueDate) };
      return true;
    }
    case 'unit_digest':
    case 'unit_changes': {
      const cut = subject.indexOf(':');
      const [head, unit] = [subject.slice(0, cut), subject.slice(cut + 1)];
      if (item.kind === 'unit_digest') {
        item.unitDigest = await buildUnitDigest(deps, unit, { weekStart: head, at: ctx.now });
        return true;
      }
      const notice = await unitChangeNotice(deps, unit, { since: Number(head), until: Date.parse(item.at) });
      if (!notice) return false;
      item.unitChanges = notice;
      return true;
    }
    case 'rectification': {
      // `<item id>:<stage>`: nothing once the item is done.
      const [id, stage] = subject.split(':') as [string, string];
      const [r] = await listRectificationItems(deps.db, { id: Number(id) });
      if (!r || r.doneAt !== null) return false;
      item.rectification = { id: r.id, unit: r.unit, title: r.title, responsible: r.responsible, dueDate: r.dueDate, stage };
      return true;
    }
    case 'bulletin': {
      // `<round>@<closed ms>[:<unit>]`: nothing when the round was re-opened (or closed again) since.
      const m = /^(\d+)@(\d+)(?::(.+))?$/.exec(subject);
      if (!m) return false;
      const round = (await listRounds(deps.db)).find((r) => r.id === Number(m[1]));
      if (round?.closed_at !== Number(m[2])) return false;
      const report = await roundBulletinReport({ db: deps.db, plan: deps.plan, clock: deps.clock, tz }, { id: round.id });
      if (m[3] === undefined) {
        item.bulletin = bulletinNotice(report);
        return true;
      }
      const own = unitBulletinNotice(report, m[3]);
      if (!own) return false;
      item.unitBulletin = own;
      return true;
    }
    default:
      break;
  }
  // The plan's texts in the programme's years (phase summaries print 「2021年6月」, 「从2023年7月起」).
  const push: PushContext = { plan: programmePlan(deps.plan, ctx.state.programme.firstYear), firstYear: ctx.state.programme.firstYear, boards: await boardsOf(ctx), today: ctx.today, targets: null };
  switch (item.kind) {
    case 'monthly':
      item.push = monthlyPush(push, subject);
      break;
    case 'quarterly':
      item.push = quarterlyPush(push, subject);
      break;
    case 'yearly': {
      const [year, topic] = subject.split(':') as [string, YearlyTopic];
      const targets = topic === 'project-list' ? null : await (ctx.targets ??= targetsSummary({ db: deps.db, plan: deps.plan, clock: deps.clock, tz }, ctx.today));
      item.push = yearlyPush({ ...push, targets }, Number(year), topic);
      break;
    }
    case 'phase': {
      const p = phasePush(push, subject);
      if (p) item.push = p;
      break;
    }
    default:
      break;
  }
  return true;
}

/** 🔴 / 🟡 / ✅ of a chat's scope: a lead unit's tasks, or every task. */
async function countsFor(ctx: PassContext, target: ChatTarget | null): Promise<CardCounts | null> {
  if (target === null || target.kind === 'unit') return null;
  const tz = ctx.deps.config.timeZone;
  const since = previousWorkday(ctx.deps.calendar, ctx.today);
  const sinceAt = zonedInstant(since, '00:00', tz);
  const counts: CardCounts = { red: 0, yellow: 0, done: 0, since };
  for (const t of await boardsOf(ctx)) {
    if (target.kind === 'lead' && !t.leadUnits.includes(target.leadUnit)) continue;
    for (const o of t.occurrences) {
      if (o.status === 'red') counts.red++;
      else if (o.status === 'yellow') counts.yellow++;
      else if (o.doneAt !== null && Date.parse(o.doneAt) >= sinceAt && Date.parse(o.doneAt) <= ctx.now) counts.done++;
    }
  }
  return counts;
}

/** Lead unit → its members bound to Feishu (the escalation section @-mentions them). */
async function peopleOf(ctx: PassContext): Promise<Map<string, CardPerson[]>> {
  ctx.people ??= listMembers(ctx.deps.db).then((members) => {
    const out = new Map<string, CardPerson[]>();
    for (const m of members) if (m.role === 'lead_unit' && m.lead_unit && m.open_id) out.set(m.lead_unit, [...(out.get(m.lead_unit) ?? []), { name: m.name, openId: m.open_id }]);
    return out;
  });
  return ctx.people;
}

function previousWorkday(calendar: Pick<WorkCalendar, 'isWorkday'>, date: string): string {
  let d = addDays(date, -1);
  for (let i = 0; i < 60 && !calendar.isWorkday(d); i++) d = addDays(d, -1);
  return d;
}

// ---------------------------------------------------------------- the pass

interface ChatWork {
  chatId: string;
  fresh: ReminderIntent[];
  held: OutboxItemRecord[];
}

/**
 * Runs one pass as if it were `at` (default: the clock's now): records what is due, composes the
 * chats' cards of the day, then dispatches. Never sends outside the push window.
 */
export async function runPass(deps: SchedulerDeps, at?: number | Date): Promise<PassResult> {
  const { settings } = deps;
  const tz = deps.config.timeZone;
  const log = deps.log.child({ name: 'scheduler' });
  const now = at === undefined ? deps.clock.now().getTime() : typeof at === 'number' ? at : at.getTime();
  const today = localDate(now, tz);
  const catchUpMs = settings.catchUpHours * 3_600_000;
  const lastText = await getSetting(deps.db, LAST_PASS_SETTING);
  const last = lastText === undefined ? undefined : Number(lastText);
  let from = now - catchUpMs;
  if (last !== undefined && Number.isFinite(last) && last < from) from = Math.max(last, now - MAX_LOOKBACK_MS);
  const start = (await remindersStart(deps)).date;
  if (start !== null) from = Math.max(from, zonedInstant(start, '00:00', tz));
  const to = zonedInstant(addDays(today, 1), '00:00', tz) - 1;

  const state = await loadRuleState(deps, now, Number(today.slice(0, 4)));
  const intents = from <= to ? computeIntents(state.input, { from, to }) : [];
  const existing = await existingItemKeys(
    deps.db,
    intents.map((i) => i.key),
  );
  const result: PassResult = {
    at: isoInZone(now, tz),
    window: { from: isoInZone(Math.min(from, now), tz), to: isoInZone(to, tz) },
    due: intents.length,
    inserted: 0,
    late: 0,
    cards: 0,
    held: 0,
    skippedTooLate: 0,
    skippedNoChat: 0,
    unchangedUnits: 0,
    dispatch: emptyDispatch(true),
  };

  // First seen: without a chat, or too late, they are recorded as skipped (only once their time has come).
  const skipped: NewOutboxItem[] = [];
  const byChat = new Map<string, ChatWork>();
  const work = (chatId: string) => {
    let w = byChat.get(chatId);
    if (!w) byChat.set(chatId, (w = { chatId, fresh: [], held: [] }));
    return w;
  };
  for (const intent of intents) {
    if (existing.has(intent.key)) continue;
    if (intent.chatId === null) {
      if (intent.at > now) continue;
      const reason = `no chat: ${intent.leadUnits.length > 0 ? `neither ${intent.leadUnits.join('、')} nor the leadership group has` : 'the leadership group has no'} a bound chat`;
      skipped.push(itemRow(itemOf(intent, state.tasks, tz), '', intent.at, intent.at, now, reason));
      result.skippedNoChat++;
    } else if (now - intent.at > catchUpMs) {
      skipped.push(itemRow(itemOf(intent, state.tasks, tz), intent.chatId, intent.at, intent.at, now, `too late: first seen ${((now - intent.at) / 3_600_000).toFixed(1)} h after its time (catch-up limit ${settings.catchUpHours} h)`));
      result.skippedTooLate++;
    } else work(intent.chatId).fresh.push(intent);
  }
  if (skipped.length > 0) {
    await insertItems(
      deps.db,
      skipped.map((r) => ({ ...r, status: 'skipped' as const })),
    );
    log.warn({ tooLate: result.skippedTooLate, noChat: result.skippedNoChat, examples: skipped.slice(0, 5).map((r) => r.key) }, 'reminders recorded as skipped (see `dangjian outbox --status skipped`)');
  }
  for (const h of await listHeldItems(deps.db, today)) work(h.chatId).held.push(h);

  const inWindow = inPushWindow(now, { tz, settings, calendar: deps.calendar });
  const hadCard = await existingOutboxKeys(
    deps.db,
    [...byChat.keys()].map((c) => cardKeyOf(today, c)),
  );
  const ctx: PassContext = { deps, now, today, state, start };
  const fallback = new Set<string>();
  for (const w of byChat.values()) {
    for (const i of w.fresh) for (const u of i.fallbackUnits) fallback.add(u);
    const waiting: WaitingItem[] = [...w.fresh.map((i) => ({ key: i.key, date: i.date, notBefore: i.at })), ...w.held.map((h) => ({ key: h.key, date: h.date, notBefore: h.notBefore }))];
    const decision = inWindow ? decideCard(waiting, today, now, hadCard.has(cardKeyOf(today, w.chatId))) : { compose: false as const, reason: 'outside_window' as const };
    if (decision.compose) {
      await composeCard(ctx, w, decision.at, result);
      continue;
    }
    // Seen now and not carried yet: held for the chat's card (first-seen time kept for the catch-up limit).
    const ready = w.fresh.filter((i) => i.at <= now);
    if (ready.length > 0) {
      const rows = ready.map((i) => itemRow(itemOf(i, state.tasks, tz), w.chatId, i.at, i.at, now, decision.reason === 'had_card_today' ? 'held: the chat had its card today; goes with its next card' : null));
      const n = (await insertItems(deps.db, rows)).length;
      result.inserted += n;
      result.held += n;
    }
  }
  if (fallback.size > 0 && result.cards > 0) log.warn({ leadUnits: [...fallback] }, 'lead units without a bound chat: their reminders go to the leadership chat');
  if (last === undefined || !(last >= now)) await setSetting(deps.db, LAST_PASS_SETTING, String(now));

  result.dispatch = await dispatchDue(deps, now);
  if (result.inserted > 0 || result.dispatch.claimed > 0 || result.dispatch.released > 0) log.info({ ...result }, 'scheduler pass');
  return result;
}

/** Composes and records one chat's card of today (or nothing, when all it would carry is done or empty). */
async function composeCard(ctx: PassContext, w: ChatWork, slot: number, result: PassResult): Promise<void> {
  const { deps, now, today, state } = ctx;
  const tz = deps.config.timeZone;
  const settings = deps.settings;
  const key = cardKeyOf(today, w.chatId);
  const fresh: NewOutboxItem[] = [];
  const skipped: NewOutboxItem[] = [];
  const held: number[] = [];
  const skippedHeld: Array<{ id: number; reason: string }> = [];
  const items: CardItem[] = [];
  const oldest = previousWorkday(deps.calendar, today);

  /** Why a task item is no longer to be announced, or null. */
  const gone = (item: CardItem): string | null => {
    const t = item.task;
    if (!t) return null;
    const task = state.tasks.get(taskKey(t.year, t.seq));
    if (!task || !occurrencesFor(task).some((o) => o.period === t.period)) return 'removed: the task or period is no longer on the list';
    const doneAt = state.done.get(task.id)?.get(t.period);
    return doneAt !== undefined && doneAt <= now ? 'completed: the item was marked done before its card was composed' : null;
  };

  for (const intent of w.fresh) {
    if (intent.date > today) continue;
    const item = itemOf(intent, state.tasks, tz);
    const why = gone(item);
    if (why) {
      skipped.push(itemRow(item, w.chatId, intent.at, intent.at, now, why));
      continue;
    }
    if (!(await withContent(ctx, item))) {
      skipped.push(itemRow(item, w.chatId, intent.at, intent.at, now, NOTHING_TO_SAY[item.kind] ?? 'nothing to say'));
      if (item.kind === 'unit_changes') result.unchangedUnits++;
      continue;
    }
    fresh.push(itemRow(item, w.chatId, intent.at, intent.at, now));
    items.push(item);
  }
  for (const h of w.held) {
    if (h.date > today) continue;
    const item = h.payload as CardItem;
    if (h.date < oldest && !item.snooze) {
      skippedHeld.push({ id: h.id, reason: `too late: held since ${h.date}, more than a working day before this card` });
      continue;
    }
    const why = gone(item);
    if (why) {
      skippedHeld.push({ id: h.id, reason: why });
      continue;
    }
    if (!(await withContent(ctx, item))) {
      skippedHeld.push({ id: h.id, reason: 'nothing changed' });
      continue;
    }
    held.push(h.id);
    items.push(item);
  }
  if (items.length === 0) {
    // Nothing left to say: what was looked at is recorded, no card.
    if (skipped.length > 0) await insertItems(deps.db, skipped.map((r) => ({ ...r, status: 'skipped' as const })));
    for (const s of skippedHeld) await skipHeldItems(deps.db, [s.id], s.reason);
    return;
  }
  const target = state.targets.get(w.chatId) ?? null;
  const late = now - slot > settings.lateGraceMinutes * 60_000;
  const hasEscalation = items.some((i) => i.kind === 'escalation');
  const data: CardData = {
    v: 2,
    key,
    chatId: w.chatId,
    target,
    date: today,
    at: isoInZone(slot, tz),
    late,
    counts: items.some((i) => i.task) ? await countsFor(ctx, target) : null,
    people: hasEscalation ? Object.fromEntries(await peopleOf(ctx)) : {},
    remindersStart: ctx.start,
    items,
  };
  const id = await recordCard(deps.db, {
    card: { key, kind: 'daily', chat_id: w.chatId, task_seq: null, period: null, payload: JSON.stringify(data), due_at: slot, not_before: slot, status: 'pending', created_at: now },
    fresh,
    held,
    skipped,
    skippedHeld,
  });
  if (id === null) return;
  result.cards++;
  result.inserted += items.length;
  if (late) result.late += items.length;
}


// ---------------------------------------------------------------- dispatch

const emptyDispatch = (inWindow: boolean): DispatchResult => ({ inWindow, claimed: 0, sent: 0, messages: 0, dropped: 0, stale: 0, retrying: 0, failed: 0, released: 0, lostClaims: 0 });

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return code !== undefined && code !== -1 ? `${err.message} (code ${String(code)})` : err.message;
  }
  return String(err);
}

const isRetryable = (err: unknown): boolean => !(typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === false);

/**
 * Sends what is due at `now`: releases crashed claims, claims pending cards atomically, drops
 * cards that waited too long or whose every item was done meanwhile, and sends each card as it
 * now stands under its own key. Chats are served concurrently, each chat's cards in order.
 * Nothing is sent outside the push window.
 */
export async function dispatchDue(deps: SchedulerDeps, now: number): Promise<DispatchResult> {
  const { settings } = deps;
  const tz = deps.config.timeZone;
  const log = deps.log.child({ name: 'scheduler' });
  const result = emptyDispatch(true);
  const worker = deps.workerId ?? defaultWorkerId();
  const leaseMs = settings.claimLeaseMinutes * 60_000;
  const released = await releaseExpiredClaims(deps.db, { now, leaseMs, uuidWindowMs: settings.uuidWindowMinutes * 60_000 });
  if (released.failed > 0) log.error({ rows: released.failed }, 'outbox claims expired long ago: delivery unknown, marked failed');
  // Replies to chat messages that failed before are due at any hour.
  const replies = await dispatchDueReplies({ ...deps, workerId: worker }, now);
  if (replies.sent + replies.retrying + replies.failed > 0) log.info(replies, 'replies tried again');
  if (!inPushWindow(now, { tz, settings, calendar: deps.calendar })) return { ...emptyDispatch(false), released: released.released, lostClaims: released.failed };
  result.released = released.released;
  result.lostClaims = released.failed;

  const catchUpMs = settings.catchUpHours * 3_600_000;
  for (let round = 0; round < 100; round++) {
    const rows = await claimDueOutbox(deps.db, { now, worker, leaseMs, limit: settings.claimBatch, kind: { except: REPLY_KIND } });
    if (rows.length === 0) break;
    result.claimed += rows.length;
    const stale = rows.filter((r) => now - Math.max(r.dueAt, r.notBefore) > catchUpMs);
    if (stale.length > 0) result.stale += await markOutboxSkipped(deps.db, stale.map((r) => r.id), `too late: not sent within ${settings.catchUpHours} h of its time`);
    const byChat = new Map<string, OutboxRecord[]>();
    for (const r of rows) if (!stale.includes(r)) byChat.set(r.chatId, [...(byChat.get(r.chatId) ?? []), r]);
    const queues = [...byChat.values()];
    let next = 0;
    const runQueue = async () => {
      for (;;) {
        const q = queues[next++];
        if (!q) return;
        for (const r of q) await sendCard(deps, r, { worker, now }, result, log);
      }
    };
    await Promise.all(Array.from({ length: Math.min(settings.sendConcurrency, queues.length) }, runQueue));
  }
  return result;
}

async function sendCard(deps: SchedulerDeps, row: OutboxRecord, pass: { worker: string; now: number }, result: DispatchResult, log: Logger): Promise<void> {
  const { worker, now } = pass;
  const { settings } = deps;
  const tz = deps.config.timeZone;
  /** Where the card was when it failed: only an error of Lark's send is a failed send attempt. */
  let step: 'prepare' | 'send' | 'record' = 'prepare';
  try {
    const data = cardDataOf(row, tz);
    const state = await cardState(deps.db, data, tz);
    const open = data.items.filter((i) => !i.task || !state.done.has(`${i.task.year}:${i.task.seq}:${i.task.period}`));
    if (open.length === 0) {
      result.dropped += await markOutboxSkipped(deps.db, [row.id], 'completed: every item on the card was marked done before it went out');
      return;
    }
    const card = dailyCard(data, state, settings.coalesceMax);
    step = 'send';
    const sent = await deps.outbound.sendMessage({ receiveIdType: 'chat_id', receiveId: row.chatId, msgType: 'interactive', content: card, idempotencyKey: row.key });
    step = 'record';
    if ((await retryWhileBusy(() => markOutboxSent(deps.db, [row.id], { messageId: sent.messageId, at: now }), OUTCOME_WAIT)) > 0) {
      result.messages += 1;
      result.sent += data.items.length;
    }
  } catch (err) {
    const retryAt = now + settings.retryDelayMinutes * 60_000 * Math.max(1, row.attempts + 1);
    // A database error during the send step comes from the shared quota store (PostgreSQL), before
    // anything reached Lark; Lark's own failures are LarkApiErrors, never connection or lock errors.
    if (isConnectionLost(err) || isBusy(err)) {
      // The database failed (a lost connection), not Lark: no send attempt is counted (a card Lark
      // has, whose outcome could not be recorded, would otherwise be retried into 'failed'). The
      // claim is given back and a later pass sends the card again under the same uuid, which
      // Lark deduplicates; if giving it back fails too, the claim expires after the lease.
      const released = await releaseOutboxClaims(deps.db, [row.id], { worker, retryAt }).catch(() => 0);
      result.retrying += 1;
      log.warn({ chatId: row.chatId, keys: [row.key], err: errorText(err), step, delivered: step === 'record', released: released > 0 }, 'reminder card not settled: database error; a later pass tries again');
      return;
    }
    const final = !isRetryable(err);
    const rows = await markOutboxAttemptFailed(deps.db, [row.id], {
      error: errorText(err),
      retryAt,
      final,
      maxAttempts: settings.maxSendAttempts,
      worker,
    });
    const failed = rows.filter((r) => r.status === 'failed');
    result.failed += failed.length;
    result.retrying += rows.length - failed.length;
    log.warn({ chatId: row.chatId, keys: [row.key], err: errorText(err), final: failed.length > 0 }, 'reminder send failed');
    for (const r of failed) {
      await audit(deps.db, { at: now, actor: 'scheduler', source: 'scheduler', action: 'reminder.failed', subject: r.key, outcome: 'error', detail: { chatId: r.chatId, attempts: r.attempts, error: r.lastError } });
    }
  }
}
