/**
 * Pressing a button on a daily card that carries many items, end to end: the real pass sends the
 * card through the real Lark sender to the fake Lark server, the press goes through the bot's
 * card-action handler, and what the fake server received is checked — the card patched in place
 * with the pressed item marked and every other item and button as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import type { ButtonValue, Card } from '../../src/cards/card.js';
import { renderCardText } from '../../src/cards/card.js';
import { bindChat } from '../../src/db/chat.repository.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { createLarkSender, type LarkSender } from '../../src/lark/sender.js';
import { schedulerSettings } from '../../src/config/scheduler-settings.js';
import { silentLogger } from '../../src/log.js';
import { addMember } from '../../src/services/members.service.js';
import { runPass } from '../../src/services/reminders.service.js';
import { addTask } from '../../src/services/tasks.service.js';
import { makeBot, type TestBot } from '../bot/support.js';
import { startFakeLark, type FakeLark, type FakeMessage } from '../support/fake-lark-server.js';
import { TZ, at, calendar } from './support.js';

const APP_ID = 'cli_card_press_00001';
const APP_SECRET = 'card-press-secret';
const CHAT = 'oc_huanwei';
const PRESSER = { name: '孙环卫', openId: 'ou_huanwei' };

let fake: FakeLark;
let sender: LarkSender;
let bot: TestBot;
let message: FakeMessage;
let original: Card;

const press = (value: ButtonValue, eventId: string, from = PRESSER.openId) =>
  bot.runtime.handleCardAction({ eventId, operatorOpenId: from, value: { ...value }, messageId: message.messageId, chatId: CHAT, token: null });

/** Each line of the card's text with the buttons under it (what a phone shows, top to bottom). */
const lines = (c: Card) => renderCardText(c).text.split('\n');
const buttons = (c: Card) => renderCardText(c).buttons;

beforeAll(async () => {
  fake = await startFakeLark({ appId: APP_ID, appSecret: APP_SECRET });
  sender = createLarkSender({ appId: APP_ID, appSecret: APP_SECRET, domain: fake.url, log: silentLogger });
  bot = await makeBot({ now: '2026-04-29T09:00:00+08:00', outbound: sender });
  const base = { db: bot.opened.db, plan: bot.deps.plan, clock: bot.clock, tz: TZ };
  const office = operatorActor('test');
  // 环卫中心 gets twenty tasks of its own, all due on 30 April: its card of 29 April carries twenty items in full.
  for (let i = 1; i <= 20; i++) await addTask(base, office, { year: 2026, content: `环卫专项整治第 ${i} 项`, deadlineText: '4月底', leadUnits: ['环卫中心'] });
  await addMember(base, office, { name: PRESSER.name, role: 'lead_unit', unit: '环卫中心', openId: PRESSER.openId });
  await bindChat(bot.opened.db, { chatId: CHAT, target: { kind: 'lead', leadUnit: '环卫中心' }, by: 'test', at: 1 });
  await runPass({ db: bot.opened.db, plan: bot.deps.plan, config: { timeZone: TZ }, clock: bot.clock, log: silentLogger, outbound: sender, calendar, settings: bot.deps.settings, workerId: 'press' }, at('2026-04-29T09:00:00+08:00'));
  message = fake.messages.find((m) => m.chatId === CHAT)!;
  original = structuredClone(message.content) as Card;
}, 60_000);

afterAll(async () => {
  await sender?.close();
  await bot?.close();
  await fake?.close();
});

describe('a press on a 20-item daily card', () => {
  it('the card carries twenty items, each with 标记完成 and 明天再提醒', () => {
    expect(fake.messages.filter((m) => m.chatId === CHAT)).toHaveLength(1);
    const b = buttons(original);
    expect(b.filter((v) => v.action === 'task.complete')).toHaveLength(20);
    expect(b.filter((v) => v.action === 'reminder.snooze')).toHaveLength(20);
    expect(b.filter((v) => v.action === 'reminder.list')).toEqual([]);
  });

  it('patches the card at Lark with the pressed item ✅ and the other 19 items and their buttons intact', async () => {
    const all = buttons(original);
    const target = all.filter((v) => v.action === 'task.complete')[6]!;
    const r = await press(target, 'ev_press_1');
    expect(r.toast).toEqual({ type: 'success', content: `已标记完成：任务 ${target.seq} 2026` });
    expect(r.card).toBeUndefined();
    // At the fake server: one PATCH of that very message.
    expect(fake.patches.map((p) => p.messageId)).toEqual([message.messageId]);
    const patched = fake.patches[0]!.content as Card;
    const after = buttons(patched);
    const others = (list: ButtonValue[]) => list.filter((v) => v.seq !== target.seq && v.key !== `due:${target.seq}:2026:d1:${CHAT}`);
    expect(others(after)).toEqual(others(all));
    expect(others(after)).toHaveLength(38);
    expect(after.filter((v) => v.seq === target.seq || v.key === `due:${target.seq}:2026:d1:${CHAT}`)).toEqual([]);
    // Every line of the card is as it was, but for the pressed item's buttons, now its mark.
    const text = (c: Card) => lines(c).filter((l) => !/^┃ \[\d+\]/.test(l) && !l.startsWith('（输入按钮编号'));
    const before = text(original);
    const now = text(patched);
    const marks = now.filter((l) => !before.includes(l));
    expect(marks).toHaveLength(1);
    expect(marks[0]).toMatch(new RegExp(`^┃ ✅ 已完成（${PRESSER.name} 04-29 09:00）$`));
    expect(now.filter((l) => !marks.includes(l))).toEqual(before);
    expect(message.content).toEqual(patched);
  });

  it('a second press on the done item answers with a toast and leaves the card as it is', async () => {
    const target = buttons(original).filter((v) => v.action === 'task.complete')[6]!;
    const r = await press(target, 'ev_press_2');
    expect(r.toast?.type).toBe('info');
    expect(r.toast?.content).toContain(`已由 ${PRESSER.name}`);
    expect(fake.patches).toHaveLength(1);
  });

  it('明天再提醒 on another item marks it 💤, keeping the ✅ of the first and every other button', async () => {
    const snooze = buttons(original).filter((v) => v.action === 'reminder.snooze')[2]!;
    const r = await press(snooze, 'ev_press_3');
    expect(r.toast?.content).toBe('好的，将于 4月30日 09:00 再提醒');
    expect(fake.patches).toHaveLength(2);
    const text = renderCardText(fake.patches[1]!.content as Card).text;
    expect(text).toContain(`✅ 已完成（${PRESSER.name} 04-29 09:00）`);
    expect(text).toContain(`💤 明日再提醒（${PRESSER.name}，4月30日 09:00）`);
    expect(buttons(fake.patches[1]!.content as Card).filter((v) => v.action === 'task.complete')).toHaveLength(18);
  });

  it('a press by someone outside the task\'s lead unit is refused and audited; the card stays', async () => {
    const target = buttons(original).filter((v) => v.action === 'task.complete')[9]!;
    const r = await press(target, 'ev_press_4', 'ou_lead_shzlb');
    expect(r.toast?.type).toBe('error');
    expect(r.toast?.content).toContain('不是任务');
    expect(fake.patches).toHaveLength(2);
    expect((await listAudit(bot.opened.db, { action: 'task.done' })).find((a) => a.outcome === 'denied')).toMatchObject({ actor: '赵治理', source: 'card' });
  });
});

describe('「全部标记完成」 and 「查看全部」 on a card with collapsed lines', () => {
  it('completes every overdue period of the task the presser may complete, one audit row each, and patches the line; 查看全部 goes to the presser alone', async () => {
    // 社管中心 on Monday 30 March, one item in full per card (REMINDER_COALESCE_MAX=1): task 16 (monthly)
    // is overdue for January and February (one line), five items are due tomorrow (one shown, four behind 查看全部).
    const b = await makeBot({ now: '2026-03-30T09:00:00+08:00', outbound: sender, settings: schedulerSettings({ coalesceMax: 1 }) });
    try {
      await bindChat(b.opened.db, { chatId: 'oc_shegu', target: { kind: 'lead', leadUnit: '社管中心' }, by: 'test', at: 2 });
      await runPass({ db: b.opened.db, plan: b.deps.plan, config: { timeZone: TZ }, clock: b.clock, log: silentLogger, outbound: sender, calendar, settings: b.deps.settings, workerId: 'press' }, at('2026-03-30T09:00:00+08:00'));
      const msg = fake.messages.find((m) => m.chatId === 'oc_shegu')!;
      const card = msg.content as Card;
      expect(renderCardText(card).text).toContain('任务 16 健全完善社区党组织领导下的…：逾期 2 期（2026-01、2026-02），最早逾期 58 天');
      const all = buttons(card).find((v) => v.action === 'task.complete_overdue' && v.seq === 16)!;
      const patchesBefore = fake.patches.length;
      const r = await b.runtime.handleCardAction({ eventId: 'ev_all_16', operatorOpenId: 'ou_lead_sgzx', value: { ...all }, messageId: msg.messageId, chatId: 'oc_shegu', token: null });
      expect(r.toast).toEqual({ type: 'success', content: '任务 16：已完成 2 期' });
      const audits = (await listAudit(b.opened.db, { action: 'task.done' })).filter((a) => a.subject === 'task:2026:16' && a.outcome === 'ok');
      expect(audits.map((a) => (JSON.parse(a.detail!) as { period: string }).period).sort()).toEqual(['2026-01', '2026-02']);
      expect(fake.patches.length).toBe(patchesBefore + 1);
      const patched = fake.patches.at(-1)!;
      expect(patched.messageId).toBe(msg.messageId);
      expect(renderCardText(patched.content as Card).text).toContain('✅ 已全部完成（李社管）');
      expect(buttons(patched.content as Card).filter((v) => v.seq !== 16)).toEqual(buttons(card).filter((v) => v.seq !== 16));

      const more = buttons(card).find((v) => v.action === 'reminder.list')!;
      expect(more).toMatchObject({ card: 'daily:2026-03-30:oc_shegu' });
      const sentBefore = fake.messages.length;
      const list = await b.runtime.handleCardAction({ eventId: 'ev_list', operatorOpenId: 'ou_lead_sgzx', value: { ...more }, messageId: msg.messageId, chatId: 'oc_shegu', token: null });
      expect(list.toast?.content).toBe('完整清单已私信发给你');
      const dm = fake.messages.slice(sentBefore);
      expect(dm).toHaveLength(1);
      expect(dm[0]).toMatchObject({ receiveIdType: 'open_id', receiveId: 'ou_lead_sgzx' });
      const listText = renderCardText(dm[0]!.content as Card).text;
      expect(listText).toContain('全部待办｜社管中心 3月30日（周一）');
      for (const seq of [3, 16, 17, 18, 23]) expect(listText).toContain(`任务 ${seq}`);
    } finally {
      await b.close();
    }
  });
});
