/**
 * Long-connection receiver (LARK_MODE=ws): the SDK's WSClient feeding an EventDispatcher.
 * No public URL needed. The only file that imports WSClient. A ping timeout makes a half-open
 * socket reconnect; connect, reconnect and errors are logged. WSClient gives up for good when the
 * endpoint answers a reconnect with any refusal but "internal error" (e.g. code 1, system busy),
 * leaving the bot deaf until a restart: we start it again after `restartDelayMs`.
 *
 * The SDK awaits the handler before acknowledging the frame, so messages are only recorded
 * (durable inbox) and queued here; card callbacks are answered (toast + card) within the deadline.
 */
import * as lark from '@larksuiteoapi/node-sdk';
import { UserError } from '../../errors.js';
import { createLarkHttp, sdkLogger } from '../../lark/client.js';
import type { Logger } from '../../log.js';
import { CARD_ACTION_EVENT, MESSAGE_EVENT, type EventRouter } from './events.js';
import type { Receiver } from './receiver.js';

/** WSClient.start silently does nothing for an app id of another shape. */
const WS_APP_ID_PATTERN = /^cli_[0-9a-fA-F]{16}$/;
/** Seconds without any frame after a ping before the socket is declared dead. */
const DEFAULT_PING_TIMEOUT_S = 10;
/** Wait before starting WSClient again after it gave up. */
const DEFAULT_RESTART_DELAY_MS = 30_000;

/** The SDK flattens schema 2.0 events into one object: header fields plus event fields. */
type Flattened = Record<string, unknown>;

/**
 * The dispatcher with our two handlers. Tests drive it with `dispatcher.invoke(payload, { needCheck: false })`
 * — exactly what WSClient does with each event frame.
 */
export function createEventDispatcher(router: EventRouter, log: Logger): lark.EventDispatcher {
  const dispatcher = new lark.EventDispatcher({ logger: sdkLogger(log), loggerLevel: lark.LoggerLevel.warn });
  dispatcher.register({
    [MESSAGE_EVENT]: async (data: Flattened) => {
      const eventId = typeof data.event_id === 'string' ? data.event_id : '';
      if (eventId === '') {
        log.warn('message event without event_id ignored');
        return;
      }
      const queued = await router.message(eventId, data);
      if (queued === 'full' || queued === 'failed') {
        // The SDK answers the frame with code 500, as a webhook would answer 503: Lark retries later.
        throw new Error(queued === 'full' ? 'work queue full' : 'event not recorded');
      }
    },
    [CARD_ACTION_EVENT]: async (data: Flattened) => {
      const eventId = typeof data.event_id === 'string' ? data.event_id : '';
      const answer = await router.cardAction(eventId, data);
      if (answer === 'failed') throw new Error('card press not recorded');
      return answer;
    },
    // The SDK types each event's payload precisely; ours are read as plain objects and validated
    // with zod in events.ts, so the handler map is passed untyped.
  } as never);
  return dispatcher;
}

export interface LongConnectionOptions {
  appId: string;
  appSecret: string;
  domain: string;
  router: EventRouter;
  log: Logger;
  /** Seconds without any frame after a ping before the socket is dropped; 0 disables. Must stay below Lark's PingInterval. */
  pingTimeoutSeconds?: number;
  /** After WSClient gave up: wait this long, then start it again. Default DEFAULT_RESTART_DELAY_MS. */
  restartDelayMs?: number;
}

export interface LongConnectionReceiver extends Receiver {
  /** The connection state ('idle' before start). */
  status(): string;
}

export function createLongConnectionReceiver(o: LongConnectionOptions): LongConnectionReceiver {
  const log = o.log.child({ name: 'ws' });
  let client: lark.WSClient | undefined;
  let http: ReturnType<typeof createLarkHttp> | undefined;
  let stopped = false;
  let restartTimer: NodeJS.Timeout | undefined;
  return {
    // Lark's receivers never end by themselves (the SDK reconnects).
    ended: new Promise<void>(() => undefined),
    status: () => client?.getConnectionStatus().state ?? 'idle',
    async start() {
      if (!WS_APP_ID_PATTERN.test(o.appId)) {
        throw new UserError('config', `LARK_APP_ID "${o.appId}" is not a Feishu app id (cli_ followed by 16 hex digits); the long connection cannot start`, 'LARK_APP_ID');
      }
      const dispatcher = createEventDispatcher(o.router, log);
      http = createLarkHttp(15_000);
      const restartDelayMs = o.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
      stopped = false;
      const ws = new lark.WSClient({
        appId: o.appId,
        appSecret: o.appSecret,
        domain: o.domain,
        logger: sdkLogger(log),
        loggerLevel: lark.LoggerLevel.warn,
        httpInstance: http.instance,
        autoReconnect: true,
        handshakeTimeoutMs: 15_000,
        wsConfig: { pingTimeout: o.pingTimeoutSeconds ?? DEFAULT_PING_TIMEOUT_S },
        onReady: () => log.info('long connection established'),
        onReconnecting: () => log.warn('long connection lost, reconnecting'),
        onReconnected: () => log.info('long connection re-established'),
        onError: (err: Error) => {
          // Only called when WSClient has given up (state 'failed'): nothing reconnects by itself.
          log.error({ err, restartInMs: restartDelayMs }, 'long connection failed; starting it again later');
          if (stopped || restartTimer) return;
          restartTimer = setTimeout(() => {
            restartTimer = undefined;
            if (!stopped) ws.start({ eventDispatcher: dispatcher }).catch((e: unknown) => log.error({ err: e }, 'long connection restart failed'));
          }, restartDelayMs);
        },
      });
      client = ws;
      log.info({ domain: o.domain }, 'starting long connection');
      await ws.start({ eventDispatcher: dispatcher });
    },
    async stop() {
      stopped = true;
      clearTimeout(restartTimer);
      restartTimer = undefined;
      client?.close({ force: true });
      http?.destroy();
    },
  };
}
