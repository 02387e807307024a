/** A submitted self-check's measures become the unit's own items: 事项, done / undo, and the unit chat's daily card. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { handleCardAction, respondToMessage } from '../../src/bot/dispatch.js';
import type { Reply } from '../../src/bot/types.js';
import { renderCardText, type Card } from '../../src/cards/card.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { bindChat } from '../../src/db/chat.repository.js';
import { runPass } from '../../src/services/reminders.service.js';
import { buttonsOf, cardOf, makeBotFromTemplate, message, OPEN_IDS, replyText, TZ, type TestBot } from './support.js';

const UNIT_CHAT = 'oc_unit_chengdong';
const FULL: Record<string, number> = { '6.2': 10, '7.1': 10, '7.2': 10, '8.1': 10, '8.2': 10, '9.1': 5, '9.2': 10, '10.1': 5, '10.2': 10, '10.3': 10 };

let bot: TestBot;
beforeEach(async () => {
  bot = await makeBotFromTemplate();
  await bindChat(bot.opened.db, { chatId: UNIT_CHAT, target: { kind: 'unit', unitName: '城东社区' }, by: 'test', at: 1 });
});
afterEach(async () => {
  await bot.close();
});

async function ask(text: string, from: string = OPEN_IDS.secretary, chatId = UNIT_CHAT): Promise<Reply> {
  const r = await respondToMessage(message(text, { from, chatId }), bot.deps);
  if (r.status !== 'replied') throw new Error(`no reply to "${text}": ${r.reason}`);
  return r.reply;
}

async function submitWithMeasure(date: string) {
  for (const [code, max] of Object.entries(FULL)) await ask(`自评 ${code} ${max}`);
  await ask(`自评 6.1 8 短板：议事记录不全 措施：每月固定议事日 时限：${date}`);
  expect(replyText(await ask('自查 提交'))).toContain('已提交');
}

const pass = (iso: string) =>
  runPass({ db: bot.opened.db, plan: bot.deps.plan, config: { timeZone: TZ }, clock: fixedClock(iso), log: bot.deps.log, outbound: bot.outbound, calendar: bot.deps.calendar, settings: bot.deps.settings, workerId: 'test' }, Date.parse(iso));

const cardsTo = (chatId: string) => bot.outbound.sent.filter((m) => m.receiveId === chatId).map((m) => renderCardText(m.content as Card));

describe('a unit\'s own items', () => {
  it('lists the measure on 事项 after submitting, and the secretary marks it done and undoes it', async () => {
    expect(replyText(await ask('事项'))).toContain('没有在办的事项');
    await submitWithMeasure('2026-03-20');
    const board = cardOf(await ask('事项'));
    const text = renderCardText(board).text;
    expect(text).toContain('城东社区 · 本单位事项（1 项在办）');
    expect(text).toContain('1. 自查 6.1：每月固定议事日');
    expect(text).toContain('自查 · 时限 2026-03-20 · 🟢');
    expect(buttonsOf(board)).toEqual([{ action: 'command', text: '完成事项 1' }]);
    const done = replyText(await ask('完成事项 1'));
    expect(done).toContain('✅ 已完成：自查 6.1：每月固定议事日');
    expect(done).toContain('0 项在办');
    const undone = replyText(await ask('撤销事项 1'));
    expect(undone).toContain('↩️ 已撤销完成');
    expect(undone).toContain('1 项在办');
    expect((await listAudit(bot.opened.db, {})).filter((a) => a.action.startsWith('unit_item.')).map((a) => [a.action, a.outcome]).sort()).toEqual([
      ['unit_item.done', 'ok'],
      ['unit_item.undo', 'ok'],
    ]);
  });

  it('refuses done to someone who is not the unit\'s secretary (audited), changing nothing', async () => {
    await submitWithMeasure('2026-03-20');
    expect(replyText(await ask('完成事项 1', OPEN_IDS.leadUnit))).toContain('只有「城东社区」的书记或党建办可以完成这个事项（李社管 不是）');
    expect(replyText(await ask('事项'))).toContain('1 项在办');
    expect((await listAudit(bot.opened.db, { action: 'unit_item.done' })).map((a) => a.outcome)).toEqual(['denied']);
  });

  it('follows later changes of the measure: a new date moves the item, reaching the maximum retires it', async () => {
    await submitWithMeasure('2026-03-20');
    await ask('自评 6.1 8 时限：2026-04-30');
    expect(replyText(await ask('事项'))).toContain('时限 2026-04-30');
    await ask('自评 6.1 10');
    expect(replyText(await ask('事项'))).toContain('没有在办的事项');
  });

  it('reminds the unit chat in its daily card before and on the date, and stops once done', async () => {
    await submitWithMeasure('2026-03-20');
    await pass('2026-03-13T09:00:00+08:00');
    const before = cardsTo(UNIT_CHAT);
    expect(before).toHaveLength(1);
    expect(before[0]!.text).toContain('本单位事项（1）');
    expect(before[0]!.text).toContain('1. 自查 6.1：每月固定议事日');
    expect(before[0]!.text).toContain('还有 7 天');
    expect(before[0]!.buttons).toContainEqual({ action: 'unit_item.complete', id: 1 });
    await pass('2026-03-20T09:00:00+08:00');
    expect(cardsTo(UNIT_CHAT).at(-1)!.text).toContain('今天到期');
    // The button on the shared card: a toast for the presser, the card left as it is; refused to others (audited).
    const press = (from: string, eventId: string) => handleCardAction({ eventId, operatorOpenId: from, value: { action: 'unit_item.complete', id: 1 }, messageId: 'om_daily', chatId: UNIT_CHAT, token: null }, bot.deps);
    expect(await press(OPEN_IDS.leadUnit, 'ev_ui_1')).toEqual({ toast: { type: 'error', content: expect.stringContaining('只有「城东社区」的书记或党建办可以完成这个事项') } });
    expect(await press(OPEN_IDS.secretary, 'ev_ui_2')).toEqual({ toast: { type: 'success', content: '已完成：自查 6.1：每月固定议事日（发送「撤销事项 1」可撤销）' } });
    const sentBefore = bot.outbound.sent.length;
    await pass('2026-03-23T09:00:00+08:00');
    expect(cardsTo(UNIT_CHAT).slice(sentBefore).some((c) => c.text.includes('本单位事项'))).toBe(false);
  });
});
