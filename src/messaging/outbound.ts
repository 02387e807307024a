/**
 * What the bot and the scheduler need to send. Implemented by the Lark sender
 * (src/lark/sender.ts: rate limits, retries, uuid idempotency) and by the local console.
 */
export type MsgType = 'text' | 'interactive';

export interface OutgoingMessage {
  receiveIdType: 'chat_id' | 'open_id';
  receiveId: string;
  msgType: MsgType;
  /** Card JSON / `{ text }` object, or an already serialised string. */
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

export interface Outbound {
  sendMessage(m: OutgoingMessage): Promise<{ messageId: string }>;
  replyMessage(r: OutgoingReply): Promise<{ messageId: string }>;
  patchCard(p: { messageId: string; card: object }): Promise<unknown>;
}
