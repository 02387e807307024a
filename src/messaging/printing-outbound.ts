/**
 * The Outbound that prints instead of sending: the local console's chat and `dangjian tick`
 * without Lark credentials. Cards are printed with the one card-to-text renderer
 * (renderCardText: title, fields, tables, numbered buttons). Message ids are
 * `console-<hash of the idempotency key>`, so a re-sent message keeps its id.
 */
import { createHash } from 'node:crypto';
import { renderCardText, type ButtonValue, type Card } from '../cards/card.js';
import type { Outbound, OutgoingMessage, OutgoingReply } from './outbound.js';

export interface PrintedMessage {
  /** The chat (sendMessage), or `reply:<message id>`. */
  chatId: string;
  idempotencyKey: string;
  messageId: string;
  content: unknown;
}

const idFor = (key: string) => `console-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;

const parse = (content: object | string): unknown => (typeof content === 'string' ? (JSON.parse(content) as unknown) : content);
const asCard = (c: unknown): Card | undefined => (typeof c === 'object' && c !== null && (c as { schema?: unknown }).schema === '2.0' ? (c as Card) : undefined);
const asText = (c: unknown): string => (typeof c === 'object' && c !== null && typeof (c as { text?: unknown }).text === 'string' ? (c as { text: string }).text : JSON.stringify(c));

export class PrintingOutbound implements Outbound {
  readonly printed: PrintedMessage[] = [];
  /** Buttons of the last card printed, and its message id (the console presses them by number). */
  lastCard: { messageId: string; buttons: ButtonValue[] } | undefined;
  private patches = 0;

  /** `write` receives the text (null: record only, e.g. for `tick --json`). */
  constructor(private readonly write: ((text: string) => void) | null) {}

  /** Prints content as text; returns the text of a card's buttons for the console. */
  private show(prefix: string, messageId: string, content: unknown): void {
    const card = asCard(content);
    if (card) {
      const r = renderCardText(card);
      // Numbers press the buttons of the most recent card only.
      this.lastCard = r.buttons.length > 0 ? { messageId, buttons: r.buttons } : undefined;
      this.write?.(`${prefix}${r.text}\n`);
    } else this.write?.(`${prefix}${asText(content)}\n`);
  }

  /** Prints a card that is not a message (a card-button answer) and makes its buttons pressable. */
  showCard(card: Card): void {
    this.show('', idFor(`shown:${++this.patches}`), card);
  }

  async sendMessage(m: OutgoingMessage) {
    const content = parse(m.content);
    const messageId = idFor(m.idempotencyKey);
    this.printed.push({ chatId: m.receiveId, idempotencyKey: m.idempotencyKey, messageId, content });
    this.show(`\n📣 推送 → ${m.receiveIdType === 'chat_id' ? '群' : '用户'} ${m.receiveId}\n`, messageId, content);
    return { messageId };
  }

  async replyMessage(r: OutgoingReply) {
    const content = parse(r.content);
    const messageId = idFor(r.idempotencyKey);
    this.printed.push({ chatId: `reply:${r.messageId}`, idempotencyKey: r.idempotencyKey, messageId, content });
    this.show('', messageId, content);
    return { messageId };
  }

  async patchCard(p: { messageId: string; card: object }) {
    this.show('（卡片已更新）\n', p.messageId, p.card);
    return {};
  }
}
