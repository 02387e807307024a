/**
 * Composition root: wires config, database, plan, clock, the outbound side (Lark sender or the
 * console printer), the chosen receiver, and the scheduler with the same Outbound.
 * Receivers only turn events into calls of the shared handlers (src/bot/dispatch.ts).
 *
 *   LARK_MODE=ws       WSClient long connection  + Lark sender
 *   LARK_MODE=webhook  HTTP server on PORT        + Lark sender
 *   LARK_MODE=console  stdin/stdout chat          + console printer (default without credentials)
 */
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { consoleActor } from './bot/access.js';
import { ConsoleOutbound, startConsole } from './bot/transport/console.js';
import { createEventRouter } from './bot/transport/events.js';
import { startWebhookServer } from './bot/transport/lark-http.js';
import { startLongConnection } from './bot/transport/lark-ws.js';
import { WorkQueue } from './bot/transport/work-queue.js';
import type { BotDeps } from './bot/types.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/config.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { createLarkSender, type LarkSender } from './lark/sender.js';
import type { Logger } from './log.js';
import type { Outbound } from './messaging/outbound.js';
import { loadPlan, loadPlanFile } from './plan/load-plan.js';
import { startSchedulerLink, type SchedulerHandle } from './bot/scheduler-link.js';

export interface RunningService {
  stop(): Promise<void>;
  /** Called when the transport ends by itself (e.g. console input closed). */
  onExit(listener: () => void): void;
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
}

/** The Lark sender as the Outbound the bot and the scheduler use; replies are paced by their chat. */
export function larkOutbound(sender: LarkSender): Outbound {
  return {
    sendMessage: (m) => sender.sendMessage(m),
    replyMessage: (r) => sender.replyMessage({ ...r, chatId: (r as { chatId?: string }).chatId }),
    patchCard: (p) => sender.patchCard(p),
    uploadFile: (f) => sender.uploadFile(f),
  };
}

export async function startService(config: Config, log: Logger, options: ServiceOptions = {}): Promise<RunningService> {
  const clock = options.clock ?? systemClock;
  const plan = config.planFile ? loadPlanFile(config.planFile) : loadPlan();
  const opened = openDatabase(config.dbFile);
  const applied = await migrateToLatest(opened.db);
  log.info({ dbFile: config.dbFile, migrationsApplied: applied.length, mode: config.mode, tz: config.timeZone, plan: plan.title }, 'database ready');

  const exitListeners: Array<() => void> = [];
  /** The transport ended by itself (console input closed), possibly before anyone listened. */
  let ended = false;
  const stops: Array<() => Promise<unknown>> = [];
  let url: string | undefined;
  let sender: LarkSender | undefined;
  let outbound: Outbound;
  let consoleOut: ConsoleOutbound | undefined;

  if (config.mode === 'console') {
    // Files sent in the console are saved beside the database, where the user can open them.
    consoleOut = new ConsoleOutbound(options.output ?? process.stdout, { filesDir: join(dirname(config.dbFile), 'exports') });
    outbound = consoleOut;
  } else {
    sender = createLarkSender({ appId: config.lark.appId!, appSecret: config.lark.appSecret!, domain: config.lark.domain, log });
    outbound = larkOutbound(sender);
  }

  const deps: BotDeps = {
    db: opened.db,
    plan,
    clock,
    tz: config.timeZone,
    log: log.child({ name: 'bot' }),
    outbound,
    botOpenId: null,
    ...(config.mode === 'console' ? { consoleActor: consoleActor() } : {}),
  };

  let scheduler: SchedulerHandle | undefined;
  try {
    scheduler = await startSchedulerLink({ config, db: opened.db, plan, clock, log, outbound, start: options.scheduler !== false });
    if (scheduler.digest) deps.digest = scheduler.digest;
    if (scheduler.snooze) deps.snooze = scheduler.snooze;

    if (sender) {
      const s = sender;
      // The bot's own open_id decides which @ is a mention of the bot; until it is known the
      // mention that opens a message counts.
      void s
        .getBotInfo()
        .then((info) => {
          deps.botOpenId = info.openId;
          log.info({ botOpenId: info.openId, appName: info.appName }, 'bot identity known');
        })
        .catch((err: unknown) => log.warn({ err }, 'could not read the bot identity; the leading @ of a message is taken as the bot'));
    }

    if (config.mode === 'console') {
      const session = await startConsole({ deps, outbound: consoleOut!, input: options.input ?? process.stdin, prompt: options.input === undefined && process.stdin.isTTY === true });
      void session.closed.then(() => {
        ended = true;
        for (const l of exitListeners) l();
      });
      stops.push(async () => session.stop());
    } else {
      const queue = new WorkQueue({ log: deps.log });
      const router = createEventRouter({ deps, queue, log: deps.log });
      if (config.mode === 'webhook') {
        const server = await startWebhookServer({
          router,
          encryptKey: config.lark.encryptKey,
          verificationToken: config.lark.verificationToken,
          port: config.port,
          clock,
          log,
          health: () => ({ mode: 'webhook', queued: queue.size }),
        });
        url = server.url;
        stops.push(() => server.close());
      } else {
        const ws = await startLongConnection({ appId: config.lark.appId!, appSecret: config.lark.appSecret!, domain: config.lark.domain, router, log });
        stops.push(() => ws.stop());
      }
      // After the receiver stops accepting: finish what was acknowledged.
      stops.push(() => queue.close(10_000));
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await scheduler?.stop().catch(() => undefined);
    await sender?.close();
    await opened.close();
    throw err;
  }

  log.info({ mode: config.mode, url, scheduler: scheduler.running }, 'service started');
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopped ??= (async () => {
        for (const stop of stops) {
          try {
            await stop();
          } catch (err) {
            log.error({ err }, 'error while stopping a receiver');
          }
        }
        await scheduler?.stop();
        await sender?.close();
        await opened.close();
      })();
      return stopped;
    },
    onExit(listener) {
      exitListeners.push(listener);
      if (ended) listener();
    },
  };
}
