/** `npm start` without credentials: the console chat, as a real child process on stdin/stdout. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv, REPO_ROOT } from '../support/cli.js';
import { readWorkbook, xlsxProblems } from '../support/xlsx.js';

const START = join(REPO_ROOT, 'bin/start.js');

interface Session {
  child: ChildProcessWithoutNullStreams;
  dbFile: string;
  out(): string;
  err(): string;
  /** Resolves when stdout (from `from` on) matches. */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<string>;
  send(line: string): number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const sessions: Session[] = [];
// The tests run concurrently: clean up only once they have all finished.
afterAll(() => {
  for (const s of sessions.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
});

function start(env: Record<string, string> = {}): Session {
  const dir = mkdtempSync(join(tmpdir(), 'dangjian-console-'));
  const dbFile = join(dir, 'data', 'bot.db');
  const child = spawn(process.execPath, [START], { cwd: dir, env: childEnv({ DB_FILE: dbFile, ...env }) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const s: Session = {
    child,
    dbFile,
    out: () => stdout,
    err: () => stderr,
    send(line) {
      const mark = stdout.length;
      child.stdin.write(`${line}\n`);
      return mark;
    },
    async waitFor(pattern, from = 0, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const seen = stdout.slice(from);
        if (pattern.test(seen)) return seen;
        if (Date.now() > until || child.exitCode !== null || child.signalCode !== null) throw new Error(`stdout never matched ${pattern}:\n${stdout}\n--- stderr ---\n${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    exited,
  };
  sessions.push(s);
  return s;
}

describe.concurrent('console mode (npm start without credentials)', () => {
  it('offers to initialise, then chats: commands, cards and charts as text, numbered buttons, files saved, exit', async () => {
    const s = start();
    await s.waitFor(/尚未初始化[\s\S]*初始化/);
    let mark = s.send('初始化 2026');
    expect(await s.waitFor(/┗━/, mark)).toMatch(/已初始化[\s\S]*XX街道，第一年 2026；新增花名册 3 人、任务 25 项/);

    mark = s.send('任务 1');
    const card = await s.waitFor(/┗━/, mark);
    expect(card).toContain('任务 1 ·');
    expect(card).toContain('牵头单位');
    expect(card).toMatch(/\[1\] 标记完成 2026/);

    mark = s.send('1');
    const pressed = await s.waitFor(/┗━/, mark);
    expect(pressed).toContain('已标记完成：任务 1 2026');
    expect(pressed).toContain('控制台 已将任务 1 的 2026 标记完成');

    mark = s.send('/score 不存在的单位');
    expect(await s.waitFor(/┗━/, mark)).toContain('没有找到名称包含「不存在的单位」的单位');

    // The last card has no buttons: a number presses nothing (not a button of an older card).
    mark = s.send('1');
    await s.waitFor(/上一张卡片没有可以点击的按钮/, mark);

    mark = s.send('胡言乱语');
    expect(await s.waitFor(/┗━/, mark)).toContain('没有「胡言乱语」这个命令');

    // A file is saved beside the database, and the console says where (never overwriting).
    mark = s.send('导出 评分表 2026');
    const line = await s.waitFor(/\[文件\] 评分表-2026\.xlsx（\d+ KB）已保存到 .+\n/, mark);
    const path = /已保存到 (.+)\n/.exec(line)![1]!;
    expect(dirname(path)).toBe(join(dirname(s.dbFile), 'exports'));
    const bytes = readFileSync(path);
    expect(await xlsxProblems(bytes)).toEqual([]);
    expect((await readWorkbook(bytes)).worksheets.map((w) => w.name)).toEqual(['街道']);
    mark = s.send('导出 评分表 2026');
    expect(await s.waitFor(/已保存到 .+\n/, mark)).toContain('评分表-2026 (2).xlsx');

    // Charts print as text bars (a unit with entries this year: one without says 「尚无评分」).
    mark = s.send('录分 XX街道 2.1 5');
    await s.waitFor(/┗━/, mark);
    mark = s.send('得分 XX街道');
    expect(await s.waitFor(/┗━/, mark)).toMatch(/📊 各项指标得分（条长 = 满分）\n┃ 1\. 发挥党委\S* +▓+ +0\+20=20/);

    s.send('exit');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.out()).not.toMatch(/at .*\.(ts|js|mjs):\d+/);
  });

  it('ends cleanly when stdin ends (Ctrl-D), after answering what was typed', async () => {
    const s = start();
    await s.waitFor(/本地控制台/);
    s.child.stdin.end('帮助\n');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.out()).toContain('党建助手 · 使用说明');
  });

  it('stops cleanly on SIGTERM', async () => {
    const s = start();
    await s.waitFor(/本地控制台/);
    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
  });
});
