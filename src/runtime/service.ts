/**
 * The composition root: config → database (migrated) → plan and calendar → the outbound side
 * (the Lark sender, or the printer of the console) → the bot runtime → the receiver of the
 * mode → the scheduler with the same Outbound. Nothing else wires these parts.
 *
 *   LARK_MODE=ws       long connection (WSClient)  + Lark sender
 *   LARK_MODE=webhook  HTTP server on PORT         + Lark sender
 *   LARK_MODE=console  stdin/stdout chat           + printer (default without credentials)
 */
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { consoleActor } from '../bot/access.js';
import { createConsoleReceiver } from '../bot/transport/console.js';
import { createWebhookReceiver } from '../bot/transport/lark-http.js';
import { createLongConnectionReceiver } from '../bot/transport/lark-ws.js';
import type { Receiver } from '../bot/transport/receiver.js';
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import { describeLocation, openDatabase, openPostgres, type AnyOpenedDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { rateSlotStore } from '../db/rate.repository.js';
import { createLarkSender } from '../lark/sender.js';
import type { Logger } from '../log.js';
import { PrintingOutbound } from '../messaging/printing-outbound.js';
import { loadPlan, loadPlanFile } from '../plan/load-plan.js';
import { configuredWorkCalendar } from '../services/calendar.service.js';
import { localDate } from '../time.js';
import { createBotRuntime } from './bot-runtime.js';
import { learnBotIdentity } from './bot-identity.js';
import { startScheduler, type RunningScheduler } from './scheduler.js';

export interface RunningService {
  stop(): Promise<void>;
  /** Resolves when the receiver ends by itself (console input closed). */
  readonly ended: Promise<void>;
  /** Resolves once every acknowledged message has been answered (the work queue's idle signal). */
  idle(): Promise<void>;
  /** The webhook's base URL (webhook mode). */
  readonly url?: string | undefined;
}

export interface ServiceOptions {
  /** Console mode streams (default process.stdin / process.stdout). */
  input?: Readable;
  output?: Writable;
  clock?: Clock;
  /** Start the scheduler (default true). */
  scheduler?: boolean;
  /** Opens the database (default: DATABASE_URL's PostgreSQL, else the SQLite file DB_FILE); tests pass their engine's. */
  openDatabase?: () => Promise<AnyOpenedDatabase>;
}

/** SQLite's own wait for a lock in the service (milliseconds it may block the event loop). */
const SERVICE_BUSY_TIMEOUT_MS = 20;

/** How long stopping waits for acknowledged messages to be answered. */
const DRAIN_MS = 10_000;
/** How long the start waits for the bot's open_id before resuming the inbox (one GET, normally tens of ms). */
const IDENTITY_WAIT_MS = 3000;

async function waitAtMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export async function startService(config: Config, log: Logger, options: ServiceOptions = {}): Promise<RunningService> {
  const clock = options.clock ?? systemClock;
  const tz = config.timeZone;
  const plan = config.planFile ? loadPlanFile(config.planFile) : loadPlan();
  const { calendar, warnings } = configuredWorkCalendar(config, [Number(localDate(clock.now(), tz).slice(0, 4))]);
  for (const w of warnings) log.warn({ warning: w }, 'work calendar');
  const opened = options.openDatabase ? await options.openDatabase() : config.databaseUrl ? await openPostgres(config.databaseUrl, { applicationName: 'dangjian-service' }) : openDatabase(config.dbFile);
  /** Undone in reverse order when start-up fails or the service stops. */
  const closers: Array<{ what: string; close: () => Promise<unknown> }> = [{ what: 'database', close: () => opened.close() }];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c.close();
      } catch (err) {
        log.error({ err }, `error while closing the ${c.what}`);
      }
    }
  };
  let url: string | undefined;
  let urlOf: (() => string) | undefined;
  let receiver: Receiver;
  let idle: () => Promise<void>;
  try {
    const applied = await migrateToLatest(opened.db);
    // From here on a lock held by another process (the CLI, a backup) is waited for on timers,
    // not inside SQLite: a busy timeout of its own would block the event loop (and every
    // acknowledgement) for as long. Writes that meet the lock fail fast and are tried again
    // (the inbox record until its deadline, then 503; a message's handling from its inbox row).
    if (opened.dialect === 'sqlite') opened.sqlite.pragma(`busy_timeout = ${SERVICE_BUSY_TIMEOUT_MS}`);
    log.info({ database: opened.dialect === 'sqlite' ? config.dbFile : describeLocation(config.databaseUrl ?? 'postgres'), migrationsApplied: applied.length, mode: config.mode, tz, plan: plan.title }, 'database ready');
    const output = options.output ?? process.stdout;
    // Files sent in the console (「导出」) are saved beside the database, where the user can open them.
    const printer = config.mode === 'console' ? new PrintingOutbound((text) => void output.write(text), { filesDir: join(dirname(config.dbFile), 'exports') }) : undefined;
    // On PostgreSQL several replicas may run: they pace in the database's shared slots, so the
    // app's quota holds for all of them; the one SQLite process paces in memory.
    const sharedSlots = opened.dialect === 'postgres' ? rateSlotStore(opened.db) : undefined;
    const sender = config.mode === 'console' ? undefined : createLarkSender({ ...config.lark, log, sharedSlots });
    if (sender) closers.push({ what: 'Lark sender', close: () => sender.close() });
    const outbound = printer ?? sender!;

    // The bot's own open_id decides which @ is a mention of the bot; until it is known (retried
    // until it is) group messages are ignored.
    const identity = sender ? learnBotIdentity(() => sender.getBotInfo(), log) : undefined;
    if (identity) closers.push({ what: 'bot identity lookup', close: async () => identity.stop() });
    const runtime = createBotRuntime({
      db: opened.db,
      plan,
      clock,
      tz,
      log,
      outbound,
      calendar,
      settings: config.scheduler,
      botOpenId: () => identity?.openId() ?? null,
      consoleActor: config.mode === 'console' ? consoleActor() : null,
    });

    const scheduler: RunningScheduler | undefined =
      options.scheduler === false ? undefined : startScheduler({ db: opened.db, plan, config: { timeZone: tz }, clock, log, outbound, calendar, settings: config.scheduler });
    if (scheduler) closers.push({ what: 'scheduler', close: () => scheduler.stop() });
    // Closed in reverse: the receiver stops accepting, then what was acknowledged is finished.
    closers.push({ what: 'work queue', close: () => runtime.close(DRAIN_MS) });
    idle = () => runtime.queue.idle();

    // What was acknowledged before the last stop (or crash) and not handled yet goes first —
    // once the bot knows its own open_id (a group message is not understood before; Lark down
    // at start: resumed anyway after IDENTITY_WAIT_MS, those rows are tried again later).
    await runtime.router.resume(identity ? () => waitAtMost(identity.known, IDENTITY_WAIT_MS) : undefined);
    if (config.mode === 'console') {
      receiver = createConsoleReceiver({
        deps: runtime.deps,
        handleMessage: runtime.handleMessage,
        handleCardAction: runtime.handleCardAction,
        printer: printer!,
        input: options.input ?? process.stdin,
        output,
        prompt: options.input === undefined && process.stdin.isTTY === true,
      });
    } else if (config.mode === 'webhook') {
      const webhook = createWebhookReceiver({ router: runtime.router, ...config.webhook, clock, log, health: () => ({ mode: 'webhook', queued: runtime.queue.size }) });
      receiver = webhook;
      urlOf = () => webhook.url;
    } else {
      receiver = createLongConnectionReceiver({ ...config.lark, router: runtime.router, log });
    }
    await receiver.start();
    closers.push({ what: 'receiver', close: () => receiver.stop() });
    url = urlOf?.();
    log.info({ mode: config.mode, url, scheduler: scheduler !== undefined }, 'service started');
  } catch (err) {
    await closeAll();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    url,
    ended: receiver.ended,
    idle: () => idle(),
    stop: () => (stopped ??= closeAll()),
  };
}
