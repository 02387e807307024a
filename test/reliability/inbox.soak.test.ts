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
