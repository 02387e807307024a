/** The slow inbox drills (`npm run soak`): one busy group while Lark answers every message call after 1.5 s. */
import { describe, it } from 'vitest';
import { runInboxDrill } from './inbox-drill.js';

describe.concurrent('nothing acknowledged is lost, Lark slow', () => {
  it.for([
    { signal: 'SIGKILL', evidenceId: 'inbox-sigkill-slow-lark', groups: 1, larkDelayMs: 1500 },
    { signal: 'SIGTERM', evidenceId: 'inbox-sigterm-slow-lark', groups: 1, larkDelayMs: 1500 },
  ] as const)('$signal right after 100 acknowledged commands in one busy group, Lark answering after 1.5 s: every write applied once, every reply delivered once after the restart', { timeout: 600_000 }, async (drill) => {
    await runInboxDrill(drill);
  });
});

describe('a crash mid-run, many groups, Lark slow (the heavy cell)', () => {
  it('SIGKILL after 50 of 100 acknowledged commands over 20 groups, Lark answering after 1.5 s: every acknowledged command answered exactly once in its group, every write once', { timeout: 600_000 }, async () => {
    await runInboxDrill({ signal: 'SIGKILL', evidenceId: 'inbox-sigkill-20-groups-slow-lark-mid-run-100', groups: 20, larkDelayMs: 1500, commands: 100, killAfterAcks: 50 });
  });
});
