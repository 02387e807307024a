/**
 * Assessment rounds: opened and closed from the chat (office only, audited), entries made while
 * a round is open belong to it, closing freezes every unit's grade (a later entry changes neither
 * the frozen grades nor what the round reports), re-opening needs a reason and re-freezes, and
 * `dangjian review` does the same from the shell.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import { respondToMessage } from '../../src/bot/dispatch.js';
import type { Reply } from '../../src/bot/types.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { scoreReport } from '../../src/services/grading.service.js';
import { closedRoundPair, reopenRound, roundList } from '../../src/services/rounds.service.js';
import { setScore } from '../../src/services/scores.service.js';
import { makeBot, message, OPEN_IDS, replyText, type TestBot } from '../bot/support.js';
import { cliOkInProcess, runCliInProcess, tempDbFile } from '../support/cli.js';
import { allRows, firstRow } from '../support/database.js';

let bot: TestBot;
const office = operatorActor('王博文');
const HOUR = 3_600_000;

async function ask(text: string, from: string = OPEN_IDS.office): Promise<string> {
  const r = await respondToMessage(message(text, { from }), bot.deps);
  if (r.status !== 'replied') throw new Error(`no reply to "${text}": ${r.reason}`);
  return replyText(r.reply as Reply);
}

const frozenRow = async (unit: string) =>
  (await firstRow(bot.opened, 'SELECT g.grade, g.total, g.veto, g.assessed FROM assessment_round_grade g JOIN unit u ON u.id = g.unit_id WHERE u.name = ? ORDER BY g.round_id DESC', unit)) as
    | { grade: string; total: number; veto: number; assessed: number }
    | undefined;

beforeAll(async () => {
  bot = await makeBot();
});
afterAll(async () => bot?.close());

describe('assessment rounds from the chat', () => {
  it('refuses a secretary (audited), an unknown kind, and closing when nothing is open', async () => {
    expect(await ask('验收 开始 年度验收', OPEN_IDS.secretary)).toContain('只有党建办可以开始验收（钱书记 不是党建办成员）');
    expect((await listAudit(bot.opened.db, { action: 'round.open' }))[0]).toMatchObject({ outcome: 'denied', actor: '钱书记' });
    expect(await ask('验收 开始 期中考')).toContain('验收种类应为预验收、年度验收、复评之一（收到「期中考」）');
    expect(await ask('验收 开始')).toContain('缺少验收种类（预验收、年度验收、复评）');
    expect(await ask('验收 结束')).toContain('现在没有进行中的验收');
    expect(await ask('验收 暂停')).toContain('「验收」后面写 开始、结束 或 列表（收到「暂停」）');
    expect((await firstRow(bot.opened, 'SELECT count(*) AS n FROM assessment_round'))).toEqual({ n: 0 });
  });

  it('opens a round: entries of its year made while it is open carry its id, other years do not', async () => {
    expect(await ask('验收 开始 预验收 2026')).toContain('2026年预验收 · 已开始');
    expect(await ask('验收 开始 年度验收 2026')).toContain('2026年预验收正在进行，先结束它');
    await setScore(bot.deps, office, { unit: '城东花园小区', item: '11.1', points: 9, year: 2026 });
    await setScore(bot.deps, office, { unit: '城东花园小区', item: '11.1', points: 7, year: 2025 });
    const rows = (await allRows(bot.opened, 'SELECT year, round_id FROM score_entry ORDER BY id')) as Array<{ year: number; round_id: number | null }>;
    const round = (await firstRow(bot.opened, 'SELECT id FROM assessment_round')) as { id: number };
    expect(rows).toEqual([
      { year: 2026, round_id: round.id },
      { year: 2025, round_id: null },
    ]);
  });

  it('closes the round: every unit frozen as it stood; a later entry changes neither the frozen grade nor the round', async () => {
    bot.clock.advance(HOUR);
    const closedText = await ask('验收 结束');
    expect(closedText).toContain('2026年预验收 · 已结束');
    expect(closedText).toContain('冻结 5 个单位的等级；本轮录入 1 条分数');
    const atClose = await scoreReport(bot.deps, '城东花园小区', 2026);
    expect(await frozenRow('城东花园小区')).toEqual({ grade: atClose.grade, total: 9, veto: 0, assessed: 1 });

    bot.clock.advance(HOUR);
    await setScore(bot.deps, office, { unit: '城东花园小区', item: '11.1', points: 4, year: 2026 });
    await setScore(bot.deps, office, { unit: '城东花园小区', item: '11.2', points: 5, year: 2026 });
    expect((await scoreReport(bot.deps, '城东花园小区', 2026)).total).toBe(9);
    expect(await frozenRow('城东花园小区')).toEqual({ grade: atClose.grade, total: 9, veto: 0, assessed: 1 });
    const pair = await closedRoundPair(bot.deps);
    const frozen = pair.current.units.find((u) => u.name === '城东花园小区')!;
    expect(frozen.detail.items.filter((i) => i.assessed).map((i) => [i.code, i.points])).toEqual([['11.1', 9]]);
    expect(pair.previous).toBeNull();

    const [listed] = await roundList(bot.deps);
    expect(listed).toMatchObject({ label: '2026年预验收', open: false, entries: 1, laterEntries: 2 });
    expect(listed!.history.map((h) => h.action)).toEqual(['open', 'close']);
    expect(await ask('验收')).toContain('2026年预验收 已结束');
    expect(await ask('验收')).toContain('结束后更正 2 条');
    expect(await ask('验收 开始 预验收 2026')).toContain('2026年预验收已于');
  });

  it('re-opens only for the office, with a reason, audited; closing again freezes anew', async () => {
    const secretary = { name: '钱书记', role: 'secretary' as const, leadUnit: null, unitId: null, openId: OPEN_IDS.secretary, source: 'chat' as const };
    await expect(reopenRound(bot.deps, secretary, { year: 2026, reason: '补录' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(reopenRound(bot.deps, office, { year: 2026, reason: '  ' })).rejects.toMatchObject({ message: '重新开启验收需要写明原因' });
    await expect(reopenRound(bot.deps, office, { year: 2025, reason: '补录' })).rejects.toMatchObject({ message: '2025 年没有已结束的验收' });
    await reopenRound(bot.deps, office, { year: 2026, kind: '预验收', reason: '城东花园小区漏评一项' });
    expect((await listAudit(bot.opened.db, { action: 'round.reopen' })).map((a) => [a.actor, a.outcome])).toEqual([
      ['王博文', 'ok'],
      ['钱书记', 'denied'],
    ]);
    await expect(closedRoundPair(bot.deps, { year: 2026 })).rejects.toMatchObject({ message: '2026年预验收还在进行，结束后才能通报' });
    bot.clock.advance(HOUR);
    await ask('验收 结束 2026');
    expect(await frozenRow('城东花园小区')).toMatchObject({ total: 9, assessed: 2 });
    const [listed] = await roundList(bot.deps);
    expect(listed!.history.map((h) => [h.actionName, h.reason])).toEqual([
      ['开始', null],
      ['结束', null],
      ['重新开启', '城东花园小区漏评一项'],
      ['结束', null],
    ]);
  });
});

describe('dangjian review', () => {
  it('opens, closes, re-opens and lists rounds in Chinese; a bad kind is a Chinese error', async () => {
    const db = tempDbFile('dangjian-review-');
    await cliOkInProcess(db, ['init', '--year', '2026', '--street', '城东街道']);
    expect(await cliOkInProcess(db, ['review', 'open', '--kind', '年度验收', '--year', '2026'])).toBe('已开始2026年年度验收：此后录入的 2026 年分数属于这一轮，结束时冻结各单位等级\n');
    const bad = await runCliInProcess(['review', 'open', '--kind', '大考', '--db', db]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('验收种类应为预验收、年度验收、复评之一（收到「大考」）');
    expect(await cliOkInProcess(db, ['review', 'close', '--year', '2026'])).toBe('已结束2026年年度验收：冻结 1 个单位的等级，本轮录入 0 条\n');
    expect(await cliOkInProcess(db, ['review', 'reopen', '--year', '2026', '--reason', '复核'])).toContain('已重新开启2026年年度验收');
    const list = await cliOkInProcess(db, ['review', 'list']);
    expect(list).toMatch(/^2026年年度验收  进行中  本轮录入 0 条\n/);
    expect(list).toContain('重新开启：复核');
  });
});
