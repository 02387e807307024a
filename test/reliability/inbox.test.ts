/**
 * The inbox drills: the real service killed right after 100 acknowledged commands, then restarted.
 * One busy group with a slow Lark takes about 3 minutes (its replies are paced by the one chat):
 * it runs in the soak (inbox.soak.test.ts).
 */
import { describe, it } from 'vitest';
import { runHeldLockDrill, runInboxDrill } from './inbox-drill.js';

describe.concurrent('nothing acknowledged is lost', () => {
  it.for([
    { signal: 'SIGKILL', evidenceId: 'inbox-sigkill', groups: 1, larkDelayMs: 0, variant: 'one busy group, Lark healthy' },
    { signal: 'SIGTERM', evidenceId: 'inbox-sigterm', groups: 1, larkDelayMs: 0, variant: 'one busy group, Lark healthy' },
    { signal: 'SIGKILL', evidenceId: 'inbox-sigkill-20-groups', groups: 20, larkDelayMs: 0, variant: '20 groups, Lark healthy' },
    { signal: 'SIGTERM', evidenceId: 'inbox-sigterm-20-groups', groups: 20, larkDelayMs: 0, variant: '20 groups, Lark healthy' },
    { signal: 'SIGTERM', evidenceId: 'inbox-sigterm-20-groups-slow-lark', groups: 20, larkDelayMs: 1500, variant: '20 groups, Lark answering after 1.5 s' },
  ] as const)('$signal right after 100 acknowledged commands ($variant): every write applied once, every reply delivered once after the restart', { timeout: 420_000 }, async (drill) => {
    await runInboxDrill(drill);
  });
});

describe('a crash mid-run, many groups, Lark slow', () => {
  it('SIGKILL after 20 of 40 acknowledged commands over 20 groups, Lark answering after 1.5 s: every acknowledged command answered exactly once in its group, every write once', { timeout: 300_000 }, async () => {
    await runInboxDrill({ signal: 'SIGKILL', evidenceId: 'inbox-sigkill-20-groups-slow-lark-mid-run', groups: 20, larkDelayMs: 1500, commands: 40, killAfterAcks: 20 });
  });
});

describe('a held lock', () => {
  it('a writer holding the lock for 13 s during a burst: every answer within 3 s, nothing lost, nothing twice', async () => {
    await runHeldLockDrill({ holdMs: 13_000, evidenceId: 'held-lock-burst' });
  }, 240_000);
});
