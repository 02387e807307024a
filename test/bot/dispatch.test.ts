import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleCardAction, handleMessage, messageText, respondToMessage } from '../../src/bot/dispatch.js';
import { createLogger } from '../../src/log.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { openDatabase } from '../../src/db/database.js';
import { findItemByKey, insertItems } from '../../src/db/outbox.repository.js';
import { findTask, activeCompletions } from '../../src/db/task.repository.js';
import { BOT_OPEN_ID, buttonsOf, cardOf, GROUP, makeBot, message, OPEN_IDS, replyText, UNBOUND_GROUP, type TestBot } from './support.js';
import { openTestDatabase } from '../support/database.js';

let bot: TestBot;
beforeEach(async () => {
  bot = await makeBot();
});
afterEach(async () => {
  await bot.close();
});

async function completionsIn(b: TestBot, seq: number) {
  const task = await findTask(b.opened.db, 2026, seq);
  return activeCompletions(b.opened.db, [task!.id]);
}
const completions = (seq: number) => completionsIn(bot, seq);

describe('which messages are acted on', () => {
  it('ignores messages sent by bots', async () => {
    expect(await respondToMessage(message('帮助', { senderType: 'app' }), bot.deps)).toEqual({ status: 'ignored', reason: 'bot_sender' });
  });

  it('acts in a group only when the bot is mentioned', async () => {
    const other = [{ key: '@_user_1', openId: 'ou_someone', name: '某人' }];
    expect(await respondToMessage(message('', { text: '@_user_1 帮助', mentions: other }), bot.deps)).toEqual({ status: 'ignored', reason: 'not_mentioned' });
    expect(await respondToMessage(message('', { text: '帮助', mentions: [] }), bot.deps)).toEqual({ status: 'ignored', reason: 'not_mentioned' });
    expect((await respondToMessage(message('帮助'), bot.deps)).status).toBe('replied');
  });

  it('needs no mention in a one-to-one chat', async () => {
    expect((await respondToMessage(message('帮助', { chatType: 'p2p' }), bot.deps)).status).toBe('replied');
  });

  it('strips only the bot mention, wherever it is, and keeps other placeholders', () => {
    const mentions = [
      { key: '@_user_1', openId: 'ou_gu', name: '顾' },
      { key: '@_user_2', openId: BOT_OPEN_ID, name: 'bot' },
    ];
    expect(messageText(message('', { text: '绑定 顾爱萍 @_user_1 @_user_2', mentions }), BOT_OPEN_ID)).toBe('绑定 顾爱萍 @_user_1');
  });

  it('ignores every group message while its own open_id is unknown (the leading @ may be a colleague); one-to-one chats still work', async () => {
    const colleague = [{ key: '@_user_1', openId: 'ou_colleague', name: '某同事' }];
    expect(messageText(message('', { text: ' @_user_1  完成 17', mentions: colleague }), null)).toBeNull();
    const blind = await makeBot({ dbFile: bot.dbFile.replace(/\.db$/, '.blind.db'), botOpenId: null });
    try {
      expect(await respondToMessage(message('', { text: '@_user_1 完成 1', mentions: colleague }), blind.deps)).toEqual({ status: 'ignored', reason: 'bot_identity_unknown' });
      expect(await completionsIn(blind, 1)).toHaveLength(0);
      expect((await respondToMessage(message('帮助', { chatType: 'p2p' }), blind.deps)).status).toBe('replied');
    } finally {
      await blind.close();
    }
  });
});

describe('deduplication', () => {
  it('acts once on a redelivered event, also from a restarted process (persisted)', async () => {
    const msg = message('完成 1');
    await handleMessage(msg, bot.deps);
    // A second connection to the same file stands for the service after a restart.
    const restarted = await openTestDatabase(bot.dbFile);
    try {
      expect(await handleMessage(msg, { ...bot.deps, db: restarted.db })).toEqual({ status: 'ignored', reason: 'duplicate_event' });
    } finally {
      await restarted.close();
    }
    expect(await completions(1)).toHaveLength(1);
    expect(bot.outbound.replies).toHaveLength(1);
  });

  it('answers a message whose process died after acting and before recording the answer, acting once', async () => {
    const msg = message('完成 1');
    // The first life: the event marked and the task completed (respondToMessage decides and acts), then killed
    // before the answer was recorded in the outbox.
    expect((await respondToMessage(msg, bot.deps)).status).toBe('replied');
    expect(await completions(1)).toHaveLength(1);
    expect(bot.outbound.replies).toHaveLength(0);
    // The inbox row is still pending: at the next start the message is handled again and answered once.
    const again = await handleMessage(msg, bot.deps);
    expect(again.status).toBe('replied');
    expect(await completions(1)).toHaveLength(1);
    expect(bot.outbound.replies).toHaveLength(1);
    expect(await handleMessage(msg, bot.deps)).toEqual({ status: 'ignored', reason: 'duplicate_event' });
    expect(bot.outbound.replies).toHaveLength(1);
  });

  it('acts once on the same message under a new event id', async () => {
    const msg = message('完成 1');
    await handleMessage(msg, bot.deps);
    expect(await handleMessage({ ...msg, eventId: 'ev_other' }, bot.deps)).toEqual({ status: 'ignored', reason: 'duplicate_message' });
    expect(await completions(1)).toHaveLength(1);
    expect(bot.outbound.replies).toHaveLength(1);
  });
});

describe('read-only commands (no transaction; the marks and the answer written together at the end)', () => {
  const marks = (msg: { eventId: string; messageId: string }) =>
    bot.opened.db.selectFrom('processed_event').select('event_id').where('event_id', 'in', [msg.eventId, `message:${msg.messageId}`]).orderBy('event_id').execute();
  const replyRows = (messageId: string) => bot.opened.db.selectFrom('outbox').select(['status']).where('key', '=', `reply:${messageId}`).execute();

  for (const text of ['得分 城东社区', '任务', '帮助', '天气 明天']) {
    it(`「${text}」: answered once, its marks and its inbox row written with the answer; a redelivery under either id only finds it answered`, async () => {
      const msg = message(text);
      await bot.opened.db.insertInto('inbox').values({ event_id: msg.eventId, kind: 'message', chat_id: msg.chatId, payload: '{}', status: 'pending', received_at: 1, done_at: null }).execute();
      const first = await handleMessage(msg, bot.deps, { inboxEventId: msg.eventId });
      expect(first).toMatchObject({ status: 'replied', inboxDone: true });
      expect((await marks(msg)).map((r) => r.event_id)).toEqual([msg.eventId, `message:${msg.messageId}`].sort());
      expect(await bot.opened.db.selectFrom('inbox').select('status').where('event_id', '=', msg.eventId).execute()).toEqual([{ status: 'done' }]);
      expect(await replyRows(msg.messageId)).toEqual([{ status: 'sent' }]);
      expect(await handleMessage(msg, bot.deps)).toEqual({ status: 'ignored', reason: 'duplicate_event' });
      expect(await handleMessage({ ...msg, eventId: 'ev_other' }, bot.deps)).toEqual({ status: 'ignored', reason: 'duplicate_message' });
      expect(bot.outbound.replies.filter((r) => r.messageId === msg.messageId)).toHaveLength(1);
    });
  }

  it('a message marked before but never answered (a file reply cut short, an older version) is answered once', async () => {
    const msg = message('得分 城东社区');
    await bot.opened.db.insertInto('processed_event').values([{ event_id: msg.eventId, received_at: 1 }, { event_id: `message:${msg.messageId}`, received_at: 1 }]).execute();
    expect((await handleMessage(msg, bot.deps)).status).toBe('replied');
    expect(await handleMessage(msg, bot.deps)).toEqual({ status: 'ignored', reason: 'duplicate_event' });
    expect(bot.outbound.replies.filter((r) => r.messageId === msg.messageId)).toHaveLength(1);
  });
});

describe('bad input', () => {
  it('refuses more than 2,000 characters without acting', async () => {
    const r = await respondToMessage(message(`完成 1 ${'很'.repeat(2000)}`), bot.deps);
    expect(r.status === 'replied' && replyText(r.reply)).toContain('命令不能超过 2000 个字');
    expect(await completions(1)).toHaveLength(0);
  });

  it('answers an unknown command with a hint and the help card', async () => {
    const r = await respondToMessage(message('天气 明天'), bot.deps);
    const text = r.status === 'replied' ? replyText(r.reply) : '';
    expect(text).toContain('没有「天气」这个命令');
    expect(text).toContain('使用说明');
  });

  it('rejects extra arguments naming them', async () => {
    const r = await respondToMessage(message('目标 明年'), bot.deps);
    expect(r.status === 'replied' && replyText(r.reply)).toContain('多余的参数「明年」');
  });

  it('asks for text when the message is not text', async () => {
    const r = await respondToMessage(message('', { text: null, chatType: 'p2p' }), bot.deps);
    expect(r.status === 'replied' && replyText(r.reply)).toContain('请发送文字命令');
  });

  it('never shows a stack trace: an unexpected failure is logged once and the user gets an apology', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger('error', sink);
    // A dependency that fails in a way no input explains (a bug): the calendar throws mid-digest.
    const calendar = { ...bot.deps.calendar, workdaysBetween: (): number => {
      throw new TypeError('boom at digest.ts:12');
    } };
    const deps = { ...bot.deps, log, calendar };
    const r = await respondToMessage(message('周报'), deps);
    const text = r.status === 'replied' ? replyText(r.reply) : '';
    expect(text).toContain('抱歉');
    expect(text).not.toContain('boom');
    expect(text).not.toContain('digest.ts');
    const errors = lines.map((l) => JSON.parse(l) as { msg: string; err?: { message: string } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'command failed', err: { message: 'boom at digest.ts:12' } });
  });

  it('sends nothing when the event cannot be recorded, so that a redelivery can still be answered', async () => {
    const broken = openDatabase(':memory:');
    await broken.close();
    expect(await handleMessage(message('完成 1'), { ...bot.deps, db: broken.db })).toEqual({ status: 'failed' });
    expect(bot.outbound.replies).toHaveLength(0);
  });

  it('still answers when sending the reply fails, and logs it', async () => {
    const failing = { ...bot.outbound, sendMessage: bot.outbound.sendMessage, patchCard: bot.outbound.patchCard, uploadFile: bot.outbound.uploadFile, replyMessage: async () => Promise.reject(new Error('lark down')) };
    const outcome = await handleMessage(message('帮助'), { ...bot.deps, outbound: failing });
    expect(outcome.status).toBe('replied');
  });
});

describe('binding', () => {
  it('tells an unbound user in a one-to-one chat how to get bound, and audits the refusal', async () => {
    const r = await respondToMessage(message('得分 城西', { chatType: 'p2p', from: OPEN_IDS.unbound }), bot.deps);
    expect(r.status === 'replied' && replyText(r.reply)).toContain('你还没有绑定花名册');
    expect((await listAudit(bot.opened.db, { action: 'bot.score' }))[0]).toMatchObject({ actor: `unbound:${OPEN_IDS.unbound}`, outcome: 'denied', source: 'chat' });
  });

  it('lets anyone read in a bound group', async () => {
    const r = await respondToMessage(message('任务 1', { from: OPEN_IDS.unbound }), bot.deps);
    expect(r.status === 'replied' && replyText(r.reply)).toContain('任务 1 ·');
  });

  it('tells a group that is not subscribed how to subscribe, except for 帮助', async () => {
    const r = await respondToMessage(message('任务', { chatId: UNBOUND_GROUP }), bot.deps);
    expect(r.status === 'replied' && replyText(r.reply)).toContain('本群还没有订阅');
    expect((await listAudit(bot.opened.db, { action: 'bot.tasks' }))[0]).toMatchObject({ actor: '王博文', subject: UNBOUND_GROUP, outcome: 'denied' });
    const help = await respondToMessage(message('帮助', { chatId: UNBOUND_GROUP, from: OPEN_IDS.unbound }), bot.deps);
    expect(help.status === 'replied' && replyText(help.reply)).toContain('使用说明');
  });
});

describe('card buttons', () => {
  const press = (value: Record<string, unknown>, o: { eventId?: string; from?: string } = {}) =>
    handleCardAction({ eventId: o.eventId ?? `ev_card_${Math.random()}`, operatorOpenId: o.from ?? OPEN_IDS.office, value, messageId: 'om_card', chatId: GROUP, token: 'ctok' }, bot.deps);

  it('标记完成 completes the period and answers with a toast and the updated card', async () => {
    const r = await press({ action: 'task.complete', year: 2026, seq: 8, period: '2026-02' }, { from: OPEN_IDS.otherLeadUnit });
    expect(r.toast).toEqual({ type: 'success', content: '已标记完成：任务 8 2026-02' });
    expect(r.card?.config.update_multi).toBe(true);
    expect(replyText({ kind: 'card', card: r.card! })).toContain('2026-02 | 2026-02-28 | ✅');
    expect((await completions(8)).map((c) => c.period)).toEqual(['2026-02']);
  });

  it('a double press completes once: the same event is ignored, a second event gets the current card', async () => {
    const value = { action: 'task.complete', year: 2026, seq: 1, period: '2026' };
    await press(value, { eventId: 'ev_same' });
    expect(await press(value, { eventId: 'ev_same' })).toEqual({});
    const second = await press(value, { eventId: 'ev_second' });
    expect(second.toast?.type).toBe('info');
    expect(second.toast?.content).toContain('已由 王博文');
    expect(buttonsOf(second.card!)).toEqual([]);
    expect(await completions(1)).toHaveLength(1);
  });

  it('refuses someone who may not complete the task, with the reason, and audits it', async () => {
    const r = await press({ action: 'task.complete', year: 2026, seq: 1, period: '2026' }, { from: OPEN_IDS.otherLeadUnit });
    expect(r.toast?.type).toBe('error');
    expect(r.toast?.content).toContain('不是任务 1 的牵头单位');
    expect(await completions(1)).toHaveLength(0);
    expect((await listAudit(bot.opened.db, { action: 'task.done' }))[0]).toMatchObject({ actor: '赵治理', outcome: 'denied', source: 'card' });
  });

  it('tells an unbound presser how to get bound', async () => {
    const r = await press({ action: 'task.complete', year: 2026, seq: 1, period: '2026' }, { from: OPEN_IDS.unbound });
    expect(r.toast?.content).toContain('你还没有绑定花名册');
  });

  it('明天再提醒 defers the reminder item to the next working day\'s card, as the presser', async () => {
    const key = 'due:8:2026-03:d7:oc_group_leadership';
    const item = { key, kind: 'before_due', at: '2026-03-10T09:00:00+08:00', date: '2026-03-10', task: { year: 2026, seq: 8, content: '', period: '2026-03', cadence: 'monthly', dueDate: '2026-03-31', offset: 7, daysLeft: 21, overdueDays: null, overdueWorkdays: null, leadUnits: ['社会治理办'], fallbackUnits: [] } };
    const t = Date.parse('2026-03-10T09:00:00+08:00');
    await insertItems(bot.opened.db, [{ key, kind: 'before_due', chat_id: GROUP, task_year: 2026, task_seq: 8, period: '2026-03', date: '2026-03-10', due_at: t, not_before: t, status: 'carried', reason: null, payload: JSON.stringify(item), created_at: t }]);
    const r = await press({ action: 'reminder.snooze', key }, { from: OPEN_IDS.leader });
    expect(r.toast).toEqual({ type: 'success', content: '好的，将于 3月11日 09:00 再提醒' });
    expect(await findItemByKey(bot.opened.db, `${key}#snooze1`)).toMatchObject({ status: 'pending', date: '2026-03-11', notBefore: Date.parse('2026-03-11T09:00:00+08:00') });
    expect((await listAudit(bot.opened.db, { action: 'reminder.snooze' }))[0]).toMatchObject({ actor: '张建虹', outcome: 'ok' });
  });

  it('answers an unknown or malformed button with an error toast', async () => {
    expect((await press({ action: 'launch.rocket' })).toast?.type).toBe('error');
    expect((await press({ nothing: true })).toast?.type).toBe('error');
    expect((await press({ action: 'task.complete', seq: 'x' })).toast?.content).toBe('无法识别的按钮');
  });

  it('a command button runs the command for the presser and replaces the card', async () => {
    const r = await press({ action: 'command', text: '任务 逾期' }, { from: OPEN_IDS.unbound });
    expect(cardOf({ kind: 'card', card: r.card! }).header.title.content).toBe('任务 · 逾期 · 2026');
  });
});
