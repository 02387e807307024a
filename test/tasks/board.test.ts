/** The one board builder (src/services/tasks.service.ts) with its memo, against the pure engine. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import { activeCompletions, listTasks } from '../../src/db/task.repository.js';
import { boardOfTask, boardOfYear, completeOccurrence, editTask, retireTask, undoOccurrence } from '../../src/services/tasks.service.js';
import { boardEntry } from '../../src/tasks/board.js';
import { makeBot, type TestBot } from '../bot/support.js';

let bot: TestBot;
beforeEach(async () => {
  bot = await makeBot();
});
afterEach(async () => {
  await bot.close();
});

const at = (iso: string) => Date.parse(iso);

const deps = (yellowDays = 7) => ({ db: bot.deps.db, tz: bot.deps.tz, yellowDays });

/** The board computed without the memo. */
async function unmemoised(year: number, instant: number, yellowDays = 7) {
  const tasks = await listTasks(bot.deps.db, { year, activeAt: instant });
  const completions = await activeCompletions(bot.deps.db, tasks.map((t) => t.id));
  return tasks.map((t) => boardEntry(t, completions, instant, bot.deps.tz, yellowDays));
}

describe('memoised board', () => {
  it('equals the engine’s board at any instant, across day boundaries and repeated calls', async () => {
    await completeOccurrence(bot.deps, operatorActor('t'), { year: 2026, seq: 8, period: '2026-01' });
    for (const iso of ['2026-02-28T23:59:59.999+08:00', '2026-03-01T00:00:00+08:00', '2026-03-03T00:00:00+08:00', '2026-03-10T12:00:00+08:00', '2026-03-10T23:00:00+08:00', '2026-12-31T23:59:59+08:00']) {
      const expected = await unmemoised(2026, at(iso));
      expect(await boardOfYear(deps(), 2026, at(iso))).toEqual(expected);
      expect(await boardOfYear(deps(), 2026, at(iso))).toEqual(expected);
      expect(await boardOfTask(deps(), 2026, 8, at(iso))).toEqual(expected.find((t) => t.seq === 8));
    }
  });

  it('keeps boards of different YELLOW_DAYS apart', async () => {
    const now = at('2026-02-23T10:00:00+08:00'); // task 1 is due 2026-02-28
    expect((await boardOfTask(deps(7), 2026, 1, now))?.status).toBe('yellow');
    expect((await boardOfTask(deps(3), 2026, 1, now))?.status).toBe('green');
    expect(await boardOfYear(deps(3), 2026, now)).toEqual(await unmemoised(2026, now, 3));
  });

  it('sees completions, undos, edits and retirements made elsewhere at once', async () => {
    const now = at('2026-03-10T10:00:00+08:00');
    const status = async (seq: number) => (await boardOfYear(deps(), 2026, now)).find((t) => t.seq === seq)?.status;
    expect(await status(1)).toBe('red');
    await completeOccurrence(bot.deps, operatorActor('cli'), { year: 2026, seq: 1 });
    expect(await status(1)).toBe('done');
    await undoOccurrence(bot.deps, operatorActor('cli'), { year: 2026, seq: 1 });
    expect(await status(1)).toBe('red');
    await editTask(bot.deps, operatorActor('cli'), { year: 2026, seq: 1, content: '改过的内容' });
    expect((await boardOfTask(deps(), 2026, 1, now))?.content).toBe('改过的内容');
    await retireTask(bot.deps, operatorActor('cli'), { year: 2026, seq: 1 });
    expect(await boardOfTask(deps(), 2026, 1, now + 1)).toBeUndefined();
    // Retired at `now`: still listed for an earlier instant, gone from then on.
    expect((await boardOfYear(deps(), 2026, now - 1)).some((t) => t.seq === 1)).toBe(true);
    expect((await boardOfYear(deps(), 2026, now)).some((t) => t.seq === 1)).toBe(false);
  });
});
