/** Crash safety, full load (`npm run soak`): 500 reminders, 24 SIGKILLs. See crash-drill.ts. */
import { describe, it } from 'vitest';
import { runCrashDrill } from './crash-drill.js';

describe('crash safety (soak)', () => {
  it('delivers 500 reminders exactly once through 24 SIGKILLs and restarts', async () => {
    await runCrashDrill({ evidenceId: 'crash-safety', reminders: 500, chats: 100, kills: 24, seed: 20261128, spreadMs: 60_000, maxKillDelayMs: 900, coalesceMax: 3, waves: { size: 20, bursts: [1, 2, 3] }, finishTimeoutMs: 180_000 });
  }, 900_000);
});
