/**
 * What the bot and the scheduler need to send. Implemented by the Lark sender
 * (src/lark/sender.ts: rate limits, retries, uuid idempotency) and by the local console.
 */
export type MsgType = 'text' | 'interactive' | 'file';

export interface OutgoingMessage {
  receiveIdType: 'chat_id' | 'open_id';
  receiveId: string;
  msgType: MsgType;
  /** Card JSON / `{ text }` / `{ file_key }` object, or an already serialised string. */
  content: object | string;
  /** Stable identity of this message; the Lark uuid is derived from it. */
  idempotencyKey: string;
}

export interface OutgoingReply {
  messageId: string;
  msgType: MsgType;
  content: object | string;
  idempotencyKey: string;
  replyInThread?: boolean;
  /** The chat replied in, when known: lets the sender apply Lark's per-group rate limit. */
  chatId?: string;
}

/** A file to upload; a `file` message then carries the returned key as `{ file_key }`. */
export interface OutgoingFile {
  /** Shown to the recipients, e.g. 评分表-2026.xlsx (the extension decides Lark's file_type). */
  fileName: string;
  bytes: Uint8Array;
}

/** Lark refuses larger uploads (im/v1/files: at most 30 MB, never empty). */
export const MAX_FILE_BYTES = 30 * 1024 * 1024;

export interface Outbound {
  sendMessage(m: OutgoingMessage): Promise<{ messageId: string }>;
  replyMessage(r: OutgoingReply): Promise<{ messageId: string }>;
  patchCard(p: { messageId: string; card: object }): Promise<unknown>;
  /**
   * Uploads a file and returns its key. Not idempotent by itself (Lark has no uuid for uploads):
   * a repeated upload only leaves an unused file behind; the message that references the key
   * carries the uuid, so the file is never sent twice.
   */
  uploadFile(f: OutgoingFile): Promise<{ fileKey: string }>;
  /**
   * The file of a user's file message (im/v1/messages/:id/resources/:file_key), read up to
   * `maxBytes`: a larger file is not kept (`tooLarge`). Absent where no Lark app is connected.
   */
  downloadMessageFile?(f: { messageId: string; fileKey: string; maxBytes: number }): Promise<{ bytes: Buffer } | { tooLarge: true }>;
}

