/**
 * `unit import`, `score import` and `template` through the CLI program on a real database file:
 * the three spreadsheet shapes offices send, the wide score layout, duplicates, grouped and capped
 * errors with the full list in --json, the size cap, and every template filled and imported.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/database.js';
import { listUnits } from '../../src/db/unit.repository.js';
import { readRosterSheet } from '../../src/io/roster-sheet.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import { assessmentYear } from '../../src/services/scores.service.js';
import { BIN, childEnv, cliOkInProcess as cliOk, runCliInProcess as runCli, tempDbFile } from '../support/cli.js';
import { csv, encodeGbk, tempDir, writeTemp, writeWorkbook } from './helpers.js';

const db = tempDbFile('dangjian-io-cli-');
const dir = tempDir();

function count(table: 'unit' | 'score_entry'): number {
  const o = openDatabase(db);
  try {
    return (o.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    o.sqlite.close();
  }
}

async function scoreOf(unit: string, item: string, year = 2026): Promise<number | undefined> {
  const report = JSON.parse(await cliOk(db, ['score', 'show', '--unit', unit, '--year', String(year), '--json'])) as { items: Array<{ code: string; points: number; assessed: boolean }> };
  const found = report.items.find((i) => i.code === item);
  return found?.assessed ? found.points : undefined;
}

/** Opens a template, lets `fill` write into it, saves it under a new name (as the office would). */
async function fillTemplate(template: string, name: string, fill: (wb: ExcelJS.Workbook) => void): Promise<string> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(template);
  fill(wb);
  const file = join(dir, name);
  await wb.xlsx.writeFile(file);
  return file;
}

/** The column of a header cell in `row` of a sheet. */
function columnOf(ws: ExcelJS.Worksheet, row: number, label: string): number {
  let found = 0;
  ws.getRow(row).eachCell((cell, col) => {
    if (cell.value === label) found = col;
  });
  if (found === 0) throw new Error(`no column ${label} in row ${row} of ${ws.name}`);
  return found;
}

/** The row of a unit name in column A of a sheet. */
function rowOf(ws: ExcelJS.Worksheet, unit: string): number {
  let found = 0;
  ws.eachRow((row, n) => {
    if (row.getCell(1).value === unit) found = n;
  });
  if (found === 0) throw new Error(`no row for ${unit} in ${ws.name}`);
  return found;
}

beforeAll(async () => {
  await cliOk(db, ['init', '--year', '2026', '--street', '城东街道']);
  // Units every test below may score; the import tests add others.
  const base = writeTemp(dir, 'base.csv', csv([['名称', '层级', '上级'], ['城东社区', '社区', ''], ['城西社区', '社区', ''], ['阳光小区', '小区', '城东社区'], ['红楼', '楼宇', '']]));
  await cliOk(db, ['unit', 'import', '--file', base]);
}, 60_000);

describe('unit import of the shapes offices send', () => {
  it('imports a GBK CSV saved by Excel on Chinese Windows', async () => {
    const file = writeTemp(dir, '单位.csv', encodeGbk(csv([['名称', '层级', '上级'], ['东门社区', '社区', '城东街道'], ['东门小区', '小区', '东门社区']])));
    expect(await cliOk(db, ['unit', 'import', '--file', file])).toBe(`已从 ${file} 导入 2 个单位\n`);
  });

  it('imports an .xlsx with a merged title row above the header', async () => {
    const file = await writeWorkbook(dir, 'title.xlsx', (wb) => {
      const ws = wb.addWorksheet('Sheet1');
      ws.getCell('A1').value = '2026年城东街道单位名单';
      ws.mergeCells('A1:C1');
      ws.getCell('A2').value = '填表日期：2026年1月5日';
      ws.addRow(['单位名称', '类型', '上级单位']);
      ws.addRow(['北门社区', '社区', '城东街道']);
      ws.addRow(['金融大厦', '楼宇', '']);
    });
    expect(await cliOk(db, ['unit', 'import', '--file', file])).toContain('导入 2 个单位');
  });

  it('imports an .xlsx whose first sheet is 「填表说明」', async () => {
    const file = await writeWorkbook(dir, 'instructions.xlsx', (wb) => {
      wb.addWorksheet('填表说明').addRow(['请在「单位」表中填写']);
      const ws = wb.addWorksheet('单位');
      ws.addRow(['名称', '层级', '上级']);
      ws.addRow(['幸福小区', '小区', '北门社区']);
    });
    expect(await cliOk(db, ['unit', 'import', '--file', file])).toContain('导入 1 个单位');
    const units = (await listUnitsOf()).map((u) => u.name);
    expect(units).toEqual(expect.arrayContaining(['东门社区', '东门小区', '北门社区', '金融大厦', '幸福小区']));
  });

  it('refuses a unit named twice in the sheet with both rows, importing nothing', async () => {
    const before = count('unit');
    const file = writeTemp(dir, 'dup-units.csv', csv([['名称', '层级', '上级'], ['新甲小区', '小区', '城东社区'], ['新乙小区', '小区', '城东社区'], ['新甲小区', '小区', '城西社区']]));
    const r = await runCli(['unit', 'import', '--file', file, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`错误：--file：${file}：2 行有错误，没有导入任何数据。\n  第 2、4 行：单位名称「新甲小区」在表中出现了 2 次（2 行）\n`);
    expect(count('unit')).toBe(before);
  });

  it('refuses an old .xls and a .docx with a clear message', async () => {
    const xls = writeTemp(dir, '单位.xls', Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512)]));
    const r = await runCli(['unit', 'import', '--file', xls, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('是旧版 Excel 97-2003 格式（.xls），无法直接导入。请在 Excel（或 WPS）中打开，「文件 → 另存为」');
    const docx = await runCli(['unit', 'import', '--file', join(dir, '单位.docx'), '--db', db]);
    expect(docx.stderr).toContain('是 Word 文档，不是可导入的表格');
  });

  it('stops at the size cap on /dev/zero', async () => {
    const r = await runCli(['unit', 'import', '--file', '/dev/zero', '--db', db]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('错误：--file：/dev/zero 超过导入文件的上限 10 MB，没有导入。请删去无关的工作表、图片和空行，或拆成几个文件分别导入。\n');
  });
});

async function listUnitsOf() {
  const o = openDatabase(db);
  try {
    return await listUnits(o.db);
  } finally {
    await o.close();
  }
}

describe('score import', () => {
  it('imports the wide layout with code headers and with name headers', async () => {
    const codes = writeTemp(dir, 'wide.csv', csv([['单位', '年份', '6.1', '6.2', '合计'], ['城东社区', '2026', '9.5', '', '9.5'], ['城西社区', '2026', '10', '8', '18']]));
    expect(await cliOk(db, ['score', 'import', '--file', codes])).toBe(`已从 ${codes} 导入 3 条分数（宽表；未导入的列：合计）\n`);
    expect(await scoreOf('城东社区', '6.1')).toBe(9.5);
    expect(await scoreOf('城东社区', '6.2')).toBeUndefined();
    expect(await scoreOf('城西社区', '6.2')).toBe(8);

    const names = await writeWorkbook(dir, 'wide-names.xlsx', (wb) => {
      const ws = wb.addWorksheet('小区');
      ws.addRow(['单位', '年份', '有条件的城市小区可吸纳物业服务企业…', '11.2 整合小区广场、楼道…']);
      ws.addRow(['阳光小区', 2026, 7, 6.5]);
    });
    const out = JSON.parse(await cliOk(db, ['score', 'import', '--file', names, '--json'])) as { imported: number; layouts: unknown[] };
    expect(out).toMatchObject({ imported: 2, layouts: [{ sheet: '小区', layout: 'wide' }] });
    expect(await scoreOf('阳光小区', '11.1')).toBe(7);
    expect(await scoreOf('阳光小区', '11.2')).toBe(6.5);
  });

  it('refuses the same unit, item and year twice with their rows (a blank year is the current one)', async () => {
    const before = count('score_entry');
    const year = assessmentYear(systemClock, 'Asia/Shanghai');
    const file = writeTemp(dir, 'dup-scores.csv', csv([['单位', '指标', '分值', '年份'], ['城东社区', '6.1', '8', year], ['城西社区', '6.1', '8', year], ['城东社区', '6.1', '9', '']]));
    const r = await runCli(['score', 'import', '--file', file, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`错误：--file：${file}：2 行有错误，没有导入任何数据。\n  第 2、4 行：「城东社区」6.1（${year} 年）重复填写（2 行）\n`);
    expect(count('score_entry')).toBe(before);
  });

  it('groups errors by cause, shows at most ten causes, and gives every row with --json', async () => {
    const before = count('score_entry');
    const rows: Array<Array<string | number>> = [['单位', '指标', '分值', '年份']];
    for (let i = 0; i < 12; i++) rows.push(['城东街道2', '6.1', 5, 2026]);
    for (let u = 0; u < 14; u++) rows.push([`无名社区${u}`, '6.1', 5, 2026]);
    rows.push(['城东社区', '6.2', 12, 2026]);
    const file = writeTemp(dir, 'many-errors.csv', csv(rows));
    const r = await runCli(['score', 'import', '--file', file, '--db', db]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`错误：--file：${file}：27 行有错误，没有导入任何数据。`);
    expect(lines[1]).toBe('  第 2–13 行：没有找到名称包含「城东街道2」的单位（12 行）');
    expect(lines).toHaveLength(12);
    expect(lines[11]).toBe('  另有 6 类错误（6 行）未列出；加 --json 可查看每一行的错误。');

    const json = await runCli(['score', 'import', '--file', file, '--db', db, '--json']);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout) as { errorRows: number; groups: unknown[]; problems: Array<{ row: number; column: string; message: string }> };
    expect(report.errorRows).toBe(27);
    expect(report.groups).toHaveLength(16);
    expect(report.problems.at(-1)).toEqual({ sheet: null, row: 28, column: 'points', message: '指标 6.2 的分数应在 0 到 10 之间，以 0.5 分为单位（收到 12）' });
    expect(count('score_entry')).toBe(before);
  });
});

describe('templates', () => {
  it('units: instructions first, level and parent drop-downs; filled and imported unchanged', async () => {
    const out = join(dir, 'units-template.xlsx');
    expect(await cliOk(db, ['template', 'units', '--out', out])).toContain('已生成模板');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    expect(wb.worksheets.map((w) => [w.name, w.state])).toEqual([
      ['填表说明', 'visible'],
      ['单位', 'visible'],
      ['选项', 'hidden'],
    ]);
    const ws = wb.getWorksheet('单位')!;
    const dv = (ws as unknown as { dataValidations: { model: Record<string, ExcelJS.DataValidation> } }).dataValidations.model;
    expect(Object.values(dv).find((v) => v.type === 'list' && String(v.formulae[0]).includes('社区'))?.formulae[0]).toBe('"社区,小区,楼宇,商圈,社会组织"');
    expect(Object.values(dv).some((v) => String(v.formulae[0]).startsWith("'选项'!"))).toBe(true);

    const filled = await fillTemplate(out, 'units-filled.xlsx', (book) => {
      const sheet = book.getWorksheet('单位')!;
      sheet.getRow(3).values = ['城南社区', '社区', ''];
      sheet.getRow(4).values = ['花园小区', '小区', '城南社区'];
      sheet.getRow(5).values = ['科技楼宇', '楼宇', '城东街道'];
    });
    expect(await cliOk(db, ['unit', 'import', '--file', filled])).toContain('导入 3 个单位');
  });

  it('scores (wide, the default): one sheet per level with its units, maxima and checks; filled and imported', async () => {
    const out = join(dir, 'scores-template.xlsx');
    const made = JSON.parse(await cliOk(db, ['template', '评分', '--out', out, '--year', '2026', '--json'])) as { sheets: string[]; layout: string };
    expect(made).toMatchObject({ layout: 'wide', sheets: ['填表说明', '街道', '社区', '小区', '楼宇'] });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    const community = wb.getWorksheet('社区')!;
    const c61 = columnOf(community, 4, '6.1');
    expect(community.getCell(3, c61).value).toBe(10);
    expect(String(community.getCell(4, c61).note)).toContain('满分 10 分');
    const dv = (community as unknown as { dataValidations: { model: Record<string, ExcelJS.DataValidation> } }).dataValidations.model;
    expect(Object.values(dv).some((v) => v.type === 'custom' && String(v.formulae[0]).includes('<=10'))).toBe(true);

    const filled = await fillTemplate(out, 'scores-filled.xlsx', (book) => {
      const c = book.getWorksheet('社区')!;
      c.getCell(rowOf(c, '城西社区'), columnOf(c, 4, '7.1')).value = 9.5;
      c.getCell(rowOf(c, '城西社区'), columnOf(c, 4, '10.3')).value = 4;
      const k = book.getWorksheet('小区')!;
      k.getCell(rowOf(k, '阳光小区'), columnOf(k, 4, '14.1')).value = 18;
    });
    expect(await cliOk(db, ['score', 'import', '--file', filled])).toContain('导入 3 条分数（宽表）');
    expect(await scoreOf('城西社区', '7.1')).toBe(9.5);
    expect(await scoreOf('城西社区', '10.3')).toBe(4);
    expect(await scoreOf('阳光小区', '14.1')).toBe(18);
  });

  it('scores --layout 长表: an entry sheet and the sub-item list; filled and imported', async () => {
    const out = join(dir, 'scores-long.xlsx');
    expect(await cliOk(db, ['template', 'scores', '--layout', '长表', '--out', out])).toContain('工作表：填表说明、分数、子项一览');
    const filled = await fillTemplate(out, 'scores-long-filled.xlsx', (book) => {
      const ws = book.getWorksheet('分数')!;
      ws.getRow(3).values = ['红楼', '16.1', 12, 2026, '复评'];
      ws.getRow(4).values = ['红楼', '16.2', 4.5, 2026];
    });
    expect(await cliOk(db, ['score', 'import', '--file', filled])).toContain('导入 2 条分数（长表）');
    expect(await scoreOf('红楼', '16.1')).toBe(12);
  });

  it('roster: role and unit drop-downs; filled and read by the roster reader', async () => {
    const out = join(dir, 'roster-template.xlsx');
    await cliOk(db, ['template', '花名册', '--out', out]);
    const filled = await fillTemplate(out, 'roster-filled.xlsx', (book) => {
      const ws = book.getWorksheet('花名册')!;
      ws.getRow(3).values = ['赵党建', '党建办', '', '13800138000', '', ''];
      ws.getRow(4).values = ['钱社管', '牵头单位', '社管中心', '13900000001', '', ''];
      ws.getRow(5).values = ['孙书记', '社区书记', '城东社区', '', 'sun@example.cn', 'ou_sun'];
    });
    const units = new Set((await listUnitsOf()).map((u) => u.name));
    const { rows, errors } = await readRosterSheet(filled, { leadUnits: loadPlan().leadUnits, unitNames: units });
    expect(errors.size).toBe(0);
    expect(rows.map((r) => [r.sheet, r.row, r.name, r.role, r.leadUnit, r.unit, r.phone])).toEqual([
      ['花名册', 3, '赵党建', 'office', null, null, '13800138000'],
      ['花名册', 4, '钱社管', 'lead_unit', '社管中心', null, '13900000001'],
      ['花名册', 5, '孙书记', 'secretary', null, '城东社区', null],
    ]);
  });

  it('refuses an unknown kind or layout, an existing file and a name that is not .xlsx, writing nothing', async () => {
    const kind = await runCli(['template', 'budget', '--out', join(dir, 'x.xlsx'), '--db', db]);
    expect(kind.stderr).toContain('不认识的模板「budget」');
    const layout = await runCli(['template', 'scores', '--layout', 'tall', '--out', join(dir, 'x.xlsx'), '--db', db]);
    expect(layout.stderr).toContain('错误：--layout：不认识的格式「tall」');
    const exists = await runCli(['template', 'units', '--out', join(dir, 'units-template.xlsx'), '--db', db]);
    expect(exists.stderr).toContain('已存在；为免覆盖已填好的表，请换一个文件名');
    const csvOut = await runCli(['template', 'units', '--out', join(dir, 'units.csv'), '--db', db]);
    expect(csvOut.stderr).toContain('文件名应以 .xlsx 结尾');
    for (const r of [kind, layout, exists, csvOut]) expect(r.code).toBe(2);
  });
});

describe('start-up cost', () => {
  it('loads exceljs for a workbook only: a CSV import does not', async () => {
    const file = writeTemp(dir, 'lazy.csv', csv([['名称', '层级'], ['懒加载社区', '社区']]));
    const loaded = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'unit', 'import', '--file', file, '--db', db], { env: childEnv({ NODE_DEBUG: 'module' }) });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(stderr) : reject(new Error(`exit ${code}: ${stderr.slice(-2000)}`))));
    });
    // NODE_DEBUG=module logs every CommonJS package Node loads; exceljs is one.
    expect(loaded).toContain('better-sqlite3');
    expect(loaded).not.toContain('exceljs');
  }, 60_000);
});
