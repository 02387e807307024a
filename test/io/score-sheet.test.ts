/** The score sheet in its two layouts, told apart by the header. */
import { describe, expect, it } from 'vitest';
import { matchSubItemLabel, readScoreSheet, type ScoreSheet } from '../../src/io/score-sheet.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import type { Plan } from '../../src/plan/schema.js';
import { csv, tempDir, userErrorOf, writeTemp, writeWorkbook } from './helpers.js';

const plan = loadPlan();
const dir = tempDir();

/** The plan with an indicator of ten sub-items or more, where Excel's 6.10 → 6.1 matters. */
function planWith610(): Plan {
  const p = structuredClone(plan);
  const indicator = p.levels.find((l) => l.level === 'community')!.indicators[0]!;
  for (let n = 3; n <= 10; n++) indicator.subItems.push({ code: `6.${n}`, text: `第${n}项测试内容，用于验证编号`, points: 1 });
  return p;
}

const brief = (s: ScoreSheet) => s.entries.map((e) => [e.row, e.unit, e.item, e.points, e.year]);

describe('long layout', () => {
  it('reads 单位,指标,分值,年份,备注 and English headers alike', async () => {
    const zh = writeTemp(dir, 'long-zh.csv', csv([['单位', '指标', '分值', '年份', '备注'], ['城东社区', '6.1', '9.5', '2026', '好'], ['城东社区', '6.2 建立“事务共议…', '8分', '2026年', '']]));
    const en = writeTemp(dir, 'long-en.csv', csv([['unit', 'item', 'points', 'year', 'note'], ['城东社区', '6.1', '9.5', '2026', '好']]));
    const sheet = await readScoreSheet(zh, plan);
    expect(sheet.layouts).toEqual([{ sheet: null, layout: 'long' }]);
    expect(brief(sheet)).toEqual([
      [2, '城东社区', '6.1', '9.5', '2026'],
      [3, '城东社区', '6.2', '8', '2026'],
    ]);
    expect(sheet.entries[0]!.note).toBe('好');
    expect(brief(await readScoreSheet(en, plan))).toEqual([[2, '城东社区', '6.1', '9.5', '2026']]);
  });

  it('reports an item whose code and name disagree as a row problem', async () => {
    const file = writeTemp(dir, 'long-mismatch.csv', csv([['单位', '指标', '分值'], ['城东社区', '6.1 建立“事务共议', '5']]));
    const sheet = await readScoreSheet(file, plan);
    expect(sheet.entries).toEqual([]);
    expect(sheet.problems).toEqual([{ sheet: null, row: 2, column: 'item', message: expect.stringContaining('编号 6.1 与名称对不上') }]);
  });
});

describe('wide layout', () => {
  it('reads one row per unit with code headers; an empty cell is no entry', async () => {
    const file = writeTemp(
      dir,
      'wide.csv',
      csv([
        ['2026年社区评分表', '', '', '', '', ''],
        ['序号', '单位', '年份', '6.1', '6.2', '合计'],
        ['1', '城东社区', '2026', '9.5', '', '9.5'],
        ['2', '城西社区', '', '10', '8', '18'],
        ['3', '城北社区', '2026', '', '—', ''],
      ]),
    );
    const sheet = await readScoreSheet(file, plan);
    expect(sheet.layouts).toEqual([{ sheet: null, layout: 'wide' }]);
    expect(sheet.ignoredColumns).toEqual(['序号', '合计']);
    expect(brief(sheet)).toEqual([
      [3, '城东社区', '6.1', '9.5', '2026'],
      [4, '城西社区', '6.1', '10', ''],
      [4, '城西社区', '6.2', '8', ''],
    ]);
    expect(sheet.entries.map((e) => e.column)).toEqual(['6.1', '6.1', '6.2']);
  });

  it('takes sub-item names, their unique beginnings, and code + name headers, in an .xlsx with numbers stored as numbers', async () => {
    const file = await writeWorkbook(dir, 'wide-names.xlsx', (wb) => {
      const ws = wb.addWorksheet('社区');
      ws.addRow(['单位名称', '整合成员单位各自的资源和需求，每年年初列出党建项目清单', '6.2 建立“事务共议…', '建立“社区党组织—网格党支部…', 7.2, '8.1（满分10分）', '备注']);
      ws.addRow(['城东社区', 9.5, 10, 8, 7, 6, '初评']);
    });
    const sheet = await readScoreSheet(file, plan);
    expect(sheet.entries.map((e) => [e.item, e.points, e.note])).toEqual([
      ['6.1', '9.5', '初评'],
      ['6.2', '10', '初评'],
      ['7.1', '8', '初评'],
      ['7.2', '7', '初评'],
      ['8.1', '6', '初评'],
    ]);
  });

  it('refuses a header whose code and name disagree, or with unknown columns, naming the columns', async () => {
    const mismatch = writeTemp(dir, 'wide-mismatch.csv', csv([['单位', '6.1 建立“事务共议', '6.2'], ['城东社区', '1', '2']]));
    expect((await userErrorOf(readScoreSheet(mismatch, plan))).message).toMatch(/第 1 行的表头有误：B 列：「6\.1 建立“事务共议」的编号 6\.1 与名称对不上/);
    const unknown = writeTemp(dir, 'wide-unknown.csv', csv([['单位', '6.1', '评分意见', '99.1'], ['城东社区', '1', '好', '2']]));
    const err = await userErrorOf(readScoreSheet(unknown, plan));
    expect(err.message).toContain('D 列：方案中没有子项 99.1');
    const extra = writeTemp(dir, 'wide-extra.csv', csv([['单位', '6.1', '评分意见'], ['城东社区', '1', '好']]));
    expect((await userErrorOf(readScoreSheet(extra, plan))).message).toContain('有认不出的列：C 列「评分意见」');
  });

  it('refuses two columns that are the same sub-item, hinting at Excel turning 6.10 into 6.1', async () => {
    // A CSV saved by Excel after someone typed 6.1 … 6.10 into general-format cells.
    const file = writeTemp(dir, 'wide-610.csv', csv([['单位', '6.1', '6.2', '6.3', '6.4', '6.5', '6.6', '6.7', '6.8', '6.9', '6.1'], ['城东社区', 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]));
    const err = await userErrorOf(readScoreSheet(file, planWith610()));
    expect(err.message).toContain('B 列「6.1」 和 K 列「6.1」 都是子项 6.1（如果其中一列原本是 6.10，是 Excel 把它变成了数字 6.1');
  });

  it('reads a numeric header as Excel shows it (0.00 → 6.10), and refuses a bare numeric 6.1 when 6.10 exists', async () => {
    const shown = await writeWorkbook(dir, 'wide-fmt.xlsx', (wb) => {
      const ws = wb.addWorksheet('社区');
      ws.addRow(['单位', '6.1', 6.1]);
      ws.getCell('C1').numFmt = '0.00';
      ws.addRow(['城东社区', 1, 0.5]);
    });
    expect((await readScoreSheet(shown, planWith610())).entries.map((e) => e.item)).toEqual(['6.1', '6.10']);
    const bare = await writeWorkbook(dir, 'wide-bare.xlsx', (wb) => {
      const ws = wb.addWorksheet('社区');
      ws.addRow(['单位', 6.1]);
      ws.addRow(['城东社区', 1]);
    });
    expect((await userErrorOf(readScoreSheet(bare, planWith610()))).message).toContain('分不清是 6.1 还是 6.10');
    // With the built-in plan (no 6.10) a numeric 6.1 is simply 6.1.
    expect((await readScoreSheet(bare, plan)).entries.map((e) => e.item)).toEqual(['6.1']);
  });

  it('reports a repeated unit row once per row, and a row with scores but no unit', async () => {
    const file = writeTemp(dir, 'wide-dup.csv', csv([['单位', '年份', '6.1', '6.2'], ['城东社区', '2026', '1', '2'], ['', '2026', '3', ''], ['城东社区', '2026', '', '4']]));
    const sheet = await readScoreSheet(file, plan);
    expect(sheet.entries).toEqual([]);
    expect(sheet.problems).toEqual([
      { sheet: null, row: 3, column: 'unit', message: '填了分数，但没有填单位' },
      { sheet: null, row: 2, column: 'unit', message: '单位「城东社区」（2026 年）有 2 行，请合并成一行' },
      { sheet: null, row: 4, column: 'unit', message: '单位「城东社区」（2026 年）有 2 行，请合并成一行' },
    ]);
  });

  it('reads one sheet per level, skipping the instructions', async () => {
    const file = await writeWorkbook(dir, 'wide-levels.xlsx', (wb) => {
      wb.addWorksheet('填表说明').addRow(['每个层级一张表']);
      const c = wb.addWorksheet('社区');
      c.addRow(['单位', '6.1']);
      c.addRow(['城东社区', 5]);
      const k = wb.addWorksheet('小区');
      k.addRow(['单位', '11.1']);
      k.addRow(['阳光小区', 6]);
    });
    const sheet = await readScoreSheet(file, plan);
    expect(sheet.layouts).toEqual([
      { sheet: '社区', layout: 'wide' },
      { sheet: '小区', layout: 'wide' },
    ]);
    expect(sheet.entries.map((e) => [e.sheet, e.row, e.unit, e.item])).toEqual([
      ['社区', 2, '城东社区', '6.1'],
      ['小区', 2, '阳光小区', '11.1'],
    ]);
  });

  it('says what either layout needs when no header is found', async () => {
    const file = writeTemp(dir, 'none.csv', csv([['名称', '分'], ['城东社区', '5']]));
    expect((await userErrorOf(readScoreSheet(file, plan))).message).toContain('长表需要「单位」「指标」「分值」列');
  });
});

describe('matchSubItemLabel', () => {
  it.each([
    ['6.1', '6.1'],
    ['６．１', '6.1'],
    ['6.1 整合成员单位…', '6.1'],
    ['6.1、整合成员单位各自的资源和需求', '6.1'],
    ['6.1（10分）', '6.1'],
    ['整合成员单位各自的资源和需求,每年年初列出党建项目清单', '6.1'],
    ['整合成员单位…', '6.1'],
  ])('reads %s as %s', (label, code) => {
    expect(matchSubItemLabel(plan, label)).toEqual({ code });
  });

  it('leaves other words alone and refuses ambiguous beginnings', () => {
    expect(matchSubItemLabel(plan, '合计')).toBeUndefined();
    expect(matchSubItemLabel(plan, '评分人签字')).toBeUndefined();
    expect(matchSubItemLabel(plan, '99.9')).toEqual({ error: '方案中没有子项 99.9' });
    // 11.1 and 28.3 both begin 「有条件的…」.
    expect(matchSubItemLabel(plan, '有条件的…')).toEqual({ error: '「有条件的…」可能是 11.1、28.3 中的任何一个，请写上子项编号' });
    expect(matchSubItemLabel(plan, '开展“南湖初心讲堂”…')).toEqual({ code: '25.1' });
    expect(matchSubItemLabel(plan, '建立以商圈')).toEqual({ code: '21.1' });
  });
});
