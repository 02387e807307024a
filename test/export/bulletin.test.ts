/**
 * 年度通报: the workbook read back with exceljs and checked against the database (entries and
 * vetoes by SQL, grades through each unit's own score report), and the pure builder's rules.
 */
import type ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorActor, type Actor } from '../../src/auth/actor.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { writeWorkbook } from '../../src/export/workbook.js';
import { GRADE_NAMES_ZH, LEVEL_NAMES_ZH, type Grade, type Level } from '../../src/plan/schema.js';
import { gradeUnit } from '../../src/scoring/index.js';
import { buildBulletin } from '../../src/services/bulletin.service.js';
import { parseExportKind } from '../../src/services/export-kinds.js';
import { exportWorkbook } from '../../src/services/export.service.js';
import { scoreReport, targetsReport, type ScoreReport } from '../../src/services/grading.service.js';
import { setScore, setVeto } from '../../src/services/scores.service.js';
import { addUnit } from '../../src/services/units.service.js';
import { makeBot, type TestBot } from '../bot/support.js';
import { cellText, readWorkbook, sheetRows, xlsxProblems } from '../support/xlsx.js';
import { sqliteOf } from '../../src/db/database.js';

let bot: TestBot;
const office = operatorActor('王博文');
const exportDeps = () => ({ ...bot.deps, yellowDays: bot.deps.settings.yellowDays });

/** Every sub-item of the unit's level at `share` of its maximum (rounded to half points), but the last `gaps` left lower. */
async function scoreAll(unit: string, level: Level, share: number, year: number, gaps = 0): Promise<void> {
  const items = bot.deps.plan.levels.find((l) => l.level === level)!.indicators.flatMap((i) => i.subItems);
  for (const [k, s] of items.entries()) {
    const f = k >= items.length - gaps ? share / 2 : share;
    await setScore(bot.deps, office, { unit, item: s.code, points: Math.round(s.points * f * 2) / 2, year });
  }
}

beforeAll(async () => {
  bot = await makeBot();
  await addUnit(bot.deps, office, { name: '城南社区', level: 'community' });
  await addUnit(bot.deps, office, { name: '阳光小区', level: 'compound', parent: '城西社区' });
  const street = (sqliteOf(bot.opened.db).prepare("SELECT name FROM unit WHERE level = 'street'").get() as { name: string }).name;
  await scoreAll(street, 'street', 0.9, 2025);
  await scoreAll(street, 'street', 0.9, 2026);
  await scoreAll('城东花园小区', 'compound', 1, 2025);
  await scoreAll('城东花园小区', 'compound', 0.7, 2026, 3);
  await scoreAll('城东新村小区', 'compound', 0.5, 2025);
  await scoreAll('城东新村小区', 'compound', 1, 2026);
  await scoreAll('城东社区', 'community', 0.95, 2025);
  await scoreAll('城东社区', 'community', 0.95, 2026);
  await scoreAll('城西社区', 'community', 0.9, 2026);
  await scoreAll('城南社区', 'community', 0.75, 2026);
  await scoreAll('阳光小区', 'compound', 0.9, 2025);
  await setVeto(bot.deps, office, { unit: '城西社区', reason: '发生重大安全事故', year: 2026 });
});

afterAll(async () => {
  await bot?.close();
});

const sheet = (wb: ExcelJS.Workbook, name: string) => {
  const ws = wb.getWorksheet(name);
  if (!ws) throw new Error(`no sheet ${name} in ${wb.worksheets.map((w) => w.name).join(', ')}`);
  return ws;
};

/** The entries that count (latest per unit, item, year), straight from SQL. */
function latestPoints(year: number): Map<string, Map<string, number>> {
  const rows = sqliteOf(bot.opened.db)
    .prepare(
      `SELECT u.name AS unit, e.item_code AS item, e.points AS points FROM score_entry e JOIN unit u ON u.id = e.unit_id
       WHERE e.year = ? AND e.id = (SELECT MAX(id) FROM score_entry x WHERE x.unit_id = e.unit_id AND x.item_code = e.item_code AND x.year = e.year)`,
    )
    .all(year) as Array<{ unit: string; item: string; points: number }>;
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    if (!out.has(r.unit)) out.set(r.unit, new Map());
    out.get(r.unit)!.set(r.item, r.points);
  }
  return out;
}

const units = () => sqliteOf(bot.opened.db).prepare('SELECT u.name AS name, u.level AS level, p.name AS parent FROM unit u LEFT JOIN unit p ON p.id = u.parent_id').all() as Array<{ name: string; level: Level; parent: string | null }>;
const vetoed = () => new Set((sqliteOf(bot.opened.db).prepare('SELECT u.name AS name FROM veto v JOIN unit u ON u.id = v.unit_id WHERE v.year = 2026 AND v.cleared_at IS NULL').all() as Array<{ name: string }>).map((r) => r.name));

/** 晋位 / 保持 / 降级 / 新评 / 未评分 as the office reads the two years of a unit's score report. */
function expectedMove(now: ScoreReport): string {
  const before = now.previousYear.grade;
  if (now.assessed === 0) return '未评分';
  if (before === null) return '新评';
  const order: Grade[] = ['none', 'standard', 'demonstration'];
  const d = order.indexOf(now.grade) - order.indexOf(before);
  return d > 0 ? '晋位' : d < 0 ? '降级' : '保持';
}

describe('年度通报', () => {
  it('is offered as 年度通报 (or 通报, bulletin), for the office and the leadership group only, and takes no level', async () => {
    expect(parseExportKind('通报')).toBe('bulletin');
    expect(parseExportKind('年度通报')).toBe('bulletin');
    const secretary: Actor = { name: '钱书记', role: 'secretary', leadUnit: null, unitId: null, openId: 'ou_sec', source: 'chat' };
    await expect(exportWorkbook(exportDeps(), secretary, 'bulletin', {}, writeWorkbook)).rejects.toMatchObject({ code: 'forbidden', message: '年度通报只有党建办和领导小组成员可以导出（钱书记 不是）' });
    expect((await listAudit(bot.opened.db, { action: 'export.bulletin' })).find((a) => a.actor === '钱书记')).toMatchObject({ outcome: 'denied' });
    await expect(exportWorkbook(exportDeps(), office, 'bulletin', { level: '社区' }, writeWorkbook)).rejects.toMatchObject({ message: '年度通报不分层级，不用指定层级' });
  });

  it('writes 汇总, 等级变化, 需整改 and 目标进度, every cell as the database has it', async () => {
    const file = await exportWorkbook(exportDeps(), office, 'bulletin', { year: 2026 }, writeWorkbook);
    expect(file.fileName).toBe('年度通报-2026.xlsx');
    expect(await xlsxProblems(file.bytes)).toEqual([]);
    const wb = await readWorkbook(file.bytes);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['汇总', '等级变化', '需整改', '目标进度']);
    expect((await listAudit(bot.opened.db, { action: 'export.bulletin' })).find((a) => a.actor === '王博文')).toMatchObject({ outcome: 'ok', subject: '年度通报-2026.xlsx' });

    const all = units();
    const now = new Map(await Promise.all(all.map(async (u) => [u.name, await scoreReport(bot.deps, u.name, 2026)] as const)));
    const before = new Map(await Promise.all(all.map(async (u) => [u.name, await scoreReport(bot.deps, u.name, 2025)] as const)));
    const points = { 2025: latestPoints(2025), 2026: latestPoints(2026) };
    const total = (year: 2025 | 2026, unit: string) => (points[year].has(unit) ? [...points[year].get(unit)!.values()].reduce((a, b) => a + b, 0) : null);

    // 等级变化: every unit once, street first, grades and totals of both years, the move.
    const changes = sheetRows(sheet(wb, '等级变化'), 2);
    expect((sheet(wb, '等级变化').getRow(1).values as ExcelJS.CellValue[]).slice(1)).toEqual(['单位', '层级', '所属上级', '2025年等级', '2025年总分', '2026年等级', '2026年总分', '总分变化', '变化', '一票否决', '申报目标', '目标达成']);
    expect(changes.map((r) => r[0]).sort()).toEqual(all.map((u) => u.name).sort());
    expect(changes[0]![1]).toBe('街道');
    const moves = new Set<string>();
    for (const r of changes) {
      const unit = r[0] as string;
      const u = all.find((x) => x.name === unit)!;
      const [t25, t26] = [total(2025, unit), total(2026, unit)];
      expect([r[1], r[2] ?? null]).toEqual([LEVEL_NAMES_ZH[u.level], u.parent]);
      expect([r[3], r[4] ?? null], `${unit} 2025`).toEqual([t25 === null ? '未评分' : GRADE_NAMES_ZH[before.get(unit)!.grade], t25]);
      expect([r[5], r[6] ?? null], `${unit} 2026`).toEqual([t26 === null ? '未评分' : GRADE_NAMES_ZH[now.get(unit)!.grade], t26]);
      expect(r[7] ?? null).toBe(t25 === null || t26 === null ? null : t26 - t25);
      expect(r[8], unit).toBe(expectedMove(now.get(unit)!));
      expect(r[9] ?? null).toBe(vetoed().has(unit) ? '是' : null);
      moves.add(r[8] as string);
    }
    // The data covers every class.
    expect([...moves].sort()).toEqual(['保持', '降级', '新评', '晋位', '未评分'].sort());

    // 汇总: per level, units per grade in each year and the change.
    const summary = sheetRows(sheet(wb, '汇总'), 2);
    const standing = (r: ScoreReport) => (r.assessed === 0 ? '未评分' : GRADE_NAMES_ZH[r.grade]);
    const levels = [...new Set(all.map((u) => u.level))];
    expect(summary).toHaveLength(levels.length * 4);
    for (const level of levels) {
      const mine = all.filter((u) => u.level === level);
      for (const name of ['示范型', '标准型', '未达标', '未评分']) {
        const row = summary.find((s) => s[0] === LEVEL_NAMES_ZH[level] && s[1] === name)!;
        const was = mine.filter((u) => standing(before.get(u.name)!) === name).length;
        const is = mine.filter((u) => standing(now.get(u.name)!) === name).length;
        expect(row.slice(2, 5), `${level} ${name}`).toEqual([was, is, is - was]);
      }
    }
    const changeCell = sheet(wb, '汇总').getRow(2).getCell(5);
    expect(changeCell.numFmt).toBe('+0;-0;0');

    // 需整改: exactly the units that dropped (需整改) or are vetoed, with their three biggest losses.
    const concerns = sheetRows(sheet(wb, '需整改'), 2);
    const expected = all.filter((u) => now.get(u.name)!.needsRectification || vetoed().has(u.name)).map((u) => u.name);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(concerns.map((r) => r[0]).sort()).toEqual(expected.sort());
    for (const r of concerns) {
      const unit = r[0] as string;
      const report = now.get(unit)!;
      expect([r[3], r[4]]).toEqual([GRADE_NAMES_ZH[report.grade], total(2026, unit)]);
      const reasons = cellText(r[5]!).split('\n');
      if (report.needsRectification) expect(reasons).toContain(`降级：${GRADE_NAMES_ZH[report.previousYear.grade!]} → ${GRADE_NAMES_ZH[report.grade]}`);
      if (vetoed().has(unit)) expect(reasons).toContain('一票否决：发生重大安全事故');
      const lines = cellText(r[6]!).split('\n');
      const mine = points[2026].get(unit)!;
      const items = bot.deps.plan.levels.find((l) => l.level === report.level)!.indicators.flatMap((i) => i.subItems);
      const lost = items.map((s) => ({ code: s.code, lost: s.points - (mine.get(s.code) ?? 0) })).filter((x) => x.lost > 0);
      const biggest = Math.max(...lost.map((x) => x.lost));
      expect(lines).toHaveLength(Math.min(3, lost.length));
      for (const line of lines) {
        const code = line.split(' ')[0]!;
        const item = lost.find((x) => x.code === code)!;
        expect(line).toMatch(new RegExp(`失 ${item.lost} 分$`));
        expect(line).toContain(`得 ${mine.get(code)} / ${items.find((s) => s.code === code)!.points} 分`);
      }
      expect(lines[0]).toMatch(new RegExp(`失 ${biggest} 分$`));
    }

    // 目标进度: the milestones as of the export (the test clock: 2026-03-10).
    const report = await targetsReport(bot.deps, { at: '2026-03-10' });
    const targets = sheetRows(sheet(wb, '目标进度'), 2);
    expect(targets).toHaveLength(report.milestones.reduce((n, m) => n + m.requirements.length + m.otherTargets.length, 0));
  });

  it('colours grades and moves: 晋位 green, 降级 red, 未评分 grey', async () => {
    const wb = await readWorkbook((await exportWorkbook(exportDeps(), office, 'bulletin', { year: 2026 }, writeWorkbook)).bytes);
    const ws = sheet(wb, '等级变化');
    const fill = (c: ExcelJS.Cell) => (c.fill as ExcelJS.FillPattern | undefined)?.fgColor?.argb;
    for (let r = 2; r <= ws.rowCount; r++) {
      const row = ws.getRow(r);
      expect(fill(row.getCell(6))).toBe({ 示范型: 'FFC6EFCE', 标准型: 'FFDDEBF7', 未达标: 'FFFFC7CE', 未评分: 'FFEDEDED' }[cellText(row.getCell(6).value)]);
      const move = cellText(row.getCell(9).value);
      if (move === '晋位') expect(fill(row.getCell(9))).toBe('FFC6EFCE');
      if (move === '降级') expect(fill(row.getCell(9))).toBe('FFFFC7CE');
      if (move === '未评分') expect(fill(row.getCell(9))).toBe('FFEDEDED');
    }
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1, xSplit: 1 });
  });
});

describe('buildBulletin (pure)', () => {
  const plan = () => bot.deps.plan;
  const compoundItems = () => plan().levels.find((l) => l.level === 'compound')!.indicators.flatMap((i) => i.subItems);
  const graded = (name: string, share: number, vetoReasons: string[] = []) =>
    gradeUnit(plan(), { name, level: 'compound', scores: share === 0 ? [] : compoundItems().map((s) => ({ itemCode: s.code, points: Math.round(s.points * share * 2) / 2 })), vetoReasons, subUnits: [] });

  it('lists a vetoed unit that kept its grade, and names nothing for a unit without losses', async () => {
    const targets = await targetsReport(bot.deps, { at: '2026-03-10' });
    const full = graded('甲小区', 1, ['发生重大安全事故']);
    const report = buildBulletin({
      year: 2026,
      currentLabel: '2026年复评',
      previousLabel: '2025年复评',
      street: null,
      targets,
      units: [
        { name: '甲小区', level: 'compound', parent: null, current: full, previous: { assessed: 3, grade: full.grade, total: 90 } },
        { name: '乙小区', level: 'compound', parent: null, current: graded('乙小区', 0), previous: { assessed: 0, grade: 'none', total: 0 } },
      ],
    });
    expect(report.units.map((u) => [u.unit, u.move, u.totalChange])).toEqual([
      ['甲小区', 'same', full.total - 90],
      ['乙小区', 'unscored', null],
    ]);
    expect(report.concerns).toEqual([{ unit: '甲小区', level: 'compound', parent: null, current: { grade: full.grade, total: full.total }, reasons: [{ kind: 'veto', text: '一票否决：发生重大安全事故' }], losses: [] }]);
    expect(report.counts.filter((c) => c.standing === 'unscored')).toEqual([{ level: 'compound', standing: 'unscored', previous: 1, current: 1, change: 0 }]);
    // Built from two assessments, not from a round: no round and no previous round's 整改.
    expect([report.round, report.rectification]).toEqual([null, null]);
  });

  it('names a unit that kept its grade below its declared target (未达成, with its losses); a unit above a declared 标准型 达成', async () => {
    const targets = await targetsReport(bot.deps, { at: '2026-03-10' });
    const standard = graded('丙小区', 0.8);
    const demo = graded('丁小区', 1);
    expect([standard.grade, demo.grade]).toEqual(['standard', 'demonstration']);
    const report = buildBulletin({
      year: 2026,
      currentLabel: '2026年年度验收',
      previousLabel: '2026年预验收',
      street: null,
      targets,
      declared: new Map([['丙小区', 'demonstration'], ['丁小区', 'standard']] as const),
      units: [
        { name: '丙小区', level: 'compound', parent: null, current: standard, previous: { assessed: 3, grade: 'standard', total: standard.total } },
        { name: '丁小区', level: 'compound', parent: null, current: demo, previous: { assessed: 3, grade: 'demonstration', total: demo.total } },
        { name: '戊小区', level: 'compound', parent: null, current: demo, previous: { assessed: 3, grade: 'demonstration', total: demo.total } },
      ],
    });
    expect(report.units.map((u) => [u.unit, u.move, u.declared])).toEqual([
      ['丙小区', 'same', { type: 'demonstration', reached: false }],
      ['丁小区', 'same', { type: 'standard', reached: true }],
      ['戊小区', 'same', null],
    ]);
    expect(report.concerns.map((c) => [c.unit, c.reasons])).toEqual([['丙小区', [{ kind: 'target', text: '未达成申报目标：申报示范型，本轮标准型' }]]]);
    expect(report.concerns[0]!.losses.length).toBeGreaterThan(0);
  });
});
