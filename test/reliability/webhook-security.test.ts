/**
 * Forged and malformed requests against the running webhook endpoint of the composed service
 * (startService in webhook mode: real HTTP, real Lark sender to the fake Lark API, real SQLite
 * file). Each request carries a write command (录分) from the office, so that processing it would
 * write a score and send a reply. Each must be refused with the right status, logged, and leave
 * every row of every table and the fake's message log as they were; the same command, correctly
 * signed, then does both (the check can see a write).
 *
 * The scheduler is off here (a pass would write its bookkeeping), so the whole database can be
 * compared row by row. The endpoint's checks are unit-tested in test/bot/webhook.test.ts.
 */
import http from 'node:http';
import { Writable } from 'node:stream';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { readConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { startService, type RunningService } from '../../src/runtime/service.js';
import { recordChecked } from '../support/evidence.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { encryptBody, messageEvent, signedHeaders } from '../bot/lark-events.js';
import { BOT_OPEN_ID, GROUP, makeBot, NOW, OPEN_IDS } from '../bot/support.js';
import { databaseDigest, waitFor } from './support.js';

const ENCRYPT_KEY = 'reliability-encrypt-key';
const TOKEN = 'reliability-verification-token';
const TEN_MB = 10 * 1024 * 1024;

let fake: FakeLark;
let service: RunningService;
let dbFile: string;
let readDb: SQLite.Database;
const logs: Array<Record<string, unknown>> = [];
const clock = fixedClock(NOW);

beforeAll(async () => {
  fake = await startFakeLark({ appId: 'cli_5ec0415ec0415ec0', botOpenId: BOT_OPEN_ID });
  const bot = await makeBot();
  dbFile = bot.dbFile;
  await bot.close();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = readConfig({ LARK_MODE: 'webhook', LARK_APP_ID: fake.appId, LARK_APP_SECRET: fake.appSecret, LARK_DOMAIN: fake.url, LARK_ENCRYPT_KEY: ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: TOKEN, PORT: '0', DB_FILE: dbFile });
  service = await startService(config, createLogger('info', sink), { clock, scheduler: false });
  await waitFor('the bot identity', () => logs.some((l) => l.msg === 'bot identity known'), 10_000);
  readDb = new SQLite(dbFile, { readonly: true });
});

afterAll(async () => {
  readDb?.close();
  await service?.stop();
  await fake?.close();
});

interface Answer {
  status: number;
  body: string;
}

/** POSTs to the endpoint; `chunked` streams the body without a Content-Length. */
function post(body: Buffer | string, headers: Record<string, string>, chunked = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(new URL('/webhook/event', service.url), { method: 'POST', headers: chunked ? { ...headers, 'transfer-encoding': 'chunked' } : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: false }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    // The server answers a refused body early and closes the connection: a write error after
    // the answer is expected, one before it is a failure.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (chunked) {
      const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
      const step = 256 * 1024;
      for (let i = 0; i < buf.length; i += step) req.write(buf.subarray(i, i + step));
      req.end();
    } else req.end(body);
  });
}

let n = 0;
/** The office's 「录分 城东社区 6.2 8」 in the leadership group, as Feishu would send it. */
function scoreEvent(token = TOKEN) {
  n++;
  const messageId = `om_sec_${n}`;
  fake.addInboundMessage({ messageId, chatId: GROUP });
  const payload = messageEvent({ eventId: `ev_sec_${n}`, messageId, chatId: GROUP, senderOpenId: OPEN_IDS.office, text: '@_user_1 录分 城东社区 6.2 8', mentions: [{ key: '@_user_1', openId: BOT_OPEN_ID, name: '党建助手' }], token });
  return { messageId, raw: JSON.stringify(encryptBody(payload, ENCRYPT_KEY)) };
}

const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
const json = { 'content-type': 'application/json; charset=utf-8' };

interface Case {
  name: string;
  status: number;
  send: () => Promise<Answer>;
  logged: (l: Record<string, unknown>) => boolean;
}

const rejectedFor = (reason: RegExp) => (l: Record<string, unknown>) => l.msg === 'webhook request rejected' && reason.test(String(l.reason));
const refusedWith = (status: number) => (l: Record<string, unknown>) => l.msg === 'webhook request refused' && l.status === status;

const cases: Case[] = [
  {
    name: 'bad signature',
    status: 401,
    send: () => {
      const e = scoreEvent();
      return post(e.raw, { ...json, ...signedHeaders(e.raw, 'not-the-encrypt-key', nowSeconds()) });
    },
    logged: rejectedFor(/bad signature/),
  },
  {
    name: 'timestamp 6 minutes old (correctly signed)',
    status: 401,
    send: () => {
      const e = scoreEvent();
      return post(e.raw, { ...json, ...signedHeaders(e.raw, ENCRYPT_KEY, nowSeconds() - 6 * 60) });
    },
    logged: rejectedFor(/5-minute window/),
  },
  {
    name: 'wrong verification token (correctly signed and encrypted)',
    status: 401,
    send: () => {
      const e = scoreEvent('not-the-verification-token');
      return post(e.raw, { ...json, ...signedHeaders(e.raw, ENCRYPT_KEY, nowSeconds()) });
    },
    logged: rejectedFor(/verification token/),
  },
  {
    name: 'malformed JSON (signed)',
    status: 400,
    send: () => {
      const raw = `${scoreEvent().raw.slice(0, 60)}`;
      return post(raw, { ...json, ...signedHeaders(raw, ENCRYPT_KEY, nowSeconds()) });
    },
    logged: refusedWith(400),
  },
  {
    name: '10 MB body (Content-Length)',
    status: 413,
    send: () => {
      const body = Buffer.alloc(TEN_MB, 0x20);
      return post(body, { ...json, ...signedHeaders(body.toString('latin1'), ENCRYPT_KEY, nowSeconds()) });
    },
    logged: refusedWith(413),
  },
  {
    name: '10 MB body streamed without Content-Length',
    status: 413,
    send: () => post(Buffer.alloc(TEN_MB, 0x20), json, true),
    logged: refusedWith(413),
  },
  {
    name: 'wrong content type (text/plain, correctly signed)',
    status: 415,
    send: () => {
      const e = scoreEvent();
      return post(e.raw, { 'content-type': 'text/plain', ...signedHeaders(e.raw, ENCRYPT_KEY, nowSeconds()) });
    },
    logged: refusedWith(415),
  },
];

describe('webhook security', () => {
  it('refuses forged and malformed requests with the right status, processing and writing nothing; the same command correctly signed is processed', async () => {
    const before = databaseDigest(readDb);
    const messagesBefore = fake.messages.length;
    const outcomes: Array<{ name: string; expected: number; status: number; unchanged: boolean; noMessage: boolean; logged: boolean }> = [];
    for (const c of cases) {
      const logsBefore = logs.length;
      const answer = await c.send();
      // Anything accepted would be processed from the queue: wait until it is idle.
      await service.idle();
      const after = databaseDigest(readDb);
      outcomes.push({ name: c.name, expected: c.status, status: answer.status, unchanged: after.digest === before.digest, noMessage: fake.messages.length === messagesBefore, logged: logs.slice(logsBefore).some(c.logged) });
    }

    // Control: the same command, correctly signed, is processed (so the comparison can see a write).
    const good = scoreEvent();
    const accepted = await post(good.raw, { ...json, ...signedHeaders(good.raw, ENCRYPT_KEY, nowSeconds()) });
    const reply = await waitFor('the reply to the signed request', () => fake.messages.find((m) => m.parentId === good.messageId), 5_000);
    const afterGood = databaseDigest(readDb);
    const refused = outcomes.filter((o) => o.status === o.expected && o.unchanged && o.noMessage && o.logged).length;

    await recordChecked(
      {
        id: 'webhook-security',
        test: 'Webhook security (forged and malformed requests)',
        load: `${cases.length} hostile requests, each carrying an office 录分 command, to the running endpoint (startService, webhook mode), then the same command correctly signed`,
        injected: outcomes.map((o) => o.name).join('; '),
        result: `${outcomes.map((o) => `${o.status}`).join(', ')} (expected ${outcomes.map((o) => o.expected).join(', ')}); ${refused}/${cases.length} refused with nothing processed (no reply at Lark), nothing written (all ${Object.keys(before.rows).length} tables row-for-row identical) and the reason logged; control: ${accepted.status}, replied, score_entry ${before.rows.score_entry} → ${afterGood.rows.score_entry}`,
        method: 'Every row of every table is hashed before and after each request on a read-only connection; the fake Lark API records every message. The scheduler is off so that nothing else writes.',
        metrics: { requests: cases.length, refused, controlStatus: accepted.status, scoreEntriesBefore: before.rows.score_entry ?? 0, scoreEntriesAfter: afterGood.rows.score_entry ?? 0 },
      },
      () => {
        for (const o of outcomes) expect(o, o.name).toEqual({ name: o.name, expected: o.expected, status: o.expected, unchanged: true, noMessage: true, logged: true });
        expect(accepted.status).toBe(200);
        expect((reply.content as { header: { title: { content: string } } }).header.title.content).toBe('已录分 · 城东社区');
        expect(afterGood.digest).not.toBe(before.digest);
        expect(afterGood.rows.score_entry).toBe((before.rows.score_entry ?? 0) + 1);
      },
    );
  }, 60_000);
});
