/** `dangjian export`: in process for the cases, one run of the real bin (bundle, lazy exceljs). */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliOkInProcess, runCli, runCliInProcess, tempDbFile } from '../support/cli.js';
import { readWorkbook, sheetRows, xlsxProblems } from '../support/xlsx.js';

let db: string;
let dir: string;

beforeAll(async () => {
  db = tempDbFile('dangjian-export-');
  dir = dirname(db);
  await cliOkInProcess(db, ['init', '--year', '2026', '--street', '城东街道']);
  await cliOkInProcess(db, ['unit', 'add', '--name', '城东社区', '--level', 'community']);
  await cliOkInProcess(db, ['unit', 'add', '--name', '阳光小区', '--level', '小区', '--parent', '城东社区']);
  await cliOkInProcess(db, ['score', 'set', '--unit', '阳光小区', '--item', '11.1', '--points', '9.5', '--year', '2026']);
}, 60_000);

describe('dangjian export', () => {
  it('writes the workbook and says what it wrote, in Chinese (and as JSON)', async () => {
    const out = join(dir, '评分表.xlsx');
    const text = await cliOkInProcess(db, ['export', '评分表', '--out', out, '--year', '2026']);
    expect(text).toMatch(/^已导出评分表-2026：3 个工作表（街道、社区、小区），\d+ KB → .*评分表\.xlsx\n$/);
    const bytes = readFileSync(out);
    expect(await xlsxProblems(bytes)).toEqual([]);
    const rows = sheetRows((await readWorkbook(bytes)).getWorksheet('小区')!, 4);
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([['阳光小区', '城东社区', 9.5]]);
    const json = JSON.parse(await cliOkInProcess(db, ['export', 'ranking', '--out', join(dir, 'rank.xlsx'), '--level', '小区', '--json'])) as { kind: string; bytes: number; sheets: string[]; file: string };
    expect(json).toMatchObject({ kind: 'ranking', sheets: ['等级汇总', '小区排名'] });
    expect(json.bytes).toBe(statSync(json.file).size);
    const bulletin = await cliOkInProcess(db, ['export', '通报', '--out', join(dir, '通报.xlsx'), '--year', '2026']);
    expect(bulletin).toMatch(/^已导出年度通报-2026：4 个工作表（汇总、等级变化、需整改、目标进度），\d+ KB → .*通报\.xlsx\n$/);
    const changes = sheetRows((await readWorkbook(readFileSync(join(dir, '通报.xlsx')))).getWorksheet('等级变化')!, 2);
    expect(changes.find((r) => r[0] === '阳光小区')!.slice(3, 9)).toEqual(['未评分', null, '未达标', 9.5, null, '新评']);
  });

  it('keeps an existing file unless --force, and refuses bad input with a Chinese message and exit code 2', async () => {
    const out = join(dir, 'existing.xlsx');
    writeFileSync(out, 'the office’s own file');
    const refused = await runCliInProcess(['export', '任务台账', '--out', out, '--db', db]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('已存在；换一个文件名，或加 --force 覆盖');
    expect(readFileSync(out, 'utf8')).toBe('the office’s own file');
    await cliOkInProcess(db, ['export', '任务台账', '--out', out, '--force']);
    expect(await xlsxProblems(readFileSync(out))).toEqual([]);

    const cases: Array<[string[], RegExp]> = [
      [['export', '成绩', '--out', join(dir, 'a.xlsx')], /不认识的导出种类「成绩」；可用：评分表、排名、任务台账、目标进度、年度通报/],
      [['export', '--out', join(dir, 'a.xlsx')], /需要导出的种类/],
      [['export', '排名'], /需要 --out 文件名/],
      [['export', '排名', '--out', join(dir, 'a.csv')], /应以 \.xlsx 结尾/],
      [['export', '排名', '--out', join(dir, 'a.xlsx'), '--year', '26'], /年份应为四位数字/],
      [['export', '目标进度', '--out', join(dir, 'a.xlsx'), '--level', '社区'], /目标进度不分层级/],
      [['export', '排名', '--out', join(dir, 'a.xlsx'), '--colour'], /不认识的选项 --colour/],
    ];
    for (const [args, message] of cases) {
      const r = await runCliInProcess([...args, '--db', db]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(join(dir, 'a.xlsx'))).toBe(false);
  });

  it('explains itself in Chinese', async () => {
    const help = await runCliInProcess(['export', '--help']);
    expect(help.stdout).toContain('用法： dangjian export');
    expect(help.stdout).toContain('只导出一个层级');
    expect(help.stdout).toContain('npx dangjian export 评分表 --out 评分表-2026.xlsx');
  });

  it('runs from the real bin (bundled, exceljs loaded on demand)', async () => {
    const out = join(dir, '目标.xlsx');
    const r = await runCli(['export', '目标进度', '--out', out, '--db', db]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('已导出目标进度-');
    expect(await xlsxProblems(readFileSync(out))).toEqual([]);
  }, 60_000);
});
