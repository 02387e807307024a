/**
 * A read-only command's read-ahead (Command.readAhead): started with the parsed arguments before
 * the sender is resolved, handed to `run`; dropped unseen for a refused sender (its failure no
 * unhandled rejection); never started for bad arguments or a command that writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand } from '../../src/bot/registry.js';
import { runCommand } from '../../src/bot/run-command.js';
import { score } from '../../src/bot/commands/score.js';
import { tasks } from '../../src/bot/commands/tasks.js';
import { silentLogger } from '../../src/log.js';
import { GROUP, makeBotFromTemplate, message, OPEN_IDS, replyText, UNBOUND_GROUP, type TestBot } from './support.js';

let bot: TestBot;
beforeAll(async () => {
  bot = await makeBotFromTemplate();
});
afterAll(async () => {
  await bot?.close();
});

/** A command whose read-ahead records its arguments and fails or answers as told. */
function probe(o: { readOnly: boolean; fail?: boolean }) {
  const started: string[] = [];
  const command = defineCommand({
    names: ['探针'],
    summary: '测试用',
    usage: '探针 〈词〉',
    example: '探针 甲',
    access: 'read',
    ...(o.readOnly ? { readOnly: true as const } : {}),
    params: [{ key: 'word', label: '〈词〉' }],
    args: z.object({ word: z.string().min(2, '至少两个字') }),
    readAhead: (_deps, args) => {
      started.push(args.word);
      const p = o.fail ? Promise.reject(new Error('read failed')) : Promise.resolve(`读到 ${args.word}`);
      p.catch(() => undefined);
      return p;
    },
    async run(_ctx, args, ahead) {
      return { kind: 'text', text: ahead ? await ahead : `没有预读 ${args.word}` };
    },
  });
  return { command, started };
}

const run = (command: Parameters<typeof runCommand>[0], rest: string, chatId = GROUP) => {
  const msg = message(`探针 ${rest}`, { chatId });
  return runCommand(command, rest, { deps: bot.deps, msg, log: silentLogger, now: bot.clock.now(), chatType: 'group', chatId, senderOpenId: OPEN_IDS.office, source: 'chat' });
};

describe('a command’s read-ahead', () => {
  it('is started with the parsed arguments and handed to run', async () => {
    const p = probe({ readOnly: true });
    expect(replyText(await run(p.command, '甲乙'))).toBe('读到 甲乙');
    expect(p.started).toEqual(['甲乙']);
  });

  it('is dropped for a refused sender, its failure unseen; not started for bad arguments or a command that writes', async () => {
    const failing = probe({ readOnly: true, fail: true });
    const refused = replyText(await run(failing.command, '甲乙', UNBOUND_GROUP));
    expect(failing.started).toEqual(['甲乙']);
    expect(refused).not.toContain('read failed');
    expect(refused).not.toContain('读到');

    const p = probe({ readOnly: true });
    expect(replyText(await run(p.command, '甲'))).toContain('至少两个字');
    const writes = probe({ readOnly: false });
    expect(replyText(await run(writes.command, '甲乙'))).toBe('没有预读 甲乙');
    expect([...p.started, ...writes.started]).toEqual([]);
  });

  it('takes a sender read before the transaction as it is, without reading it again', async () => {
    // A write command's sender and chat are read beside its inbox record (dispatch.ts); here that
    // read found neither, so the bound group is refused although the office typed in it.
    const writes = probe({ readOnly: false });
    const msg = message('探针 甲乙', { chatId: GROUP });
    const given = { deps: bot.deps, msg, log: silentLogger, now: bot.clock.now(), chatType: 'group' as const, chatId: GROUP, senderOpenId: OPEN_IDS.office, source: 'chat' as const };
    expect(replyText(await runCommand(writes.command, '甲乙', { ...given, sender: { actor: null, chat: null } }))).not.toBe('没有预读 甲乙');
    expect(replyText(await runCommand(writes.command, '甲乙', given))).toBe('没有预读 甲乙');
  });

  it('gives 得分 the same answer as looking the unit up first, for an exact name and for a fragment', async () => {
    const unit = (await bot.opened.db.selectFrom('unit').select('name').where('level', '=', 'community').orderBy('id').executeTakeFirstOrThrow()).name;
    for (const name of [unit, unit.slice(0, -2)]) {
      const args = score.args.parse({ unit: name });
      const withAhead = await run(score, name);
      const ctx = { deps: bot.deps, msg: message(`得分 ${name}`), actor: null, chat: null, log: silentLogger, now: bot.clock.now(), commands: [] };
      expect(replyText(withAhead)).toBe(replyText(await score.run(ctx, args)));
    }
  });

  it('gives 任务 the same answers as reading after the sender: one task, a list, a number that is not there, a typed year', async () => {
    for (const rest of ['3', '逾期', '全部', '99', '3 2026']) {
      const args = tasks.args.parse(tasks.toInput!(rest.split(' ')));
      const ctx = { deps: bot.deps, msg: message(`任务 ${rest}`), actor: null, chat: null, log: silentLogger, now: bot.clock.now(), commands: [] };
      const without = await tasks.run(ctx, args).then(replyText, (e: Error) => e.message);
      const reply = replyText(await run(tasks, rest));
      if (rest === '99') {
        // Not there: the same error, as the run raised it and as the chat is told.
        expect(without).toMatch(/^2026 年没有序号为 99 的任务/);
        expect(reply).toContain(without);
      } else expect(reply, rest).toBe(without);
    }
  });
});
