/** The composition root in webhook mode, end to end: real HTTP in, the real sender out to the fake Lark API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { startService, type RunningService } from '../../src/runtime/service.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { encryptBody, messageEvent, signedHeaders } from './lark-events.js';
import { BOT_OPEN_ID, GROUP, makeBot, OPEN_IDS, type TestBot } from './support.js';
import { openTestDatabase } from '../support/database.js';

const ENCRYPT_KEY = 'service-test-key';
const TOKEN = 'service-test-token';

let fake: FakeLark;
let bot: TestBot;
let service: RunningService;

beforeAll(async () => {
  fake = await startFakeLark({ appId: 'cli_servicetest0001', botOpenId: BOT_OPEN_ID });
  bot = await makeBot();
  const config = readConfig({
    LARK_MODE: 'webhook',
    LARK_APP_ID: fake.appId,
    LARK_APP_SECRET: fake.appSecret,
    LARK_DOMAIN: fake.url,
    LARK_ENCRYPT_KEY: ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: TOKEN,
    PORT: '0',
    DB_FILE: bot.dbFile,
  });
  service = await startService(config, silentLogger, { clock: bot.clock, scheduler: false, openDatabase: () => openTestDatabase(bot.dbFile) });
});

afterAll(async () => {
  await service?.stop();
  await bot?.close();
  await fake?.close();
});

describe('startService in webhook mode', () => {
  it('serves /healthz and answers a mention with a reply sent through the Lark sender', async () => {
    expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${service.url}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true, mode: 'webhook' });

    // The bot learns its open_id from /bot/v3/info: a mention of someone else is not for it.
    const until = Date.now() + 3000;
    while (!fake.received.some((r) => r.path === '/open-apis/bot/v3/info') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    fake.addInboundMessage({ messageId: 'om_svc_1', chatId: GROUP });
    const payload = messageEvent({ eventId: 'ev_svc_1', messageId: 'om_svc_1', chatId: GROUP, senderOpenId: OPEN_IDS.office, text: '@_user_1 排名', mentions: [{ key: '@_user_1', openId: BOT_OPEN_ID, name: '党建助手' }], token: TOKEN });
    const raw = JSON.stringify(encryptBody(payload, ENCRYPT_KEY));
    const res = await fetch(`${service.url}/webhook/event`, { method: 'POST', body: raw, headers: { 'content-type': 'application/json', ...signedHeaders(raw, ENCRYPT_KEY, Math.floor(bot.clock.now().getTime() / 1000)) } });
    expect(res.status).toBe(200);
    await service.idle();
    const reply = fake.messages.find((m) => m.parentId === 'om_svc_1');
    expect((reply?.content as { header: { title: { content: string } } }).header.title.content).toBe('XX街道 · 社区排名 · 2026 年度');
  });
});
