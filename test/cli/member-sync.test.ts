/**
 * `dangjian member sync` against the fake Lark Open API over real HTTP (the real SDK through the
 * sender): members' 手机号 / 邮箱 resolved to open_ids by contact/v3/users/batch_get_id, in batches
 * of 50; numbers Lark does not know reported by name; a missing contact scope explained in Chinese.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { cliOkInProcess as cliOk, runCliInProcess as runCli, tempDbFile } from '../support/cli.js';

const digest = (file: string) => createHash('sha256').update(Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)))).digest('hex');

describe('member sync', () => {
  let fake: FakeLark;
  let env: Record<string, string>;
  beforeAll(async () => {
    fake = await startFakeLark();
    env = { LARK_APP_ID: fake.appId, LARK_APP_SECRET: fake.appSecret, LARK_DOMAIN: fake.url };
  });
  afterAll(async () => fake.close());

  async function street(): Promise<string> {
    const db = tempDbFile();
    await cliOk(db, ['init', '--year', '2026', '--street', '城东街道']);
    await cliOk(db, ['unit', 'add', '--name', '城东社区', '--level', '社区']);
    return db;
  }

  it('binds members found by mobile or e-mail, reports the ones Lark does not know, leaves bound members alone', async () => {
    const db = await street();
    fake.reset();
    fake.setMissingScopes([]);
    fake.setDirectory([
      { openId: 'ou_li', mobile: '+8613800000001' },
      { openId: 'ou_zhang', email: 'zhang@example.com' },
      { openId: 'ou_office', mobile: '+8613800000009' },
    ]);
    await cliOk(db, ['member', 'add', '--name', '李书记', '--role', '书记', '--unit', '城东社区', '--mobile', '13800000001']);
    await cliOk(db, ['member', 'add', '--name', '张三', '--role', '牵头单位', '--unit', '社管中心', '--mobile', '13800000002', '--email', 'zhang@example.com']);
    await cliOk(db, ['member', 'add', '--name', '赵四', '--role', '组长', '--mobile', '13800000003']);
    await cliOk(db, ['member', 'edit', '--name', '党建办主任', '--mobile', '13800000009', '--open-id', 'ou_already']);
    const out = await cliOk(db, ['member', 'sync'], env);
    expect(out).toContain('已绑定 2 人：李书记（按手机号）、张三（按邮箱）');
    expect(out).toContain('飞书通讯录中找不到 1 人：赵四（13800000003）');
    expect(out).toContain('2 人没有手机号或邮箱，无法查找：领导小组组长、党建办副主任');
    expect(out).toContain('原已绑定 1 人');
    const members = JSON.parse(await cliOk(db, ['member', 'list', '--json'])) as Array<{ name: string; openId: string | null }>;
    expect(Object.fromEntries(members.map((m) => [m.name, m.openId]))).toMatchObject({ 李书记: 'ou_li', 张三: 'ou_zhang', 赵四: null, 党建办主任: 'ou_already' });
    // The real request shape: open_id ids, mobiles and emails in the body; the bound member was not asked about.
    const calls = fake.received.filter((r) => r.path === '/open-apis/contact/v3/users/batch_get_id');
    expect(calls[0]).toMatchObject({ method: 'POST', query: { user_id_type: 'open_id' }, body: { mobiles: ['13800000001', '13800000002', '13800000003'], emails: [] } });
    expect(calls[1]?.body).toEqual({ mobiles: [], emails: ['zhang@example.com'] });
    expect(JSON.stringify(calls.map((c) => c.body))).not.toContain('13800000009');
    // Run again: nothing left that Lark knows.
    expect(await cliOk(db, ['member', 'sync', '--json'], env)).toContain('"bound": []');
  });

  it('asks Lark in batches of 50', async () => {
    const db = await street();
    fake.reset();
    const csv = join(dirname(db), 'roster.csv');
    const rows = Array.from({ length: 60 }, (_, i) => `成员${i},成员,,1390000${String(i).padStart(4, '0')},,`);
    writeFileSync(csv, ['姓名,角色,单位,手机号,邮箱,open_id', ...rows].join('\n'));
    await cliOk(db, ['member', 'import', '--file', csv]);
    fake.setDirectory(Array.from({ length: 60 }, (_, i) => ({ openId: `ou_m${i}`, mobile: `1390000${String(i).padStart(4, '0')}` })));
    const r = JSON.parse(await cliOk(db, ['member', 'sync', '--json'], env)) as { bound: unknown[]; notFound: unknown[] };
    expect(r.bound).toHaveLength(60);
    const sizes = fake.received.filter((c) => c.path === '/open-apis/contact/v3/users/batch_get_id').map((c) => (c.body as { mobiles: string[] }).mobiles.length);
    expect(sizes).toEqual([50, 10]);
  });

  it('without the contact scope: says which permission to grant in the console, binds nobody', async () => {
    const db = await street();
    await cliOk(db, ['member', 'add', '--name', '李书记', '--role', '书记', '--unit', '城东社区', '--mobile', '13800000001']);
    fake.setDirectory([{ openId: 'ou_li', mobile: '13800000001' }]);
    fake.setMissingScopes(['contact:user.id:readonly']);
    const before = digest(db);
    const r = await runCli(['member', 'sync', '--db', db], { env });
    fake.setMissingScopes([]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/没有同步：应用没有开通权限 contact:user\.id:readonly。到 飞书开放平台开发者后台.*「权限管理」开通/);
    expect(digest(db)).toBe(before);
  });

  it('without credentials: one line naming the variables', async () => {
    const db = await street();
    const r = await runCli(['member', 'sync', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/member sync 需要飞书应用凭据：设置 LARK_APP_ID 和 LARK_APP_SECRET/);
  });
});
