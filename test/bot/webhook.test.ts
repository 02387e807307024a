/**
 * The webhook receiver over real HTTP: signed and encrypted events posted to the running
 * endpoint, replies sent by the real Lark sender (SDK Client) to the fake Lark Open API.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventRouter } from '../../src/bot/transport/events.js';
import { createWebhookReceiver, type WebhookReceiver } from '../../src/bot/transport/lark-http.js';
import { WorkQueue } from '../../src/bot/transport/work-queue.js';
import type { CardActionResult } from '../../src/bot/types.js';
import { createLarkSender, idempotencyUuid, type LarkSender } from '../../src/lark/sender.js';
import { silentLogger } from '../../src/log.js';
import { activeCompletions, findTask } from '../../src/db/task.repository.js';
import { startFakeLark, type FakeLark, type FakeMessage } from '../support/fake-lark-server.js';
import { readWorkbook, sheetRows, xlsxProblems } from '../support/xlsx.js';
import { cardEvent, encryptBody, messageEvent, signedHeaders } from './lark-events.js';
import { BOT_OPEN_ID, GROUP, makeBot, OPEN_IDS, type TestBot } from './support.js';
import { allRows } from '../support/database.js';

const ENCRYPT_KEY = 'test-encrypt-key-webhook';
const TOKEN = 'test-verification-token';

let fake: FakeLark;
let bot: TestBot;
let sender: LarkSender;
let server: WebhookReceiver;
let seq = 0;

const receiverFor = async (router: Parameters<typeof createWebhookReceiver>[0]['router'], queued: () => number) => {
  const r = createWebhookReceiver({ router, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN, port: 0, host: '127.0.0.1', clock: bot.clock, log: silentLogger, health: () => ({ queued: queued() }) });
  await r.start();
  return r;
};

beforeAll(async () => {
  fake = await startFakeLark({ appId: 'cli_webhooktest0001', botOpenId: BOT_OPEN_ID });
  sender = createLarkSender({ appId: fake.appId, appSecret: fake.appSecret, domain: fake.url, log: silentLogger, retry: { maxAttempts: 2, baseDelayMs: 10 } });
  bot = await makeBot({ outbound: sender, cardDeadlineMs: 1000 });
  server = await receiverFor(bot.runtime.router, () => bot.runtime.queue.size);
});

afterAll(async () => {
  await server?.stop();
  await bot?.runtime.close(2000);
  await sender?.close();
  await bot?.close();
  await fake?.close();
});

interface Answer {
  status: number;
  body: string;
  ms: number;
}

function request(method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string> = {}, base = server.url): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started }));
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

const nowSeconds = () => Math.floor(bot.clock.now().getTime() / 1000);

/** Posts like Feishu: encrypted body, signed over the raw body. */
function postEvent(payload: object, o: { encrypt?: boolean; ts?: number; key?: string; extraHeaders?: Record<string, string>; url?: string } = {}): Promise<Answer> {
  const raw = JSON.stringify(o.encrypt === false ? payload : encryptBody(payload, ENCRYPT_KEY));
  return request('POST', '/webhook/event', raw, { 'content-type': 'application/json; charset=utf-8', ...signedHeaders(raw, o.key ?? ENCRYPT_KEY, o.ts ?? nowSeconds()), ...o.extraHeaders }, o.url);
}

function nextIds() {
  seq++;
  return { eventId: `ev_wh_${seq}`, messageId: `om_wh_${seq}` };
}

function groupMessage(text: string, o: { from?: string; token?: string } = {}) {
  const ids = nextIds();
  fake.addInboundMessage({ messageId: ids.messageId, chatId: GROUP });
  return {
    ids,
    payload: messageEvent({ ...ids, chatId: GROUP, senderOpenId: o.from ?? OPEN_IDS.office, text: `@_user_1 ${text}`, mentions: [{ key: '@_user_1', openId: BOT_OPEN_ID, name: '党建助手' }], token: o.token ?? TOKEN }),
  };
}

async function replyTo(messageId: string, timeoutMs = 3000): Promise<FakeMessage> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = fake.messages.find((x) => x.parentId === messageId);
    if (m) return m;
    if (Date.now() > until) throw new Error(`no reply to ${messageId} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const repliesTo = (messageId: string) => fake.messages.filter((x) => x.parentId === messageId);
/** Every accepted message has been answered (or ignored): the queue's idle signal, no fixed sleep. */
const settle = () => bot.runtime.queue.idle();
const task1Done = async () => (await activeCompletions(bot.opened.db, [(await findTask(bot.opened.db, 2026, 1))!.id])).length;

describe('URL verification', () => {
  it('answers the challenge, plain or encrypted', async () => {
    const plain = await postEvent({ type: 'url_verification', challenge: 'abc123', token: TOKEN }, { encrypt: false });
    expect(plain.status).toBe(200);
    expect(JSON.parse(plain.body)).toEqual({ challenge: 'abc123' });
    const raw = JSON.stringify(encryptBody({ type: 'url_verification', challenge: 'enc456', token: TOKEN }, ENCRYPT_KEY));
    const unsigned = await request('POST', '/webhook/event', raw, { 'content-type': 'application/json' });
    expect(JSON.parse(unsigned.body)).toEqual({ challenge: 'enc456' });
  });

  it('refuses a challenge with the wrong token', async () => {
    expect((await postEvent({ type: 'url_verification', challenge: 'x', token: 'wrong' })).status).toBe(401);
  });
});

describe('messages', () => {
  it('acknowledges a signed, encrypted message and the reply arrives at Lark', async () => {
    const { ids, payload } = groupMessage('任务 8');
    const answer = await postEvent(payload);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({});
    const reply = await replyTo(ids.messageId);
    expect(reply).toMatchObject({ kind: 'reply', chatId: GROUP, msgType: 'interactive', uuid: idempotencyUuid(`reply:${ids.messageId}`) });
    expect((reply.content as { header: { title: { content: string } } }).header.title.content).toContain('任务 8');
  });

  it('acknowledges before the work is done (slow command)', async () => {
    // A receiver whose message handler only finishes when the test lets it.
    let release!: () => void;
    const handled = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    const queue = new WorkQueue({ log: silentLogger });
    const slow = await receiverFor(
      createEventRouter({
        handleMessage: async (msg) => {
          await handled;
          seen.push(msg.messageId);
        },
        handleCardAction: bot.runtime.handleCardAction,
        outbound: sender,
        queue,
        inbox: bot.runtime.inbox,
        log: silentLogger,
      }),
      () => queue.size,
    );
    try {
      const { ids, payload } = groupMessage('周报');
      const answer = await postEvent(payload, { url: slow.url });
      expect(answer.status).toBe(200);
      expect(seen).toEqual([]);
      release();
      await queue.idle();
      expect(seen).toEqual([ids.messageId]);
    } finally {
      await slow.stop();
    }
  });

  it('acts once on a redelivery of the same event', async () => {
    const { ids, payload } = groupMessage('完成 1');
    expect((await postEvent(payload)).status).toBe(200);
    await replyTo(ids.messageId);
    expect((await postEvent(payload)).status).toBe(200);
    await settle();
    expect(repliesTo(ids.messageId)).toHaveLength(1);
    expect(await task1Done()).toBe(1);
  });

  it('ignores group messages that do not mention the bot and messages from bots', async () => {
    const a = nextIds();
    await postEvent(messageEvent({ ...a, chatId: GROUP, senderOpenId: OPEN_IDS.office, text: '帮助', token: TOKEN }));
    const b = nextIds();
    await postEvent(messageEvent({ ...b, chatId: GROUP, chatType: 'p2p', senderOpenId: 'ou_other_bot', senderType: 'app', text: '帮助', token: TOKEN }));
    await settle();
    expect(repliesTo(a.messageId)).toHaveLength(0);
    expect(repliesTo(b.messageId)).toHaveLength(0);
  });
});

describe('requests that are refused and not processed', () => {
  async function refusedWithoutEffect(answer: Promise<Answer>, messageId: string, status: number) {
    expect((await answer).status).toBe(status);
    await settle();
    expect(repliesTo(messageId)).toHaveLength(0);
    const row = await bot.opened.db.selectFrom('processed_event').selectAll().where('event_id', '=', `message:${messageId}`).executeTakeFirst();
    expect(row).toBeUndefined();
  }

  it('401 on a bad signature', async () => {
    const { ids, payload } = groupMessage('完成 2');
    await refusedWithoutEffect(postEvent(payload, { key: 'another-key' }), ids.messageId, 401);
  });

  it('401 on missing signature headers', async () => {
    const { ids, payload } = groupMessage('帮助');
    const raw = JSON.stringify(encryptBody(payload, ENCRYPT_KEY));
    await refusedWithoutEffect(request('POST', '/webhook/event', raw, { 'content-type': 'application/json' }), ids.messageId, 401);
  });

  it('401 on a timestamp more than 5 minutes off, either way', async () => {
    const old = groupMessage('帮助');
    await refusedWithoutEffect(postEvent(old.payload, { ts: nowSeconds() - 301 }), old.ids.messageId, 401);
    const future = groupMessage('帮助');
    await refusedWithoutEffect(postEvent(future.payload, { ts: nowSeconds() + 301 }), future.ids.messageId, 401);
    const fine = groupMessage('帮助');
    expect((await postEvent(fine.payload, { ts: nowSeconds() - 290 })).status).toBe(200);
  });

  it('401 on a wrong verification token although correctly signed', async () => {
    const { ids, payload } = groupMessage('完成 2', { token: 'not-the-token' });
    await refusedWithoutEffect(postEvent(payload), ids.messageId, 401);
    expect((await activeCompletions(bot.opened.db, [(await findTask(bot.opened.db, 2026, 2))!.id])).length).toBe(0);
  });

  it('401 when the body cannot be decrypted, with the same answer as a bad signature (no oracle)', async () => {
    const raw = JSON.stringify({ encrypt: Buffer.from('x'.repeat(48)).toString('base64') });
    const undecryptable = await request('POST', '/webhook/event', raw, { 'content-type': 'application/json', ...signedHeaders(raw, ENCRYPT_KEY, nowSeconds()) });
    const unsigned = await request('POST', '/webhook/event', raw, { 'content-type': 'application/json' });
    const badSignature = await request('POST', '/webhook/event', raw, { 'content-type': 'application/json', ...signedHeaders(raw, 'wrong', nowSeconds()) });
    for (const r of [undecryptable, unsigned, badSignature]) {
      expect(r.status).toBe(401);
      expect(JSON.parse(r.body)).toEqual({ error: 'unauthorized' });
    }
  });

  it('refuses a challenge whose signature is present but wrong', async () => {
    expect((await postEvent({ type: 'url_verification', challenge: 'x', token: TOKEN }, { key: 'wrong' })).status).toBe(401);
  });

  it('413 on a body over 1 MB, by Content-Length and when streamed', async () => {
    const big = Buffer.alloc(1024 * 1024 + 10, 0x20);
    expect((await request('POST', '/webhook/event', big, { 'content-type': 'application/json' })).status).toBe(413);
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = http.request(new URL('/webhook/event', server.url), { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => undefined);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      // 32 chunks = 2 MB; the server answers once 1 MB is passed and need not read the rest.
      for (let i = 0; i < 32; i++) req.write(chunk);
      req.end();
      req.on('close', () => reject(new Error('closed without an answer')));
    });
    expect(streamed).toBe(413);
  });

  it('415 when the body is not declared as JSON', async () => {
    const { ids, payload } = groupMessage('帮助');
    const raw = JSON.stringify(encryptBody(payload, ENCRYPT_KEY));
    await refusedWithoutEffect(request('POST', '/webhook/event', raw, { 'content-type': 'text/plain', ...signedHeaders(raw, ENCRYPT_KEY, nowSeconds()) }), ids.messageId, 415);
  });

  it('400 on malformed JSON', async () => {
    const raw = '{"encrypt": ';
    expect((await request('POST', '/webhook/event', raw, { 'content-type': 'application/json', ...signedHeaders(raw, ENCRYPT_KEY, nowSeconds()) })).status).toBe(400);
  });

  it('404 elsewhere, 405 for other methods, a query string is fine', async () => {
    expect((await request('GET', '/webhook/other', undefined)).status).toBe(404);
    expect((await request('GET', '/webhook/event', undefined)).status).toBe(405);
    const { ids, payload } = groupMessage('帮助');
    const raw = JSON.stringify(encryptBody(payload, ENCRYPT_KEY));
    expect((await request('POST', '/webhook/event?from=lark', raw, { 'content-type': 'application/json', ...signedHeaders(raw, ENCRYPT_KEY, nowSeconds()) })).status).toBe(200);
    await replyTo(ids.messageId);
  });
});

describe('card callbacks', () => {
  it('answer synchronously with a toast and the updated card', async () => {
    const ids = nextIds();
    const answer = await postEvent(cardEvent({ eventId: ids.eventId, operatorOpenId: OPEN_IDS.otherLeadUnit, value: { action: 'task.complete', year: 2026, seq: 8, period: '2026-01' }, messageId: 'om_card_1', chatId: GROUP, token: TOKEN }));
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as { toast: { type: string; content: string }; card: { type: string; data: { schema: string; header: { title: { content: string } } } } };
    expect(body.toast).toEqual({ type: 'success', content: '已标记完成：任务 8 2026-01' });
    expect(body.card.type).toBe('raw');
    expect(body.card.data.schema).toBe('2.0');
    expect(body.card.data.header.title.content).toContain('任务 8');
    expect(answer.ms).toBeLessThan(3000);
  });

  it('answer {} when the work outlasts the deadline, then patch the card', async () => {
    // A receiver whose card handler finishes only after the (short) deadline.
    let release!: () => void;
    const late = new Promise<void>((resolve) => (release = resolve));
    const card = { schema: '2.0', config: { update_multi: true }, header: { title: { tag: 'plain_text', content: '已推迟' }, template: 'grey' }, body: { elements: [] } } as const;
    const queue = new WorkQueue({ log: silentLogger });
    const slow = await receiverFor(
      createEventRouter({
        handleMessage: bot.runtime.handleMessage,
        handleCardAction: async (): Promise<CardActionResult> => {
          await late;
          return { toast: { type: 'success', content: '好的' }, card: card as unknown as NonNullable<CardActionResult['card']> };
        },
        outbound: sender,
        queue,
        inbox: bot.runtime.inbox,
        cardDeadlineMs: 100,
        log: silentLogger,
      }),
      () => queue.size,
    );
    try {
      const ids = nextIds();
      // The pressed card is a message the bot sent earlier.
      const reminder = { schema: '2.0', config: { update_multi: true }, header: { title: { tag: 'plain_text', content: '提醒' }, template: 'yellow' }, body: { elements: [] } };
      const sent = await sender.sendMessage({ receiveIdType: 'chat_id', receiveId: GROUP, msgType: 'interactive', content: reminder, idempotencyKey: 'reminder-k1' });
      const answer = await postEvent(cardEvent({ eventId: ids.eventId, operatorOpenId: OPEN_IDS.office, value: { action: 'reminder.snooze', key: 'k1' }, messageId: sent.messageId, chatId: GROUP, token: TOKEN }), { url: slow.url });
      expect(JSON.parse(answer.body)).toEqual({});
      release();
      const until = Date.now() + 3000;
      while (fake.patches.length === 0 && Date.now() < until) await new Promise((r) => setImmediate(r));
      expect(fake.patches.map((p) => [p.messageId, (p.content as { header: { title: { content: string } } }).header.title.content])).toEqual([[sent.messageId, '已推迟']]);
    } finally {
      await slow.stop();
    }
  });
});

describe('health', () => {
  it('GET /healthz answers ok', async () => {
    const r = await request('GET', '/healthz', undefined);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ ok: true, queued: expect.any(Number) });
  });
});

describe('导出: the file itself, through the webhook, the real sender and the fake Open API', () => {
  it('uploads the workbook (file_type xls) and replies with a file message naming it; the uploaded bytes are a valid workbook', async () => {
    const filesBefore = fake.files.length;
    const { ids, payload } = groupMessage('导出 评分表 2026');
    expect((await postEvent(payload)).status).toBe(200);
    const reply = await replyTo(ids.messageId, 10_000);
    expect(reply).toMatchObject({ kind: 'reply', chatId: GROUP, msgType: 'file', uuid: idempotencyUuid(`reply:${ids.messageId}`) });
    const key = (reply.content as { file_key: string }).file_key;
    const file = fake.files.find((f) => f.fileKey === key);
    expect(file).toMatchObject({ fileName: '评分表-2026.xlsx', fileType: 'xls' });
    expect(fake.files.length).toBe(filesBefore + 1);
    const upload = fake.received.filter((r) => r.path === '/open-apis/im/v1/files').at(-1)!;
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const bytes = fake.fileBytes(key)!;
    expect(bytes.length).toBe(file!.size);
    expect(await xlsxProblems(bytes)).toEqual([]);
    const wb = await readWorkbook(bytes);
    const communities = ((await allRows(bot.opened, "SELECT name FROM unit WHERE level = 'community' ORDER BY name")) as Array<{ name: string }>).map((r) => r.name);
    expect(sheetRows(wb.getWorksheet('社区')!, 4).map((r) => r[0]).sort()).toEqual(communities);
  });

  it('a redelivered 导出 neither uploads nor sends again', async () => {
    const { ids, payload } = groupMessage('导出 任务台账');
    await postEvent(payload);
    await replyTo(ids.messageId, 10_000);
    const uploads = fake.stats.filesUploaded;
    await postEvent(payload);
    await settle();
    expect(fake.stats.filesUploaded).toBe(uploads);
    expect(repliesTo(ids.messageId)).toHaveLength(1);
  });

  it('refuses 排名 to a secretary with a card, uploading nothing', async () => {
    const uploads = fake.stats.filesUploaded;
    const { ids, payload } = groupMessage('导出 排名', { from: OPEN_IDS.secretary });
    await postEvent(payload);
    const reply = await replyTo(ids.messageId);
    expect(reply.msgType).toBe('interactive');
    expect(JSON.stringify(reply.content)).toContain('排名只有党建办和领导小组成员可以导出');
    expect(fake.stats.filesUploaded).toBe(uploads);
  });

  it('says the file was not sent when Lark refuses the upload', async () => {
    fake.setFaults({ match: '^POST /open-apis/im/v1/files$', script: [{ kind: 'status', status: 400, code: 234001, msg: 'Invalid request param.' }] });
    try {
      const { ids, payload } = groupMessage('导出 目标进度');
      await postEvent(payload);
      const reply = await replyTo(ids.messageId, 10_000);
      expect(reply.msgType).toBe('interactive');
      expect(JSON.stringify(reply.content)).toContain('文件没有发出');
    } finally {
      fake.setFaults({});
    }
  });
});
