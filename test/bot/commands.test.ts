import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import { respondToMessage, handleMessage, handleCardAction } from '../../src/bot/dispatch.js';
import type { Reply } from '../../src/bot/types.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { findChat } from '../../src/db/chat.repository.js';
import { findMemberByName } from '../../src/db/member.repository.js';
import { activeVetoes, latestScores } from '../../src/db/score.repository.js';
import { findUnitByName } from '../../src/db/unit.repository.js';
import { setScore } from '../../src/services/scores.service.js';
import { findTask, activeCompletions } from '../../src/db/task.repository.js';
import { buttonsOf, cardOf, GROUP, makeBot, message, OPEN_IDS, replyText, UNBOUND_GROUP, type TestBot } from './support.js';

let bot: TestBot;
beforeEach(async () => {
  bot = await makeBot();
});
afterEach(async () => {
  await bot.close();
});

async function ask(text: string, o: Parameters<typeof message>[1] = {}): Promise<Reply> {
  const r = await respondToMessage(message(text, o), bot.deps);
  if (r.status !== 'replied') throw new Error(`no reply to "${text}": ${r.reason}`);
  return r.reply;
}

async function scoreUnit(unit: string, points: Record<string, number>) {
  for (const [item, p] of Object.entries(points)) await setScore(bot.deps, operatorActor('test'), { unit, item, points: p, year: 2026 });
}

const COMMUNITY_FULL = { '6.1': 10, '6.2': 10, '7.1': 10, '7.2': 10, '8.1': 10, '8.2': 10, '9.1': 5, '9.2': 10, '10.1': 5, '10.2': 10, '10.3': 10 };

async function completionsOf(seq: number) {
  const task = await findTask(bot.opened.db, 2026, seq);
  return activeCompletions(bot.opened.db, [task!.id]);
}

describe('帮助 / help', () => {
  it('lists every command with an example, office-only ones apart', async () => {
    const text = replyText(await ask('帮助'));
    for (const word of ['得分', '排名', '任务', '完成', '撤销', '周报', '目标', '录分', '否决', '订阅', '绑定']) expect(text).toContain(word);
    expect(text).toMatch(/仅党建办[\s\S]*录分/);
    expect(text).toContain('例：「得分 城东 2026」');
  });

  it('accepts the English alias with a leading slash and explains one command', async () => {
    const text = replyText(await ask('/help 得分'));
    expect(text).toContain('命令：得分');
    expect(text).toContain('得分 〈单位〉[年份]');
  });

  it('answers a bare @mention with the help card', async () => {
    expect(replyText(await ask('', { text: '@_user_1' }))).toContain('使用说明');
  });
});

describe('得分 / score', () => {
  it('finds 城东社区 from 「城东」 although compounds also contain it, and shows blockers and the gap', async () => {
    await scoreUnit('城东社区', { ...COMMUNITY_FULL, '10.3': 0, '9.1': 0 });
    const reply = await ask('得分 城东');
    const card = cardOf(reply);
    expect(card.header.title.content).toBe('城东社区 · 85 分 · 未达标');
    expect(card.header.template).toBe('red');
    const text = replyText(reply);
    expect(text).toContain('85 / 100');
    expect(text).toContain('6. 深化社区“大党委”工作制度 | 20 / 20 | 2/2');
    expect(text).toContain('距「标准型」');
    expect(text).toMatch(/小区/);
  });

  it('colours a 示范型 unit green and a 标准型 unit blue', async () => {
    await scoreUnit('城西社区', COMMUNITY_FULL);
    expect(cardOf(await ask('score 城西社区')).header.template).toBe('green');
    await scoreUnit('城西社区', { '10.3': 0, '10.2': 0 });
    const card = cardOf(await ask('得分 城西社区 2026'));
    expect(card.header.template).toBe('blue');
    expect(card.header.title.content).toContain('标准型');
  });

  it('lists candidates as buttons when a fragment matches several units, and a button runs the command', async () => {
    const reply = await ask('得分 小区');
    expect(replyText(reply)).toContain('找到多个单位');
    const buttons = buttonsOf(cardOf(reply));
    expect(buttons.map((b) => b.text)).toEqual(['得分 城东新村小区', '得分 城东花园小区']);
    const pressed = await handleCardAction({ eventId: 'ev_pick', operatorOpenId: OPEN_IDS.office, value: buttons[1]!, messageId: 'om_x', chatId: GROUP, token: null }, bot.deps);
    expect(pressed.card?.header.title.content).toContain('城东花园小区');
  });

  it('names the missing unit and shows a correct example', async () => {
    const text = replyText(await ask('得分'));
    expect(text).toContain('〈单位〉：缺少单位名称');
    expect(text).toContain('例如：「得分 城东 2026」');
  });

  it('says when no unit matches', async () => {
    expect(replyText(await ask('得分 不存在'))).toContain('没有找到名称包含「不存在」的单位');
  });

  it('rejects a malformed year', async () => {
    expect(replyText(await ask('得分 城西社区 20x6'))).toContain('没有找到名称包含「城西社区 20x6」');
    expect(replyText(await ask('得分 城西社区 1999'))).toContain('年份应在 2000–2100 之间');
  });
});

describe('排名 / rank', () => {
  it('ranks communities by default with grade counts', async () => {
    await scoreUnit('城西社区', COMMUNITY_FULL);
    const text = replyText(await ask('排名'));
    expect(text).toContain('XX街道 · 社区排名 · 2026 年度');
    expect(text).toMatch(/1 \| 城西社区 \| 100 \| 🟢 示范型/);
    // 城东社区 has no entry this year: 「尚无评分」, not 「0 分 · 未达标」 (plan-readings A10).
    expect(text).toMatch(/2 \| 城东社区 \| — \| ⚪ 尚无评分/);
    expect(text).toMatch(/示范型\n┃ 1 个/);
    expect(text).toMatch(/尚无评分\n┃ 1 个/);
    expect(text).toMatch(/未达标\n┃ 0 个/);
  });

  it('ranks across the whole database with 全部', async () => {
    expect(replyText(await ask('排名 社区 全部'))).toMatch(/┏━ 社区排名 · 2026 年度/);
  });

  it('ranks compounds within a community given loosely', async () => {
    const text = replyText(await ask('rank 小区 城东'));
    expect(text).toContain('城东社区 · 小区排名');
    expect(text).toContain('城东花园小区');
  });

  it('rejects an unknown level naming the valid ones', async () => {
    expect(replyText(await ask('排名 村'))).toContain('不认识的层级「村」');
  });
});

describe('任务 / tasks', () => {
  it('defaults to the red and yellow tasks with their lead units and a 标记完成 button', async () => {
    const reply = await ask('任务');
    const text = replyText(reply);
    expect(text).toContain('任务 · 需关注 · 2026');
    expect(text).toContain('🔴 | 1 |');
    expect(text).toContain('党建办(组织)、社管中心');
    expect(text).not.toContain('| 5 |');
    // The button names its list, so that a press re-renders this list in place.
    expect(buttonsOf(cardOf(reply))[0]).toMatchObject({ action: 'task.complete', year: 2026, seq: 1, period: '2026', listTitle: '任务 · 需关注 · 2026' });
  });

  it('shows one task with its periods', async () => {
    const text = replyText(await ask('任务 8'));
    expect(text).toContain('任务 8 · 红灯（逾期）');
    expect(text).toContain('2026-02 | 2026-02-28 | 🔴');
    expect(text).toContain('[1] 标记完成 2026-01');
  });

  it('filters 逾期, 本周 and 全部', async () => {
    const overdue = replyText(await ask('任务 逾期'));
    expect(overdue).toContain('🔴 | 1 |');
    expect(overdue).not.toContain('🟡 |');
    const week = replyText(await ask('tasks week'));
    expect(week).toContain('本周到期（2026-03-09 ~ 2026-03-15）');
    expect(week).toContain('| 4 |');
    expect(replyText(await ask('任务 全部'))).toContain('| 25 |');
  });

  it("lists 我的 as the sender's lead unit", async () => {
    const text = replyText(await ask('任务 我的', { from: OPEN_IDS.otherLeadUnit }));
    expect(text).toContain('任务 · 社会治理办');
    expect(text).toContain('| 8 |');
    expect(text).not.toContain('| 1 |');
  });

  it('explains 我的 to someone without a lead unit', async () => {
    expect(replyText(await ask('任务 我的', { from: OPEN_IDS.leader }))).toContain('不属于任何牵头单位');
  });

  it('names an unknown task number', async () => {
    expect(replyText(await ask('任务 99'))).toContain('2026 年没有序号为 99 的任务');
  });
});

describe('完成 / done and 撤销 / undo', () => {
  it('completes the earliest open period, with a note, and updates the card', async () => {
    const text = replyText(await ask('完成 8 本月兑换已开展', { from: OPEN_IDS.otherLeadUnit }));
    expect(text).toContain('赵治理 已将任务 8 的 2026-01 标记完成（逾期完成）');
    expect(text).toContain('备注：本月兑换已开展');
    const rows = await completionsOf(8);
    expect(rows.map((r) => [r.period, r.note, r.doneBy])).toEqual([['2026-01', '本月兑换已开展', '赵治理']]);
  });

  it('understands periods as people type them', async () => {
    await ask('完成 8 3月', { from: OPEN_IDS.office });
    await ask('done 8 2026-02', { from: OPEN_IDS.office });
    await ask('完成 9 一季度', { from: OPEN_IDS.office });
    expect((await completionsOf(8)).map((r) => r.period).sort()).toEqual(['2026-02', '2026-03']);
    expect((await completionsOf(9)).map((r) => r.period)).toEqual(['2026-Q1']);
  });

  it('refuses a second completion of the same period, naming who did it', async () => {
    await ask('完成 1');
    expect(replyText(await ask('完成 1'))).toContain('已由 王博文');
    expect(await completionsOf(1)).toHaveLength(1);
  });

  it('undoes the latest completion', async () => {
    await ask('完成 1');
    const text = replyText(await ask('撤销 1'));
    expect(text).toContain('撤销了任务 1 的 2026 完成标记');
    expect(await completionsOf(1)).toHaveLength(0);
    expect(replyText(await ask('undo 1'))).toContain('尚未完成，无需撤销');
  });

  it('names a bad task number and a period that does not exist', async () => {
    expect(replyText(await ask('完成 abc'))).toContain('任务序号应为正整数');
    expect(replyText(await ask('完成 8 2026-13'))).toContain('没有周期');
    expect(await completionsOf(8)).toHaveLength(0);
  });
});

describe('目标 / targets', () => {
  it('shows the current milestone first with reached / required counts', async () => {
    const text = replyText(await ask('目标'));
    expect(text).toContain('行动目标进度');
    expect(text.indexOf('2026-06-30 · 当前')).toBeLessThan(text.indexOf('已到期'));
    expect(text).toContain('标准型社区达100% | 0 / 2');
  });
});

describe('周报 / digest', () => {
  it('shows this week’s digest, the same card the weekly push sends', async () => {
    const card = cardOf(await ask('周报'));
    expect(card.header.title.content).toBe('周报｜XX街道 2026-03-09 至 2026-03-15');
    expect(replyText({ kind: 'card', card })).toContain('逾期事项');
  });
});

describe('录分 / setscore and 否决 / veto (office)', () => {
  it('records a score and shows the new total', async () => {
    const text = replyText(await ask('录分 城西 6.2 8'));
    expect(text).toContain('已录分 · 城西社区');
    expect(text).toContain('得分：8 / 10（2026 年度，录入人 王博文）');
    const unit = await findUnitByName(bot.opened.db, '城西社区');
    expect(await latestScores(bot.opened.db, 2026, [unit!.id])).toEqual([{ unit_id: unit!.id, item_code: '6.2', points: 8 }]);
  });

  it('rejects an item of another level, points over the maximum and a malformed item, changing nothing', async () => {
    expect(replyText(await ask('录分 城西社区 4.2 3'))).toContain('指标 4.2 属于街道层面');
    expect(replyText(await ask('录分 城西社区 6.2 11'))).toContain('分数应在 0 到 10 之间');
    expect(replyText(await ask('录分 城西社区 六点二 3'))).toContain('指标编号写作');
    expect(replyText(await ask('录分 城西社区 6.2'))).toContain('〈分〉：缺少分数');
    expect(await latestScores(bot.opened.db, 2026)).toEqual([]);
  });

  it('sets a veto with its reason', async () => {
    const text = replyText(await ask('否决 城西社区 发生重大安全事故 两人受伤'));
    expect(text).toContain('原因：发生重大安全事故 两人受伤');
    const unit = await findUnitByName(bot.opened.db, '城西社区');
    expect((await activeVetoes(bot.opened.db, 2026, [unit!.id])).map((v) => v.reason)).toEqual(['发生重大安全事故 两人受伤']);
  });

  it('asks for a reason', async () => {
    expect(replyText(await ask('否决 城西社区'))).toContain('缺少否决原因');
  });
});

describe('订阅 / subscribe and 绑定 / bind (office)', () => {
  it('binds a new group to a lead unit given loosely', async () => {
    const text = replyText(await ask('订阅 社管', { chatId: UNBOUND_GROUP }));
    expect(text).toContain('本群已订阅「牵头单位 社管中心」');
    expect((await findChat(bot.opened.db, UNBOUND_GROUP))?.target).toEqual({ kind: 'lead', leadUnit: '社管中心' });
  });

  it('binds a group to the leadership group or a unit', async () => {
    await ask('subscribe 领导小组', { chatId: UNBOUND_GROUP });
    expect((await findChat(bot.opened.db, UNBOUND_GROUP))?.target).toEqual({ kind: 'leadership' });
    await ask('订阅 城西', { chatId: UNBOUND_GROUP });
    expect((await findChat(bot.opened.db, UNBOUND_GROUP))?.target).toEqual({ kind: 'unit', unitName: '城西社区' });
  });

  it('refuses a subscription in a one-to-one chat and an unknown target', async () => {
    expect(replyText(await ask('订阅 领导小组', { chatType: 'p2p' }))).toContain('订阅只能在群聊中使用');
    expect(replyText(await ask('订阅 火星', { chatId: UNBOUND_GROUP }))).toContain('既不是领导小组');
    expect(await findChat(bot.opened.db, UNBOUND_GROUP)).toBeUndefined();
  });

  it('取消订阅 ends this chat\'s subscription (office only); a chat without one is told so', async () => {
    await ask('订阅 社管', { chatId: UNBOUND_GROUP });
    expect(replyText(await ask('取消订阅', { chatId: UNBOUND_GROUP, from: OPEN_IDS.leader }))).toContain('党建办');
    expect(await findChat(bot.opened.db, UNBOUND_GROUP)).toBeDefined();
    expect(replyText(await ask('取消订阅', { chatId: UNBOUND_GROUP }))).toContain('本群不再接收「牵头单位 社管中心」的提醒和周报');
    expect(await findChat(bot.opened.db, UNBOUND_GROUP)).toBeUndefined();
    expect(replyText(await ask('取消订阅', { chatId: UNBOUND_GROUP }))).toContain(`群 ${UNBOUND_GROUP} 没有订阅任何内容`);
    const audit = await listAudit(bot.opened.db, { limit: 10 });
    expect(audit.filter((a) => a.action === 'chat.unbind').map((a) => a.outcome).sort()).toEqual(['denied', 'ok']);
  });

  it('binds a roster name to the @-mentioned user', async () => {
    const text = replyText(
      await ask('', {
        text: '@_user_1 绑定 顾爱萍 @_user_2',
        mentions: [
          { key: '@_user_1', openId: 'ou_bot_dangjian', name: '党建助手' },
          { key: '@_user_2', openId: 'ou_gu', name: '顾爱萍' },
        ],
      }),
    );
    expect(text).toContain('花名册「顾爱萍」（领导小组成员）已绑定到 顾爱萍');
    expect((await findMemberByName(bot.opened.db, '顾爱萍'))?.open_id).toBe('ou_gu');
  });

  it('asks for the @ when it is missing and names an unknown roster name', async () => {
    expect(replyText(await ask('绑定 顾爱萍'))).toContain('请 @ 要绑定的人');
    expect(replyText(await ask('绑定 无此人 ou_someone'))).toContain('花名册中没有「无此人」');
    expect((await findMemberByName(bot.opened.db, '顾爱萍'))?.open_id).toBeNull();
  });
});

describe('sending', () => {
  it('replies to the message with idempotency key reply:<messageId> and the card as interactive content', async () => {
    const msg = message('帮助');
    await handleMessage(msg, bot.deps);
    expect(bot.outbound.replies).toHaveLength(1);
    const r = bot.outbound.replies[0]!;
    expect(r).toMatchObject({ messageId: msg.messageId, msgType: 'interactive', idempotencyKey: `reply:${msg.messageId}`, chatId: msg.chatId });
    expect((r.content as { schema: string }).schema).toBe('2.0');
  });

  it('audits every write the commands make', async () => {
    await ask('录分 城西社区 6.2 8');
    await ask('完成 1');
    const actions = (await listAudit(bot.opened.db)).filter((a) => a.actor === '王博文').map((a) => `${a.action}:${a.outcome}:${a.source}`);
    expect(actions).toEqual(expect.arrayContaining(['score.set:ok:chat', 'task.done:ok:chat']));
  });
});
