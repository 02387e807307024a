/**
 * Long-connection receiver (LARK_MODE=ws): the SDK's WSClient feeding an EventDispatcher.
 * No public URL needed. The only file that imports WSClient. A ping timeout makes a half-open
 * socket reconnect; connect, reconnect and errors are logged.
 *
 * The SDK awaits the handler before acknowledging the frame, so messages are only queued
 * here; card callbacks are answered (toast + card) within the deadline.
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
      if (router.message(eventId, data) === 'full') {
        // The SDK answers the frame with code 500, as a webhook would answer 503: Lark retries later.
        throw new Error('work queue full');
      }
    },
    [CARD_ACTION_EVENT]: async (data: Flattened) => {
      const eventId = typeof data.event_id === 'string' ? data.event_id : '';
      return router.cardAction(eventId, data);
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
  pingTimeoutSeconds?: number;
}

export interface LongConnectionReceiver extends Receiver {
  /** The connection state ('idle' before start). */
  status(): string;
}

export function createLongConnectionReceiver(o: LongConnectionOptions): LongConnectionReceiver {
  const log = o.log.child({ name: 'ws' });
  let client: lark.WSClient | undefined;
  let http: ReturnType<typeof createLarkHttp> | undefined;
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
      client = new lark.WSClient({
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
        onError: (err: Error) => log.error({ err }, 'long connection failed'),
      });
      log.info({ domain: o.domain }, 'starting long connection');
      await client.start({ eventDispatcher: dispatcher });
    },
    async stop() {
      client?.close({ force: true });
      http?.destroy();
    },
  };
}
