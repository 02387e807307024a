/**
 * What every receiver (long connection, webhook, console) turns its input into, and what the
 * command handlers get. Receivers never run commands themselves: they call `handleMessage` /
 * `handleCardAction` in dispatch.ts.
 */
import type { Actor } from '../auth/actor.js';
import type { Card } from '../cards/card.js';
import type { Clock } from '../clock.js';
import type { SchedulerSettings } from '../config/scheduler-settings.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log.js';
import type { Outbound } from '../messaging/outbound.js';
import type { Plan } from '../plan/schema.js';
import type { WorkCalendar } from '../tasks/work-calendar.js';

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
  /** A file message: its key (to download through the sender) and the name it was sent under. */
  file?: { key: string; name: string } | null;
  mentions: Mention[];
}

/** A button press on one of the bot's cards. */
export interface CardAction {
  eventId: string;
  operatorOpenId: string;
  /** The button's value (see ButtonValue; `action` names the handler). */
  value: Record<string, unknown>;
  /** A form's submit button: the form's values by field name (null for a plain button). */
  formValue?: Record<string, unknown> | null;
  /** The message holding the card, when known (for delayed patches). */
  messageId: string | null;
  chatId: string | null;
  /** Lark's callback token (delayed update within 30 minutes). */
  token: string | null;
}

/** A `file` reply is uploaded, then sent as a file message (「导出」). */
export type Reply = { kind: 'text'; text: string } | { kind: 'card'; card: Card } | { kind: 'file'; fileName: string; bytes: Buffer };

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

/** Everything the handlers need, complete when built (createBotRuntime, src/runtime/bot-runtime.ts). */
export interface BotDeps {
  db: Db;
  plan: Plan;
  clock: Clock;
  /** DANGJIAN_TZ. */
  tz: string;
  log: Logger;
  outbound: Outbound;
  /** The working-day calendar (周报, 「明天再提醒」). */
  calendar: WorkCalendar;
  /** The scheduler's knobs: yellowDays colours every board; the digest and snooze times. */
  settings: SchedulerSettings;
  /**
   * The bot's own open_id (GET /bot/v3/info, learned after start); in groups only mentions of
   * it count. null while unknown: the mention that opens a message counts.
   */
  botOpenId: () => string | null;
  /** Console mode: every message and button press comes from this actor, and chat binding is not checked. */
  consoleActor: Actor | null;
  /** Longest accepted message, characters. */
  maxTextLength: number;
  /** This process in outbox claims (replies go through the outbox). */
  workerId: string;
}
