/**
 * Issue 18's smaller holes, through the bot's entry points on a real SQLite file: unit names
 * with % and _ are found literally; notes and reasons with control or bidi characters are
 * refused, naming the character, and change nothing; malformed button values are answered
 * 「无法识别的按钮」 and logged at warn, never as an internal error.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import { handleCardAction, respondToMessage } from '../../src/bot/dispatch.js';
import { activeVetoes } from '../../src/db/score.repository.js';
import { activeCompletions, findTask } from '../../src/db/task.repository.js';
import { completeOccurrence } from '../../src/services/tasks.service.js';
import { addUnit } from '../../src/services/units.service.js';
import { makeBotFromTemplate, message, OPEN_IDS, replyText, type TestBot } from '../bot/support.js';
import { captureLogger } from '../lark/helpers.js';

let bot: TestBot;
beforeEach(async () => {
  bot = await makeBotFromTemplate();
});
afterEach(async () => {
  await bot.close();
});

async function ask(text: string): Promise<string> {
  const d = await respondToMessage(message(text), bot.deps);
  if (d.status !== 'replied') throw new Error(`not replied: ${JSON.stringify(d)}`);
  return replyText(d.reply);
}

async function completionsOf(seq: number) {
  const task = await findTask(bot.opened.db, 2026, seq);
  return activeCompletions(bot.opened.db, [task!.id]);
}

describe('unit lookup is literal', () => {
  it('finds names with % and _ by those characters, and % or _ alone match nothing else', async () => {
    const admin = operatorActor('test');
    await addUnit(bot.deps, admin, { name: '百分100%社区', level: 'community' });
    await addUnit(bot.deps, admin, { name: 'A_B社区', level: 'community' });
    expect(await ask('得分 100%')).toContain('百分100%社区');
    expect(await ask('得分 %')).toContain('百分100%社区');
    expect(await ask('得分 _')).toContain('A_B社区');
    // With LIKE and no ESCAPE, 「城_」 would match 城东社区 and 城西社区 (a choice card); literally it matches nothing.
    expect(await ask('得分 城_')).toContain('没有找到');
  });
});

describe('control and bidi characters in notes and reasons', () => {
  for (const [name, ch] of [
    ['NUL', '\u0000'],
    ['BEL', '\u0007'],
    ['RLO (bidi override)', '\u202E'],
    ['RLI (bidi isolate)', '\u2067'],
  ] as const) {
    it(`refuses ${name} in a completion note and a veto reason, naming it; nothing is written`, async () => {
      const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      const done = await ask(`完成 1 已开会${ch}通过`);
      expect(done).toContain(`不能包含控制字符或文字方向控制符（第 4 个字符是 ${code}）`);
      expect(await completionsOf(1)).toHaveLength(0);
      const veto = await ask(`否决 城东社区 原因${ch}`);
      expect(veto).toContain(code);
      expect(await activeVetoes(bot.opened.db, 2026)).toHaveLength(0);
      await expect(completeOccurrence(bot.deps, operatorActor('test'), { year: 2026, seq: 1, note: `x${ch}` })).rejects.toThrow(code);
    });
  }

  it('keeps ordinary notes, tabs and line breaks included', async () => {
    await completeOccurrence(bot.deps, operatorActor('test'), { year: 2026, seq: 1, note: '第一行\n第二行\t附件' });
    expect((await completionsOf(1))[0]?.note).toBe('第一行\n第二行\t附件');
  });
});

describe('malformed button values', () => {
  it('are answered 「无法识别的按钮」 and logged at warn, never as an internal error, and change nothing', async () => {
    const capture = captureLogger();
    const deps = { ...bot.deps, log: capture.log };
    const values: Array<Record<string, unknown>> = [
      { action: 'task.complete', year: 'abc', seq: 1 },
      { action: 'task.complete', year: 2026, seq: -3 },
      { action: 'task.complete', year: 2026, seq: 1, listSeqs: '1,2;drop' },
      { action: 'reminder.snooze' },
      { action: 'reminder.snooze', key: 'x'.repeat(500) },
      { action: 'command' },
      { action: 'command', text: 5 },
      { action: 'task.complete_overdue', year: 2026, seq: 1 },
      { action: 'reminder.list', card: ['a'] },
      { action: 7 },
      {},
      { action: 'no.such.action' },
    ];
    let n = 0;
    for (const value of values) {
      const r = await handleCardAction({ eventId: `ev_bad_button_${n++}`, operatorOpenId: OPEN_IDS.office, value, messageId: 'om_x', chatId: 'oc_group_leadership', token: null }, deps);
      expect(r, JSON.stringify(value)).toEqual({ toast: { type: 'error', content: '无法识别的按钮' } });
    }
    const levels = capture.entries().map((e) => e.level as number);
    expect(levels.filter((l) => l >= 50)).toEqual([]);
    expect(await completionsOf(1)).toHaveLength(0);
  });
});
