/** 自查 / 自评 from the chat: partial saves, submit, refusals, 自评 vs 评定, the office's progress. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import { respondToMessage } from '../../src/bot/dispatch.js';
import type { Reply } from '../../src/bot/types.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { setScore } from '../../src/services/scores.service.js';
import { buttonsOf, cardOf, makeBotFromTemplate, message, OPEN_IDS, replyText, type TestBot } from './support.js';

let bot: TestBot;
beforeEach(async () => {
  bot = await makeBotFromTemplate();
});
afterEach(async () => {
  await bot.close();
});

async function ask(text: string, from: string = OPEN_IDS.secretary): Promise<Reply> {
  const r = await respondToMessage(message(text, { from }), bot.deps);
  if (r.status !== 'replied') throw new Error(`no reply to "${text}": ${r.reason}`);
  return r.reply;
}

const entryCount = async () => Number((await bot.opened.db.selectFrom('self_check_entry').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

/** Every community sub-item at its maximum except those given. */
const COMMUNITY_MAX: Record<string, number> = { '6.1': 10, '6.2': 10, '7.1': 10, '7.2': 10, '8.1': 10, '8.2': 10, '9.1': 5, '9.2': 10, '10.1': 5, '10.2': 10, '10.3': 10 };

describe('自评 and 自查 by a community secretary', () => {
  it('saves sub-items in parts, refuses to submit while pieces are missing, then submits and lists the gaps by points lost', async () => {
    const first = replyText(await ask('自评 城东社区 6.1 8 短板：议事记录不全 措施：每月固定议事日 时限：2026-06-30'));
    expect(first).toContain('城东社区 · 2026 自查清单');
    expect(first).toMatch(/已自评\n┃ 1 \/ 11 项/);
    expect(first).toContain('6.1');
    expect(first).toContain('短板：议事记录不全');
    expect(first).toContain('措施：每月固定议事日 · 时限 2026-06-30');
    // 7.1 loses more: listed first. No texts yet.
    replyText(await ask('自评 城东社区 7.1 5'));
    // A later save of only the score keeps the texts of 6.1.
    await ask('自评 城东社区 6.1 8.5');
    const refused = replyText(await ask('自查 提交 城东社区'));
    expect(refused).toContain('还不能提交');
    expect(refused).toContain('6.2 未自评（满分 10）');
    expect(refused).toContain('7.1 低于满分，缺少短板、措施、完成时限');
    expect(refused).not.toContain('6.1 低于满分');
    for (const [code, max] of Object.entries(COMMUNITY_MAX)) if (code !== '6.1' && code !== '7.1') await ask(`自评 城东社区 ${code} ${max}`);
    await ask('自评 城东社区 7.1 5 短板：网格员不足 措施：招募志愿者 时限：2026年9月30日');
    const submitted = cardOf(await ask('自查 提交 城东社区'));
    expect(submitted.header.template).toBe('green');
    const text = replyText({ kind: 'card', card: submitted });
    expect(text).toContain('已提交（钱书记');
    expect(text).toMatch(/自评总分\n┃ 93\.5 \/ 100/);
    const gapOrder = text.split('\n').filter((l) => /^┃ (6|7)\.1 /.test(l)).map((l) => l.slice(2, 5));
    expect(gapOrder).toEqual(['7.1', '6.1']);
    expect(text).toContain('措施：招募志愿者 · 时限 2026-09-30');
    const audits = await listAudit(bot.opened.db, { action: 'self_check.submit' });
    expect(audits.map((a) => [a.actor, a.subject, a.outcome])).toEqual([['钱书记', '城东社区', 'ok']]);
  });

  it('offers the submit button only when complete', async () => {
    for (const [code, max] of Object.entries(COMMUNITY_MAX)) await ask(`自评 城东社区 ${code} ${max}`);
    const buttons = buttonsOf(cardOf(await ask('自查 城东社区')));
    expect(buttons).toContainEqual({ action: 'command', text: '自查 提交 城东社区' });
  });

  it('fills a compound under its own community, but not another community', async () => {
    expect(replyText(await ask('自评 城东花园小区 11.1 3'))).toContain('城东花园小区 · 2026 自查清单');
    const before = await entryCount();
    const refusal = replyText(await ask('自评 城西社区 6.1 8'));
    expect(refusal).toContain('没有权限');
    expect(refusal).toContain('只有「城西社区」的书记或党建办可以填写自查清单（钱书记 不是）');
    expect(await entryCount()).toBe(before);
    const denied = await listAudit(bot.opened.db, { action: 'self_check.save' });
    expect(denied.filter((a) => a.outcome === 'denied').map((a) => a.subject)).toEqual(['城西社区']);
  });

  it('refuses a self-score above the maximum, a sub-item of another level and a bad date, storing nothing', async () => {
    expect(replyText(await ask('自评 城东社区 9.1 6'))).toContain('指标 9.1 的分数应在 0 到 5 之间，以 0.5 分为单位（收到 6）');
    expect(replyText(await ask('自评 城东社区 1.1 3'))).toContain('社区层面没有指标「1.1」');
    expect(replyText(await ask('自评 城东社区 6.1 8 时限：明年'))).toContain('6.1 的完成时限应为日期');
    expect(replyText(await ask('自评 城东社区 6.1 8 随便写写'))).toContain('短板、措施、时限请分别写成');
    expect(await entryCount()).toBe(0);
  });

  it('shows 自评 vs 评定 once official scores exist, largest differences first', async () => {
    for (const [code, max] of Object.entries(COMMUNITY_MAX)) await ask(`自评 城东社区 ${code} ${max}`);
    for (const [item, points] of Object.entries({ '6.1': 10, '7.1': 4, '8.2': 8 })) await setScore(bot.deps, operatorActor('test'), { unit: '城东社区', item, points, year: 2026 });
    const text = replyText(await ask('自查 城东社区'));
    // The compounds are not assessed: a full self-score still gives 未达标 (sub-unit conditions use official grades).
    expect(text).toContain('自评 vs 评定：100 分 未达标 ｜ 22 分 未达标');
    const lines = text.split('\n').filter((l) => l.includes('：自评 '));
    expect(lines[0]).toContain('7.1');
    expect(lines[0]).toContain('自评 10，评定 4（+6）');
    expect(lines[1]).toContain('8.2');
    expect(lines).toHaveLength(2);
  });

  it('answers 自查 without a unit with the secretary\'s own unit', async () => {
    expect(cardOf(await ask('自查')).header.title.content).toBe('城东社区 · 2026 自查清单');
  });
});

describe('自查 进度', () => {
  it('lists units by level and community for the office, and is refused to a secretary (audited)', async () => {
    for (const [code, max] of Object.entries(COMMUNITY_MAX)) await ask(`自评 城东社区 ${code} ${max}`);
    await ask('自查 提交 城东社区');
    await ask('自评 城东花园小区 11.1 3');
    const text = replyText(await ask('自查 进度', OPEN_IDS.office));
    expect(text).toContain('已提交 1 / 5 个单位');
    expect(text).toMatch(/社区　1 \/ 2/);
    expect(text).toMatch(/✅城东社区（3月10日 10:00）/);
    expect(text).toMatch(/城东社区：📝城东花园小区　⬜城东新村小区/);
    // The leadership's weekly digest shows it while task 1 (自查) is open.
    expect(replyText(await ask('周报', OPEN_IDS.office))).toContain('自查清单：已提交 1 / 5（街道 0/1，社区 1/2，小区 0/2）');
    const refused = replyText(await ask('自查 进度'));
    expect(refused).toContain('只有党建办可以查看自查进度');
    expect((await listAudit(bot.opened.db, { action: 'self_check.progress' })).map((a) => a.outcome)).toEqual(['denied']);
  });
});
