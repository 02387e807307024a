import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/db/audit.repository.js';
import { openDatabase } from '../../src/db/database.js';
import { insertMember } from '../../src/db/member.repository.js';
// Most runs go through the CLI program in-process (fast); the TZ and log-output checks
// spawn the real bin, since they depend on the child's own environment and stderr.
import { cliOk as cliOkProcess, cliOkInProcess as cliOk, runCli as runCliProcess, runCliInProcess as runCli, tempDbFile } from '../support/cli.js';
import { snapshot } from './helpers.js';

interface BoardJson {
  seq: number;
  status: string;
  dueDate: string | null;
  cadence: string | null;
  late: boolean;
  doneLate: boolean;
  leadUnits: string[];
  occurrences: Array<{ period: string; dueDate: string; status: string; doneAt: string | null; doneBy: string | null }>;
}

let db: string;

async function dbSnapshot(): Promise<unknown> {
  const opened = openDatabase(db);
  try {
    return await snapshot(opened.db);
  } finally {
    await opened.close();
  }
}

async function boardAt(iso: string, extra: string[] = [], env: Record<string, string> = {}): Promise<BoardJson[]> {
  return JSON.parse(await cliOk(db, ['tasks', '--json', '--at', iso, ...extra], env)) as BoardJson[];
}

async function boardAtProcess(iso: string, extra: string[] = [], env: Record<string, string> = {}): Promise<BoardJson[]> {
  return JSON.parse(await cliOkProcess(db, ['tasks', '--json', '--at', iso, ...extra], env)) as BoardJson[];
}

const find = (b: BoardJson[], seq: number): BoardJson => {
  const e = b.find((x) => x.seq === seq);
  if (!e) throw new Error(`task ${seq} missing`);
  return e;
};

beforeAll(async () => {
  db = tempDbFile('dangjian-tasks-');
  await cliOk(db, ['init', '--year', '2026', '--sample-roster']);
  const opened = openDatabase(db);
  const t = Date.parse('2026-01-01T00:00:00+08:00');
  await insertMember(opened.db, { name: '社治小李', openId: null, role: 'lead_unit', leadUnit: '社会治理办', unitId: null, at: t });
  await insertMember(opened.db, { name: '社管小王', openId: null, role: 'lead_unit', leadUnit: '社管中心', unitId: null, at: t });
  await opened.close();
}, 60_000);

afterAll(() => rmSync(dirname(db), { recursive: true, force: true }));

describe('dangjian tasks (real child process)', { timeout: 90_000 }, () => {
  it('lists the 25 tasks of the year of --at with statuses and occurrences', async () => {
    const b = await boardAt('2026-02-21T00:00:00+08:00');
    expect(b).toHaveLength(25);
    expect(find(b, 1)).toMatchObject({ status: 'yellow', dueDate: '2026-02-28', cadence: null, late: false, doneLate: false });
    expect(find(b, 1).occurrences).toEqual([
      expect.objectContaining({ period: '2026', dueDate: '2026-02-28', status: 'yellow', doneAt: null, doneBy: null }),
    ]);
    expect(find(b, 8)).toMatchObject({ status: 'red', dueDate: null, cadence: 'monthly', leadUnits: ['社会治理办'] });
    expect(find(b, 8).occurrences).toHaveLength(12);
    expect(find(b, 21).occurrences).toHaveLength(24);
    const text = await cliOk(db, ['tasks', '--at', '2026-02-21T00:00:00+08:00', '--lead', '社会治理办']);
    expect(text).toContain('[红] 8.');
  });

  it('evaluates deadlines in Asia/Shanghai even when the process runs with TZ=UTC', async () => {
    const env = { TZ: 'UTC' };
    expect(find(await boardAtProcess('2026-02-28T15:59:59.999Z', [], env), 1).status).toBe('yellow');
    expect(find(await boardAtProcess('2026-02-28T20:00:00Z', [], env), 1).status).toBe('red');
  });

  it('done → listed as done with ISO doneAt; a second done is a conflict that changes nothing', async () => {
    const done = JSON.parse(await cliOk(db, ['task', 'done', '--seq', '1', '--by', '王博文', '--at', '2026-02-27T10:00:00+08:00', '--note', '自查完成', '--json']));
    expect(done).toMatchObject({ seq: 1, period: '2026', doneBy: '王博文', doneAt: '2026-02-27T10:00:00+08:00', late: false, note: '自查完成' });
    const onlyDone = await boardAt('2026-03-02T00:00:00+08:00', ['--status', 'done']);
    expect(onlyDone.map((x) => x.seq)).toEqual([1]);
    expect(onlyDone[0]?.occurrences[0]).toMatchObject({ status: 'done', doneBy: '王博文', doneAt: '2026-02-27T10:00:00+08:00' });

    const before = await dbSnapshot();
    const again = await runCli(['task', 'done', '--seq', '1', '--by', '张建虹', '--year', '2026', '--db', db]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('王博文');
    expect(again.stderr).toContain('2026-02-27T10:00:00+08:00');
    expect(await dbSnapshot()).toEqual(before);
  });

  it('refuses a member of another lead unit with the reason (and audits the refusal)', async () => {
    const r = await runCli(['task', 'done', '--seq', '8', '--by', '社管小王', '--at', '2026-03-05T10:00:00+08:00', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('错误：你不是任务 8 的牵头单位（社会治理办）成员，也不是党建办或领导小组成员，不能标记完成');
    const opened = openDatabase(db);
    const [denied] = await listAudit(opened.db, { action: 'task.done', limit: 1 });
    await opened.close();
    expect(denied).toMatchObject({ actor: '社管小王', source: 'cli', outcome: 'denied', subject: 'task:2026:8' });
    const ok = JSON.parse(await cliOk(db, ['task', 'done', '--seq', '8', '--by', '社治小李', '--at', '2026-03-05T10:00:00+08:00', '--json']));
    expect(ok).toMatchObject({ period: '2026-01', late: true });
  });

  it('bad input is rejected naming the argument, and the database stays unchanged', async () => {
    const before = await dbSnapshot();
    const cases: Array<[string[], string]> = [
      [['task', 'done', '--seq', '1', '--by', '无名氏', '--year', '2026'], '错误：--by：花名册中没有「无名氏」'],
      [['task', 'done', '--seq', '8', '--by', '社治小李', '--period', '2026-13', '--year', '2026'], '错误：--period：'],
      [['task', 'done', '--seq', '25', '--by', '社管小王', '--progress', 'entered=abc', '--year', '2026'], '错误：--progress：'],
      [['task', 'done', '--seq', '1', '--by', '王博文', '--at', 'yesterday'], '错误：--at：'],
      [['task', 'undo', '--seq', '2', '--by', '王博文', '--year', '2026'], '错误：--period：任务 2 的周期 2026 尚未完成'],
      [['task', 'add', '--content', '新任务', '--deadline', '下个月', '--lead', '社管中心', '--year', '2026'], '错误：--deadline：无法识别的完成时间「下个月」'],
      [['task', 'add', '--content', '新任务', '--deadline', '贯穿全年', '--lead', '社管中心', '--year', '2026'], '错误：--cadence：'],
      [['task', 'add', '--content', '新任务', '--deadline', '6月底', '--lead', '宣传办', '--year', '2026'], '错误：--lead：未知的牵头单位「宣传办」'],
      [['task', 'edit', '--seq', '77', '--content', 'x', '--year', '2026'], '错误：--seq：'],
      [['tasks', '--status', 'blue', '--year', '2026'], '错误：--status：'],
      [['tasks', '--year', '2030'], '错误：--year：'],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli([...args, '--db', db])));
    results.forEach((r, i) => {
      const [args, expected] = cases[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(expected);
    });
    expect(await dbSnapshot()).toEqual(before);
  });

  it('undo restores the previous board', async () => {
    const when = '2026-03-05T10:00:00+08:00';
    const before = find(await boardAt(when), 9);
    await cliOk(db, ['task', 'done', '--seq', '9', '--period', '2026-Q1', '--by', '王博文', '--at', '2026-03-04T09:00:00+08:00']);
    expect(find(await boardAt(when), 9).occurrences[0]?.status).toBe('done');
    const undone = JSON.parse(await cliOk(db, ['task', 'undo', '--seq', '9', '--period', '2026-Q1', '--by', '张建虹', '--year', '2026', '--json']));
    expect(undone).toMatchObject({ period: '2026-Q1', undoneBy: '张建虹', undone: { doneBy: '王博文' } });
    expect(find(await boardAt(when), 9)).toEqual(before);
  });

  it('the office adds, edits and retires a task; others may not', async () => {
    const added = JSON.parse(
      await cliOk(db, ['task', 'add', '--content', '年中督查', '--deadline', '7月15日', '--lead', '社管中心,党建办（组织）', '--year', '2026', '--json']),
    );
    expect(added).toMatchObject({ seq: 26, deadlineText: '7月15日', leadUnits: ['社管中心', '党建办(组织)'], source: 'office', category: '其他任务' });
    const recurring = JSON.parse(
      await cliOk(db, ['task', 'add', '--content', '每季度走访', '--deadline', '贯穿全年', '--cadence', 'quarterly', '--lead', '社管中心', '--year', '2026', '--by', '王博文', '--json']),
    );
    expect(recurring).toMatchObject({ seq: 27, cadence: 'quarterly' });

    const denied = await runCli(['task', 'add', '--content', 'x', '--deadline', '年底', '--lead', '社管中心', '--year', '2026', '--by', '社管小王', '--db', db]);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain('只有党建办可以新增任务');

    const edited = JSON.parse(await cliOk(db, ['task', 'edit', '--seq', '26', '--deadline', '9月中旬', '--year', '2026', '--json']));
    expect(edited).toMatchObject({ seq: 26, deadlineText: '9月中旬' });
    expect(find(await boardAt('2026-09-14T00:00:00+08:00'), 26)).toMatchObject({ dueDate: '2026-09-20', status: 'yellow' });

    const retired = JSON.parse(await cliOk(db, ['task', 'retire', '--seq', '26', '--year', '2026', '--json']));
    expect(retired.retiredAt).toMatch(/\+08:00$/);
    const now = new Date(Date.now() + 60_000).toISOString();
    expect((await boardAt(now, ['--year', '2026'])).map((x) => x.seq)).not.toContain(26);
  });

  it('task instantiate copies the list to the next year once', async () => {
    const first = JSON.parse(await cliOk(db, ['task', 'instantiate', '--year', '2027', '--json']));
    // Year 2: the plan's recurring items (not the one-offs of year one), then the office's task.
    expect(first.inserted).toEqual([1, 2, 3, 5, 7, 8, 9, 10, 11, 12, 16, 17, 18, 21, 22, 23, 24, 25, 27]);
    expect(first.firstYearOnly).toEqual([4, 6, 13, 14, 15, 19, 20]);
    const again = JSON.parse(await cliOk(db, ['task', 'instantiate', '--year', '2027', '--json']));
    expect(again.inserted).toEqual([]);
    const next = await boardAt('2027-02-22T00:00:00+08:00');
    expect(next).toHaveLength(19);
    expect(find(next, 1)).toMatchObject({ dueDate: '2027-02-28', status: 'yellow' });
  });
});

describe('dangjian calendar', { timeout: 60_000 }, () => {
  it('2026 from chinese-days: 调休 Saturdays, holidays with names, 248 working days', async () => {
    const cal = JSON.parse(await cliOk(db, ['calendar', '--year', '2026', '--json']));
    expect(cal).toMatchObject({ year: 2026, source: 'chinese-days', workdays: 248, overrideYears: [], warnings: [] });
    expect(cal.coveredYears[0]).toBe(2004);
    expect(cal.coveredYears.at(-1)).toBe(2026);
    expect(cal.days).toContainEqual({ date: '2026-02-28', kind: 'workday', name: '春节', weekday: '星期六', inLieu: false, source: 'chinese-days' });
    expect(cal.days).toContainEqual(expect.objectContaining({ date: '2026-10-01', kind: 'holiday', name: '国庆节' }));
  });

  it('2027 falls back to Monday–Friday and logs a warning; HOLIDAY_FILE adds the year', async () => {
    const fallback = await runCliProcess(['calendar', '--year', '2027', '--json', '--db', db]);
    expect(fallback.code).toBe(0);
    expect(JSON.parse(fallback.stdout)).toMatchObject({ source: 'fallback-mon-fri', workdays: 261, days: [] });
    expect(fallback.stderr).toContain('警告：chinese-days');
    expect(fallback.stderr).toContain('没有 2027 年的节假日数据');
    expect(fallback.stderr).not.toContain('{"level"');

    const file = join(dirname(db), 'holidays-2027.json');
    writeFileSync(file, JSON.stringify({ holidays: ['2027-01-01', { date: '2027-02-11', name: '春节' }], workdays: ['2027-02-06'] }));
    const withFile = await runCliProcess(['calendar', '--year', '2027', '--json', '--db', db], { env: { HOLIDAY_FILE: file } });
    expect(withFile.code).toBe(0);
    const cal = JSON.parse(withFile.stdout);
    expect(cal).toMatchObject({ source: 'override', workdays: 261 - 2 + 1, overrideYears: [2027], warnings: [] });
    expect(cal.days.map((d: { date: string }) => d.date)).toEqual(['2027-01-01', '2027-02-06', '2027-02-11']);
    expect(withFile.stderr).toBe('');

    const bad = join(dirname(db), 'holidays-bad.json');
    writeFileSync(bad, JSON.stringify({ holidays: ['2027-01-01', '2027-02-30'] }));
    const rejected = await runCliProcess(['calendar', '--year', '2027', '--db', db], { env: { HOLIDAY_FILE: bad } });
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toContain(bad);
    expect(rejected.stderr).toContain('holidays[1] "2027-02-30"');
  });
});
