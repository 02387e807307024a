/**
 * The durable inbox behind the webhook: an event is recorded before its 200; a database that
 * cannot record it (disk full, simulated with SQLite's max_page_count) gets a 503 and the real
 * cause logged, and Lark's redelivery is then handled once; rows left pending by a stop or a
 * crash are handled at the next start, in order per chat, and marked done.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEventRouter } from '../../src/bot/transport/events.js';
import { createWebhookReceiver, type WebhookReceiver } from '../../src/bot/transport/lark-http.js';
import { WorkQueue } from '../../src/bot/transport/work-queue.js';
import { activeCompletions, findTask } from '../../src/db/task.repository.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { cardEvent, messageEvent } from './lark-events.js';
import { BOT_OPEN_ID, GROUP, makeBot, makeBotFromTemplate, OPEN_IDS, type TestBot } from './support.js';
import { onPostgres } from '../support/database.js';
import { sqliteOf } from '../../src/db/database.js';

const TOKEN = 'inbox-token';
let bot: TestBot;
let receiver: WebhookReceiver | undefined;
const logLines: Array<Record<string, unknown>> = [];
const sink = new Writable({ write: (c: Buffer, _e, done) => void (logLines.push(...c.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)), done()) });

beforeEach(async () => {
  bot = await makeBotFromTemplate();
  logLines.length = 0;
});
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
  await bot.runtime.close(2000);
  await bot.close();
});

let n = 0;
function event(text: string, chatId = GROUP) {
  n++;
  return messageEvent({ eventId: `ev_inbox_${n}`, messageId: `om_inbox_${n}`, chatId, senderOpenId: OPEN_IDS.office, text: `@_user_1 ${text}`, mentions: [{ key: '@_user_1', openId: BOT_OPEN_ID, name: '党建助手' }], token: TOKEN });
}
const idsOf = (e: Record<string, unknown>) => ({ eventId: (e.header as { event_id: string }).event_id, messageId: ((e.event as { message: { message_id: string } }).message).message_id });

async function start(router = bot.runtime.router) {
  receiver = createWebhookReceiver({ router, verificationToken: TOKEN, port: 0, host: '127.0.0.1', clock: bot.clock, log: createLogger('info', sink) });
  await receiver.start();
  return receiver;
}
async function post(payload: object): Promise<number> {
  const res = await fetch(`${receiver!.url}/webhook/event`, { method: 'POST', body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
  await res.text();
  return res.status;
}
const inboxRows = () => bot.opened.db.selectFrom('inbox').select(['event_id', 'status', 'chat_id']).orderBy('id').execute();
async function completionsOf(seq: number) {
  const task = await findTask(bot.opened.db, 2026, seq);
  return activeCompletions(bot.opened.db, [task!.id]);
}

describe('the durable inbox', () => {
  it('records the event before the 200, and marks it done once handled', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const queue = new WorkQueue({ log: silentLogger });
    const router = createEventRouter({
      handleMessage: async (msg) => {
        await gate;
        return bot.runtime.handleMessage(msg);
      },
      handleCardAction: bot.runtime.handleCardAction,
      outbound: bot.outbound,
      queue,
      inbox: bot.runtime.inbox,
      log: silentLogger,
    });
    await start(router);
    const e = event('完成 1');
    expect(await post(e)).toBe(200);
    expect(await inboxRows()).toEqual([{ event_id: idsOf(e).eventId, status: 'pending', chat_id: GROUP }]);
    release();
    await queue.idle();
    expect(await inboxRows()).toEqual([{ event_id: idsOf(e).eventId, status: 'done', chat_id: GROUP }]);
    expect(await completionsOf(1)).toHaveLength(1);
  });

  it('answers Lark only once the record is durable; the handling does not wait for it; a flush that fails answers 503 and the redelivery is handled once', async () => {
    // The flush is the server's (a WAL flush on PostgreSQL, nothing on SQLite); a gate stands in
    // for a slow or failing one around the real inbox.
    let flushes: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
    const inbox = { ...bot.runtime.inbox, durable: () => new Promise<void>((resolve, reject) => flushes.push({ resolve, reject })) };
    // Each handling and what it came to.
    const handled: string[] = [];
    const queue = new WorkQueue({ log: silentLogger });
    const router = createEventRouter({
      handleMessage: async (msg, o) => {
        const outcome = await bot.runtime.handleMessage(msg, o);
        handled.push(`${msg.messageId} ${outcome.status}`);
        return outcome;
      },
      handleCardAction: bot.runtime.handleCardAction,
      outbound: bot.outbound,
      queue,
      inbox,
      log: createLogger('info', sink),
    });
    await start(router);
    const e = event('完成 1');
    let status: number | undefined;
    const answered = post(e).then((s) => (status = s));
    await vi.waitFor(() => expect(handled).toEqual([`${idsOf(e).messageId} replied`]));
    await queue.idle();
    expect(await completionsOf(1)).toHaveLength(1);
    expect(status).toBeUndefined();
    expect(flushes).toHaveLength(1);
    flushes[0]!.resolve();
    await answered;
    expect(status).toBe(200);

    // A failed flush: 503 (Lark delivers again), the cause logged; the redelivery finds the row and is not handled again.
    flushes = [];
    const f = event('完成 2');
    const failed = post(f);
    await vi.waitFor(() => expect(flushes).toHaveLength(1));
    flushes[0]!.reject(new Error('connection terminated'));
    expect(await failed).toBe(503);
    expect(logLines.some((l) => l.msg === 'event record not known to be durable; answered with an error so that Lark delivers it again')).toBe(true);
    inbox.durable = async () => undefined;
    expect(await post(f)).toBe(200);
    await queue.idle();
    // The redelivery finds the row recorded: its handling stops before writing or sending anything.
    expect(handled).toEqual([`${idsOf(e).messageId} replied`, `${idsOf(f).messageId} replied`, `${idsOf(f).messageId} ignored`]);
    expect(await completionsOf(2)).toHaveLength(1);
    expect(bot.outbound.replies.filter((r) => r.messageId === idsOf(f).messageId)).toHaveLength(1);
  });

  it('starts handling a message while its record is being made and writes or sends nothing before it is made; a record that fails leaves nothing', async () => {
    // A gate in front of the real record stands in for its round trip to the database.
    let gates: Array<{ open: () => void; fail: (e: Error) => void }> = [];
    const real = bot.runtime.inbox;
    const inbox = {
      ...real,
      record: (e: Parameters<typeof real.record>[0]) => new Promise<void>((open, fail) => gates.push({ open, fail })).then(() => real.record(e)),
    };
    const started: string[] = [];
    const queue = new WorkQueue({ log: silentLogger });
    const router = createEventRouter({
      handleMessage: (msg, o) => {
        started.push(msg.messageId);
        return bot.runtime.handleMessage(msg, o);
      },
      handleCardAction: bot.runtime.handleCardAction,
      outbound: bot.outbound,
      queue,
      inbox,
      log: createLogger('info', sink),
    });
    await start(router);
    const marksOf = (e: Record<string, unknown>) => bot.opened.db.selectFrom('processed_event').select('event_id').where('event_id', '=', idsOf(e).eventId).execute();
    const repliesTo = (e: Record<string, unknown>) => bot.outbound.replies.filter((r) => r.messageId === idsOf(e).messageId);

    const e = event('任务 1');
    const answered = post(e);
    await vi.waitFor(() => expect(started).toEqual([idsOf(e).messageId]));
    await new Promise((r) => setTimeout(r, 50));
    expect(await marksOf(e)).toEqual([]);
    expect(repliesTo(e)).toEqual([]);
    gates[0]!.open();
    expect(await answered).toBe(200);
    await queue.idle();
    expect(await marksOf(e)).toHaveLength(1);
    expect(repliesTo(e)).toHaveLength(1);
    expect(await inboxRows()).toEqual([{ event_id: idsOf(e).eventId, status: 'done', chat_id: GROUP }]);

    // The record fails: 503, and the handling that started leaves no mark, no reply, no row.
    gates = [];
    const f = event('任务 2');
    const failed = post(f);
    await vi.waitFor(() => expect(gates).toHaveLength(1));
    gates[0]!.fail(new Error('disk full'));
    expect(await failed).toBe(503);
    await queue.idle();
    expect(await marksOf(f)).toEqual([]);
    expect(repliesTo(f)).toEqual([]);
    // Lark delivers it again: handled once.
    inbox.record = real.record;
    expect(await post(f)).toBe(200);
    await queue.idle();
    expect(repliesTo(f)).toHaveLength(1);
    expect((await inboxRows()).map((r) => r.status)).toEqual(['done', 'done']);
  });

  it('answers a button press once its record is durable, the press handled meanwhile; a flush that fails answers 503', async () => {
    let flushes: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
    const inbox = { ...bot.runtime.inbox, durable: () => new Promise<void>((resolve, reject) => flushes.push({ resolve, reject })) };
    const queue = new WorkQueue({ log: silentLogger });
    const router = createEventRouter({ handleMessage: bot.runtime.handleMessage, handleCardAction: bot.runtime.handleCardAction, outbound: bot.outbound, queue, inbox, log: createLogger('info', sink) });
    await start(router);
    const press = (eventId: string, seq: number) =>
      fetch(`${receiver!.url}/webhook/event`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(cardEvent({ eventId, operatorOpenId: OPEN_IDS.leadUnit, value: { action: 'task.complete', year: 2026, seq, period: '2026' }, messageId: `om_card_${eventId}`, chatId: GROUP, token: TOKEN })),
      });
    let answered: Response | undefined;
    const first = press('ev_card_durable_1', 3).then((r) => (answered = r));
    await vi.waitFor(async () => expect(await completionsOf(3)).toHaveLength(1));
    expect(answered).toBeUndefined();
    flushes[0]!.resolve();
    await first;
    expect(answered!.status).toBe(200);
    expect(JSON.stringify(await answered!.json())).toContain('toast');

    flushes = [];
    const second = press('ev_card_durable_2', 4);
    await vi.waitFor(() => expect(flushes).toHaveLength(1));
    flushes[0]!.reject(new Error('connection terminated'));
    expect((await second).status).toBe(503);
    expect(logLines.some((l) => l.msg === 'event record not known to be durable; answered with an error so that Lark delivers it again' && l.eventId === 'ev_card_durable_2')).toBe(true);
  });

  // The disk-full case is SQLite's own (max_page_count); PostgreSQL's is the server's (not drilled here).
  it.skipIf(onPostgres)('answers 503 when the event cannot be recorded (disk full), logs SQLITE_FULL, and handles the redelivery once', async () => {
    const queue = new WorkQueue({ log: silentLogger });
    const router = createEventRouter({ handleMessage: bot.runtime.handleMessage, handleCardAction: bot.runtime.handleCardAction, outbound: bot.outbound, queue, inbox: bot.runtime.inbox, log: createLogger('info', sink), retryDelayMs: 50 });
    await start(router);
    // Cap the file where it is: once the free room in its last pages is used, an insert finds the disk full.
    sqliteOf(bot.opened.db).pragma(`max_page_count = ${sqliteOf(bot.opened.db).pragma('page_count', { simple: true }) as number}`);
    let refused: Record<string, unknown> | undefined;
    const acknowledged: string[] = [];
    for (let i = 0; i < 200 && !refused; i++) {
      const e = event(`完成 ${(i % 5) + 1}`);
      if ((await post(e)) === 503) refused = e;
      else acknowledged.push(idsOf(e).messageId);
    }
    expect(refused).toBeDefined();
    const cause = logLines.find((l) => l.msg === 'event could not be recorded; answered with an error so that Lark delivers it again');
    expect(JSON.stringify(cause?.err)).toMatch(/SQLITE_FULL/);
    await queue.idle();
    const before = await bot.opened.db.selectFrom('inbox').select('event_id').where('event_id', '=', idsOf(refused!).eventId).execute();
    expect(before).toEqual([]);

    // The disk has room again; Lark delivers the refused event again (twice): handled once.
    sqliteOf(bot.opened.db).pragma('max_page_count = 1073741823');
    expect(await post(refused!)).toBe(200);
    expect(await post(refused!)).toBe(200);
    await queue.idle();
    expect(bot.outbound.replies.filter((r) => r.messageId === idsOf(refused!).messageId)).toHaveLength(1);
    expect((await inboxRows()).find((r) => r.event_id === idsOf(refused!).eventId)?.status).toBe('done');
    // Every event acknowledged while the disk was filling up is answered once (those whose handling hit the full disk were tried again).
    const until = Date.now() + 5000;
    while ((await inboxRows()).some((r) => r.status === 'pending') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await queue.idle();
    expect((await inboxRows()).filter((r) => r.status === 'pending')).toEqual([]);
    for (const id of acknowledged) expect(bot.outbound.replies.filter((r) => r.messageId === id), id).toHaveLength(1);
    router.stop();
    await queue.close(1000);
  });

  it('a stop leaves the events not yet started pending; the next start handles them in order, once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const queue = new WorkQueue({ log: silentLogger });
    const handled: string[] = [];
    const router = createEventRouter({
      handleMessage: async (msg) => {
        await gate;
        handled.push(msg.messageId);
        return bot.runtime.handleMessage(msg);
      },
      handleCardAction: bot.runtime.handleCardAction,
      outbound: bot.outbound,
      queue,
      inbox: bot.runtime.inbox,
      log: silentLogger,
    });
    await start(router);
    const events = [event('完成 1'), event('完成 2'), event('完成 3'), event('任务 3')];
    for (const e of events) expect(await post(e)).toBe(200);
    // SIGTERM: intake stops, the running job finishes, the others stay pending.
    router.stop();
    expect(await post(event('帮助'))).toBe(503);
    release();
    await queue.close(2000);
    expect(handled).toEqual([idsOf(events[0]!).messageId]);
    expect((await inboxRows()).map((r) => r.status)).toEqual(['done', 'pending', 'pending', 'pending']);

    // The next start (a new runtime on the same file) handles the rest, in order.
    const next = await makeBot({ dbFile: bot.dbFile, outbound: bot.outbound });
    try {
      expect(await next.runtime.router.resume()).toBe(3);
      await next.runtime.queue.idle();
      expect((await inboxRows()).map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);
      for (const seq of [1, 2, 3]) expect(await completionsOf(seq)).toHaveLength(1);
      expect(bot.outbound.replies.map((r) => r.messageId)).toEqual(events.map((e) => idsOf(e).messageId));
      expect(await next.runtime.router.resume()).toBe(0);
    } finally {
      await next.runtime.close(2000);
      await next.close();
    }
  });
});
