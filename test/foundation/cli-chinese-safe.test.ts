/**
 * The admin CLI as the office meets it: help and commander's own messages in Chinese, option
 * values in the office's words, a --db typo refused without creating anything, a refused init
 * leaving no file, and a half-configured deployment stopped with one line at start-up.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { childEnv, cliOkInProcess as cliOk, REPO_ROOT, runCli as runCliProcess, runCliInProcess as runCli, tempDbFile } from '../support/cli.js';

describe('help and commander messages in Chinese', () => {
  it('--help lists the commands in Chinese; option names stay ASCII', async () => {
    const r = await runCliProcess(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^用法： dangjian 〈命令〉 \[选项\]\n/);
    expect(r.stdout).toContain('命令：');
    expect(r.stdout).toMatch(/\n {2}tasks \[选项\] +重点任务督办表（红黄绿灯）\n/);
    expect(r.stdout).toMatch(/\n {2}-h, --help +显示帮助\n/);
    expect(r.stdout).not.toMatch(/display help|Usage:|Options:/);
    const sub = await runCli(['task', 'done', '--help']);
    expect(sub.stdout).toContain('用法： dangjian task done [选项]');
    expect(sub.stdout).toMatch(/--seq <序号> +任务序号/);
    expect(sub.stdout).toMatch(/--db <文件> +数据库文件/);
  });

  it('an unknown option, a missing value, a missing required option and an unknown command are answered in Chinese, exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['tasks', '--bogus'], '错误：不认识的选项 --bogus；用 dangjian tasks --help 查看用法\n'],
      [['tasks', '--statu', '红'], '错误：不认识的选项 --statu（是不是 --status？）；用 dangjian tasks --help 查看用法\n'],
      [['tasks', '--at'], '错误：选项 --at 后面要写一个值（--at <时间>）\n'],
      [['score', 'set', '--unit', '城东社区'], '错误：缺少必填的选项 --item <编号>；用 dangjian score set --help 查看用法\n'],
      [['taks'], '错误：没有「taks」这个命令（是不是 task、tasks？）；用 dangjian --help 查看全部命令\n'],
      [['export', '评分表', '排名'], '错误：参数太多：最多 1 个，收到 2 个；用 dangjian export --help 查看用法\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await runCli(args);
      expect({ args, code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ args, code: 2, stderr, stdout: '' });
    }
  });
});

describe('option values in the words the office uses', () => {
  let db: string;
  beforeAll(async () => {
    db = tempDbFile();
    await cliOk(db, ['init', '--year', '2026', '--street', '城东街道']);
    await cliOk(db, ['unit', 'add', '--name', '城东社区', '--level', '社区']);
    await cliOk(db, ['unit', 'add', '--name', '城西社区', '--level', '社区']);
  }, 60_000);

  it('tasks --status 红 is the red filter; 黄, 绿 and 完成 likewise', async () => {
    const at = '2026-04-02T10:00:00+08:00';
    const all = JSON.parse(await cliOk(db, ['tasks', '--at', at, '--json'])) as Array<{ seq: number; status: string }>;
    for (const [word, key] of [['红', 'red'], ['黄', 'yellow'], ['绿灯', 'green'], ['完成', 'done']] as const) {
      const some = JSON.parse(await cliOk(db, ['tasks', '--at', at, '--status', word, '--json'])) as Array<{ seq: number }>;
      const english = JSON.parse(await cliOk(db, ['tasks', '--at', at, '--status', key, '--json'])) as Array<{ seq: number }>;
      expect(some.map((t) => t.seq)).toEqual(english.map((t) => t.seq));
    }
    expect(all.some((t) => t.status === 'red')).toBe(true);
    const bad = await runCli(['tasks', '--status', '紫', '--db', db]);
    expect(bad.stderr).toBe('错误：--status：不认识的状态「紫」，可填：红、黄、绿、完成\n');
  });

  it('task add --cadence 每季度 stores quarterly; 每周 is refused with the choices', async () => {
    const t = JSON.parse(await cliOk(db, ['task', 'add', '--content', '每季度走访', '--deadline', '贯穿全年', '--cadence', '每季度', '--lead', '社管中心', '--year', '2026', '--json'])) as { cadence: string };
    expect(t.cadence).toBe('quarterly');
    const bad = await runCli(['task', 'add', '--content', '每周走访', '--deadline', '贯穿全年', '--cadence', '每周', '--lead', '社管中心', '--year', '2026', '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('错误：--cadence：不认识的周期「每周」，可填：每月、每半月、每季度、每两月、每年、定期\n');
  });

  it('rank --level 社区 and export --level 社区 take the level by its Chinese name', async () => {
    const rows = JSON.parse(await cliOk(db, ['rank', '--level', '社区', '--year', '2026', '--json'])) as Array<{ unit: string }>;
    expect(rows.map((r) => r.unit).sort()).toEqual(['城东社区', '城西社区'].sort());
    const bad = await runCli(['rank', '--level', '村', '--db', db]);
    expect(bad.stderr).toBe('错误：--level：不认识的层级「村」，可填：街道、社区、小区、楼宇、商圈、社会组织\n');
  });

  it('task done --period with a range back-fills every month in one command (one audit row each); undo takes a range too', async () => {
    const board = JSON.parse(await cliOk(db, ['tasks', '--year', '2026', '--at', '2026-12-01T10:00:00+08:00', '--json'])) as Array<{ seq: number; cadence: string | null }>;
    const monthly = board.find((t) => t.cadence === 'monthly')!;
    const text = await cliOk(db, ['task', 'done', '--seq', String(monthly.seq), '--period', '2026-01..2026-11', '--year', '2026', '--note', '补录']);
    const periods = Array.from({ length: 11 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}`);
    expect(text).toBe(`2026-01..2026-11：已标记完成 11 期（${periods.map((p) => `任务 ${monthly.seq} 的 ${p}`).join('、')}）\n`);
    const after = JSON.parse(await cliOk(db, ['tasks', '--year', '2026', '--at', '2026-12-01T10:00:00+08:00', '--json'])) as Array<{ seq: number; occurrences: Array<{ period: string; status: string }> }>;
    const occurrences = after.find((t) => t.seq === monthly.seq)!.occurrences;
    expect(occurrences.filter((o) => o.status === 'done').map((o) => o.period)).toEqual(periods);
    const audit = JSON.parse(await cliOk(db, ['audit', '--limit', '20', '--json'])) as Array<{ action: string; outcome: string; detail: { period?: string } | null }>;
    expect(audit.filter((a) => a.action === 'task.done' && a.outcome === 'ok').map((a) => a.detail?.period).sort()).toEqual(periods);
    const atWithRange = await runCli(['task', 'done', '--seq', String(monthly.seq), '--period', '1-11月', '--at', '2026-03-01', '--db', db]);
    expect(atWithRange.stderr).toBe('错误：--at：按范围补录时不能用 --at 或 --progress（完成时间记为现在）；要写明完成时间，请逐期执行\n');
    const undone = await cliOk(db, ['task', 'undo', '--seq', String(monthly.seq), '--period', '2026-10..2026-11', '--year', '2026']);
    expect(undone).toBe(`2026-10..2026-11：已撤销完成 2 期（任务 ${monthly.seq} 的 2026-10、任务 ${monthly.seq} 的 2026-11）\n`);
  });

  it('outbox --status 已发 / 失败 / 待发 are the card states', async () => {
    for (const word of ['已发', '失败', '待发', '未发', '发送中']) {
      expect(JSON.parse(await cliOk(db, ['outbox', '--status', word, '--json']))).toEqual([]);
    }
    expect(await cliOk(db, ['outbox'])).toBe('待发 0，发送中 0，已发 0，失败 0，未发 0\n');
  });
});

describe('safe by default', () => {
  it('a --db typo is refused with the path and creates nothing (no file, no folder)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dangjian-typo-'));
    for (const args of [['tasks'], ['score', 'show', '--unit', '城东'], ['unit', 'list'], ['audit'], ['outbox'], ['template', 'units', '--out', join(dir, 't.xlsx')], ['backup', '--out', join(dir, 'b.db')]]) {
      const typo = join(dir, 'sub', 'typo.db');
      const r = await runCli([...args, '--db', typo]);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 2, stderr: `错误：数据库文件不存在：${typo}（是否写错了路径？）\n` });
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('without --db, a missing default database says to run init first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dangjian-nodb-'));
    const file = join(dir, 'data', 'dangjian.db');
    const r = await runCli(['tasks'], { env: { DB_FILE: file } });
    expect(r.stderr).toBe(`错误：数据库文件不存在：${file}（是否写错了路径？第一次使用请先运行 dangjian init --year 〈第一年〉）\n`);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('a refused init leaves no file and no folder behind; a good one creates the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dangjian-init-'));
    const file = join(dir, 'new', 'zz.db');
    const refused = await runCliProcess(['init', '--year', '26', '--db', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('错误：--year：年份应为四位数字，例如 2026（收到「26」）\n');
    expect(readdirSync(dir)).toEqual([]);
    const ok = await runCli(['init', '--year', '2026', '--db', file]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^已初始化：XX街道，第一年 2026 年\n/);
    expect(existsSync(file)).toBe(true);
  });

  it('migrate creates a new database (the other creating command)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dangjian-migrate-')), 'm.db');
    const r = await runCli(['migrate', '--db', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^数据库 ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} 已是最新结构（\\d+ 张表）；本次执行了 \\d+ 个迁移：`));
  });
});

describe('start-up with half the credentials', () => {
  const start = (env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const dir = mkdtempSync(join(tmpdir(), 'dangjian-start-'));
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/start.js')], { cwd: dir, env: childEnv({ DB_FILE: join(dir, 'x.db'), ...env }) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(); // as under `docker run` without -it
    });

  it('LARK_APP_ID without LARK_APP_SECRET (and the reverse) stops with one line naming the missing variable, exit 2', async () => {
    const [noSecret, noId] = await Promise.all([start({ LARK_APP_ID: 'cli_a1b2c3' }), start({ LARK_APP_SECRET: 'secret' })]);
    expect(noSecret).toEqual({ code: 2, stdout: '', stderr: '错误：已设置 LARK_APP_ID，但缺少 LARK_APP_SECRET：两者都设置才能连接飞书，都不设置则在终端里运行本地对话\n' });
    expect(noId).toEqual({ code: 2, stdout: '', stderr: '错误：已设置 LARK_APP_SECRET，但缺少 LARK_APP_ID：两者都设置才能连接飞书，都不设置则在终端里运行本地对话\n' });
  }, 30_000);
});
