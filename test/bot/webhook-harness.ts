/**
 * The webhook end to end: the bot on a real SQLite file, its Lark sender (real SDK Client) talking
 * to the fake Lark Open API, and the webhook receiver on a real port; events posted signed and
 * encrypted as Feishu posts them.
 */
import http from 'node:http';
import { createWebhookReceiver, type WebhookReceiver } from '../../src/bot/transport/lark-http.js';
import { createLarkSender, type LarkSender } from '../../src/lark/sender.js';
import { silentLogger } from '../../src/log.js';
import { startFakeLark, type FakeLark, type FakeMessage } from '../support/fake-lark-server.js';
import { cardEvent, encryptBody, messageEvent, signedHeaders } from './lark-events.js';
import { BOT_OPEN_ID, GROUP, makeBot, type TestBot } from './support.js';

const ENCRYPT_KEY = 'test-encrypt-key-issue13';
const TOKEN = 'test-verification-token';

export interface CardAnswer {
  toast?: { type: string; content: string };
  card?: { type: 'raw'; data: { header: { title: { content: string } }; body: { elements: unknown[] } } };
}

export interface WebhookHarness {
  fake: FakeLark;
  bot: TestBot;
  /** Posts a message from `from` into `chatId` (a group message @-mentions the bot); resolves with the bot's reply at the fake server. */
  say(text: string, o: { from: string; chatId?: string; chatType?: 'group' | 'p2p' }): Promise<FakeMessage>;
  /** Posts a file message (one-to-one) whose bytes the fake server serves; resolves with the reply. */
  sendFile(file: { name: string; bytes: Buffer }, o: { from: string; chatId: string }): Promise<FakeMessage>;
  /** Presses a button (with a form's values when given); resolves with the synchronous answer. */
  press(value: Record<string, unknown>, o: { from: string; chatId?: string; form?: { name: string; value: Record<string, unknown> } }): Promise<CardAnswer>;
  close(): Promise<void>;
}

function post(url: string, raw: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL('/webhook/event', url), { method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(raw);
  });
}

export async function startWebhookHarness(options: { now?: string } = {}): Promise<WebhookHarness> {
  const fake = await startFakeLark({ appId: 'cli_issue13test0001', botOpenId: BOT_OPEN_ID });
  const sender: LarkSender = createLarkSender({ appId: fake.appId, appSecret: fake.appSecret, domain: fake.url, log: silentLogger, retry: { maxAttempts: 2, baseDelayMs: 10 } });
  const bot = await makeBot({ outbound: sender, cardDeadlineMs: 2500, ...(options.now ? { now: options.now } : {}) });
  const server: WebhookReceiver = createWebhookReceiver({ router: bot.runtime.router, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN, port: 0, host: '127.0.0.1', clock: bot.clock, log: silentLogger, health: () => ({ queued: bot.runtime.queue.size }) });
  await server.start();
  let seq = 0;
  const postEvent = async (payload: object) => {
    const raw = JSON.stringify(encryptBody(payload, ENCRYPT_KEY));
    const answer = await post(server.url, raw, { 'content-type': 'application/json; charset=utf-8', ...signedHeaders(raw, ENCRYPT_KEY, Math.floor(bot.clock.now().getTime() / 1000)) });
    if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}: ${answer.body}`);
    return answer.body;
  };
  const replyTo = async (messageId: string): Promise<FakeMessage> => {
    await bot.runtime.queue.idle();
    const until = Date.now() + 5000;
    for (;;) {
      const m = fake.messages.find((x) => x.parentId === messageId);
      if (m) return m;
      if (Date.now() > until) throw new Error(`no reply to ${messageId}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    fake,
    bot,
    async say(text, o) {
      seq++;
      const chatId = o.chatId ?? GROUP;
      const chatType = o.chatType ?? 'group';
      const ids = { eventId: `ev_i13_${seq}`, messageId: `om_i13_${seq}` };
      fake.addInboundMessage({ messageId: ids.messageId, chatId });
      const mention = chatType === 'group';
      await postEvent(messageEvent({ ...ids, chatId, chatType, senderOpenId: o.from, text: mention ? `@_user_1 ${text}` : text, mentions: mention ? [{ key: '@_user_1', openId: BOT_OPEN_ID, name: '党建助手' }] : [], token: TOKEN }));
      return replyTo(ids.messageId);
    },
    async sendFile(file, o) {
      seq++;
      const ids = { eventId: `ev_i13_${seq}`, messageId: `om_i13_${seq}` };
      const fileKey = fake.addInboundMessage({ messageId: ids.messageId, chatId: o.chatId, file })!;
      await postEvent(messageEvent({ ...ids, chatId: o.chatId, chatType: 'p2p', senderOpenId: o.from, text: '', token: TOKEN, messageType: 'file', content: JSON.stringify({ file_key: fileKey, file_name: file.name }) }));
      return replyTo(ids.messageId);
    },
    async press(value, o) {
      seq++;
      const body = await postEvent(cardEvent({ eventId: `ev_i13_${seq}`, operatorOpenId: o.from, value, messageId: `om_card_i13_${seq}`, chatId: o.chatId ?? GROUP, token: TOKEN, ...(o.form ? { form: o.form } : {}) }));
      return JSON.parse(body) as CardAnswer;
    },
    async close() {
      await server.stop();
      await bot.runtime.close(2000);
      await sender.close();
      await bot.close();
      await fake.close();
    },
  };
}
