/** Issue 15's behaviour bugs as seen from the chat and the service. */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { respondToMessage } from '../../src/bot/dispatch.js';
import { readConfig } from '../../src/config/config.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { insertMember } from '../../src/db/member.repository.js';
import { silentLogger } from '../../src/log.js';
import { startService } from '../../src/runtime/service.js';
import { runCliInProcess } from '../support/cli.js';
import { makeBot, message, replyText, type TestBot } from '../bot/support.js';

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.close();
  bot = undefined;
});

describe('issue 15 regressions (chat)', () => {
  it('the chat 任务 board honours YELLOW_DAYS from the environment', async () => {
    bot = await makeBot({ now: '2026-02-23T10:00:00+08:00' });
    await bot.close();
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (d: Buffer) => (printed += d.toString('utf8')));
    const config = readConfig({ DB_FILE: bot.dbFile, YELLOW_DAYS: '3' });
    const service = await startService(config, silentLogger, { input, output, clock: bot.clock, scheduler: false });
    input.write('任务 1\n');
    const until = Date.now() + 10_000;
    while (!printed.includes('┗━') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    input.end();
    await service.stop();
    // Task 1 is due 2026-02-28, five days later: green with YELLOW_DAYS=3.
    expect(printed).toContain('任务 1 · 绿灯');
    bot = undefined;
  });

  it('a lead-unit member of 党建办(组织) is not the office: 录分 is refused and audited', async () => {
    bot = await makeBot();
    await insertMember(bot.opened.db, { name: '党建小赵', openId: 'ou_djb_member', role: 'lead_unit', leadUnit: '党建办(组织)', unitId: null, at: 1 });
    const r = await respondToMessage(message('录分 城东社区 6.1 5', { from: 'ou_djb_member' }), bot.deps);
    if (r.status !== 'replied') throw new Error('no reply');
    expect(replyText(r.reply)).toContain('只有党建办');
    const denied = await listAudit(bot.opened.db, { action: 'score.set' });
    expect(denied).toContainEqual(expect.objectContaining({ actor: '党建小赵', outcome: 'denied' }));
  });

  it('subscribing a chat to a unit promises what that chat will receive, and only that', async () => {
    bot = await makeBot();
    const r = await respondToMessage(message('订阅 城东', { chatId: 'oc_new_unit_chat' }), bot.deps);
    if (r.status !== 'replied') throw new Error('no reply');
    const text = replyText(r.reply);
    expect(text).toContain('本群已订阅「单位 城东社区」');
    expect(text).toContain('每周周报（本单位及下属单位的等级、上周的分数变化）和等级变化通知');
    expect(text).not.toContain('任务提醒');
  });

  it('a secretary is labelled by the level of the unit they lead', async () => {
    bot = await makeBot();
    await bot.close();
    const db = bot.dbFile;
    const add = await runCliInProcess(['member', 'add', '--name', '孙支书', '--role', 'secretary', '--unit', '城东花园小区', '--db', db]);
    expect(add.code, add.stderr).toBe(0);
    const list = await runCliInProcess(['member', 'list', '--db', db]);
    expect(list.stdout).toMatch(/孙支书\t小区党支部书记/);
    expect(list.stdout).toMatch(/钱书记\t社区党组织书记/);
    bot = undefined;
  });
});
