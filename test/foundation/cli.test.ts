import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
// Most runs go through the CLI program in process (same argv parsing, same code, real database
// files); the set-up and the pipe test run the real bin as a child process.
import { BIN, childEnv, cliOk as cliOkProcess, cliOkInProcess as cliOk, runCliInProcess as runCli, tempDbFile } from '../support/cli.js';

const digest = (file: string) => {
  const parts = [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f));
  return createHash('sha256').update(Buffer.concat(parts)).digest('hex');
};

describe('dangjian CLI', () => {
  let db: string;

  beforeAll(async () => {
    db = tempDbFile();
    await cliOkProcess(db, ['init', '--year', '2026', '--street', '城东街道', '--sample-roster']);
    await cliOk(db, ['unit', 'add', '--name', '城东社区', '--level', 'community']);
    await cliOk(db, ['unit', 'add', '--name', '阳光小区', '--level', '小区', '--parent', '城东社区']);
    await cliOk(db, ['unit', 'add', '--name', '金融大厦', '--level', 'building', '--parent', '城东街道']);
  }, 60_000);

  it('init --sample-roster is idempotent and seeds the Annex 1 roster and the 25 tasks', async () => {
    const again = JSON.parse(await cliOk(db, ['init', '--year', '2026', '--street', '城东街道', '--sample-roster', '--json'])) as { created: { street: boolean; members: number; tasks: number } };
    expect(again.created).toEqual({ street: false, members: 0, tasks: 0 });
    const members = JSON.parse(await cliOk(db, ['member', 'list', '--json'])) as Array<{ name: string; role: string }>;
    expect(members).toHaveLength(25);
    expect(members.find((m) => m.name === '张建虹')?.role).toBe('leader');
    expect(members.find((m) => m.name === '王博文')?.role).toBe('office');
    const conflict = await runCli(['init', '--year', '2027', '--db', db]);
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toMatch(/--year/);
  });

  it('plan --json prints six levels, 28 indicators and 25 tasks', async () => {
    const plan = JSON.parse(await cliOk(db, ['plan', '--json'])) as { levels: Array<{ indicators: unknown[] }>; tasks: unknown[]; programme: { firstYear: number } };
    expect(plan.levels).toHaveLength(6);
    expect(plan.levels.reduce((n, l) => n + l.indicators.length, 0)).toBe(28);
    expect(plan.tasks).toHaveLength(25);
    expect(plan.programme.firstYear).toBe(2026);
  });

  it('round-trips units, scores, vetoes, members and chats', async () => {
    const units = JSON.parse(await cliOk(db, ['unit', 'list', '--json'])) as Array<{ name: string; level: string; parent: string | null }>;
    expect(units).toContainEqual({ name: '阳光小区', level: 'compound', parent: '城东社区' });
    expect(units).toContainEqual({ name: '城东社区', level: 'community', parent: '城东街道' });

    const set = JSON.parse(await cliOk(db, ['score', 'set', '--unit', '阳光小区', '--item', '11.1', '--points', '9.5', '--year', '2026', '--json'])) as Record<string, unknown>;
    expect(set).toMatchObject({ unit: '阳光小区', item: '11.1', points: 9.5, max: 10, year: 2026 });

    expect(await cliOk(db, ['veto', 'set', '--unit', '阳光小区', '--reason', '发生重大安全事故', '--year', '2026'])).toContain('已对 阳光小区 2026 年一票否决：发生重大安全事故');
    expect(await cliOk(db, ['veto', 'clear', '--unit', '阳光小区', '--reason', '复核撤销', '--year', '2026'])).toContain('已取消 阳光小区 的一票否决');

    const member = JSON.parse(await cliOk(db, ['member', 'add', '--name', '李书记', '--open-id', 'ou_li', '--role', 'secretary', '--unit', '城东社区', '--json'])) as Record<string, unknown>;
    expect(member).toMatchObject({ name: '李书记', openId: 'ou_li', role: 'secretary' });
    await cliOk(db, ['member', 'add', '--name', '社管小王', '--role', 'lead_unit', '--unit', '社管中心']);

    await cliOk(db, ['chat', 'bind', '--chat', 'oc_leaders', '--to', 'leadership']);
    await cliOk(db, ['chat', 'bind', '--chat', 'oc_sg', '--to', 'lead:社管中心']);
    const chats = JSON.parse(await cliOk(db, ['chat', 'list', '--json'])) as Array<{ chatId: string; target: string }>;
    expect(chats.map((c) => [c.chatId, c.target])).toEqual(expect.arrayContaining([['oc_leaders', 'leadership'], ['oc_sg', 'lead:社管中心']]));
  });

  it('imports units from CSV with Chinese headers, parents after children', async () => {
    const csv = join(dirname(db), 'units.csv');
    writeFileSync(csv, '名称,层级,上级\n幸福小区,小区,城西社区\n城西社区,社区,城东街道\n星光商圈,商圈,\n');
    expect(await cliOk(db, ['unit', 'import', '--file', csv])).toContain('导入 3 个单位');
    const units = JSON.parse(await cliOk(db, ['unit', 'list', '--level', 'compound', '--json'])) as Array<{ name: string; parent: string }>;
    expect(units).toContainEqual({ name: '幸福小区', level: 'compound', parent: '城西社区' });
  });

  it('imports units from .xlsx', async () => {
    const file = join(dirname(db), 'units.xlsx');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('units');
    ws.addRow(['name', 'level', 'parent']);
    ws.addRow(['公益社工服务社', 'social_org', '城东街道']);
    ws.addRow(['和谐小区', 'compound', '城东社区']);
    await wb.xlsx.writeFile(file);
    expect(await cliOk(db, ['unit', 'import', '--file', file, '--json'])).toContain('"imported": 2');
  });

  const badInputs: Array<[string, string[], RegExp]> = [
    ['an unknown level', ['unit', 'add', '--name', '某单位', '--level', 'village'], /--level.*不认识的层级「village」/],
    ['a compound under the street', ['unit', 'add', '--name', '错小区', '--level', 'compound', '--parent', '城东街道'], /--parent.*小区的上级必须是社区/],
    ['a duplicate unit name', ['unit', 'add', '--name', '城东社区', '--level', 'community'], /--name.*单位「城东社区」已存在/],
    ['points above the maximum', ['score', 'set', '--unit', '阳光小区', '--item', '11.1', '--points', '10.5'], /--points.*0 到 10 之间/],
    ['points not a multiple of 0.5', ['score', 'set', '--unit', '阳光小区', '--item', '11.1', '--points', '7.3'], /--points.*以 0\.5 分为单位/],
    ['negative points', ['score', 'set', '--unit', '阳光小区', '--item', '11.1', '--points', '-1'], /--points/],
    ['an item of another level', ['score', 'set', '--unit', '阳光小区', '--item', '4.2', '--points', '5'], /--item.*街道层面/],
    ['an unknown item', ['score', 'set', '--unit', '阳光小区', '--item', '99.1', '--points', '5'], /--item.*方案中没有指标「99\.1」/],
    ['an unknown unit', ['score', 'set', '--unit', '不存在小区', '--item', '11.1', '--points', '5'], /--unit.*没有找到名称包含「不存在小区」的单位/],
    ['a bad year', ['score', 'set', '--unit', '阳光小区', '--item', '11.1', '--points', '5', '--year', '26'], /--year/],
    ['an unknown role', ['member', 'add', '--name', '某人', '--role', 'boss'], /--role/],
    ['an unknown lead unit', ['chat', 'bind', '--chat', 'oc_x', '--to', 'lead:财政所'], /--to.*没有牵头单位「财政所」/],
    ['a missing required option', ['unit', 'add', '--name', 'x'], /--level/],
  ];

  it('rejects each bad input with one line on stderr naming the argument, leaving the database byte-for-byte unchanged', async () => {
    const before = digest(db);
    // None of these may write, so they run side by side.
    const results = await Promise.all(badInputs.map(([, args]) => runCli([...args, '--db', db])));
    results.forEach((r, i) => {
      const [label, , pattern] = badInputs[i]!;
      expect(r.code, label).not.toBe(0);
      expect(r.stderr.trim().split('\n'), label).toHaveLength(1);
      expect(r.stderr, label).toMatch(pattern);
    });
    expect(digest(db)).toBe(before);
  }, 120_000);

  it('rejects a unit sheet with bad rows by row number and imports nothing', async () => {
    const csv = join(dirname(db), 'bad-units.csv');
    writeFileSync(csv, 'name,level,parent\n好小区,compound,城东社区\n坏小区,compound,城东街道\n怪单位,村,\n');
    const before = digest(db);
    const r = await runCli(['unit', 'import', '--file', csv, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('第 3 行：小区的上级必须是社区，「城东街道」是街道');
    expect(r.stderr).toContain('第 4 行：不认识的层级「村」');
    expect(digest(db)).toBe(before);
  });

  it('stops quietly when its output pipe closes early (dangjian reminders preview | head)', async () => {
    // A year's preview is megabytes written in many chunks: writes continue after the close.
    const child = spawn(process.execPath, [BIN, 'reminders', 'preview', '--from', '2026-01-01', '--to', '2026-12-31', '--json', '--db', db], { env: childEnv() });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(code).toBe(0);
  });
});
