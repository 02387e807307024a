/**
 * The bot's identity is retried until known, and until then no group message is taken as
 * addressed to it: with /bot/v3/info failing at start, 「@某同事 完成 1」 (a colleague mentioned
 * first) completes nothing; once the retry succeeds a mention of the bot is answered and a
 * colleague's mention still is not. Webhook service end to end against the fake Lark API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/config.js';
import { activeCompletions, findTask } from '../../src/db/task.repository.js';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { startService, type RunningService } from '../../src/runtime/service.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { messageEvent } from './lark-events.js';
import { BOT_OPEN_ID, GROUP, makeBot, OPEN_IDS, type TestBot } from './support.js';
import { openTestDatabase } from '../support/database.js';

const TOKEN = 'identity-test-token';
const INFO_PATH = '/open-apis/bot/v3/info';

let fake: FakeLark;
let bot: TestBot;
let service: RunningService;
const logLines: string[] = [];

beforeAll(async () => {
  // The first lookup is refused outright (not retried by the sender): only the identity's own retry can succeed.
  fake = await startFakeLark({ appId: 'cli_identitytest001', botOpenId: BOT_OPEN_ID, faults: { match: `GET ${INFO_PATH}`, script: [{ kind: 'status', status: 400, code: 10003, msg: 'invalid param' }] } });
  bot = await makeBot();
  const config = readConfig({ LARK_MODE: 'webhook', LARK_APP_ID: fake.appId, LARK_APP_SECRET: fake.appSecret, LARK_DOMAIN: fake.url, LARK_VERIFICATION_TOKEN: TOKEN, PORT: '0', DB_FILE: bot.dbFile });
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => void (logLines.push(chunk.toString()), done()) });
  service = await startService(config, createLogger('info', sink), { clock: bot.clock, scheduler: false, openDatabase: () => openTestDatabase(bot.dbFile) });
});

afterAll(async () => {
  await service?.stop();
  await bot?.close();
  await fake?.close();
});

let n = 0;
async function post(text: string, mentionOpenId: string): Promise<string> {
  n++;
  const messageId = `om_identity_${n}`;
  fake.addInboundMessage({ messageId, chatId: GROUP });
  const payload = messageEvent({ eventId: `ev_identity_${n}`, messageId, chatId: GROUP, senderOpenId: OPEN_IDS.office, text: `@_user_1 ${text}`, mentions: [{ key: '@_user_1', openId: mentionOpenId, name: '某人' }], token: TOKEN });
  const res = await fetch(`${service.url}/webhook/event`, { method: 'POST', body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
  expect(res.status).toBe(200);
  await service.idle();
  return messageId;
}

const infoCalls = () => fake.received.filter((r) => r.path === INFO_PATH).length;
const repliedTo = (messageId: string) => fake.messages.some((m) => m.parentId === messageId);

async function completionsOf(seq: number) {
  const task = await findTask(bot.opened.db, 2026, seq);
  return activeCompletions(bot.opened.db, [task!.id]);
}

describe('the bot identity', () => {
  it('is retried after a failed lookup; group messages are ignored until it is known', async () => {
    const until = Date.now() + 3000;
    while (infoCalls() < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(infoCalls()).toBe(1);
    const early = await post('完成 1', 'ou_colleague');
    expect(repliedTo(early)).toBe(false);
    expect(await completionsOf(1)).toHaveLength(0);

    // The retry (after about a second) learns the open_id.
    const learned = () => logLines.some((l) => l.includes('bot identity known'));
    const known = Date.now() + 5000;
    while (!learned() && Date.now() < known) await new Promise((r) => setTimeout(r, 20));
    expect(learned()).toBe(true);
    expect(infoCalls()).toBe(2);
    expect(logLines.filter((l) => l.includes('could not read the bot identity'))).toHaveLength(1);
    const colleague = await post('完成 1', 'ou_colleague');
    expect(repliedTo(colleague)).toBe(false);
    expect(await completionsOf(1)).toHaveLength(0);
    const addressed = await post('完成 1', BOT_OPEN_ID);
    expect(repliedTo(addressed)).toBe(true);
    expect(await completionsOf(1)).toHaveLength(1);
  });
});
