/**
 * The durable inbox as the event router uses it: a verified event is recorded before Lark is
 * answered, marked done once handled, and what is still pending at start is handled then.
 * Recording is one short insert; if it fails the receiver answers with an error and Lark
 * delivers the event again. The record is durable (survives a crash of the database server) only
 * once `durable()` has returned, which Lark's acknowledgement waits for; the handling need not:
 * a record lost in a crash takes the handling's later commits with it (the WAL is replayed in
 * order), Lark delivers the event again, and a reply already sent goes again under its uuid,
 * which Lark deduplicates.
 */
import type { Clock } from '../clock.js';
import { retryWhileBusy, type Db } from '../db/database.js';
import { durableCommitsOf } from '../db/durable-commits.js';
import { commitsNeedFlush, markInboxDone, pendingInboxEvents, recordInboxEvent } from '../db/inbox.repository.js';
import type { CardAction, ChatMessage } from './types.js';

export type InboxEvent = { kind: 'message'; eventId: string; chatId: string; msg: ChatMessage } | { kind: 'card'; eventId: string; chatId: string; action: CardAction };

export interface Inbox {
  /** Records the event, pending; false when it was recorded before. Throws when it cannot be written. */
  record(e: InboxEvent): Promise<boolean>;
  /**
   * Returns once every record made before the call is durable. Throws when that cannot be known.
   * `graceMs`: how long it may wait for a commit the handling makes anyway (on PostgreSQL a
   * read-only message's settle commits durably) before flushing on its own; 0 or none: at once.
   */
  durable(options?: { graceMs?: number }): Promise<void>;
  done(eventId: string): Promise<void>;
  /** What was recorded and not handled, in order. */
  pending(): Promise<InboxEvent[]>;
}

/**
 * How long recording waits (on timers, never blocking) for a write lock another process holds:
 * Lark waits 3 s for the acknowledgement; past this (1 s, leaving room for a loaded machine) the receiver answers 503 and Lark delivers
 * the event again.
 */
const RECORD_DEADLINE_MS = 1000;
/** Marking done is off the acknowledgement path: it may wait longer. */
const DONE_DEADLINE_MS = 30_000;

export function createInbox(db: Db, clock: Clock): Inbox {
  const durable = commitsNeedFlush(db) ? (options?: { graceMs?: number }) => durableCommitsOf(db).awaitDurable(options?.graceMs ?? 0) : async () => undefined;
  return {
    durable,
    record: (e) =>
      retryWhileBusy(() => recordInboxEvent(db, { eventId: e.eventId, kind: e.kind, chatId: e.chatId, payload: e.kind === 'message' ? e.msg : e.action, at: clock.now().getTime() }), { deadlineMs: RECORD_DEADLINE_MS }),
    done: (eventId) => retryWhileBusy(() => markInboxDone(db, eventId, clock.now().getTime()), { deadlineMs: DONE_DEADLINE_MS, stepMs: 100 }),
    async pending() {
      return (await pendingInboxEvents(db)).map((r): InboxEvent =>
        r.kind === 'message' ? { kind: 'message', eventId: r.eventId, chatId: r.chatId, msg: r.payload as ChatMessage } : { kind: 'card', eventId: r.eventId, chatId: r.chatId, action: r.payload as CardAction },
      );
    },
  };
}
