/**
 * Replies to chat messages through the outbox, with the reminders' exactly-once machinery: the
 * reply is recorded (key `reply:<message_id>`, kind 'reply') before the first attempt, sent
 * with Lark's uuid from that key, and a failed attempt is retried by the scheduler's dispatch —
 * across restarts — until it is sent or REPLY_MAX_ATTEMPTS are used. Replies are not held to the
 * reminders' push window.
 */
import type { SchedulerSettings } from '../config/scheduler-settings.js';
import { isBusy, isConnectionLost, retryWhileBusy, type Db } from '../db/database.js';
import { claimDueOutbox, claimOutboxByKey, findOutboxByKey, insertOutboxMessage, markOutboxAttemptFailed, markOutboxSent, releaseOutboxClaims, type OutboxRecord } from '../db/outbox.repository.js';
import type { Logger } from '../log.js';
import type { MsgType, Outbound } from '../messaging/outbound.js';

/** A send that happened is recorded even while another process holds the write lock (waited for on timers). */
const OUTCOME_WAIT = { deadlineMs: 30_000, stepMs: 50 };

export const REPLY_KIND = 'reply';
/** Enough for Lark failing for tens of minutes, within its 1-hour uuid dedup window (30 s × attempt, capped). */
const REPLY_MAX_ATTEMPTS = 10;
const REPLY_RETRY_STEP_MS = 30_000;
const REPLY_RETRY_MAX_MS = 10 * 60_000;

export interface ReplyPayload {
  /** The message replied to. */
  messageId: string;
  msgType: MsgType;
  content: object;
}

export interface ReplyDeps {
  db: Db;
  outbound: Outbound;
  log: Logger;
  settings: Pick<SchedulerSettings, 'claimLeaseMinutes'>;
  /** This process in outbox claims (reminders.service `defaultWorkerId`). */
  workerId: string;
}

export const replyKey = (messageId: string) => `reply:${messageId}`;

/** Whether the answer to a message is in the outbox (sent or still to be sent). */
export async function replyRecorded(db: Db, messageId: string): Promise<boolean> {
  return (await findOutboxByKey(db, replyKey(messageId))) !== undefined;
}

/** Records the reply, pending (once per message: false when it was recorded before). */
export function recordReply(db: Db, r: { chatId: string; payload: ReplyPayload; at: number }): Promise<boolean> {
  return insertOutboxMessage(db, { key: replyKey(r.payload.messageId), kind: REPLY_KIND, chatId: r.chatId, payload: r.payload, at: r.at });
}

type Delivery = 'sent' | 'retrying' | 'failed';

/**
 * The first attempt at a reply, started before its outbox row is written (a read-only command's
 * answer: dispatch.ts). Lark deduplicates the uuid from the reply's key, so if the row then shows
 * the message answered before, or the process dies before recording the outcome, the reply sent
 * again later is swallowed there. Its failure is seen only by whoever awaits it.
 */
export function startFirstAttempt(outbound: Outbound, r: { chatId: string; payload: ReplyPayload }): Promise<{ messageId: string }> {
  const p = r.payload;
  const attempt = outbound.replyMessage({ messageId: p.messageId, msgType: p.msgType, content: p.content, idempotencyKey: replyKey(p.messageId), chatId: r.chatId });
  attempt.catch(() => undefined);
  return attempt;
}

async function send(deps: ReplyDeps, row: OutboxRecord, worker: string, now: number, started?: Promise<{ messageId: string }>): Promise<Delivery> {
  const p = row.payload as ReplyPayload;
  let sending = false;
  try {
    sending = true;
    const sent = await (started ?? deps.outbound.replyMessage({ messageId: p.messageId, msgType: p.msgType, content: p.content, idempotencyKey: row.key, chatId: row.chatId }));
    sending = false;
    await retryWhileBusy(() => markOutboxSent(deps.db, [row.id], { messageId: sent.messageId, at: now }), OUTCOME_WAIT);
    return 'sent';
  } catch (err) {
    const retryAt = now + Math.min(REPLY_RETRY_STEP_MS * (row.attempts + 1), REPLY_RETRY_MAX_MS);
    if (isConnectionLost(err) || isBusy(err)) {
      // The database failed, not Lark: either Lark has the reply and only recording it failed, or
      // (while sending) the shared quota store failed before anything reached Lark. No attempt is
      // counted. The claim is given back and the reply sent again under the same uuid, which Lark
      // deduplicates; if giving it back fails too, the claim expires after the lease.
      const released = await releaseOutboxClaims(deps.db, [row.id], { worker, retryAt }).catch(() => 0);
      deps.log.warn({ err, key: row.key, released: released > 0, sent: !sending }, sending ? 'reply not sent: the shared quota store failed; it is tried again' : 'reply sent but not recorded: database error; it is settled later');
      return 'retrying';
    }
    const final = typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === false;
    const [after] = await markOutboxAttemptFailed(deps.db, [row.id], {
      error: err instanceof Error ? err.message : String(err),
      retryAt,
      final,
      maxAttempts: REPLY_MAX_ATTEMPTS,
      worker,
    });
    const failed = after?.status === 'failed';
    deps.log[failed ? 'error' : 'warn']({ err, key: row.key, attempts: row.attempts + 1, final: failed }, failed ? 'reply not delivered, given up' : 'reply failed; it will be tried again');
    return failed ? 'failed' : 'retrying';
  }
}

/**
 * The lease of a reply recorded already claimed for its first attempt. Short: if the process dies
 * between recording and sending, the reply goes out when the lease ends (scheduler dispatch), not
 * after a reminder's lease of minutes. An attempt outlasting it may be sent again by the dispatch,
 * under the same uuid, which Lark deduplicates. (releaseExpiredClaims dates every claim's start
 * from the long lease, so such a claim counts as older than it is: never re-sent late, at worst
 * marked failed a few minutes early.)
 */
export const firstAttemptLeaseMs = (settings: Pick<SchedulerSettings, 'claimLeaseMinutes'>): number => Math.min(settings.claimLeaseMinutes * 60_000, 60_000);

/**
 * The first attempt, right after the reply was recorded (`recorded`: its payload, when this
 * caller recorded it; `claimed`: its row, when it was recorded claimed for this attempt — no
 * claim statement then; `started`: that attempt, when it went out beside the recording,
 * `startFirstAttempt`). Never throws on a Lark failure (the row is retried later).
 */
export async function deliverReply(deps: ReplyDeps, messageId: string, now: number, recorded?: ReplyPayload, claimed?: OutboxRecord, started?: Promise<{ messageId: string }>): Promise<Delivery | 'not_pending'> {
  const worker = deps.workerId;
  if (claimed) return send(deps, claimed, worker, now, started);
  const row = await claimOutboxByKey(deps.db, { key: replyKey(messageId), now, worker, leaseMs: deps.settings.claimLeaseMinutes * 60_000, payload: recorded });
  return row ? send(deps, row, worker, now) : 'not_pending';
}

/** Every reply due for another attempt (the scheduler's dispatch, at any hour). */
export async function dispatchDueReplies(deps: ReplyDeps, now: number): Promise<Record<Delivery, number>> {
  const worker = deps.workerId;
  const out: Record<Delivery, number> = { sent: 0, retrying: 0, failed: 0 };
  for (let round = 0; round < 100; round++) {
    const rows = await claimDueOutbox(deps.db, { now, worker, leaseMs: deps.settings.claimLeaseMinutes * 60_000, limit: 100, kind: { only: REPLY_KIND } });
    if (rows.length === 0) break;
    // One chat's replies in order; chats one after another (replies that are due again are few).
    for (const r of rows) out[await send(deps, r, worker, now)]++;
  }
  return out;
}
