/**
 * The open platform's documented payloads (test/fixtures/lark/), replayed through the real
 * webhook receiver and bot: what Feishu really sends is parsed, answered and acknowledged.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookReceiver, decryptLarkBody, type WebhookReceiver } from '../../src/bot/transport/lark-http.js';
import { bindChat } from '../../src/db/chat.repository.js';
import { insertMember } from '../../src/db/member.repository.js';
import { activeCompletions, findTask } from '../../src/db/task.repository.js';
import { createLarkSender, type LarkSender } from '../../src/lark/sender.js';
import { silentLogger } from '../../src/log.js';
import { REPO_ROOT } from '../support/cli.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { encryptBody, signedHeaders } from './lark-events.js';
import { makeBot, type TestBot } from './support.js';

const fixture = (name: string) => JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/lark', name), 'utf8')) as Record<string, unknown>;
const group = fixture('im.message.receive_v1.group.json');
const TOKEN = (group.header as { token: string }).token;
const SENDER = 'ou_84aad35d084aa403a838cf73ee18467';
const GROUP_CHAT = 'oc_5ce6d572455d361153b7xx51da133945';
const ENCRYPT_KEY = 'fixture-encrypt-key';

let fake: FakeLark;
let sender: LarkSender;
let bot: TestBot;
let receiver: WebhookReceiver;

beforeAll(async () => {
  fake = await startFakeLark({ appId: 'cli_9f5343c580712544', botOpenId: 'ou_bot_fixture' });
  sender = createLarkSender({ appId: fake.appId, appSecret: fake.appSecret, domain: fake.url, log: silentLogger, retry: { maxAttempts: 2, baseDelayMs: 10 } });
  // The documentation's example mentions its own sender: that open_id stands for the bot here.
  bot = await makeBot({ outbound: sender, botOpenId: SENDER });
  // The documented sender is on the roster (the office) and the documented group is subscribed.
  await insertMember(bot.opened.db, { name: '文档示例', openId: SENDER, role: 'office', leadUnit: '党建办(组织)', unitId: null, at: 1 });
  await bindChat(bot.opened.db, { chatId: GROUP_CHAT, target: { kind: 'leadership' }, by: 'test', at: 1 });
  receiver = createWebhookReceiver({ router: bot.runtime.router, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN, port: 0, host: '127.0.0.1', clock: bot.clock, log: silentLogger });
  await receiver.start();
});

afterAll(async () => {
  await receiver?.stop();
  await bot?.runtime.close(2000);
  await sender?.close();
  await bot?.close();
  await fake?.close();
});

async function post(payload: object, o: { encrypt?: boolean } = {}): Promise<{ status: number; body: unknown }> {
  const raw = JSON.stringify(o.encrypt === false ? payload : encryptBody(payload, ENCRYPT_KEY));
  const headers = { 'content-type': 'application/json', ...(o.encrypt === false ? {} : signedHeaders(raw, ENCRYPT_KEY, Math.floor(bot.clock.now().getTime() / 1000))) };
  const res = await fetch(new URL('/webhook/event', receiver.url), { method: 'POST', body: raw, headers });
  return { status: res.status, body: await res.json() };
}

const replyTitle = (messageId: string) => {
  const m = fake.messages.find((x) => x.parentId === messageId);
  return (m?.content as { header?: { title?: { content?: string } } } | undefined)?.header?.title?.content;
};

describe('documented Feishu payloads', () => {
  it('decrypts the documentation’s encryption example', () => {
    const e = fixture('encrypt-example.json') as { encryptKey: string; encrypt: string; plain: string };
    expect(decryptLarkBody(e.encrypt, e.encryptKey)).toBe(e.plain);
  });

  it('answers the URL verification challenge (unsigned, plain)', async () => {
    const r = await post(fixture('url_verification.json'), { encrypt: false });
    expect(r).toEqual({ status: 200, body: { challenge: 'ajls384kdjx98XX' } });
  });

  it('answers a group text message that @-mentions the bot', async () => {
    for (const f of ['im.message.receive_v1.group.json', 'im.message.receive_v1.group.ours.json']) fake.addInboundMessage({ messageId: ((fixture(f).event as { message: { message_id: string } }).message).message_id, chatId: GROUP_CHAT });
    expect(await post(group)).toEqual({ status: 200, body: {} });
    expect(await post(fixture('im.message.receive_v1.group.ours.json'))).toEqual({ status: 200, body: {} });
    await bot.runtime.queue.idle();
    // 「@_user_1 hello」: not a command → the help card naming it; 「@_user_1 任务 8」: the task card.
    expect(replyTitle('om_5ce6d572455d361153b7cb51da133945')).toBe('党建助手 · 使用说明');
    expect(JSON.stringify(fake.messages.find((x) => x.parentId === 'om_5ce6d572455d361153b7cb51da133945')?.content)).toContain('没有「hello」这个命令');
    expect(replyTitle('om_5ce6d572455d361153b7cb51da133947')).toMatch(/^任务 8 · /);
  });

  it('answers a one-to-one text message without a mention', async () => {
    const p2p = fixture('im.message.receive_v1.p2p.json');
    fake.addInboundMessage({ messageId: 'om_5ce6d572455d361153b7cb51da133946', chatId: 'oc_5ce6d572455d361153b7xx51da133946' });
    expect(await post(p2p)).toEqual({ status: 200, body: {} });
    await bot.runtime.queue.idle();
    expect(replyTitle('om_5ce6d572455d361153b7cb51da133946')).toBe('党建助手 · 使用说明');
  });

  it('answers card callbacks: an unknown value with an error toast, our 标记完成 with the toast and the updated card', async () => {
    expect(await post(fixture('card.action.trigger.json'))).toEqual({ status: 200, body: { toast: { type: 'error', content: '无法识别的按钮' } } });
    const r = await post(fixture('card.action.trigger.ours.json'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ toast: { type: 'success', content: '已标记完成：任务 8 2026-01' }, card: { type: 'raw', data: { schema: '2.0' } } });
    const task = await findTask(bot.opened.db, 2026, 8);
    expect((await activeCompletions(bot.opened.db, [task!.id])).map((c) => [c.period, c.doneBy])).toEqual([['2026-01', '文档示例']]);
  });
});
