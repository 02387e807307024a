/**
 * An Outbound that prints cards instead of sending them: `dangjian tick` without Lark
 * credentials. Message ids are `console-<hash of the idempotency key>`.
 */
import { createHash } from 'node:crypto';
import { renderCardText, type Card } from '../cards/card.js';
import { fileLabel, type Outbound, type OutgoingMessage } from '../messaging/outbound.js';

export interface PrintedMessage {
  chatId: string;
  idempotencyKey: string;
  messageId: string;
  content: unknown;
}

export interface PrintingOutbound extends Outbound {
  readonly printed: PrintedMessage[];
}

const idFor = (key: string) => `console-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;

/** `write` receives each card as text (null: collect only, e.g. for --json output). */
export function printingOutbound(write: ((text: string) => void) | null): PrintingOutbound {
  const printed: PrintedMessage[] = [];
  /** Uploaded files by key (kept in memory: `tick` prints, it saves nothing). */
  const files = new Map<string, { fileName: string; size: number }>();
  const contentOf = (c: object | string): unknown => (typeof c === 'string' ? JSON.parse(c) : c);
  const show = (target: string, content: unknown) => {
    if (!write) return;
    const c = content as Partial<Card> & { file_key?: string };
    const file = typeof c?.file_key === 'string' ? files.get(c.file_key) : undefined;
    const text = file ? fileLabel(file.fileName, file.size) : c && c.schema === '2.0' ? renderCardText(c as Card).text : JSON.stringify(content);
    write(`→ ${target}\n${text}\n`);
  };
  return {
    printed,
    async sendMessage(m: OutgoingMessage) {
      const content = contentOf(m.content);
      const messageId = idFor(m.idempotencyKey);
      printed.push({ chatId: m.receiveId, idempotencyKey: m.idempotencyKey, messageId, content });
      show(m.receiveId, content);
      return { messageId };
    },
    async replyMessage(r) {
      const content = contentOf(r.content);
      const messageId = idFor(r.idempotencyKey);
      printed.push({ chatId: `reply:${r.messageId}`, idempotencyKey: r.idempotencyKey, messageId, content });
      show(`reply to ${r.messageId}`, content);
      return { messageId };
    },
    async patchCard(p) {
      show(`patch ${p.messageId}`, p.card);
      return {};
    },
    async uploadFile(f) {
      const fileKey = `console-file-${files.size + 1}`;
      files.set(fileKey, { fileName: f.fileName, size: f.bytes.byteLength });
      return { fileKey };
    },
  };
}
