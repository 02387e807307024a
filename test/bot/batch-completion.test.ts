/**
 * 「完成」 and 「撤销」 for several occurrences at once: ranges of months or periods, 全部逾期, several
 * tasks. The same permissions as one by one, checked per occurrence: a refusal in the middle of a
 * batch leaves the others done; one audit row per occurrence; a compact reply.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { respondToMessage } from '../../src/bot/dispatch.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { activeCompletions, findTask } from '../../src/db/task.repository.js';
import { makeBotFromTemplate, message, NAMES, OPEN_IDS, replyText, type TestBot } from './support.js';

let bot: TestBot;
beforeEach(async () => {
  bot = await makeBotFromTemplate();
});
afterEach(async () => {
  await bot.close();
});

const ask = async (text: string, from: string = OPEN_IDS.leadUnit) => {
  const r = await respondToMessage(message(text, { from }), bot.deps);
  if (r.status !== 'replied') throw new Error(`not answered: ${r.status}`);
  return replyText(r.reply);
};
const done = async (seq: number) => {
  const t = await findTask(bot.opened.db, 2026, seq);
  return (await activeCompletions(bot.opened.db, [t!.id])).map((c) => c.period).sort();
};
const audits = async (action: string, outcome: string) =>
  (await listAudit(bot.opened.db, { action, limit: 1000 }))
    .filter((a) => a.outcome === outcome)
    .map((a) => `${a.subject} ${(JSON.parse(a.detail ?? '{}') as { period?: string }).period}`)
    .sort();

describe('batch completion (「完成 8 1-11月」 …)', () => {
  it('completes the permitted tasks of a batch and refuses, per occurrence, the one in the middle that belongs to another lead unit', async () => {
    // 李社管 (社管中心): tasks 16 and 18 (monthly) are 社管中心's, task 21 (twice a month) is 党建办(组织)'s.
    const text = await ask('完成 16,21,18 1-2月');
    expect(await done(16)).toEqual(['2026-01', '2026-02']);
    expect(await done(21)).toEqual([]);
    expect(await done(18)).toEqual(['2026-01', '2026-02']);
    // One audit row per occurrence: four completed, four refused with the reason.
    expect(await audits('task.done', 'ok')).toEqual(['task:2026:16 2026-01', 'task:2026:16 2026-02', 'task:2026:18 2026-01', 'task:2026:18 2026-02']);
    expect(await audits('task.done', 'denied')).toEqual(['task:2026:21 2026-01-上', 'task:2026:21 2026-01-下', 'task:2026:21 2026-02-上', 'task:2026:21 2026-02-下']);
    // The reply lists what was done and what was refused, as ranges rather than eight lines.
    expect(text).toContain('批量完成｜任务 16、18、21');
    expect(text).toContain('✅ 已标记完成 4 期');
    expect(text).toContain('- 任务 16：2026-01、2026-02');
    expect(text).toContain('- 任务 18：2026-01、2026-02');
    expect(text).toContain('❌ 未完成 4 期');
    expect(text).toMatch(/- 任务 21：2026-01-上 … 2026-02-下（4 期）：你不是任务 21 的牵头单位（党建办\(组织\)）成员/);
  });

  it('「完成 8 全部逾期」 completes every overdue period, and 「撤销 8 1-2月」 takes them back, one audit row each', async () => {
    // Tuesday 10 March: task 8 (monthly, 社会治理办) is overdue for January and February; March is running.
    const text = await ask('完成 8 全部逾期', OPEN_IDS.otherLeadUnit);
    expect(await done(8)).toEqual(['2026-01', '2026-02']);
    expect(text).toContain('- 任务 8：2026-01、2026-02');
    const undone = await ask('撤销 8 2026-01..2026-02', OPEN_IDS.otherLeadUnit);
    expect(await done(8)).toEqual([]);
    expect(undone).toContain('批量撤销｜任务 8');
    expect(undone).toContain('✅ 已撤销完成 2 期');
    expect(await audits('task.undo', 'ok')).toEqual(['task:2026:8 2026-01', 'task:2026:8 2026-02']);
    expect((await listAudit(bot.opened.db, { action: 'task.undo' })).every((a) => a.actor === NAMES.otherLeadUnit)).toBe(true);
  });

  it('a range over periods already done or not yet started completes the rest and says why not the others', async () => {
    await ask('完成 16 2026-01', OPEN_IDS.leadUnit);
    const text = await ask('完成 16 1-4月', OPEN_IDS.leadUnit);
    expect(await done(16)).toEqual(['2026-01', '2026-02', '2026-03']);
    expect(text).toContain('- 任务 16：2026-02、2026-03');
    expect(text).toMatch(/- 任务 16：2026-01：任务 16 的周期 2026-01 已由 李社管 于 .* 标记完成/);
    expect(text).toMatch(/- 任务 16：2026-04：2026-04 从 2026-04-01 开始，尚未开始/);
  });

  it('refuses what it cannot read, naming what is wrong, and changes nothing', async () => {
    expect(await ask('完成 16 13-14月')).toContain('不认识期次「13-14月」');
    expect(await ask('完成 16,21 备注')).toContain('同时处理多项任务时请写明期次');
    expect(await ask('撤销 16 全部逾期')).toContain('撤销需要写明期次范围');
    expect(await ask('完成 0-3 3月')).toContain('任务序号应为正整数');
    expect(await done(16)).toEqual([]);
    expect(await audits('task.done', 'ok')).toEqual([]);
  });
});
