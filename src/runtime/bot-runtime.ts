/**
 * The bot as one object, built complete: the handlers' dependencies, the work queue and the
 * event router the Lark receivers feed. The service, the tests and the bench all build the bot
 * with `createBotRuntime` — there is no other wiring.
 */
import type { Actor } from '../auth/actor.js';
import { handleCardAction, handleMessage, type HandleOptions, type MessageOutcome } from '../bot/dispatch.js';
import { createInbox, type Inbox } from '../bot/inbox.js';
import { createEventRouter, type EventRouter } from '../bot/transport/events.js';
import { WorkQueue } from '../bot/transport/work-queue.js';
import type { BotDeps, CardAction, CardActionResult, ChatMessage } from '../bot/types.js';
import type { Clock } from '../clock.js';
import type { SchedulerSettings } from '../config/scheduler-settings.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log.js';
import type { Outbound } from '../messaging/outbound.js';
import type { Plan } from '../plan/schema.js';
import { defaultWorkerId } from '../services/reminders.service.js';
import type { WorkCalendar } from '../tasks/work-calendar.js';

/** Longest accepted chat message, characters. */
const DEFAULT_MAX_TEXT_LENGTH = 2000;

export interface BotRuntimeOptions {
  db: Db;
  plan: Plan;
  clock: Clock;
  /** DANGJIAN_TZ. */
  tz: string;
  log: Logger;
  outbound: Outbound;
  calendar: WorkCalendar;
  settings: SchedulerSettings;
  /** The bot's own open_id once known (default: never known; group messages are ignored). */
  botOpenId?: (() => string | null) | undefined;
  /** Console mode: every message comes from this actor. */
  consoleActor?: Actor | null | undefined;
  maxTextLength?: number | undefined;
  queue?: { concurrency?: number; capacity?: number; onStart?: (key: string) => void } | undefined;
  /** How long a card callback may take before it is answered {} and patched later (default 2.5 s). */
  cardDeadlineMs?: number | undefined;
}

export interface BotRuntime {
  readonly deps: BotDeps;
  /** Messages acknowledged and not yet answered (its `idle()` says when all are). */
  readonly queue: WorkQueue;
  /** What the Lark receivers call. */
  readonly router: EventRouter;
  /** The durable inbox the router records events in. */
  readonly inbox: Inbox;
  handleMessage(msg: ChatMessage, options?: HandleOptions): Promise<MessageOutcome>;
  handleCardAction(action: CardAction): Promise<CardActionResult>;
  /** Stops intake and waits (at most `timeoutMs`) for the jobs running; those not started stay pending in the inbox. */
  close(timeoutMs?: number): Promise<boolean>;
}

export function createBotRuntime(o: BotRuntimeOptions): BotRuntime {
  const log = o.log.child({ name: 'bot' });
  const deps: BotDeps = {
    db: o.db,
    plan: o.plan,
    clock: o.clock,
    tz: o.tz,
    log,
    outbound: o.outbound,
    calendar: o.calendar,
    settings: o.settings,
    botOpenId: o.botOpenId ?? (() => null),
    consoleActor: o.consoleActor ?? null,
    maxTextLength: o.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH,
    workerId: defaultWorkerId(),
  };
  const queue = new WorkQueue({ log, ...o.queue });
  const onMessage = (msg: ChatMessage, options?: HandleOptions) => handleMessage(msg, deps, options);
  const onCardAction = (action: CardAction) => handleCardAction(action, deps);
  const inbox = createInbox(o.db, o.clock);
  const router = createEventRouter({ handleMessage: onMessage, handleCardAction: onCardAction, outbound: o.outbound, queue, inbox, cardDeadlineMs: o.cardDeadlineMs, log });
  return {
    deps,
    queue,
    inbox,
    router,
    handleMessage: onMessage,
    handleCardAction: onCardAction,
    close: (timeoutMs = 10_000) => {
      // Jobs not yet started leave their inbox rows pending for the next start.
      router.stop();
      return queue.close(timeoutMs);
    },
  };
}
