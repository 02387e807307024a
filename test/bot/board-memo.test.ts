import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminActor } from '../../src/auth/actor.js';
import { boardOfTask, boardOfYear } from '../../src/bot/commands/board-memo.js';
import { completeOccurrence, editTask, retireTask, taskBoard, undoOccurrence } from '../../src/tasks/task-service.js';
import { makeBot, type TestBot } from './support.js';

let bot: TestBot;
beforeEach(async () => {
  bot = await makeBot();
});
afterEach(async () => {
  await bot.close();
});

const at = (iso: string) => Date.parse(iso);

describe('memoised board', () => {
  it('equals taskBoard at any instant, across day boundaries and repeated calls', async () => {
    await completeOccurrence(bot.deps, adminActor('t'), { year: 2026, seq: 8, period: '2026-01' });
    for (const iso of ['2026-02-28T23:59:59.999+08:00', '2026-03-01T00:00:00+08:00', '2026-03-03T00:00:00+08:00', '2026-03-10T12:00:00+08:00', '2026-03-10T23:00:00+08:00', '2026-12-31T23:59:59+08:00']) {
      const expected = await taskBoard(bot.deps, { year: 2026, at: at(iso) });
      expect(await boardOfYear(bot.deps, 2026, at(iso))).toEqual(expected);
      expect(await boardOfYear(bot.deps, 2026, at(iso))).toEqual(expected);
      expect(await boardOfTask(bot.deps, 2026, 8, at(iso))).toEqual(expected.find((t) => t.seq === 8));
    }
  });

  it('sees completions, undos, edits and retirements made elsewhere at once', async () => {
    const now = at('2026-03-10T10:00:00+08:00');
    const status = async (seq: number) => (await boardOfYear(bot.deps, 2026, now)).find((t) => t.seq === seq)?.status;
    expect(await status(1)).toBe('red');
    await completeOccurrence(bot.deps, adminActor('cli'), { year: 2026, seq: 1 });
    expect(await status(1)).toBe('done');
    await undoOccurrence(bot.deps, adminActor('cli'), { year: 2026, seq: 1 });
    expect(await status(1)).toBe('red');
    await editTask(bot.deps, adminActor('cli'), { year: 2026, seq: 1, content: '改过的内容' });
    expect((await boardOfTask(bot.deps, 2026, 1, now))?.content).toBe('改过的内容');
    await retireTask(bot.deps, adminActor('cli'), { year: 2026, seq: 1 });
    expect(await boardOfTask(bot.deps, 2026, 1, now + 1)).toBeUndefined();
    // Retired at `now`: still listed for an earlier instant, gone from then on.
    expect((await boardOfYear(bot.deps, 2026, now - 1)).some((t) => t.seq === 1)).toBe(true);
    expect((await boardOfYear(bot.deps, 2026, now)).some((t) => t.seq === 1)).toBe(false);
  });
});
