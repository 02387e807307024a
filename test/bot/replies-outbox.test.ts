/**
 * Replies go through the outbox: with Lark failing, the answer to a write is kept (pending, the
 * error recorded) and sent once when Lark is back — by the scheduler's dispatch of another
 * process on the same file (a restart), at any hour. Real sender, fake Lark Open API.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handleMessage } from '../../src/bot/dispatch.js';
import { dialectOf, type Db } from '../../src/db/database.js';
import { findOutboxByKey } from '../../src/db/outbox.repository.js';
import { activeCompletions, findTask } from '../../src/db/task.repository.js';
import { createLarkSender, type LarkSender } from '../../src/lark/sender.js';
import { silentLogger } from '../../src/log.js';
import { dispatchDue } from '../../src/services/reminders.service.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { GROUP, makeBot, makeBotFromTemplate, message, OPEN_IDS, type TestBot } from './support.js';

let fake: FakeLark;
let sender: LarkSender;
let bot: TestBot;

beforeAll(async () => {
  fake = await startFakeLark({ appId: 'cli_repliesoutbox01' });
  sender = createLarkSender({ appId: fake.appId, appSecret: fake.appSecret, domain: fake.url, log: silentLogger, retry: { maxAttempts: 2, baseDelayMs: 10 } });
  bot = await makeBotFromTemplate({ outbound: sender });
});

afterAll(async () => {
  await sender?.close();
  await bot?.close();
  await fake?.close();
});

const repliesTo = (messageId: string) => fake.messages.filter((m) => m.parentId === messageId);
const replyRequests = (messageId: string) => fake.received.filter((r) => r.method === 'POST' && r.path === `/open-apis/im/v1/messages/${messageId}/reply`).length;

/** Makes every write of dedup marks fail (the settle of a read-only answer), or lets them through again. */
async function refuseMarks(db: Db, refuse: boolean): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    if (refuse) {
      await sql`CREATE FUNCTION refuse_marks() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'marks refused'; END $$ LANGUAGE plpgsql`.execute(db);
      await sql`CREATE TRIGGER refuse_marks BEFORE INSERT ON processed_event FOR EACH ROW EXECUTE FUNCTION refuse_marks()`.execute(db);
    } else {
      await sql`DROP TRIGGER refuse_marks ON processed_event`.execute(db);
      await sql`DROP FUNCTION refuse_marks()`.execute(db);
    }
  } else if (refuse) {
    await sql`CREATE TRIGGER refuse_marks BEFORE INSERT ON processed_event BEGIN SELECT RAISE(ABORT, 'marks refused'); END`.execute(db);
  } else {
    await sql`DROP TRIGGER refuse_marks`.execute(db);
  }
}

describe('replies through the outbox', () => {
  it('keeps the answer to a write while Lark fails, and sends it once when Lark is back, from a restarted process', async () => {
    const msg = message('完成 1', { from: OPEN_IDS.office, chatId: GROUP });
    fake.addInboundMessage({ messageId: msg.messageId, chatId: GROUP });
    fake.setFaults({ match: 'POST /open-apis/im/v1/messages/.*/reply', serverErrorRate: 1 });
    const outcome = await handleMessage(msg, bot.deps);
    expect(outcome.status).toBe('replied');
    const task = await findTask(bot.opened.db, 2026, 1);
    expect(await activeCompletions(bot.opened.db, [task!.id])).toHaveLength(1);
    expect(repliesTo(msg.messageId)).toHaveLength(0);
    const kept = await findOutboxByKey(bot.opened.db, `reply:${msg.messageId}`);
    expect(kept).toMatchObject({ kind: 'reply', status: 'pending', attempts: 1 });
    expect(kept!.lastError).toBeTruthy();

    // Still failing at the next dispatch: tried again, kept.
    const t0 = bot.clock.now().getTime();
    const deps = (b: TestBot, workerId: string) => ({ db: b.opened.db, plan: b.deps.plan, config: { timeZone: b.deps.tz }, clock: b.clock, log: silentLogger, outbound: sender, calendar: b.deps.calendar, settings: b.deps.settings, workerId });
    await dispatchDue(deps(bot, 'first'), t0 + 31_000);
    expect(await findOutboxByKey(bot.opened.db, `reply:${msg.messageId}`)).toMatchObject({ status: 'pending', attempts: 2 });

    // Lark is back; the service restarted (another connection, another worker), at 22:00 — outside the reminders' window.
    fake.setFaults({});
    const restarted = await makeBot({ dbFile: bot.dbFile, outbound: sender });
    try {
      const late = new Date('2026-03-10T22:00:00+08:00').getTime();
      await dispatchDue(deps(restarted, 'second'), late);
      await dispatchDue(deps(restarted, 'second'), late + 120_000);
      expect(repliesTo(msg.messageId)).toHaveLength(1);
      expect((repliesTo(msg.messageId)[0]!.content as { header: { title: { content: string } } }).header.title.content).toContain('任务 1');
      expect(await findOutboxByKey(restarted.opened.db, `reply:${msg.messageId}`)).toMatchObject({ status: 'sent', attempts: 3 });
    } finally {
      await restarted.close();
    }
  });

  it('records the answer to a read already claimed for its first attempt; if that attempt never ends (the process died), the answer goes out once the one-minute lease is over', async () => {
    const msg = message('任务 3', { from: OPEN_IDS.office, chatId: GROUP });
    fake.addInboundMessage({ messageId: msg.messageId, chatId: GROUP });
    // The first attempt hangs where the process would have died: recorded, never sent.
    const dying = { sendMessage: sender.sendMessage, patchCard: sender.patchCard, uploadFile: sender.uploadFile, replyMessage: () => new Promise<never>(() => undefined) };
    void handleMessage(msg, { ...bot.deps, outbound: dying });
    const t0 = bot.clock.now().getTime();
    const key = `reply:${msg.messageId}`;
    await vi.waitFor(async () => expect(await findOutboxByKey(bot.opened.db, key)).toMatchObject({ status: 'sending', claimedBy: bot.deps.workerId, claimExpiresAt: t0 + 60_000, attempts: 0 }));
    const deps = { db: bot.opened.db, plan: bot.deps.plan, config: { timeZone: bot.deps.tz }, clock: bot.clock, log: silentLogger, outbound: sender, calendar: bot.deps.calendar, settings: bot.deps.settings, workerId: 'another' };
    // Within the lease another process leaves it alone.
    await dispatchDue(deps, t0 + 59_000);
    expect(repliesTo(msg.messageId)).toHaveLength(0);
    await dispatchDue(deps, t0 + 61_000);
    expect(repliesTo(msg.messageId)).toHaveLength(1);
    expect(fake.received.filter((r) => r.method === 'POST' && r.path === `/open-apis/im/v1/messages/${msg.messageId}/reply`)).toHaveLength(1);
    expect(await findOutboxByKey(bot.opened.db, key)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('a message handled again (a redelivery) neither records nor sends its reply twice', async () => {
    const msg = message('帮助', { from: OPEN_IDS.office, chatId: GROUP });
    fake.addInboundMessage({ messageId: msg.messageId, chatId: GROUP });
    await handleMessage(msg, bot.deps);
    await handleMessage({ ...msg, eventId: `${msg.eventId}_again` }, bot.deps);
    expect(repliesTo(msg.messageId)).toHaveLength(1);
    expect(await findOutboxByKey(bot.opened.db, `reply:${msg.messageId}`)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('sends a freshly recorded delivery’s read-only answer beside its settle: a failed settle leaves it pending but answered once at Lark (its uuid), and a row resumed from the inbox settles before it sends', async () => {
    const msg = message('任务 4', { from: OPEN_IDS.office, chatId: GROUP });
    fake.addInboundMessage({ messageId: msg.messageId, chatId: GROUP });
    const fresh = { inboxEventId: msg.eventId, recorded: Promise.resolve(true) };
    await refuseMarks(bot.opened.db, true);
    try {
      // Resumed from the inbox (no fresh record): the settle fails first, nothing is sent.
      expect(await handleMessage(msg, bot.deps, { inboxEventId: msg.eventId })).toEqual({ status: 'failed' });
      expect(replyRequests(msg.messageId)).toBe(0);
      // A delivery this process has just recorded: the answer went out although the settle failed.
      expect(await handleMessage(msg, bot.deps, fresh)).toEqual({ status: 'failed' });
      await vi.waitFor(() => expect(repliesTo(msg.messageId)).toHaveLength(1));
    } finally {
      await refuseMarks(bot.opened.db, false);
    }
    const deduplicated = fake.stats.deduplicated;
    // Tried again (the inbox row is still pending): settled this time, the answer requested again
    // under the same uuid and swallowed by Lark; the row records it sent.
    expect(await handleMessage(msg, bot.deps, fresh)).toMatchObject({ status: 'replied' });
    expect(replyRequests(msg.messageId)).toBe(2);
    expect(fake.stats.deduplicated).toBe(deduplicated + 1);
    expect(repliesTo(msg.messageId)).toHaveLength(1);
    expect(await findOutboxByKey(bot.opened.db, `reply:${msg.messageId}`)).toMatchObject({ status: 'sent', attempts: 1 });
    // The same message under another event id, freshly recorded: a repeat, still one answer in the chat.
    expect(await handleMessage({ ...msg, eventId: `${msg.eventId}_again` }, bot.deps, { inboxEventId: `${msg.eventId}_again`, recorded: Promise.resolve(true) })).toMatchObject({ status: 'ignored', reason: 'duplicate_message' });
    expect(repliesTo(msg.messageId)).toHaveLength(1);
  });

  it('records a freshly recorded delivery’s read-only answer sent in the same write as its marks, or, when Lark refused that first attempt, kept to be tried again', async () => {
    const ok = message('任务 5', { from: OPEN_IDS.office, chatId: GROUP });
    fake.addInboundMessage({ messageId: ok.messageId, chatId: GROUP });
    expect(await handleMessage(ok, bot.deps, { inboxEventId: ok.eventId, recorded: Promise.resolve(true) })).toMatchObject({ status: 'replied' });
    expect(replyRequests(ok.messageId)).toBe(1);
    const sent = await findOutboxByKey(bot.opened.db, `reply:${ok.messageId}`);
    expect(sent).toMatchObject({ status: 'sent', attempts: 1, claimedBy: null });
    expect(sent!.messageId).toBe(repliesTo(ok.messageId)[0]!.messageId);

    const refused = message('任务 6', { from: OPEN_IDS.office, chatId: GROUP });
    fake.addInboundMessage({ messageId: refused.messageId, chatId: GROUP });
    fake.setFaults({ match: 'POST /open-apis/im/v1/messages/.*/reply', serverErrorRate: 1 });
    try {
      expect(await handleMessage(refused, bot.deps, { inboxEventId: refused.eventId, recorded: Promise.resolve(true) })).toMatchObject({ status: 'replied' });
    } finally {
      fake.setFaults({});
    }
    expect(repliesTo(refused.messageId)).toHaveLength(0);
    const kept = await findOutboxByKey(bot.opened.db, `reply:${refused.messageId}`);
    expect(kept).toMatchObject({ status: 'pending', attempts: 1 });
    expect(kept!.lastError).toBeTruthy();
  });
});
