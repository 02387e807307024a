/**
 * Crash safety, short version for `npm test` (the full drill, 500 reminders and 20+ kills, is
 * test/reliability/crash.soak.test.ts in `npm run soak`). See crash-drill.ts.
 */
import { describe, it } from 'vitest';
import { runCrashDrill } from './crash-drill.js';

describe('crash safety', () => {
  it('delivers every reminder exactly once although the service is SIGKILLed again and again', async () => {
    await runCrashDrill({ evidenceId: 'crash-safety', reminders: 100, chats: 20, kills: 8, seed: 7, spreadMs: 20_000, maxKillDelayMs: 700, coalesceMax: 3, waves: { size: 10, bursts: [1, 2, 3] }, finishTimeoutMs: 60_000 });
  }, 240_000);
});
