import type { KyselyPlugin } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../src/messaging/outbound.js';
import { operatorActor } from '../../src/auth/actor.js';
import { fixedClock } from '../../src/clock.js';
import type { AnyOpenedDatabase } from '../../src/db/database.js';
import type { Card } from '../../src/cards/card.js';
import { renderCardText } from '../../src/cards/card.js';
import { findItemByKey, findOutboxByKey, listOutbox, listOutboxItems } from '../../src/db/outbox.repository.js';
import { buildDigest } from '../../src/services/digest.service.js';
import { targetSummaryLines } from '../../src/scheduler/digest-card.js';
import { dispatchDue, previewReminders, runPass } from '../../src/services/reminders.service.js';
import { schedulerSettings } from '../../src/config/scheduler-settings.js';
import { snoozeReminder } from '../../src/services/snooze.service.js';
import type { CardItem } from '../../src/scheduler/content.js';
import { programmeText } from '../../src/plan/programme.js';
import { setScore } from '../../src/services/scores.service.js';
import { addUnit } from '../../src/services/units.service.js';
import { CHATS, RecordingOutbound, TZ, at, calendar, carriedKeys, complete, deps, failure, openProgramme, plan, tempDbFile, titleOf } from './support.js';

const opened: AnyOpenedDatabase[] = [];
async function programme(file?: string, init = true): Promise<AnyOpenedDatabase> {
  const o = await openProgramme(file, init);
  opened.push(o);
  return o;
}
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

const rowsByKey = async (o: AnyOpenedDatabase) => new Map((await listOutbox(o.db)).map((r) => [r.key, r]));

describe('a pass composes one card per chat per day and sends it once', () => {
  it('sends each chat its card of the day, carrying every item of the day, and nothing more when run again', async () => {
    const o = await programme();
    const out = new RecordingOutbound();
    const d = deps(o, out);
    // 08:30: the day's items are known, but the cards go at their time (09:00).
    const early = await runPass(d, at('2026-03-09T08:30:00+08:00'));
    expect(early.cards).toBe(0);
    expect(out.sent).toHaveLength(0);
    const r = await runPass(d, at('2026-03-09T09:00:00+08:00'));
    expect(r.dispatch).toMatchObject({ inWindow: true, failed: 0, messages: 3 });
    // Monday 9 March: T−1 of task 4 for both of its lead units, the overdue items of 09:30 in the same card, the digest for the leadership.
    // Chats are served concurrently (each chat's cards in order): which chat's card goes out first is not fixed.
    const byChat = (pairs: string[][]) => [...pairs].sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    expect(byChat(out.sent.map((s) => [s.receiveId, s.idempotencyKey]))).toEqual(
      byChat([
        [CHATS.leadership, 'daily:2026-03-09:oc_lead'],
        [CHATS.office, 'daily:2026-03-09:oc_djb'],
        [CHATS.community, 'daily:2026-03-09:oc_sg'],
      ]),
    );
    const office = await carriedKeys(o, 'daily:2026-03-09:oc_djb');
    expect(office).toContain('due:4:2026:d1:oc_djb');
    expect(office).toContain('overdue:7:2026-02:w6:oc_djb');
    expect(office.every((k) => k.endsWith(':oc_djb'))).toBe(true);
    expect(await carriedKeys(o, 'daily:2026-03-09:oc_lead')).toContain('digest:2026-03-09:oc_lead');
    const again = await runPass(d, at('2026-03-09T09:30:00+08:00'));
    expect(again.inserted).toBe(0);
    expect(again.dispatch.sent).toBe(0);
    expect(out.sent).toHaveLength(3);
    expect(await findOutboxByKey(o.db, 'daily:2026-03-09:oc_djb')).toMatchObject({ status: 'sent', messageId: out.sent.find((m) => m.receiveId === CHATS.office)!.messageId, attempts: 1, dueAt: at('2026-03-09T09:00:00+08:00') });
    // Every item of the day is recorded once, on the card of its chat.
    const items = await listOutboxItems(o.db, { fromDate: '2026-03-09', toDate: '2026-03-09' });
    expect(items.length).toBe(r.inserted);
    expect(items.every((i) => i.status === 'carried' && i.outboxId !== null)).toBe(true);
  });

  it('shows the day as one card: counts, items in full with their buttons, older overdue periods one line per task', async () => {
    const o = await programme();
    const out = new RecordingOutbound();
    await runPass(deps(o, out), at('2026-03-09T09:00:00+08:00'));
    const card = out.sent.find((s) => s.receiveId === CHATS.office)!;
    expect(titleOf(card)).toBe('今日待办｜党建办(组织) 3月9日（周一）');
    const text = renderCardText(card.content as Card).text;
    expect(text).toMatch(/🔴 逾期 \d+　🟡 临期 \d+　✅ 3月6日以来完成 0/);
    expect(text).toContain('任务 4');
    // Task 21 (twice a month) missed four periods: one line, not four reminders.
    expect(text).toContain('任务 21 做实“两新共携手”、“三服…：逾期 4 期（2026-01-上 … 2026-02-下），最早逾期 53 天');
    const buttons = renderCardText(card.content as Card).buttons;
    expect(buttons.filter((b) => b.action === 'reminder.snooze').map((b) => b.key)).toEqual(['due:4:2026:d1:oc_djb']);
    expect(buttons.find((b) => b.action === 'task.complete_overdue' && b.seq === 21)).toMatchObject({ year: 2026, card: 'daily:2026-03-09:oc_djb' });
  });

  it('sends nothing outside the push window; what was due goes with the next working day\'s card, marked as carried over', async () => {
    const o = await programme();
    const out = new RecordingOutbound();
    const d = deps(o, out);
    const evening = await runPass(d, at('2026-03-09T18:30:00+08:00'));
    expect(evening.dispatch.inWindow).toBe(false);
    expect(evening.held).toBeGreaterThan(0);
    expect(out.sent).toHaveLength(0);
    const weekend = await runPass(d, at('2026-03-07T10:00:00+08:00'));
    expect(weekend.dispatch.inWindow).toBe(false);
    // Tuesday 08:30: the chats' cards of the day are due at 09:00 (09:30 for the leadership: only
    // overdue items and escalations today), and what was held waits for them.
    await runPass(d, at('2026-03-10T08:30:00+08:00'));
    expect(out.sent).toHaveLength(0);
    await runPass(d, at('2026-03-10T09:00:00+08:00'));
    expect(out.sent.map((s) => s.receiveId).sort()).toEqual([CHATS.community, CHATS.office].sort());
    await runPass(d, at('2026-03-10T09:30:00+08:00'));
    const held = await listOutboxItems(o.db, { fromDate: '2026-03-09', toDate: '2026-03-09' });
    expect(held.length).toBe(evening.held);
    expect(held.every((i) => i.status === 'carried')).toBe(true);
    const cards = await listOutbox(o.db, { status: 'sent' });
    expect(cards.map((c) => c.key).sort()).toEqual(['daily:2026-03-10:oc_djb', 'daily:2026-03-10:oc_lead', 'daily:2026-03-10:oc_sg']);
    expect(new Set(held.map((i) => i.outboxId))).toEqual(new Set(cards.map((c) => c.id)));
    expect(out.sent.every((s) => JSON.stringify(s.content).includes('3月9日（周一） 未能随当天卡片送达的提醒'))).toBe(true);
  });
});

describe('downtime and catch-up', () => {
  it('after a restart, the day\'s card goes once as 补发; items more than 24 h late are recorded as skipped', async () => {
    const file = tempDbFile();
    const first = await programme(file);
    const out1 = new RecordingOutbound();
    await runPass(deps(first, out1), at('2026-03-05T08:40:00+08:00'));
    await first.close();
    opened.splice(opened.indexOf(first), 1);

    // Down from Thursday 08:40 to Friday 10:00: Thursday's 09:00/09:30 items are > 24 h late.
    const second = await programme(file, false);
    const out2 = new RecordingOutbound();
    const r = await runPass(deps(second, out2, { workerId: 'after-restart' }), at('2026-03-06T10:00:00+08:00'));
    expect(r.skippedTooLate).toBeGreaterThan(0);
    const items = await listOutboxItems(second.db);
    const thursday = items.filter((x) => x.date === '2026-03-05');
    const friday = items.filter((x) => x.date === '2026-03-06');
    expect(thursday.length).toBe(r.skippedTooLate);
    expect(thursday.every((x) => x.status === 'skipped' && (x.reason ?? '').startsWith('too late'))).toBe(true);
    expect(friday.length).toBeGreaterThan(0);
    expect(friday.every((x) => x.status === 'carried')).toBe(true);
    // One card per chat, 补发 with its original time.
    expect(out2.sent.map((s) => s.receiveId).sort()).toEqual([CHATS.community, CHATS.office, CHATS.leadership].sort());
    expect(out2.sent.every((s) => titleOf(s).startsWith('【补发】'))).toBe(true);
    expect(JSON.stringify(out2.sent[0]?.content)).toContain('补发：原定 3月6日（周五） 09:');
    // Nothing more on the next pass.
    const again = await runPass(deps(second, out2, { workerId: 'after-restart' }), at('2026-03-06T10:01:00+08:00'));
    expect(again.dispatch.sent).toBe(0);
  });

  it('leaves out an item completed before its card went out, and the overdue series stops', async () => {
    const o = await programme();
    const out = new RecordingOutbound();
    const d = deps(o, out);
    await runPass(d, at('2026-03-02T18:30:00+08:00')); // holds Monday's items, outside the window
    expect((await findItemByKey(o.db, 'overdue:1:2026:w1:oc_djb'))?.status).toBe('pending');
    await complete(o, 1, '2026', '2026-03-02T19:00:00+08:00');
    await runPass(d, at('2026-03-03T09:00:00+08:00'));
    expect(await findItemByKey(o.db, 'overdue:1:2026:w1:oc_djb')).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^completed/) });
    expect(out.sent.some((s) => JSON.stringify(s.content).includes('任务 1**'))).toBe(false);
    await runPass(d, at('2026-03-03T09:30:00+08:00'));
    expect(await findItemByKey(o.db, 'overdue:1:2026:w2:oc_djb')).toBeUndefined();
    expect((await findItemByKey(o.db, 'overdue:2:2026:w2:oc_djb'))?.status).toBe('carried');
  });

  it('an item that appears after the chat\'s card of the day goes with its next card (the budget holds)', async () => {
    const o = await programme();
    const out = new RecordingOutbound();
    const d = deps(o, out);
    await complete(o, 2, '2026', '2026-03-02T08:00:00+08:00');
    await runPass(d, at('2026-03-03T09:00:00+08:00'));
    const before = out.sent.filter((s) => s.receiveId === CHATS.office).length;
    expect(before).toBe(1);
    // Task 2's completion is withdrawn at noon: its overdue item of the day appears after the card.
    const { undoOccurrence } = await import('../../src/services/tasks.service.js');
    await undoOccurrence({ db: o.db, tz: TZ, clock: fixedClock('2026-03-03T12:00:00+08:00') }, operatorActor(), { year: 2026, seq: 2, period: '2026' });
    const noon = await runPass(d, at('2026-03-03T12:01:00+08:00'));
    expect(noon.held).toBeGreaterThan(0);
    expect(out.sent.filter((s) => s.receiveId === CHATS.office)).toHaveLength(1);
    expect((await findItemByKey(o.db, 'overdue:2:2026:w2:oc_djb'))?.status).toBe('pending');
    // Wednesday brings the office only overdue items: its card goes at 09:30, carrying what was held.
    await runPass(d, at('2026-03-04T09:00:00+08:00'));
    expect(out.sent.filter((s) => s.receiveId === CHATS.office)).toHaveLength(1);
    await runPass(d, at('2026-03-04T09:30:00+08:00'));
    expect(out.sent.filter((s) => s.receiveId === CHATS.office)).toHaveLength(2);
    expect(await carriedKeys(o, 'daily:2026-03-04:oc_djb')).toEqual(expect.arrayContaining(['overdue:2:2026:w2:oc_djb', 'overdue:2:2026:w3:oc_djb']));
  });
});

describe('snooze (「明天再提醒」)', () => {
  it('holds that one item for the next working day\'s card under a derived key, without shifting the series', async () => {
    const o = await programme();
    const out = new RecordingOutbound();
    const d = deps(o, out);
    await runPass(d, at('2026-03-03T09:00:00+08:00')); // T−7 of task 4 (due 10 March)
    expect(await carriedKeys(o, 'daily:2026-03-03:oc_djb')).toContain('due:4:2026:d7:oc_djb');
    const clock = fixedClock('2026-03-03T15:00:00+08:00');
    const r = await snoozeReminder({ ...d, clock }, 'due:4:2026:d7:oc_djb', operatorActor('王博文'));
    expect(r).toEqual({ key: 'due:4:2026:d7:oc_djb#snooze1', of: 'due:4:2026:d7:oc_djb', notBefore: '2026-03-04T09:00:00+08:00', alreadySnoozed: false });
    expect(await snoozeReminder({ ...d, clock }, 'due:4:2026:d7:oc_djb', operatorActor('王博文'))).toMatchObject({ alreadySnoozed: true, notBefore: '2026-03-04T09:00:00+08:00' });
    await runPass(d, at('2026-03-03T17:59:00+08:00'));
    expect((await findItemByKey(o.db, 'due:4:2026:d7:oc_djb#snooze1'))?.status).toBe('pending');
    await runPass(d, at('2026-03-04T09:00:00+08:00'));
    expect(await carriedKeys(o, 'daily:2026-03-04:oc_djb')).toContain('due:4:2026:d7:oc_djb#snooze1');
    const card = out.sent.find((s) => s.idempotencyKey === 'daily:2026-03-04:oc_djb');
    expect(JSON.stringify(card?.content)).toContain('王博文 选择了「明天再提醒」');
    // The series is unchanged: T−3 still goes out on Friday 6 March (T−3 is Saturday 7 March).
    await runPass(d, at('2026-03-06T09:00:00+08:00'));
    expect(await carriedKeys(o, 'daily:2026-03-06:oc_djb')).toContain('due:4:2026:d3:oc_djb');
    // A snoozed re-send can be snoozed again.
    const again = await snoozeReminder({ ...d, clock: fixedClock('2026-03-04T10:00:00+08:00') }, 'due:4:2026:d7:oc_djb#snooze1', operatorActor('王博文'));
    expect(again.key).toBe('due:4:2026:d7:oc_djb#snooze2');
  });

  it('refuses to snooze what is not a task reminder, or an unknown key', async () => {
    const o = await programme();
    const out = new RecordingOutbound();
    const d = deps(o, out);
    await runPass(d, at('2026-03-09T09:00:00+08:00'));
    await expect(snoozeReminder(d, 'digest:2026-03-09:oc_lead', operatorActor())).rejects.toMatchObject({ code: 'bad_argument' });
    await expect(snoozeReminder(d, 'nope', operatorActor())).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('failures', () => {
  it('retries a retryable failure on a later pass with the same idempotency key; a non-retryable one fails at once and shows in the digest', async () => {
    const o = await programme();
    const out = new RecordingOutbound();
    const d = deps(o, out);
    out.failNext(CHATS.office, failure('rate limited', true));
    out.failNext(CHATS.community, failure('bot is not in the chat', false));
    const r = await runPass(d, at('2026-03-09T09:00:00+08:00'));
    expect(r.dispatch).toMatchObject({ retrying: 1, failed: 1, messages: 1 });
    const rows = await rowsByKey(o);
    expect(rows.get('daily:2026-03-09:oc_djb')).toMatchObject({ status: 'pending', attempts: 1, lastError: 'rate limited', notBefore: at('2026-03-09T09:02:00+08:00') });
    expect(rows.get('daily:2026-03-09:oc_sg')).toMatchObject({ status: 'failed', attempts: 1, lastError: 'bot is not in the chat' });
    await runPass(d, at('2026-03-09T09:01:00+08:00'));
    expect(out.keysTo(CHATS.office)).toEqual([]);
    await runPass(d, at('2026-03-09T09:02:00+08:00'));
    expect(out.keysTo(CHATS.office)).toEqual(['daily:2026-03-09:oc_djb']);
    expect((await findOutboxByKey(o.db, 'daily:2026-03-09:oc_djb'))?.attempts).toBe(2);

    const digest = await buildDigest(d, { weekStart: '2026-03-16', at: at('2026-03-16T09:00:00+08:00') });
    expect(digest.failedMessages).toEqual([{ key: 'daily:2026-03-09:oc_sg', kind: 'daily', chatId: CHATS.community, dueAt: '2026-03-09T09:00:00+08:00', attempts: 1, lastError: 'bot is not in the chat' }]);
  });

  it('marks a card failed after the configured number of attempts', async () => {
    const o = await programme();
    const out = new RecordingOutbound();
    const d = deps(o, out, { settings: schedulerSettings({ maxSendAttempts: 2, retryDelayMinutes: 1 }) });
    out.failNext(CHATS.office, failure('timeout', true), failure('timeout', true), failure('timeout', true));
    await runPass(d, at('2026-03-09T09:00:00+08:00'));
    await runPass(d, at('2026-03-09T09:01:00+08:00'));
    await runPass(d, at('2026-03-09T09:03:00+08:00'));
    const failed = await listOutbox(o.db, { status: 'failed' });
    expect(failed.map((f) => [f.key, f.attempts])).toEqual([['daily:2026-03-09:oc_djb', 2]]);
  });
});

describe('a lost database connection is not a failed send', () => {
  it('a card Lark has whose outcome could not be recorded goes back to pending with no attempt counted, and the next dispatch sends it again under the same key', async () => {
    const o = await programme();
    const office = 'daily:2026-03-09:oc_djb';
    // The day's cards, composed and claimed by a sender that hung and died; its claims expire
    // after the lease (10 min) and the dispatches below take them over.
    const dead = new RecordingOutbound();
    dead.hang();
    void runPass(deps(o, dead, { workerId: 'dead' }), at('2026-03-09T09:00:00+08:00'));
    for (let i = 0; i < 200 && dead.stuck.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(dead.stuck.map((m) => m.idempotencyKey)).toContain(office);
    // The connection drops right after Lark accepted the office's card: the next write (recording
    // it as sent) fails as pg fails a query on a terminated connection.
    let armed = false;
    const dropOnce: KyselyPlugin = {
      transformQuery(args) {
        if (armed && args.node.kind === 'UpdateQueryNode') {
          armed = false;
          throw new Error('Connection terminated unexpectedly');
        }
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    class DroppingOutbound extends RecordingOutbound {
      override async sendMessage(m: OutgoingMessage): Promise<{ messageId: string }> {
        const sent = await super.sendMessage(m);
        if (m.idempotencyKey === office && this.keysTo(CHATS.office).length === 1) armed = true;
        return sent;
      }
    }
    const out = new DroppingOutbound();
    // One chat at a time, so that the write after the office's send is the office's own.
    const d = { ...deps(o, out, { settings: schedulerSettings({ sendConcurrency: 1 }) }), db: o.db.withPlugin(dropOnce) };
    const first = await dispatchDue(d, at('2026-03-09T09:11:00+08:00'));
    expect(first).toMatchObject({ failed: 0, retrying: 1, messages: first.claimed - 1 });
    // Tried again after the retry delay (2 min), not within the same dispatch.
    expect(await findOutboxByKey(o.db, office)).toMatchObject({ status: 'pending', attempts: 0, lastError: null, claimedBy: null, notBefore: at('2026-03-09T09:13:00+08:00') });
    expect(await dispatchDue(d, at('2026-03-09T09:12:00+08:00'))).toMatchObject({ claimed: 0 });
    const second = await dispatchDue(d, at('2026-03-09T09:13:00+08:00'));
    expect(second).toMatchObject({ failed: 0, retrying: 0, messages: 1 });
    expect(out.keysTo(CHATS.office)).toEqual([office, office]);
    expect(await findOutboxByKey(o.db, office)).toMatchObject({ status: 'sent', attempts: 1, lastError: null, messageId: out.sent.filter((m) => m.idempotencyKey === office)[1]?.messageId });
  });
  it('the shared quota store failing before the send (PostgreSQL) counts no attempt either: the card waits for the retry delay and goes out once', async () => {
    const o = await programme();
    const office = 'daily:2026-03-09:oc_djb';
    class StoreFailingOutbound extends RecordingOutbound {
      failed = 0;
      override async sendMessage(m: OutgoingMessage): Promise<{ messageId: string }> {
        if (m.idempotencyKey === office && this.failed === 0) {
          this.failed += 1;
          // What the sender throws when the rate_bucket statement meets a terminated backend.
          throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
        }
        return super.sendMessage(m);
      }
    }
    const out = new StoreFailingOutbound();
    const d = deps(o, out);
    const first = await runPass(d, at('2026-03-09T09:00:00+08:00'));
    expect(first.dispatch).toMatchObject({ failed: 0, retrying: 1 });
    expect(out.keysTo(CHATS.office)).toEqual([]);
    expect(await findOutboxByKey(o.db, office)).toMatchObject({ status: 'pending', attempts: 0, lastError: null, claimedBy: null, notBefore: at('2026-03-09T09:02:00+08:00') });
    await runPass(d, at('2026-03-09T09:02:00+08:00'));
    expect(out.keysTo(CHATS.office)).toEqual([office]);
    expect(await findOutboxByKey(o.db, office)).toMatchObject({ status: 'sent', attempts: 1, lastError: null });
  });
});

describe('crash recovery and concurrency', () => {
  /** A process that composes the cards due at `t`, claims them and hangs in the send (then dies). */
  async function hungPass(o: AnyOpenedDatabase, t: string): Promise<RecordingOutbound> {
    const dead = new RecordingOutbound();
    dead.hang();
    void runPass(deps(o, dead, { workerId: 'dead' }), at(t));
    for (let i = 0; i < 200 && dead.stuck.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    return dead;
  }

  it('re-sends a crashed sender\'s card once its claim expires: the same key, the same items, nothing recomposed', async () => {
    const o = await programme();
    const out = new RecordingOutbound();
    const d = deps(o, out);
    const dead = await hungPass(o, '2026-03-09T09:00:00+08:00');
    const stuck = dead.stuck.find((m) => m.receiveId === CHATS.office);
    expect(stuck?.idempotencyKey).toBe('daily:2026-03-09:oc_djb');
    const claimed = (await listOutbox(o.db, { status: 'sending' })).find((r) => r.chatId === CHATS.office)!;
    expect(claimed.claimedBy).toBe('dead');
    const carried = await carriedKeys(o, 'daily:2026-03-09:oc_djb');

    await runPass(d, at('2026-03-09T09:05:00+08:00')); // the claim still holds
    expect(out.sent).toHaveLength(0);
    const r = await runPass(d, at('2026-03-09T09:11:00+08:00')); // the lease (10 min) has expired
    expect(r.dispatch.released).toBeGreaterThanOrEqual(1);
    const again = out.sent.filter((s) => s.receiveId === CHATS.office);
    expect(again.map((s) => s.idempotencyKey)).toEqual([stuck?.idempotencyKey]);
    expect(again[0]?.content).toEqual(stuck?.content);
    expect(await carriedKeys(o, 'daily:2026-03-09:oc_djb')).toEqual(carried);
    expect((await findOutboxByKey(o.db, 'daily:2026-03-09:oc_djb'))?.status).toBe('sent');
  });

  it('does not re-send a claim older than the uuid window: delivery is unknown, the card is marked failed', async () => {
    const o = await programme();
    const out = new RecordingOutbound();
    const d = deps(o, out);
    const dead = await hungPass(o, '2026-03-09T09:00:00+08:00');
    expect(dead.stuck.length).toBeGreaterThan(0);
    const claimed = await listOutbox(o.db, { status: 'sending' });
    expect(claimed.length).toBeGreaterThan(0);
    const r = await runPass(d, at('2026-03-09T10:10:00+08:00'));
    expect(r.dispatch.lostClaims).toBe(claimed.length);
    const failed = await listOutbox(o.db, { status: 'failed' });
    expect(failed.map((f) => f.key).sort()).toEqual(claimed.map((c) => c.key).sort());
    expect(failed[0]?.lastError).toMatch(/delivery unknown/);
    expect(out.sent.some((m) => claimed.some((c) => m.idempotencyKey === c.key))).toBe(false);
  });

  it('two passes at once on two connections to one database file send every card exactly once, every item on one card', async () => {
    const file = tempDbFile();
    const a = await programme(file);
    const b = await programme(file, false);
    const outA = new RecordingOutbound('A_');
    const outB = new RecordingOutbound('B_');
    const instants = ['2026-03-09T09:00:00+08:00', '2026-03-09T09:30:00+08:00', '2026-03-10T09:00:00+08:00', '2026-03-10T09:30:00+08:00'];
    for (const t of instants) {
      await Promise.all([runPass(deps(a, outA, { workerId: 'A' }), at(t)), runPass(deps(b, outB, { workerId: 'B' }), at(t))]);
    }
    const cards = await listOutbox(a.db, { status: 'sent' });
    expect(cards.map((c) => c.key).sort()).toEqual(['daily:2026-03-09:oc_djb', 'daily:2026-03-09:oc_lead', 'daily:2026-03-09:oc_sg', 'daily:2026-03-10:oc_djb', 'daily:2026-03-10:oc_lead', 'daily:2026-03-10:oc_sg']);
    const messages = [...outA.sent, ...outB.sent];
    const keys = messages.map((m) => m.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(cards.map((r) => r.messageId))).toEqual(new Set(messages.map((m) => m.messageId)));
    const items = await listOutboxItems(a.db);
    expect(items.length).toBeGreaterThan(40);
    expect(items.every((i) => i.status === 'carried' && cards.some((c) => c.id === i.outboxId))).toBe(true);
  });
});

describe('routing and set-up problems', () => {
  it('records reminders for a programme without any chat as skipped ("no chat") and sends nothing', async () => {
    const o = await programme(':memory:', false);
    const { initProgramme } = await import('../../src/services/init.service.js');
    await initProgramme({ db: o.db, plan, clock: fixedClock('2025-12-01T00:00:00+08:00') }, operatorActor(), { year: 2026 });
    const out = new RecordingOutbound();
    const r = await runPass(deps(o, out), at('2026-03-09T09:00:00+08:00'));
    expect(r.skippedNoChat).toBeGreaterThan(0);
    expect(out.sent).toHaveLength(0);
    const items = await listOutboxItems(o.db);
    expect(items.length).toBe(r.skippedNoChat);
    expect(items.every((x) => x.status === 'skipped' && x.chatId === '' && /^no chat/.test(x.reason ?? ''))).toBe(true);
    expect(await listOutbox(o.db)).toEqual([]);
  });

  it('refuses to run or preview before the programme is initialised', async () => {
    const o = await programme(':memory:', false);
    const d = deps(o, new RecordingOutbound());
    await expect(runPass(d, at('2026-03-09T09:00:00+08:00'))).rejects.toMatchObject({ code: 'not_initialised' });
    await expect(previewReminders(d, { from: at('2026-03-01T00:00:00+08:00'), to: at('2026-03-31T00:00:00+08:00') })).rejects.toMatchObject({ code: 'not_initialised' });
  });
});

describe("the plan pushes' content comes from the plan and the task board", () => {
  it('monthly, quarterly, yearly and phase pushes', async () => {
    const o = await programme();
    const out = new RecordingOutbound();
    const d = deps(o, out);
    await complete(o, 7, '2026-01', '2026-01-20T10:00:00+08:00');
    await runPass(d, at('2026-01-04T09:00:00+08:00')); // 调休 Sunday: first working day of 2026
    await runPass(d, at('2026-02-02T09:00:00+08:00'));
    const payload = async (key: string) => (await findItemByKey(o.db, key))?.payload as CardItem;

    const jan = (await payload('monthly:2026-01:oc_lead')).push;
    expect(jan?.type).toBe('monthly');
    if (jan?.type !== 'monthly') throw new Error('monthly push expected');
    expect(jan.due.map((i) => `${i.seq}:${i.period}`)).toContain('7:2026-01');
    expect(jan.due.map((i) => `${i.seq}:${i.period}`)).toContain('21:2026-01-上');
    expect(jan.red).toEqual([]);
    expect(jan.phase?.name).toBe(plan.phases.find((p) => p.id === 'planning')?.name);

    const feb = (await payload('monthly:2026-02:oc_lead')).push;
    if (feb?.type !== 'monthly') throw new Error('monthly push expected');
    // January's items still open are red; task 7's January occurrence was done.
    expect(feb.red.map((i) => `${i.seq}:${i.period}`)).toContain('8:2026-01');
    expect(feb.red.map((i) => `${i.seq}:${i.period}`)).not.toContain('7:2026-01');
    expect(feb.due.map((i) => i.seq)).toEqual(expect.arrayContaining([1, 2]));

    const q1 = (await payload('quarterly:2026-Q1:oc_lead')).push;
    if (q1?.type !== 'quarterly') throw new Error('quarterly push expected');
    expect(q1.planItems.map((i) => i.code)).toEqual(['6.2', '10.2']);
    expect(q1.due.map((i) => `${i.seq}:${i.period}`)).toContain('9:2026-Q1');

    const list = (await payload('yearly:2026:project-list:oc_lead')).push;
    if (list?.type !== 'yearly') throw new Error('yearly push expected');
    expect(list.heading).toBe('年初项目清单');
    expect(list.planItems.map((i) => i.code)).toEqual(['6.1']);
    expect(list.counts.total).toBe(plan.tasks.length);
    expect(list.byCategory.reduce((a, b) => a + b.count, 0)).toBe(plan.tasks.length);

    const pilot = (await payload('phase:pilot:oc_lead')).push;
    if (pilot?.type !== 'phase') throw new Error('phase push expected');
    // The summary's 「2021年6月，街道进行阶段性预验收」 is read in the programme's years (year 1 = 2026).
    expect(pilot.phase).toMatchObject({ name: '示范推进阶段', start: '2026-02', end: '2026-06', summary: programmeText(plan, 2026, plan.phases.find((p) => p.id === 'pilot')!.summary) });
    expect(pilot.phase.summary).toContain('2026年6月,街道进行阶段性预验收');
    expect(pilot.phase.summary).not.toContain('2021');
    // Several pushes to one chat on one day share its card.
    expect(await carriedKeys(o, 'daily:2026-02-02:oc_lead')).toEqual(expect.arrayContaining(['monthly:2026-02:oc_lead', 'phase:pilot:oc_lead']));
    expect(out.sent.filter((s) => s.receiveId === CHATS.leadership && s.idempotencyKey === 'daily:2026-02-02:oc_lead')).toHaveLength(1);
  });

  it('the July and December pushes quote the plan\'s 一年一验收 wording and carry the targets', async () => {
    const o = await programme();
    await runPass(deps(o, new RecordingOutbound()), at('2026-07-01T09:00:00+08:00'));
    const o2 = await programme();
    await runPass(deps(o2, new RecordingOutbound()), at('2026-12-01T09:00:00+08:00'));
    const july = ((await findItemByKey(o.db, 'yearly:2026:self-check:oc_lead'))?.payload as CardItem).push;
    const dec = ((await findItemByKey(o2.db, 'yearly:2026:acceptance:oc_lead'))?.payload as CardItem).push;
    if (july?.type !== 'yearly' || dec?.type !== 'yearly') throw new Error('yearly pushes expected');
    expect(july.phase?.summary).toContain('一年一验收');
    expect(dec.heading).toContain('一年一验收');
    expect(dec.targets?.lines.length).toBeGreaterThan(0);
    expect(dec.red.length).toBeGreaterThan(0);
    // Issue 16 #3: the sample street's numbers are flagged on the push too (this street has no community yet).
    const lines = targetSummaryLines(dec.targets!);
    expect(lines).toContain('- 累计建成示范型社区11个：0/11 ⚠️ 本街道社区共 0 个，无法达成');
    expect(lines[lines.length - 1]).toBe('（方案原文的个数是样板街道的数字，党建办可用「设目标」设置本街道自己的目标）');
  });
});

describe('the weekly digest', () => {
  it('shows last week\'s completions, the next 14 days, overdue items with days and lead units, score changes, targets and lights', async () => {
    const o = await programme();
    const d = deps(o, new RecordingOutbound());
    await complete(o, 1, '2026', '2026-03-04T10:00:00+08:00');
    await complete(o, 4, '2026', '2026-03-05T10:00:00+08:00');
    const clock = fixedClock('2026-03-05T11:00:00+08:00');
    const office = operatorActor();
    await addUnit({ db: o.db, clock }, office, { name: '城东社区', level: 'community', parent: 'XX街道' });
    await setScore({ db: o.db, plan, clock, tz: TZ }, office, { unit: '城东社区', item: '6.1', points: 10, year: 2026 });

    const digest = await buildDigest(d, { weekStart: '2026-03-11', at: at('2026-03-20T00:00:00+08:00') });
    expect(digest).toMatchObject({ weekStart: '2026-03-09', weekEnd: '2026-03-15', lastWeek: { from: '2026-03-02', to: '2026-03-08' }, asOf: '2026-03-09T09:00:00+08:00' });
    expect(digest.completedLastWeek.map((c) => [c.seq, c.late])).toEqual([
      [1, true],
      [4, false],
    ]);
    const t2 = digest.overdue.find((x) => x.seq === 2);
    expect(t2).toMatchObject({ dueDate: '2026-02-28', daysOverdue: 9, workdaysOverdue: 6, leadUnits: ['党建办(组织)', '社管中心'] });
    expect(digest.dueNext14Days.every((x) => x.dueDate >= '2026-03-09' && x.dueDate <= '2026-03-22' && x.status !== 'done')).toBe(true);
    expect(digest.dueNext14Days.map((x) => `${x.seq}:${x.period}`)).toContain('21:2026-03-上');
    expect(digest.gradeChanges.changes.map((c) => c.unit)).toContain('城东社区');
    expect(digest.targets?.lines.length).toBeGreaterThan(0);
    const office2 = digest.lights.find((l) => l.leadUnit === '党建办(组织)');
    expect(office2 && office2.red + office2.yellow + office2.green + office2.done).toBe(plan.tasks.filter((t) => t.leadUnits.includes('党建办(组织)')).length);
    expect(digest.lights.map((l) => l.leadUnit)).toEqual(plan.leadUnits);
  });
});

describe('preview', () => {
  it('lists what the rules would produce without recording or sending anything', async () => {
    const o = await programme();
    const d = deps(o, new RecordingOutbound(), { clock: fixedClock('2026-01-01T00:00:00+08:00') });
    const intents = await previewReminders(d, { from: at('2026-03-09T00:00:00+08:00'), to: at('2026-03-09T09:00:00+08:00') });
    expect(intents.map((i) => i.key)).toEqual(['due:4:2026:d1:oc_djb', 'due:4:2026:d1:oc_sg', 'digest:2026-03-09:oc_lead']);
    expect(await listOutbox(o.db)).toEqual([]);
    void calendar;
  });
});
