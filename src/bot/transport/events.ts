/**
 * Lark event payloads → ChatMessage / CardAction, and the router both Lark receivers share:
 * every event is recorded in the durable inbox (src/bot/inbox.ts) before the receiver
 * acknowledges it; messages are then handled from the queue in order per chat and their rows
 * marked done; card callbacks are answered within Lark's 3 seconds (or answered empty and the
 * card patched when the work finishes). Rows left pending by a stop or a crash are queued
 * again at the next start (`resume`); the handlers' event-id dedup makes a replay a no-op.
 */
import { z } from 'zod';
import type { Logger } from '../../log.js';
import type { Outbound } from '../../messaging/outbound.js';
import { cardActionResponse, type CardAction, type CardActionResult, type ChatMessage } from '../types.js';
import { isBusy, type Db } from '../../db/database.js';
import type { Inbox } from '../inbox.js';
import type { WorkQueue } from './work-queue.js';

export const MESSAGE_EVENT = 'im.message.receive_v1';
export const CARD_ACTION_EVENT = 'card.action.trigger';
/** Lark waits 3 s for a card callback answer; leave room for the network. */
const DEFAULT_CARD_DEADLINE_MS = 2500;
/**
 * How long a message's acknowledgement may wait for a durable commit its handling makes anyway
 * before flushing the WAL on its own (PostgreSQL): most read-only answers settle within a few
 * milliseconds; Lark waits 3 s. A button press's answer waits for no one else: it flushes at once.
 */
const MESSAGE_ACK_GRACE_MS = 50;

const receiveEventSchema = z.object({
  sender: z.object({
    sender_id: z.object({ open_id: z.string().optional() }).passthrough().optional(),
    sender_type: z.string().default('user'),
  }),
  message: z.object({
    message_id: z.string().min(1),
    chat_id: z.string().min(1),
    chat_type: z.string(),
    message_type: z.string(),
    content: z.string(),
    mentions: z
      .array(z.object({ key: z.string(), id: z.object({ open_id: z.string().optional() }).passthrough().optional(), name: z.string().optional() }).passthrough())
      .optional(),
  }),
});

const cardEventSchema = z.object({
  operator: z.object({ open_id: z.string().min(1) }).passthrough(),
  token: z.string().optional(),
  action: z.object({ value: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(), form_value: z.record(z.string(), z.unknown()).optional() }).passthrough(),
  context: z.object({ open_message_id: z.string().optional(), open_chat_id: z.string().optional() }).passthrough().optional(),
});

/** The text of a text or post message (post: its text and @ elements, in order); null otherwise. */
function messageContentText(messageType: string, content: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const c = parsed as Record<string, unknown>;
  if (messageType === 'text') return typeof c.text === 'string' ? c.text : null;
  if (messageType === 'post') {
    const lines = Array.isArray(c.content) ? (c.content as unknown[]) : [];
    const parts: string[] = [];
    for (const line of lines) {
      if (!Array.isArray(line)) continue;
      for (const el of line as Array<Record<string, unknown>>) {
        if (el.tag === 'text' && typeof el.text === 'string') parts.push(el.text);
        if (el.tag === 'at' && typeof el.user_id === 'string') parts.push(` ${el.user_id} `);
      }
      parts.push(' ');
    }
    return parts.join('').trim();
  }
  return null;
}

/** A file message's `{ file_key, file_name }`; null for any other message. */
function messageFile(messageType: string, content: string): { key: string; name: string } | null {
  if (messageType !== 'file') return null;
  try {
    const c = JSON.parse(content) as { file_key?: unknown; file_name?: unknown };
    return typeof c.file_key === 'string' && c.file_key !== '' ? { key: c.file_key, name: typeof c.file_name === 'string' && c.file_name !== '' ? c.file_name : c.file_key } : null;
  } catch {
    return null;
  }
}

/** receive_v1's event object → ChatMessage; undefined when it is not a message we understand. */
function toChatMessage(eventId: string, event: unknown): ChatMessage | undefined {
  const parsed = receiveEventSchema.safeParse(event);
  if (!parsed.success) return undefined;
  const { sender, message } = parsed.data;
  return {
    eventId,
    messageId: message.message_id,
    chatId: message.chat_id,
    chatType: message.chat_type === 'p2p' ? 'p2p' : 'group',
    senderOpenId: sender.sender_id?.open_id ?? '',
    senderType: sender.sender_type,
    text: messageContentText(message.message_type, message.content),
    file: messageFile(message.message_type, message.content),
    mentions: (message.mentions ?? []).map((m) => ({ key: m.key, openId: m.id?.open_id ?? null, name: m.name ?? '' })),
  };
}

/** card.action.trigger's event object → CardAction. */
function toCardAction(eventId: string, event: unknown): CardAction | undefined {
  const parsed = cardEventSchema.safeParse(event);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  let value: Record<string, unknown> = {};
  if (typeof e.action.value === 'string') {
    try {
      const v: unknown = JSON.parse(e.action.value);
      if (typeof v === 'object' && v !== null) value = v as Record<string, unknown>;
    } catch {
      value = {};
    }
  } else if (e.action.value) value = e.action.value;
  return {
    eventId,
    operatorOpenId: e.operator.open_id,
    value,
    formValue: e.action.form_value ?? null,
    messageId: e.context?.open_message_id ?? null,
    chatId: e.context?.open_chat_id ?? null,
    token: e.token ?? null,
  };
}

export interface EventRouter {
  /**
   * Records a receive_v1 event in the inbox and queues it: 'queued' (answer 200), 'ignored' (not
   * a message we handle), 'full' or 'failed' (it could not be recorded): answer with an error so
   * that Lark delivers it again.
   */
  message(eventId: string, event: unknown): Promise<'queued' | 'ignored' | 'full' | 'failed'>;
  /**
   * Records a card.action.trigger event, then answers it in Lark's shape ({toast, card} or {});
   * 'failed' when it could not be recorded (answer with an error). Never throws.
   */
  cardAction(eventId: string, event: unknown): Promise<Record<string, unknown> | 'failed'>;
  /**
   * Queues what the inbox still holds from before (at start, before the receiver); when there is
   * any, after `ready` (the bot's own open_id known: without it a group message is not understood).
   */
  resume(ready?: () => Promise<void>): Promise<number>;
  /** Stops intake: events are refused ('failed'), and queued jobs not yet started leave their rows pending. */
  stop(): void;
}

export interface EventRouterOptions {
  /**
   * Resolves to `{ status: 'failed' }` when the database failed before the event took effect (the
   * row stays pending and is tried again). `recorded`: the delivery's inbox record, still being
   * made when the handling starts; the handling writes nothing until it resolves true.
   */
  handleMessage(msg: ChatMessage, options?: { inboxEventId?: string; recorded?: Promise<boolean> }): Promise<unknown>;
  handleCardAction(action: CardAction): Promise<CardActionResult>;
  /** For a card answered late: its card is patched in. */
  outbound: Outbound;
  queue: WorkQueue;
  inbox: Inbox;
  cardDeadlineMs?: number | undefined;
  log: Logger;
  /** Wait before a message whose handling failed on the database is tried again (default 5 s). */
  retryDelayMs?: number | undefined;
}

const DEFAULT_RETRY_DELAY_MS = 5000;

export function createEventRouter(o: EventRouterOptions): EventRouter {
  const { queue, log, inbox } = o;
  const deadline = o.cardDeadlineMs ?? DEFAULT_CARD_DEADLINE_MS;
  const retryDelayMs = o.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  let stopped = false;
  const retries = new Set<NodeJS.Timeout>();

  const markDone = async (eventId: string) => {
    try {
      await inbox.done(eventId);
    } catch (err) {
      // Handled but not marked: at the next start it is handled again, and the event id dedup makes that a no-op.
      log.error({ err, eventId }, 'inbox row could not be marked done');
    }
  };

  /** Waits until the event's record is durable; false (logged) when that cannot be known. */
  const durable = async (eventId: string, options?: { graceMs: number }): Promise<boolean> => {
    try {
      await inbox.durable(options);
      return true;
    } catch (err) {
      log[isBusy(err) ? 'warn' : 'error']({ err, eventId }, 'event record not known to be durable; answered with an error so that Lark delivers it again');
      return false;
    }
  };

  /** `recorded`: this delivery's inbox record while it is being made (a job queued before it is known). */
  const enqueueMessage = (eventId: string, msg: ChatMessage, recorded?: Promise<boolean>): boolean =>
    queue.push(msg.chatId, async () => {
      if (stopped) return;
      // Marked done in the handling's own transaction (one write fewer, and exactly once with it).
      const outcome = (await o.handleMessage(msg, { inboxEventId: eventId, ...(recorded ? { recorded } : {}) })) as { status?: string; reason?: string; inboxDone?: boolean } | undefined;
      // Not recorded by this delivery (a redelivery of a recorded event, whose own handling owns the
      // row; or the record failed and Lark was answered with an error): nothing was written.
      if (recorded && !(await recorded.catch(() => false))) return;
      if (outcome?.status !== 'failed' && outcome?.reason !== 'bot_identity_unknown') return outcome?.inboxDone === true ? undefined : markDone(eventId);
      // The database failed before the event took effect, or (just after a start) the bot does
      // not know its own open_id yet: the row stays pending; try it again.
      if (stopped) return;
      const timer = setTimeout(() => {
        retries.delete(timer);
        if (!stopped) enqueueMessage(eventId, msg);
      }, retryDelayMs);
      retries.add(timer);
    });

  const enqueueLateCard = (eventId: string, action: CardAction): boolean =>
    queue.push(action.chatId ?? '', async () => {
      if (stopped) return;
      const r = await o.handleCardAction(action);
      await patchLater(o.outbound, action, r, log);
      await markDone(eventId);
    });

  return {
    async message(eventId, event) {
      if (stopped) return 'failed';
      const msg = toChatMessage(eventId, event);
      if (!msg) {
        log.warn({ eventId }, 'message event not understood, ignored');
        return 'ignored';
      }
      // Cheap filters before recording: bots, and group messages that do not mention anyone.
      if (msg.senderType !== 'user' || (msg.chatType === 'group' && msg.mentions.length === 0)) return 'ignored';
      if (!queue.accepting) return 'full';
      // The handling starts while the event is being recorded (on a database server its first
      // reads need not wait for the insert's round trip); it writes nothing until the record is
      // made. A redelivery of a recorded event finds the row there and its handling stops: the row
      // is handled (or pending, and handled at the next start).
      const recorded = inbox.record({ kind: 'message', eventId, chatId: msg.chatId, msg });
      enqueueMessage(eventId, msg, recorded);
      try {
        await recorded;
      } catch (err) {
        // A lock held elsewhere is an expected, passing condition (warn); anything else (disk full) is an error.
        log[isBusy(err) ? 'warn' : 'error']({ err, eventId }, 'event could not be recorded; answered with an error so that Lark delivers it again');
        return 'failed';
      }
      // The handling starts before the record is durable; Lark's acknowledgement waits for it,
      // and for a while for the handling's own durable commit (PostgreSQL: a read-only message's
      // settle), which spares a flush of its own.
      return (await durable(eventId, { graceMs: MESSAGE_ACK_GRACE_MS })) ? 'queued' : 'failed';
    },
    async cardAction(eventId, event) {
      if (stopped) return 'failed';
      const action = toCardAction(eventId, event);
      if (!action) {
        log.warn({ eventId }, 'card action event not understood, ignored');
        return {};
      }
      try {
        await inbox.record({ kind: 'card', eventId, chatId: action.chatId ?? '', action });
      } catch (err) {
        log[isBusy(err) ? 'warn' : 'error']({ err, eventId }, 'card press could not be recorded; answered with an error');
        return 'failed';
      }
      // The press is handled while its record is made durable; the answer waits for both.
      const recorded = durable(eventId);
      const work = o.handleCardAction(action).then(async (r) => {
        await markDone(eventId);
        return r;
      });
      let timer: NodeJS.Timeout | undefined;
      const late = Symbol('late');
      const first = await Promise.race([work, new Promise<typeof late>((resolve) => (timer = setTimeout(() => resolve(late), deadline)))]);
      clearTimeout(timer);
      // Not known to be durable: answered with an error so that Lark presses again (the press's
      // own dedup makes a handled press a no-op); a late card is still patched in.
      if (!(await recorded)) {
        if (first === late) void work.then((r: CardActionResult) => patchLater(o.outbound, action, r, log));
        return 'failed';
      }
      if (first !== late) return cardActionResponse(first);
      // Too slow for the synchronous answer: answer {} now and patch the card when the work is done.
      log.warn({ eventId, deadlineMs: deadline }, 'card action slower than the callback deadline; patching later');
      void work.then((r: CardActionResult) => patchLater(o.outbound, action, r, log));
      return {};
    },
    async resume(ready) {
      const pending = await inbox.pending();
      if (pending.length > 0 && ready) await ready();
      for (const e of pending) {
        if (e.kind === 'message') enqueueMessage(e.eventId, e.msg);
        else enqueueLateCard(e.eventId, e.action);
      }
      if (pending.length > 0) log.info({ pending: pending.length }, 'inbox: events recorded before the last stop queued again');
      return pending.length;
    },
    stop() {
      stopped = true;
      for (const t of retries) clearTimeout(t);
      retries.clear();
    },
  };
}

async function patchLater(outbound: Outbound, action: CardAction, r: CardActionResult, log: Logger): Promise<void> {
  if (!r.card || !action.messageId) return;
  try {
    await outbound.patchCard({ messageId: action.messageId, card: r.card });
  } catch (err) {
    log.error({ err, messageId: action.messageId }, 'late card patch failed');
  }
}
