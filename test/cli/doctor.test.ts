/**
 * `dangjian doctor` against the fake Lark Open API over real HTTP: a healthy deployment, then each
 * failure it reports — a bad secret, the bot missing from a subscribed chat, the contact scope not
 * granted — with the Chinese line saying which console setting fixes it. It never creates a file.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { cliOkInProcess as cliOk, runCliInProcess as runCli, tempDbFile } from '../support/cli.js';

interface Report { ok: boolean; checks: Array<{ name: string; outcome: string; detail: string }> }

describe('dangjian doctor', () => {
  let fake: FakeLark;
  let db: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    fake = await startFakeLark({ botName: '党建助手' });
    env = { LARK_APP_ID: fake.appId, LARK_APP_SECRET: fake.appSecret, LARK_DOMAIN: fake.url };
    db = tempDbFile();
    await cliOk(db, ['init', '--year', '2026', '--street', '城东街道']);
    await cliOk(db, ['member', 'bind', '--name', '党建办主任', '--open-id', 'ou_office']);
    await cliOk(db, ['chat', 'bind', '--chat', 'oc_leaders', '--to', '领导小组']);
    await cliOk(db, ['chat', 'bind', '--chat', 'oc_sg', '--to', '社管中心']);
  });
  afterAll(async () => fake.close());

  const doctor = async (extraEnv: Record<string, string> = {}) => {
    const r = await runCli(['doctor', '--db', db], { env: { ...env, ...extraEnv } });
    const json = await runCli(['doctor', '--db', db, '--json'], { env: { ...env, ...extraEnv } });
    return { ...r, report: JSON.parse(json.stdout) as Report };
  };
  const outcomes = (r: Report) => Object.fromEntries(r.checks.map((c) => [c.name, c.outcome]));

  it('a healthy deployment passes every check', async () => {
    fake.setBotChats(undefined);
    fake.setMissingScopes([]);
    const r = await doctor();
    expect(r.code).toBe(0);
    expect(r.report.ok).toBe(true);
    expect(outcomes(r.report)).toEqual({ 配置: 'ok', 数据库: 'ok', 三年行动: 'ok', 党建办账号: 'ok', 飞书凭证: 'ok', 机器人: 'ok', '群 oc_leaders': 'ok', '群 oc_sg': 'ok', 通讯录权限: 'ok' });
    expect(r.stdout).toContain(`✓ 机器人：「党建助手」，open_id ${fake.botOpenId}`);
    expect(r.stdout).toContain('✓ 群 oc_sg：机器人在群里（订阅：牵头单位 社管中心）');
  });

  it('a bad secret: says LARK_APP_SECRET is wrong and where to copy it', async () => {
    const r = await doctor({ LARK_APP_SECRET: 'not-the-secret' });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/✗ 飞书凭证：LARK_APP_SECRET 不对（或已重置）。到 飞书开放平台开发者后台.*「凭证与基础信息」复制 App Secret/);
    expect(r.stderr.trim()).toBe('错误：发现 1 个问题（见上面标 ✗ 的行）');
  });

  it('the bot not in a subscribed chat: names the chat and how to add the bot', async () => {
    fake.setBotChats(['oc_leaders']);
    const r = await doctor();
    fake.setBotChats(undefined);
    expect(r.code).toBe(2);
    expect(outcomes(r.report)).toMatchObject({ '群 oc_leaders': 'ok', '群 oc_sg': 'fail' });
    expect(r.stdout).toContain('✗ 群 oc_sg：机器人不在这个群里，收不到「牵头单位 社管中心」的提醒：在飞书群的「设置 → 群机器人 → 添加机器人」加入本应用的机器人');
  });

  it('the contact scope not granted: names the permission and the console page', async () => {
    fake.setMissingScopes(['contact:user.id:readonly']);
    const r = await doctor();
    fake.setMissingScopes([]);
    expect(r.code).toBe(2);
    expect(outcomes(r.report)).toMatchObject({ 飞书凭证: 'ok', 通讯录权限: 'fail' });
    expect(r.stdout).toMatch(/✗ 通讯录权限：member sync 不可用：应用没有开通权限 contact:user\.id:readonly。到 .*「权限管理」开通，再到「版本管理与发布」创建版本并发布/);
  });

  it('an app id without its secret: names the missing variable', async () => {
    const r = await runCli(['doctor', '--db', db], { env: { LARK_APP_ID: fake.appId } });
    expect(r.code).toBe(2);
    // Whether readConfig refuses it or doctor notices it, the line names the variable that is missing.
    expect(r.stdout).toMatch(/✗ 配置：.*LARK_APP_SECRET/);
  });

  it('a database that does not exist is reported, not created', async () => {
    const missing = `${tempDbFile()}-typo`;
    const r = await runCli(['doctor', '--db', missing], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`✗ 数据库：数据库文件不存在：${missing}`);
    expect(existsSync(missing)).toBe(false);
  });
});
