/**
 * Replies go through the outbox: with Lark failing, the answer to a write is kept (pending, the
 * error recorded) and sent once when Lark is back — by the scheduler's dispatch of another
 * process on the same file (a restart), at any hour. Real sender, fake Lark Open API.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handleMessage } from '../../src/bot/dispatch.js';
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
});
