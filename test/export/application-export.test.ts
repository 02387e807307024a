/** `dangjian export 申报表 --unit`: Annex 4's layout read back with exceljs, every field in its cell, and the summary sheet. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import { reviewApplication, saveApplication, submitApplication } from '../../src/services/application.service.js';
import { makeBot, type TestBot } from '../bot/support.js';
import { cliOkInProcess, runCliInProcess } from '../support/cli.js';
import { readWorkbook, sheetRows, xlsxProblems } from '../support/xlsx.js';

let bot: TestBot;
beforeAll(async () => {
  bot = await makeBot();
  const office = operatorActor('test');
  await saveApplication(bot.deps, office, {
    unit: '城东社区',
    values: {
      registeredHouseholds: '3200',
      registeredPopulation: '8900',
      residentHouseholds: '4100',
      residentPopulation: '10500',
      creationType: '示范型',
      plannedDemoCompounds: '城东花园小区',
      socialOrgCount: '12',
      measures: '建强“大党委”，季度联席会议',
      brandProjectName: '红色议事厅',
      brandProjectGoal: '小区议事全覆盖',
      nodes: '2026-04-15 完成议事厅改造\n2026-09-30 议事规则上墙',
    },
  });
  await submitApplication(bot.deps, office, { unit: '城东社区' });
  await reviewApplication(bot.deps, office, { unit: '城东社区', decision: 'approve', comment: '同意创建示范型社区' });
  await saveApplication(bot.deps, office, { unit: '城西社区', values: { creationType: '标准型' } });
}, 60_000);
afterAll(async () => bot?.close());

describe('dangjian export 申报表', () => {
  it('writes the unit\'s application in Annex 4\'s rows and merged cells, and a summary of every application', async () => {
    const out = join(dirname(bot.dbFile), '申报表.xlsx');
    const text = await cliOkInProcess(bot.dbFile, ['export', '申报表', '--out', out, '--unit', '城东', '--year', '2026']);
    expect(text).toContain('已导出申报表-城东社区-2026：2 个工作表（城东社区申报表、2026申报汇总）');
    const bytes = readFileSync(out);
    expect(await xlsxProblems(bytes)).toEqual([]);
    const wb = await readWorkbook(bytes);
    const ws = wb.getWorksheet('城东社区申报表')!;
    const at = (a: string) => ws.getCell(a).value;
    const master = (a: string) => ws.getCell(a).master.address;
    // The test programme's street keeps the plan's default name.
    expect(at('A1')).toBe('2026年XX街道城市基层党建全域提升申报表');
    expect(master('H1')).toBe('A1');
    expect(at('A2')).toBe('（社区）');
    expect([at('A3'), master('A7')]).toEqual(['社区概况', 'A3']);
    expect([at('B3'), at('C3'), master('H3')]).toEqual(['社区名称', '城东社区', 'C3']);
    expect([at('B4'), at('C4'), master('D4'), at('E4'), at('F4'), master('H4')]).toEqual(['户籍户数', 3200, 'C4', '户籍人数', 8900, 'F4']);
    expect([at('B5'), at('C5'), at('E5'), at('F5')]).toEqual(['常住户数', 4100, '常住人数', 10500]);
    expect([at('B6'), at('C6')]).toEqual(['小区数', 2]);
    expect([at('B7'), at('C7')]).toEqual(['所辖各小区名称', '城东花园小区、城东新村小区']);
    expect([at('A8'), master('B8'), at('C8')]).toEqual(['2026年社区创建类型', 'A8', '☑1.示范型　□2.标准型']);
    expect([at('A9'), at('C9'), at('D9'), at('E9'), at('F9')]).toEqual(['2026年拟创建示范型小区', '个数', 1, '名称', '城东花园小区']);
    expect([at('A10'), at('C10')]).toEqual(['社会组织数', 12]);
    expect([at('A11'), at('C11'), master('H11')]).toEqual(['创建措施', '建强“大党委”，季度联席会议', 'C11']);
    expect([at('A12'), master('A14')]).toEqual(['特色品牌项目', 'A12']);
    expect([at('B12'), at('C12')]).toEqual(['项目名称', '红色议事厅']);
    expect([at('B13'), at('C13')]).toEqual(['创建目标', '小区议事全覆盖']);
    expect([at('B14'), at('C14')]).toEqual(['项目内容及任务节点', '1. 2026-04-15 完成议事厅改造\n2. 2026-09-30 议事规则上墙']);
    expect([at('A15'), master('B16'), at('C15'), at('C16')]).toEqual(['街道意见', 'A15', '同意创建示范型社区', '2026年3月10日　盖章']);
    const summary = sheetRows(wb.getWorksheet('2026申报汇总')!, 2);
    expect(summary.map((r) => [r[0], r[1], r[2], r[3]])).toEqual([
      ['城西社区', '社区', '草稿', '标准型'],
      ['城东社区', '社区', '已通过', '示范型'],
    ]);
  });

  it('refuses --unit for a unit without an application, and for other kinds, in Chinese', async () => {
    const none = await runCliInProcess(['export', '申报表', '--out', join(dirname(bot.dbFile), 'x.xlsx'), '--unit', '城东花园小区', '--db', bot.dbFile]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('「城东花园小区」2026 年还没有申报');
    const other = await runCliInProcess(['export', '评分表', '--out', join(dirname(bot.dbFile), 'y.xlsx'), '--unit', '城东社区', '--db', bot.dbFile]);
    expect(other.stderr).toContain('--unit 只用于申报表');
  });
});
