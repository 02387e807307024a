/**
 * Lark event payloads (schema 2.0) as Feishu sends them, and its encryption and signature —
 * implemented here from the open platform's description, independently of the receiver's own
 * code, so that a mistake in the receiver cannot sign the requests it then accepts.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

export interface MessageEventInput {
  eventId: string;
  messageId: string;
  chatId: string;
  chatType?: 'p2p' | 'group';
  senderOpenId: string;
  senderType?: string;
  text: string;
  mentions?: Array<{ key: string; openId: string; name: string }>;
  token: string;
  messageType?: string;
  /** The raw content (a file message's `{ file_key, file_name }`); default `{ text }`. */
  content?: string;
}

export function messageEvent(i: MessageEventInput): Record<string, unknown> {
  return {
    schema: '2.0',
    header: { event_id: i.eventId, event_type: 'im.message.receive_v1', create_time: '1773108000000', token: i.token, app_id: 'cli_test', tenant_key: 'tenant' },
    event: {
      sender: { sender_id: { open_id: i.senderOpenId, union_id: 'on_x', user_id: null }, sender_type: i.senderType ?? 'user', tenant_key: 'tenant' },
      message: {
        message_id: i.messageId,
        create_time: '1773108000000',
        chat_id: i.chatId,
        chat_type: i.chatType ?? 'group',
        message_type: i.messageType ?? 'text',
        content: i.content ?? JSON.stringify({ text: i.text }),
        mentions: (i.mentions ?? []).map((m) => ({ key: m.key, id: { open_id: m.openId, union_id: 'on_y', user_id: null }, name: m.name, tenant_key: 'tenant' })),
      },
    },
  };
}

export interface CardEventInput {
  eventId: string;
  operatorOpenId: string;
  value: Record<string, unknown>;
  messageId: string;
  chatId: string;
  token: string;
  callbackToken?: string;
  /** A form's submit: the button's name and the form's values. */
  form?: { name: string; value: Record<string, unknown> };
}

export function cardEvent(i: CardEventInput): Record<string, unknown> {
  return {
    schema: '2.0',
    header: { event_id: i.eventId, event_type: 'card.action.trigger', create_time: '1773108000000', token: i.token, app_id: 'cli_test', tenant_key: 'tenant' },
    event: {
      operator: { tenant_key: 'tenant', open_id: i.operatorOpenId, union_id: 'on_z' },
      token: i.callbackToken ?? 'c-callback-token',
      action: i.form ? { value: i.value, tag: 'button', name: i.form.name, form_value: i.form.value } : { value: i.value, tag: 'button' },
      host: 'im_message',
      context: { open_message_id: i.messageId, open_chat_id: i.chatId },
    },
  };
}

/** What Feishu does with LARK_ENCRYPT_KEY: AES-256-CBC, key sha256(encryptKey), random IV in front, base64. */
export function encryptBody(plain: object, encryptKey: string): { encrypt: string } {
  const key = createHash('sha256').update(encryptKey).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
  return { encrypt: Buffer.concat([iv, data]).toString('base64') };
}

/** Feishu's event signature: hex sha256 of timestamp + nonce + encrypt key + the raw body, as sent in X-Lark-Signature. */
function eventSignature(timestamp: string, nonce: string, encryptKey: string, rawBody: string): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey + rawBody, 'utf8').digest('hex');
}

export function signedHeaders(raw: string, encryptKey: string, timestampSeconds: number, nonce = randomBytes(8).toString('hex')): Record<string, string> {
  const ts = String(timestampSeconds);
  return {
    'x-lark-request-timestamp': ts,
    'x-lark-request-nonce': nonce,
    'x-lark-signature': eventSignature(ts, nonce, encryptKey, raw),
  };
}
