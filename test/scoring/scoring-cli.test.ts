/** The scoring commands through the real `dangjian` child process on a temp database file. */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/database.js';
import { assessmentYear } from '../../src/services/scores.service.js';
// In-process runs of the CLI program for speed; the bad-sheet and score-show cases spawn the real bin.
import { cliOk as cliOkProcess, cliOkInProcess as cliOk, runCli as runCliProcess, runCliInProcess as runCli, tempDbFile } from '../support/cli.js';
import { scoresTotalling } from './helpers.js';

const db = tempDbFile('dangjian-scoring-');
const dir = dirname(db);

const UNITS: Array<[string, string, string]> = [
  ['一社区', '社区', ''],
  ['二社区', '社区', ''],
  ['甲小区', '小区', '一社区'],
  ['乙小区', '小区', '一社区'],
  ['丙小区', '小区', '二社区'],
  ['红楼宇', '楼宇', ''],
];
const LEVEL_KEYS: Record<string, 'community' | 'compound' | 'building'> = { 社区: 'community', 小区: 'compound', 楼宇: 'building' };
const TOTALS: Record<string, number> = { 一社区: 95, 二社区: 88, 甲小区: 92, 乙小区: 70, 丙小区: 80, 红楼宇: 90 };

function csv(rows: string[][]): string {
  return `${rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n')}\n`;
}

function countEntries(): number {
  const o = openDatabase(db);
  try {
    return (o.sqlite.prepare('SELECT count(*) AS n FROM score_entry').get() as { n: number }).n;
  } finally {
    o.sqlite.close();
  }
}

beforeAll(async () => {
  await cliOk(db, ['init', '--year', '2021', '--street', 'XX街道']);
  const unitsFile = join(dir, 'units.csv');
  writeFileSync(unitsFile, csv([['名称', '层级', '上级'], ...UNITS.map(([n, l, p]) => [n, l, p])]));
  await cliOk(db, ['unit', 'import', '--file', unitsFile]);
}, 60_000);

describe('dangjian score import / score show / rank / targets', () => {
  it('imports the assessors\' CSV with Chinese headers, all rows', async () => {
    const rows: string[][] = [['单位', '指标', '分值', '年份', '备注']];
    for (const [name, level] of UNITS) {
      for (const s of scoresTotalling(0, LEVEL_KEYS[level]!, TOTALS[name]!)) rows.push([name, s.itemCode, String(s.points), '2022', '']);
    }
    const file = join(dir, 'scores.csv');
    writeFileSync(file, csv(rows));
    const out = JSON.parse(await cliOk(db, ['score', 'import', '--file', file, '--json'])) as { imported: number };
    expect(out.imported).toBe(rows.length - 1);
    expect(countEntries()).toBe(rows.length - 1);
  });

  it('rejects a sheet with bad rows, reporting each by row number, and imports nothing', async () => {
    const before = countEntries();
    const file = join(dir, 'bad.csv');
    writeFileSync(
      file,
      csv([
        ['unit', 'item', 'points', 'year', 'note'],
        ['甲小区', '11.1', '8', '2022', 'ok'],
        ['无名小区', '11.1', '8', '2022', ''],
        ['甲小区', '11.2', '8', '2022', ''],
        ['甲小区', '11.2', '10.5', '2022', ''],
        ['甲小区', '1.1', '5', '2022', ''],
      ]),
    );
    const r = await runCliProcess(['score', 'import', '--file', file, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^错误：--file：/);
    expect(r.stderr).toContain('3 行有错误，没有导入任何数据');
    expect(r.stderr).toContain('第 3 行：没有找到名称包含「无名小区」的单位');
    expect(r.stderr).toContain('第 5 行：指标 11.2 的分数应在 0 到 10 之间，以 0.5 分为单位（收到 10.5）');
    expect(r.stderr).toContain('第 6 行：指标 1.1 属于街道层面，而「甲小区」是小区');
    expect(r.stderr).not.toContain('第 2 行');
    expect(countEntries()).toBe(before);
  });

  it('imports an .xlsx sheet whose year column is missing into the current assessment year', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('分数');
    ws.addRow(['unit', 'item', 'points', 'note']);
    ws.addRow(['红楼宇', '16.1', 12, '复评']);
    const file = join(dir, 'scores.xlsx');
    await wb.xlsx.writeFile(file);
    await cliOk(db, ['score', 'import', '--file', file]);
    const year = assessmentYear(systemClock, 'Asia/Shanghai');
    // No --year: the default is the current year (a typed year must be one of the programme's, and 2021's programme ends in 2025).
    const show = JSON.parse(await cliOk(db, ['score', 'show', '--unit', '红楼宇', '--json'])) as { total: number; year: number };
    expect(show).toMatchObject({ year, total: 12 });
  });

  it('score show --json gives total, grade, items, blockers and the gap', async () => {
    const [community, compound] = await Promise.all([
      cliOkProcess(db, ['score', 'show', '--unit', '一社区', '--year', '2022', '--json']),
      cliOkProcess(db, ['score', 'show', '--unit', '丙小区', '--year', '2022', '--json']),
    ]);
    const c = JSON.parse(community) as Record<string, unknown>;
    expect(c).toMatchObject({ unit: '一社区', level: 'community', year: 2022, total: 95, max: 100, grade: 'none', veto: false });
    expect(c.blockers).toEqual(['所辖小区中 1 个未达标准型：乙小区(70)']);
    expect((c.items as unknown[])[0]).toEqual({ code: '6.1', title: '整合成员单位各自的资源和需求,每年年初列出党建项目清单', indicator: 6, points: 10, max: 10, assessed: true });
    const k = JSON.parse(compound) as { grade: string; gap: { nextGrade: string; pointsShort: number; topLosses: Array<{ code: string; title: string; lost: number }> } };
    expect(k.grade).toBe('standard');
    expect(k.gap.nextGrade).toBe('demonstration');
    expect(k.gap.pointsShort).toBe(10);
    expect(k.gap.topLosses[0]).toMatchObject({ code: '15.1', lost: 10 });
  });

  it('rank --json lists units by total then name; --parent limits it to a community', async () => {
    const [all, within, text] = await Promise.all([
      cliOk(db, ['rank', '--level', 'compound', '--year', '2022', '--json']),
      cliOk(db, ['rank', '--level', '小区', '--parent', '二社区', '--year', '2022', '--json']),
      cliOk(db, ['rank', '--level', 'compound', '--year', '2022']),
    ]);
    // Issue 16 #11: the compound ranking shows 所属社区; 一票否决 and 尚无评分 travel with each row.
    expect(JSON.parse(all)).toEqual([
      { rank: 1, unit: '甲小区', parent: '一社区', total: 92, grade: 'demonstration', veto: false, scored: true },
      { rank: 2, unit: '丙小区', parent: '二社区', total: 80, grade: 'standard', veto: false, scored: true },
      { rank: 3, unit: '乙小区', parent: '一社区', total: 70, grade: 'none', veto: false, scored: true },
    ]);
    expect(JSON.parse(within)).toEqual([{ rank: 1, unit: '丙小区', parent: '二社区', total: 80, grade: 'standard', veto: false, scored: true }]);
    expect(text).toContain('1\t甲小区\t一社区\t92\t示范型');
    expect(text).toContain('示范型 1，标准型 1，未达标 1');
  });

  it('targets --json reports required, reached and on track per milestone', async () => {
    const out = JSON.parse(await cliOk(db, ['targets', '--at', '2022-06-30', '--json'])) as {
      current: string;
      onTrack: boolean;
      street: string;
      milestones: Array<{ id: string; state: string; requirements: Array<{ text: string; required: number; reached: number; status: string }> }>;
    };
    expect(out).toMatchObject({ current: 'y2-12', onTrack: false, street: 'XX街道' });
    const dec = out.milestones.find((m) => m.id === 'y2-12')!;
    expect(dec.state).toBe('current');
    // 「依据」 names the milestone as the document heads it, in the programme's years. The 2022
    // scores were entered today, after 2022-06-30: an as-of view leaves them out (issue 16 #5).
    expect(dec.requirements.find((r) => r.text === '累计建成示范型楼宇2个')).toMatchObject({ required: 2, reached: 0, status: 'behind' });
    expect(await cliOk(db, ['targets', '--at', '2022-06-30'])).toContain('整体：进度落后（依据到2022年12月节点）');
    // Today they count: the red building reached 示范型 in 2022, judged on its own year.
    const now = JSON.parse(await cliOk(db, ['targets', '--json'])) as typeof out;
    expect(now.milestones.find((m) => m.id === 'y2-12')!.requirements.find((r) => r.text === '累计建成示范型楼宇2个')).toMatchObject({ required: 2, reached: 1, status: 'missed' });
  });

  it('names the argument on bad input', async () => {
    const [unknown, badYear, badAt] = await Promise.all([
      runCli(['score', 'show', '--unit', '不存在', '--db', db]),
      runCli(['rank', '--level', 'compound', '--year', 'last', '--db', db]),
      runCli(['targets', '--at', '2022/06/30', '--db', db]),
    ]);
    expect([unknown.code, badYear.code, badAt.code]).toEqual([2, 2, 2]);
    expect(unknown.stderr).toBe('错误：--unit：没有找到名称包含「不存在」的单位\n');
    expect(badYear.stderr).toMatch(/^错误：--year：/);
    expect(badAt.stderr).toMatch(/^错误：--at：/);
  });
});
