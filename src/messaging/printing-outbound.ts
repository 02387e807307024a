/**
 * The Outbound that prints instead of sending: the local console's chat and `dangjian tick`
 * without Lark credentials. Cards are printed with the one card-to-text renderer
 * (renderCardText: title, fields, tables, numbered buttons). Message ids are
 * `console-<hash of the idempotency key>`, so a re-sent message keeps its id. A file message
 * prints as 「[文件] 评分表-2026.xlsx（12 KB）」; with `filesDir` (the console) the file is also
 * saved there, never overwriting (「name (2).xlsx」), so the person at the terminal can open it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { renderCardText, type ButtonValue, type Card } from '../cards/card.js';
import type { Outbound, OutgoingFile, OutgoingMessage, OutgoingReply } from './outbound.js';

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
const fileKeyOf = (c: unknown): string | undefined => (typeof c === 'object' && c !== null && typeof (c as { file_key?: unknown }).file_key === 'string' ? (c as { file_key: string }).file_key : undefined);
const asText = (c: unknown): string => (typeof c === 'object' && c !== null && typeof (c as { text?: unknown }).text === 'string' ? (c as { text: string }).text : JSON.stringify(c));

/** 「[文件] 评分表-2026.xlsx（12 KB）」. */
function fileMessageLabel(fileName: string, size: number): string {
  const kb = size / 1024;
  const sizeText = kb < 1024 ? `${Math.max(1, Math.round(kb))} KB` : `${(kb / 1024).toFixed(1)} MB`;
  return `[文件] ${fileName}（${sizeText}）`;
}

export class PrintingOutbound implements Outbound {
  readonly printed: PrintedMessage[] = [];
  /** Buttons of the last card printed, and its message id (the console presses them by number). */
  lastCard: { messageId: string; buttons: ButtonValue[] } | undefined;
  private patches = 0;
  /** Uploaded files by key: name, size and, when saved, where. */
  private readonly files = new Map<string, { fileName: string; size: number; path: string | null }>();
  private readonly filesDir: string | null;

  /**
   * `write` receives the text (null: record only, e.g. for `tick --json`); `filesDir`: where
   * uploaded files are saved (absent: `tick` only prints their names).
   */
  constructor(
    private readonly write: ((text: string) => void) | null,
    options: { filesDir?: string } = {},
  ) {
    this.filesDir = options.filesDir === undefined ? null : resolve(options.filesDir);
  }

  /** Prints content as text; returns the text of a card's buttons for the console. */
  private show(prefix: string, messageId: string, content: unknown): void {
    const key = fileKeyOf(content);
    const file = key === undefined ? undefined : this.files.get(key);
    const card = asCard(content);
    if (file) {
      this.write?.(`${prefix}${fileMessageLabel(file.fileName, file.size)}${file.path === null ? '' : `已保存到 ${file.path}`}
`);
    } else if (card) {
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

  async uploadFile(f: OutgoingFile) {
    let path: string | null = null;
    if (this.filesDir !== null) {
      mkdirSync(this.filesDir, { recursive: true });
      const ext = extname(f.fileName);
      const stem = f.fileName.slice(0, f.fileName.length - ext.length).replace(/[\\/:*?"<>|]/g, '_');
      path = join(this.filesDir, `${stem}${ext}`);
      for (let n = 2; existsSync(path); n++) path = join(this.filesDir, `${stem} (${n})${ext}`);
      writeFileSync(path, f.bytes);
    }
    const fileKey = `console_file_${this.files.size + 1}`;
    this.files.set(fileKey, { fileName: f.fileName, size: f.bytes.byteLength, path });
    return { fileKey };
  }
}
