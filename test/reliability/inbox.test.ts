/** The inbox drills: the real service killed right after 100 acknowledged commands, then restarted. */
import { describe, it } from 'vitest';
import { runHeldLockDrill, runInboxDrill, runLarkOutageDrill } from './inbox-drill.js';

describe.concurrent('nothing acknowledged is lost', () => {
  it('SIGKILL right after 100 acknowledged commands: every write applied once, every reply delivered once after the restart', async () => {
    await runInboxDrill({ signal: 'SIGKILL', evidenceId: 'inbox-sigkill' });
  }, 240_000);

  it('SIGTERM right after 100 acknowledged commands: the same', async () => {
    await runInboxDrill({ signal: 'SIGTERM', evidenceId: 'inbox-sigterm' });
  }, 240_000);
});

describe('replies outlast Lark', () => {
  it('Lark failing for 60 s after a write: the reply arrives once when it recovers', async () => {
    await runLarkOutageDrill({ outageMs: 60_000, evidenceId: 'reply-after-outage' });
  }, 300_000);
});

describe('a held lock', () => {
  it('a writer holding the lock for 13 s during a burst: every answer within 3 s, nothing lost, nothing twice', async () => {
    await runHeldLockDrill({ holdMs: 13_000, evidenceId: 'held-lock-burst' });
  }, 240_000);
});
