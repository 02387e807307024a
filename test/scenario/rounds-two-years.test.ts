/**
 * Two years of assessment rounds, end to end: the office opens and closes 2026年年度验收 and
 * 2027年年度验收 from the chat; each close pushes the 通报 through the daily cards (the whole to
 * the leadership chat, each named unit's own lines to its unit chat); round 2 shows 晋位 / 保持 /
 * 降级 against round 1; a score entered after round 2 closed changes neither its grades nor its
 * 通报 (card and .xlsx); the .xlsx is read back and checked against the frozen grades in SQL.
 */
import type ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import { respondToMessage } from '../../src/bot/dispatch.js';
import { renderCardText, type Card } from '../../src/cards/card.js';
import { bindChat } from '../../src/db/chat.repository.js';
import { LAST_PASS_SETTING, runPass } from '../../src/services/reminders.service.js';
import { setSetting } from '../../src/db/setting.repository.js';
import { writeWorkbook } from '../../src/export/workbook.js';
import { silentLogger } from '../../src/log.js';
import { GRADE_NAMES_ZH, type Level } from '../../src/plan/schema.js';
import { exportWorkbook } from '../../src/services/export.service.js';
import { setScore, setVeto } from '../../src/services/scores.service.js';
import { addUnit } from '../../src/services/units.service.js';
import { makeBot, message, replyText, TZ, type TestBot } from '../bot/support.js';
import { readWorkbook, sheetRows, xlsxProblems } from '../support/xlsx.js';

let bot: TestBot;
const office = operatorActor('王博文');
const UNIT_CHATS = { 城东花园小区: 'oc_unit_huayuan', 城东新村小区: 'oc_unit_xincun', 城东社区: 'oc_unit_chengdong' } as const;

async function ask(text: string): Promise<string> {
  const r = await respondToMessage(message(text), bot.deps);
  if (r.status !== 'replied') throw new Error(`no reply to "${text}": ${r.reason}`);
  return replyText(r.reply);
}

/** Every sub-item of the unit's level at `share` of its maximum, the last `gaps` at half that. */
async function scoreAll(unit: string, level: Level, share: number, year: number, gaps = 0): Promise<void> {
  const items = bot.deps.plan.levels.find((l) => l.level === level)!.indicators.flatMap((i) => i.subItems);
  for (const [k, s] of items.entries()) {
    const f = k >= items.length - gaps ? share / 2 : share;
    await setScore(bot.deps, office, { unit, item: s.code, points: Math.round(s.points * f * 2) / 2, year });
  }
}

/** A scheduler pass at `iso` (the pass looks back only to the hour before). */
async function passAt(iso: string) {
  const at = Date.parse(iso);
  bot.clock.set(at);
  await setSetting(bot.opened.db, LAST_PASS_SETTING, String(at - 3_600_000));
  const before = bot.outbound.sent.length;
  await runPass({ db: bot.opened.db, plan: bot.deps.plan, config: { timeZone: TZ }, clock: bot.clock, log: silentLogger, outbound: bot.outbound, calendar: bot.deps.calendar, settings: bot.deps.settings, workerId: 'scenario' }, at);
  return bot.outbound.sent.slice(before).map((m) => ({ chat: m.receiveId, text: renderCardText(m.content as Card).text }));
}

const frozen = (label: string) =>
  bot.opened.sqlite
    .prepare(
      `SELECT u.name AS unit, g.grade, g.total, g.veto, g.assessed FROM assessment_round_grade g JOIN unit u ON u.id = g.unit_id
       JOIN assessment_round r ON r.id = g.round_id WHERE r.year || '年' || CASE r.kind WHEN 'annual' THEN '年度验收' WHEN 'review' THEN '复评' ELSE '预验收' END = ?`,
    )
    .all(label) as Array<{ unit: string; grade: 'none' | 'standard' | 'demonstration'; total: number; veto: number; assessed: number }>;

let street: string;

beforeAll(async () => {
  bot = await makeBot({ now: '2026-12-01T10:00:00+08:00' });
  street = (bot.opened.sqlite.prepare("SELECT name FROM unit WHERE level = 'street'").get() as { name: string }).name;
  await addUnit(bot.deps, office, { name: '阳光小区', level: 'compound', parent: '城西社区' });
  for (const [unit, chatId] of Object.entries(UNIT_CHATS)) await bindChat(bot.opened.db, { chatId, target: { kind: 'unit', unitName: unit }, by: 'test', at: 1 });
}, 60_000);
afterAll(async () => bot?.close());

describe('two years of rounds', () => {
  it('round 1 (2026年年度验收): opened and closed from the chat, its 通报 pushed to the leadership chat only (every unit 新评)', async () => {
    expect(await ask('验收 开始 年度验收')).toContain('2026年年度验收 · 已开始');
    await scoreAll(street, 'street', 0.9, 2026);
    await scoreAll('城东花园小区', 'compound', 1, 2026);
    await scoreAll('城东新村小区', 'compound', 0.5, 2026);
    await scoreAll('城东社区', 'community', 0.95, 2026);
    await scoreAll('城西社区', 'community', 0.9, 2026);
    await scoreAll('阳光小区', 'compound', 0.9, 2026);
    bot.clock.set(Date.parse('2026-12-15T16:00:00+08:00'));
    expect(await ask('验收 结束')).toContain('2026年年度验收 · 已结束');

    const sent = await passAt('2026-12-15T16:30:00+08:00');
    const lead = sent.filter((s) => s.chat === 'oc_group_leadership');
    expect(lead).toHaveLength(1);
    expect(lead[0]!.text).toContain('2026年年度验收 通报');
    expect(lead[0]!.text).toContain('对比：上一轮（无）');
    expect(lead[0]!.text).toContain('晋位：无');
    // Nothing to tell a unit: no move against a previous round, no veto.
    expect(sent.filter((s) => Object.values(UNIT_CHATS).includes(s.chat as never))).toEqual([]);
  });

  it('round 2 (2027年年度验收): 晋位 / 保持 / 降级 against round 1, pushed to the leadership and each named unit', async () => {
    bot.clock.set(Date.parse('2027-12-01T10:00:00+08:00'));
    expect(await ask('验收 开始 年度验收 2027')).toContain('2027年年度验收 · 已开始');
    await scoreAll(street, 'street', 0.9, 2027);
    await scoreAll('城东花园小区', 'compound', 0.7, 2027, 3);
    await scoreAll('城东新村小区', 'compound', 1, 2027);
    await scoreAll('城东社区', 'community', 0.95, 2027);
    await scoreAll('城西社区', 'community', 0.9, 2027);
    await setVeto(bot.deps, office, { unit: '城西社区', reason: '发生重大安全事故', year: 2027 });
    bot.clock.set(Date.parse('2027-12-14T16:00:00+08:00'));
    await ask('验收 结束 2027');

    const r1 = new Map(frozen('2026年年度验收').map((g) => [g.unit, g]));
    const r2 = new Map(frozen('2027年年度验收').map((g) => [g.unit, g]));
    const order = ['none', 'standard', 'demonstration'];
    const move = (u: string) => (r2.get(u)!.assessed === 0 ? '未评分' : Math.sign(order.indexOf(r2.get(u)!.grade) - order.indexOf(r1.get(u)!.grade)));
    expect(move('城东新村小区')).toBe(1);
    expect(move('城东花园小区')).toBe(-1);
    expect(move('城东社区')).toBe(0);
    expect(move('阳光小区')).toBe('未评分');

    const card = await ask('通报');
    expect(card).toContain('2027年年度验收 通报');
    expect(card).toContain('对比：2026年年度验收');
    expect(card).toMatch(/晋位 1 个\n┃ · 城东新村小区（城东社区） 未达标 [\d.]+ 分 → 示范型 100 分/);
    expect(card).toContain(`城东花园小区（城东社区） ${GRADE_NAMES_ZH[r1.get('城东花园小区')!.grade]} 100 分 → ${GRADE_NAMES_ZH[r2.get('城东花园小区')!.grade]}`);
    expect(card).toContain('一票否决：发生重大安全事故');
    expect(card).toContain('需整改 2 个');

    const sent = await passAt('2027-12-14T16:30:00+08:00');
    const to = (chat: string) => sent.filter((s) => s.chat === chat).map((s) => s.text);
    expect(to('oc_group_leadership').join('\n')).toContain('2027年年度验收 通报');
    expect(to(UNIT_CHATS.城东花园小区)).toHaveLength(1);
    expect(to(UNIT_CHATS.城东花园小区)[0]).toContain('2027年年度验收 通报 · 城东花园小区');
    expect(to(UNIT_CHATS.城东花园小区)[0]).toContain('降级：示范型 → ');
    expect(to(UNIT_CHATS.城东花园小区)[0]).toContain('失分最多：');
    expect(to(UNIT_CHATS.城东新村小区)[0]).toContain('晋位');
    // 城东社区 kept its grade: its chat hears nothing of the 通报.
    expect(to(UNIT_CHATS.城东社区).join('\n')).not.toContain('通报');
    // The same pass again sends nothing twice.
    expect((await passAt('2027-12-14T16:45:00+08:00')).filter((s) => s.text.includes('通报'))).toEqual([]);
  });

  it('a score entered after round 2 closed changes neither its frozen grades nor its 通报 (card and .xlsx)', async () => {
    const cardBefore = await ask('通报 2027 年度验收');
    const xlsx = async () => (await exportWorkbook({ ...bot.deps, yellowDays: 3 }, office, 'bulletin', { year: 2027, round: '年度验收' }, writeWorkbook));
    const before = await xlsx();
    const frozenBefore = frozen('2027年年度验收');
    bot.clock.set(Date.parse('2027-12-20T10:00:00+08:00'));
    await scoreAll('城东花园小区', 'compound', 1, 2027);
    expect(frozen('2027年年度验收')).toEqual(frozenBefore);
    expect(await ask('通报 2027 年度验收')).toBe(cardBefore);
    const after = await xlsx();
    const rows = async (bytes: Uint8Array, name: string) => sheetRows((await readWorkbook(bytes)).getWorksheet(name)!, 2);
    for (const name of ['汇总', '等级变化', '需整改', '目标进度']) expect(await rows(after.bytes, name), name).toEqual(await rows(before.bytes, name));
    expect(await ask('验收')).toContain('结束后更正');
  });

  it('the round 通报 .xlsx read back matches the frozen grades of both rounds in the database', async () => {
    const file = await exportWorkbook({ ...bot.deps, yellowDays: 3 }, office, 'bulletin', { year: 2027, round: '年度验收' }, writeWorkbook);
    expect(file.fileName).toBe('通报-2027年年度验收.xlsx');
    expect(await xlsxProblems(file.bytes)).toEqual([]);
    const wb = await readWorkbook(file.bytes);
    const ws = wb.getWorksheet('等级变化')!;
    expect((ws.getRow(1).values as ExcelJS.CellValue[]).slice(4, 8)).toEqual(['2026年年度验收等级', '2026年年度验收总分', '2027年年度验收等级', '2027年年度验收总分']);
    const r1 = new Map(frozen('2026年年度验收').map((g) => [g.unit, g]));
    const r2 = frozen('2027年年度验收');
    const rows = sheetRows(ws, 2);
    expect(rows.map((r) => r[0]).sort()).toEqual(r2.map((g) => g.unit).sort());
    const name = (g: { grade: string; assessed: number } | undefined) => (g === undefined || g.assessed === 0 ? '未评分' : GRADE_NAMES_ZH[g.grade as 'none']);
    for (const g of r2) {
      const row = rows.find((r) => r[0] === g.unit)!;
      const p = r1.get(g.unit);
      expect([row[3], row[4] ?? null], g.unit).toEqual([name(p), p === undefined || p.assessed === 0 ? null : p.total]);
      expect([row[5], row[6] ?? null], g.unit).toEqual([name(g), g.assessed === 0 ? null : g.total]);
      expect(row[9] ?? null).toBe(g.veto === 1 ? '是' : null);
    }
    const concerns = sheetRows(wb.getWorksheet('需整改')!, 2).map((r) => r[0]);
    expect(concerns.sort()).toEqual(['城东花园小区', '城西社区'].sort());
  });
});
