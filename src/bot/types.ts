/**
 * What every receiver (long connection, webhook, console) turns its input into, and what the
 * command handlers get. Receivers never run commands themselves: they call `handleMessage` /
 * `handleCardAction` in dispatch.ts.
 */
import type { Actor } from '../auth/actor.js';
import type { ButtonValue, Card } from '../cards/card.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { ChatRow } from '../db/schema.js';
import type { Logger } from '../log.js';
import type { Outbound } from '../messaging/outbound.js';
import type { Plan } from '../plan/schema.js';
import type { AnyCommand } from './registry.js';

export interface Mention {
  /** Placeholder in the text, e.g. `@_user_1`. */
  key: string;
  openId: string | null;
  name: string;
}

/** A chat message as the handlers see it, whatever transport delivered it. */
export interface ChatMessage {
  /** Lark header.event_id (dedup key; redeliveries carry the same id). */
  eventId: string;
  messageId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  senderOpenId: string;
  /** 'user' for people; anything else (app, bot) is ignored. */
  senderType: string;
  /** The text with mention placeholders still in it; null for non-text messages. */
  text: string | null;
  mentions: Mention[];
}

/** A button press on one of the bot's cards. */
export interface CardAction {
  eventId: string;
  operatorOpenId: string;
  /** The button's value (see ButtonValue; `action` names the handler). */
  value: Record<string, unknown>;
  /** The message holding the card, when known (for delayed patches). */
  messageId: string | null;
  chatId: string | null;
  /** Lark's callback token (delayed update within 30 minutes). */
  token: string | null;
}

/** A `file` reply is uploaded, then sent as a file message (「导出」). */
export type Reply = { kind: 'text'; text: string } | { kind: 'card'; card: Card } | { kind: 'file'; fileName: string; bytes: Buffer };

export const textReply = (text: string): Reply => ({ kind: 'text', text });
export const cardReply = (card: Card): Reply => ({ kind: 'card', card });
export const fileReply = (fileName: string, bytes: Buffer): Reply => ({ kind: 'file', fileName, bytes });

export type ToastType = 'success' | 'error' | 'info' | 'warning';

/** The synchronous answer to a card callback: a toast and/or the card that replaces the pressed one. */
export interface CardActionResult {
  toast?: { type: ToastType; content: string };
  card?: Card;
}

/** Card callback answer in Lark's wire shape. */
export function cardActionResponse(r: CardActionResult): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.toast) out.toast = r.toast;
  if (r.card) out.card = { type: 'raw', data: r.card };
  return out;
}

/** The weekly digest, built by the scheduler (src/scheduler); injected so the bot does not own it. */
export type DigestBuilder = (at: Date) => Promise<Card>;

/** 「明天再提醒」 on a reminder card, implemented by the scheduler. */
export type SnoozeHandler = (input: { key: string; actor: Actor; at: Date }) => Promise<{ message: string; card?: Card }>;

export interface BotDeps {
  db: Db;
  plan: Plan;
  clock: Clock;
  /** DANGJIAN_TZ. */
  tz: string;
  log: Logger;
  outbound: Outbound;
  /** The bot's own open_id (GET /bot/v3/info); in groups only mentions of it count. Unknown: any mention counts. */
  botOpenId?: string | null;
  /** Console mode: every message and button press comes from this actor, and chat binding is not checked. */
  consoleActor?: Actor;
  digest?: DigestBuilder;
  snooze?: SnoozeHandler;
  /** Longest accepted message, characters (default 2000). */
  maxTextLength?: number;
}

export interface CommandContext {
  deps: BotDeps;
  msg: ChatMessage;
  /** The sender as a roster member; null when the sender is not bound. */
  actor: Actor | null;
  /** The chat's subscription, when the chat is bound. */
  chat: ChatRow | null;
  log: Logger;
  now: Date;
  /** Every registered command (for 帮助). */
  commands: readonly AnyCommand[];
}

export type { ButtonValue };
