/**
 * Issue 11: correctable master data through the real CLI program (in process, real SQLite files):
 * the roster (positions seeded by init, add-as-update, bind, edit, remove, import), units (rename,
 * move, remove or archive, import by name, one street), chats (oc_ ids, unbind). Every refusal is
 * one Chinese line naming the option, and leaves the database byte for byte as it was.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ROSTER_POSITIONS } from '../../src/services/init.service.js';
import { cliOkInProcess as cliOk, runCliInProcess as runCli, tempDbFile } from '../support/cli.js';

const digest = (file: string) => createHash('sha256').update(Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)))).digest('hex');
const json = async <T>(db: string, args: string[]): Promise<T> => JSON.parse(await cliOk(db, [...args, '--json'])) as T;

interface MemberJson { name: string; role: string; openId: string | null; leadUnit: string | null; unit: string | null; mobile: string | null }
interface UnitJson { name: string; level: string; parent: string | null }
interface AuditJson { actor: string; action: string; subject: string | null; outcome: string }

/** Runs each refused command and checks: exit 2, one line naming the option and matching, nothing changed. */
async function expectRefused(db: string, cases: Array<[string[], RegExp]>): Promise<void> {
  const before = digest(db);
  for (const [args, pattern] of cases) {
    const r = await runCli([...args, '--db', db]);
    expect(r.code, args.join(' ')).toBe(2);
    // A sheet's row errors take a line per cause; anything else is one line.
    if (!args.includes('import')) expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    expect(r.stderr, args.join(' ')).toMatch(pattern);
  }
  expect(digest(db)).toBe(before);
}

describe('the roster', () => {
  let db: string;
  beforeEach(async () => {
    db = tempDbFile();
    await cliOk(db, ['init', '--year', '2026', '--street', '城东街道']);
    await cliOk(db, ['unit', 'add', '--name', '城东社区', '--level', '社区']);
  });

  it('init seeds the plan positions, not the sample names; the office binds itself as the README says', async () => {
    const members = await json<MemberJson[]>(db, ['member', 'list']);
    expect(members.map((m) => [m.name, m.role])).toEqual(ROSTER_POSITIONS.map((p) => [p.name, p.role]));
    expect(members.some((m) => m.name === '王博文')).toBe(false);
    expect(await cliOk(db, ['member', 'bind', '--name', '党建办主任', '--open-id', 'ou_office1'])).toBe('领导小组办公室（党建办）「党建办主任」已绑定到飞书账号 ou_office1\n');
    // A second init brings back no position that was renamed away.
    await cliOk(db, ['member', 'edit', '--name', '领导小组组长', '--rename', '张组长']);
    expect((await json<{ created: { members: number } }>(db, ['init', '--year', '2026', '--street', '城东街道'])).created.members).toBe(0);
    expect((await json<MemberJson[]>(db, ['member', 'list'])).map((m) => m.name)).toEqual(['张组长', '党建办主任', '党建办副主任']);
  });

  it('init --sample-roster seeds Annex 1 names for demonstrations', async () => {
    const demo = tempDbFile();
    await cliOk(demo, ['init', '--year', '2026', '--sample-roster']);
    const members = await json<MemberJson[]>(demo, ['member', 'list']);
    expect(members).toHaveLength(25);
    expect(members.find((m) => m.name === '王博文')?.role).toBe('office');
  });

  it('member add takes the Chinese role words, and adding an existing name updates that member', async () => {
    expect(await cliOk(db, ['member', 'add', '--name', '李书记', '--role', '书记', '--unit', '城东社区', '--mobile', '138 0013 8000'])).toBe('已添加社区党组织书记（城东社区）「李书记」（尚未绑定飞书账号）\n');
    expect(await cliOk(db, ['member', 'add', '--name', '社管小王', '--role', '牵头单位', '--unit', '社管中心'])).toContain('已添加牵头单位（社管中心）「社管小王」');
    expect(await cliOk(db, ['member', 'add', '--name', '党建办副主任', '--role', '党建办', '--open-id', 'ou_deputy'])).toBe('已更新领导小组办公室（党建办）「党建办副主任」\n');
    const again = await json<{ outcome: string; openId: string; mobile: string }>(db, ['member', 'add', '--name', '李书记', '--role', 'secretary', '--unit', '城东社区', '--open-id', 'ou_li']);
    expect(again).toMatchObject({ outcome: 'updated', openId: 'ou_li', mobile: '13800138000' });
    const li = (await json<MemberJson[]>(db, ['member', 'list'])).find((m) => m.name === '李书记');
    expect(li).toMatchObject({ role: 'secretary', unit: '城东社区', openId: 'ou_li', mobile: '13800138000' });
    // The office answers for 党建办(组织)'s tasks, as init's positions do; a role change moves the member.
    await cliOk(db, ['member', 'add', '--name', '王主任', '--role', '办公室']);
    await cliOk(db, ['member', 'edit', '--name', '社管小王', '--role', '副组长']);
    const roster = await json<MemberJson[]>(db, ['member', 'list']);
    expect(roster.find((m) => m.name === '王主任')).toMatchObject({ role: 'office', leadUnit: '党建办(组织)' });
    expect(roster.find((m) => m.name === '社管小王')).toMatchObject({ role: 'deputy', leadUnit: null, unit: null });
  });

  it('member edit changes only what is given; member remove keeps the audit history and frees the open_id', async () => {
    await cliOk(db, ['member', 'add', '--name', '李书记', '--role', '书记', '--unit', '城东社区', '--open-id', 'ou_li']);
    await cliOk(db, ['score', 'set', '--unit', '城东社区', '--item', '6.1', '--points', '5', '--year', '2026']);
    await cliOk(db, ['member', 'add', '--name', '王主任', '--role', '党建办', '--open-id', 'ou_wang']);
    await cliOk(db, ['score', 'set', '--unit', '城东社区', '--item', '6.2', '--points', '4', '--year', '2026', '--by', '王主任']);
    expect(await cliOk(db, ['member', 'edit', '--name', '李书记', '--rename', '李建国', '--mobile', '13900000000'])).toBe('已修改社区党组织书记（城东社区）「李建国」：姓名、手机号\n');
    expect(await cliOk(db, ['member', 'remove', '--name', '王主任'])).toBe('已移除领导小组办公室（党建办）「王主任」，并解除飞书账号 ou_wang 的绑定\n');
    const names = (await json<MemberJson[]>(db, ['member', 'list'])).map((m) => m.name);
    expect(names).toContain('李建国');
    expect(names).not.toContain('王主任');
    const audit = await json<AuditJson[]>(db, ['audit']);
    expect(audit.find((a) => a.action === 'score.set' && a.outcome === 'ok' && a.actor === '王主任')).toBeDefined();
    expect(audit.find((a) => a.action === 'member.remove')).toMatchObject({ subject: '王主任', outcome: 'ok' });
    // Removed: cannot act any more; the open_id can go to someone else; adding the name again restores the member.
    await expectRefused(db, [[['score', 'set', '--unit', '城东社区', '--item', '6.3', '--points', '1', '--year', '2026', '--by', '王主任'], /--by.*花名册中没有「王主任」/]]);
    await cliOk(db, ['member', 'bind', '--name', '党建办副主任', '--open-id', 'ou_wang']);
    expect(await json<{ outcome: string; openId: string | null }>(db, ['member', 'add', '--name', '王主任', '--role', '党建办'])).toMatchObject({ outcome: 'restored', openId: null });
  });

  it('refuses bad roster input in Chinese and changes nothing', async () => {
    await cliOk(db, ['member', 'add', '--name', '李书记', '--role', '书记', '--unit', '城东社区', '--open-id', 'ou_li']);
    await expectRefused(db, [
      [['member', 'add', '--name', '某人', '--role', '老板'], /--role.*不认识的角色「老板」/],
      [['member', 'add', '--name', '某人', '--role', '牵头单位', '--unit', '财政所'], /--unit.*「财政所」不是牵头单位/],
      [['member', 'add', '--name', '某人', '--role', '书记', '--unit', '不存在社区'], /--unit.*没有名为「不存在社区」的单位/],
      [['member', 'add', '--name', '某人', '--role', '组长', '--unit', '城东社区'], /--unit.*只有牵头单位成员和书记需要 --unit/],
      [['member', 'add', '--name', '某人', '--role', '组长', '--open-id', 'ou_li'], /--open-id.*已绑定给「李书记」/],
      [['member', 'add', '--name', '某人', '--role', '组长', '--mobile', '12345'], /--mobile.*不是 11 位手机号/],
      [['member', 'bind', '--name', '没这人', '--open-id', 'ou_x'], /--name.*花名册中没有「没这人」/],
      [['member', 'bind', '--name', '党建办主任', '--open-id', 'on_union'], /--open-id.*以 ou_ 开头/],
      [['member', 'edit', '--name', '李书记'], /--name.*没有变化/],
      [['member', 'edit', '--name', '李书记', '--rename', '党建办主任'], /--rename.*花名册中已有「党建办主任」/],
      [['member', 'remove', '--name', '没这人'], /--name.*花名册中没有「没这人」/],
    ]);
  });

  it('member import creates or updates by name, keeps what an empty cell leaves, and refuses a bad sheet whole', async () => {
    await cliOk(db, ['member', 'add', '--name', '李书记', '--role', '书记', '--unit', '城东社区', '--open-id', 'ou_li']);
    const csv = join(dirname(db), 'roster.csv');
    writeFileSync(csv, '姓名,角色,单位,手机号,邮箱,open_id\n李书记,书记,城东社区,13800000001,,\n党建办主任,党建办,,13800000002,,\n张三,牵头单位,社管中心,,zhang@example.com,\n');
    expect(await cliOk(db, ['member', 'import', '--file', csv])).toMatch(/^已从 \S*roster\.csv 导入花名册：新增 1 人，更新 2 人\n$/);
    const members = await json<MemberJson[]>(db, ['member', 'list']);
    expect(members.find((m) => m.name === '李书记')).toMatchObject({ openId: 'ou_li', mobile: '13800000001' });
    expect(members.find((m) => m.name === '张三')).toMatchObject({ role: 'lead_unit', leadUnit: '社管中心' });
    const bad = join(dirname(db), 'bad-roster.csv');
    const taken = join(dirname(db), 'taken-roster.csv');
    writeFileSync(bad, '姓名,角色,单位,手机号,邮箱,open_id\n新人甲,书记,城东社区,,,\n新人乙,书记,没有的社区,,,\n');
    writeFileSync(taken, '姓名,角色,单位,手机号,邮箱,open_id\n新人甲,书记,城东社区,,,ou_li\n新人乙,组长,,,,\n');
    await expectRefused(db, [
      [['member', 'import', '--file', bad], /第 3 行：单位「没有的社区」不存在/],
      [['member', 'import', '--file', taken], /第 2 行：open_id ou_li 已绑定给「李书记」/],
    ]);
  });
});

describe('units', () => {
  let db: string;
  beforeEach(async () => {
    db = tempDbFile();
    await cliOk(db, ['init', '--year', '2026', '--street', '城东街道']);
    await cliOk(db, ['unit', 'add', '--name', '城东社区', '--level', '社区']);
    await cliOk(db, ['unit', 'add', '--name', '城西社区', '--level', '社区']);
    await cliOk(db, ['unit', 'add', '--name', '阳光小区', '--level', '小区', '--parent', '城东社区']);
  });

  it('rename carries the chats subscribed to the unit (and the programme street) along; move changes the parent', async () => {
    await cliOk(db, ['chat', 'bind', '--chat', 'oc_unit1', '--to', '城东社区']);
    expect(await cliOk(db, ['unit', 'rename', '--name', '城东社区', '--to', '东城社区'])).toBe('「城东社区」已改名为「东城社区」（1 个订阅群随之更新）\n');
    expect(await json<Array<{ chatId: string; target: string }>>(db, ['chat', 'list'])).toEqual([expect.objectContaining({ chatId: 'oc_unit1', target: 'unit:东城社区' })]);
    await cliOk(db, ['unit', 'rename', '--name', '城东街道', '--to', '东城街道']);
    expect(await json<{ programme: { streetName: string } }>(db, ['plan'])).toMatchObject({ programme: { streetName: '东城街道' } });
    expect(await cliOk(db, ['unit', 'move', '--name', '阳光小区', '--parent', '城西社区'])).toBe('「阳光小区」的上级已从「东城社区」改为「城西社区」\n');
    expect(await json<UnitJson[]>(db, ['unit', 'list', '--level', '小区'])).toEqual([{ name: '阳光小区', level: 'compound', parent: '城西社区' }]);
  });

  it('remove deletes a unit without history; one with scores or sub-units only with --archive, which hides it from ranks', async () => {
    await cliOk(db, ['unit', 'add', '--name', '空社区', '--level', '社区']);
    expect(await cliOk(db, ['unit', 'remove', '--name', '空社区'])).toBe('已删除单位「空社区」\n');
    await cliOk(db, ['score', 'set', '--unit', '城东社区', '--item', '6.1', '--points', '5', '--year', '2026']);
    await cliOk(db, ['score', 'set', '--unit', '城西社区', '--item', '6.1', '--points', '3', '--year', '2026']);
    await cliOk(db, ['chat', 'bind', '--chat', 'oc_west', '--to', '城西社区']);
    await expectRefused(db, [
      [['unit', 'remove', '--name', '城东社区'], /--name.*「城东社区」有 1 条评分记录、1 个下级单位，不能删除；.*--archive/],
      [['unit', 'remove', '--name', '城西社区', '--archive'], /--name.*群 oc_west（城西社区）订阅了「城西社区」.*chat unbind/],
      [['unit', 'remove', '--name', '城东街道', '--archive'], /--name.*是本数据库的街道，不能删除/],
      [['unit', 'remove', '--name', '没有的社区'], /--name.*没有名为「没有的社区」的单位/],
    ]);
    expect((await json<Array<{ unit: string }>>(db, ['rank', '--level', 'community', '--year', '2026'])).map((r) => r.unit)).toEqual(['城东社区', '城西社区']);
    expect(await cliOk(db, ['unit', 'remove', '--name', '城东社区', '--archive'])).toBe('已归档单位「城东社区」及其下级 1 个单位（阳光小区）；评分历史保留，不再参加等级和排名\n');
    expect((await json<Array<{ unit: string }>>(db, ['rank', '--level', 'community', '--year', '2026'])).map((r) => r.unit)).toEqual(['城西社区']);
    expect((await json<UnitJson[]>(db, ['unit', 'list'])).map((u) => u.name).sort()).toEqual(['城东街道', '城西社区'].sort());
    await expectRefused(db, [
      [['score', 'set', '--unit', '城东社区', '--item', '6.1', '--points', '1', '--year', '2026'], /--unit/],
      [['unit', 'add', '--name', '城东社区', '--level', '社区'], /--name.*单位「城东社区」已存在（已归档）/],
    ]);
    const audit = await json<AuditJson[]>(db, ['audit']);
    expect(audit.find((a) => a.action === 'unit.archive')).toMatchObject({ subject: '城东社区', outcome: 'ok' });
  });

  it('import creates or updates by name: the street row is recognised, a re-import with one new row adds it', async () => {
    const csv = join(dirname(db), 'units.csv');
    writeFileSync(csv, '名称,层级,上级\n城东街道,街道,\n城东社区,社区,城东街道\n城西社区,社区,\n阳光小区,小区,城东社区\n');
    expect(await json<{ imported: number; moved: string[]; unchanged: number }>(db, ['unit', 'import', '--file', csv])).toMatchObject({ imported: 0, moved: [], unchanged: 4 });
    writeFileSync(csv, '名称,层级,上级\n城东街道,街道,\n城东社区,社区,城东街道\n城西社区,社区,\n阳光小区,小区,城西社区\n幸福小区,小区,城西社区\n');
    expect(await cliOk(db, ['unit', 'import', '--file', csv])).toMatch(/^已从 \S*units\.csv 导入 1 个单位；调整上级 1 个（阳光小区），已有且未变 3 个\n$/);
    expect(await json<UnitJson[]>(db, ['unit', 'list', '--level', '小区'])).toEqual([
      { name: '幸福小区', level: 'compound', parent: '城西社区' },
      { name: '阳光小区', level: 'compound', parent: '城西社区' },
    ]);
  });

  it('one street per database: a second street is refused by add and by import, saying so', async () => {
    const csv = join(dirname(db), 'two-streets.csv');
    writeFileSync(csv, '名称,层级,上级\n第二街道,街道,\n新社区,社区,第二街道\n城东社区,小区,城西社区\n');
    await expectRefused(db, [
      [['unit', 'add', '--name', '第二街道', '--level', '街道'], /--level.*一个数据库只管理一个街道，这里已有「城东街道」/],
      [['unit', 'import', '--file', csv], /第 2 行：一个数据库只管理一个街道，已有「城东街道」[\s\S]*第 4 行：单位「城东社区」已是社区，表中写的是小区/],
      [['unit', 'rename', '--name', '城东社区', '--to', '城西社区'], /--to.*单位「城西社区」已存在/],
      [['unit', 'move', '--name', '阳光小区', '--parent', '城东街道'], /--parent.*小区的上级必须是社区/],
    ]);
  });
});

describe('chats', () => {
  it('chat ids are checked (oc_…), targets take Chinese words, unbind ends a subscription', async () => {
    const db = tempDbFile();
    await cliOk(db, ['init', '--year', '2026', '--street', '城东街道']);
    await cliOk(db, ['unit', 'add', '--name', '城东社区', '--level', '社区']);
    expect(await cliOk(db, ['chat', 'bind', '--chat', 'oc_lead', '--to', '领导小组'])).toBe('群 oc_lead 已订阅「领导小组」\n');
    expect(await cliOk(db, ['chat', 'bind', '--chat', 'oc_sg', '--to', '社管中心'])).toBe('群 oc_sg 已订阅「牵头单位 社管中心」\n');
    expect(await cliOk(db, ['chat', 'bind', '--chat', 'oc_cd', '--to', '城东社区'])).toBe('群 oc_cd 已订阅「单位 城东社区」\n');
    await expectRefused(db, [
      [['chat', 'bind', '--chat', 'bad_format', '--to', '领导小组'], /--chat.*以 oc_ 开头.*「bad_format」/],
      [['chat', 'bind', '--chat', 'oc_x', '--to', '不存在的单位'], /--to.*没有名为「不存在的单位」的单位/],
      [['chat', 'unbind', '--chat', 'oc_never'], /--chat.*群 oc_never 没有订阅任何内容/],
    ]);
    expect(await cliOk(db, ['chat', 'unbind', '--chat', 'oc_sg'])).toBe('群 oc_sg 已取消订阅「牵头单位 社管中心」，不再接收它的提醒\n');
    expect((await json<Array<{ chatId: string }>>(db, ['chat', 'list'])).map((c) => c.chatId)).toEqual(['oc_lead', 'oc_cd']);
    const audit = await json<AuditJson[]>(db, ['audit']);
    expect(audit.find((a) => a.action === 'chat.unbind')).toMatchObject({ subject: 'oc_sg', outcome: 'ok', actor: '服务器操作员' });
  });
});
