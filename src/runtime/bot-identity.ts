/**
 * The bot's own open_id, learned from GET /bot/v3/info and retried until it is known: a failed
 * lookup at start (Lark down, network not up yet) must not leave the bot guessing for its whole
 * life. Until it is known, group messages are ignored (src/bot/dispatch.ts `messageText`).
 */
import type { BotInfo } from '../lark/sender.js';
import type { Logger } from '../log.js';

/** First wait after a failed lookup; it doubles up to MAX_RETRY_DELAY_MS. */
const FIRST_RETRY_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 60_000;

export interface BotIdentity {
  /** The open_id, or null while unknown. */
  openId(): string | null;
  /** Resolves once the open_id is known (never rejects; may never resolve). */
  known: Promise<void>;
  /** Stops retrying (service stop). */
  stop(): void;
}

export function learnBotIdentity(fetchInfo: () => Promise<BotInfo>, log: Logger, firstDelayMs = FIRST_RETRY_DELAY_MS): BotIdentity {
  let openId: string | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let learned = () => {};
  const known = new Promise<void>((resolve) => (learned = resolve));
  const attempt = (delayMs: number, failures: number): void => {
    fetchInfo().then(
      (info) => {
        openId = info.openId;
        learned();
        log.info({ botOpenId: info.openId, appName: info.appName, failures }, 'bot identity known');
      },
      (err: unknown) => {
        if (stopped) return;
        log.warn({ err, retryInMs: delayMs, failures: failures + 1 }, 'could not read the bot identity; group messages are ignored until it is known');
        timer = setTimeout(() => attempt(Math.min(delayMs * 2, MAX_RETRY_DELAY_MS), failures + 1), delayMs);
      },
    );
  };
  attempt(firstDelayMs, 0);
  return {
    openId: () => openId,
    known,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
