/**
 * The exactly-once drill at every crash point for every command (exactly-once-drill.ts): all
 * write commands and the button presses, crashed just before the commit, just after it, and
 * (messages) after the reply went out with the inbox row still pending.
 */
import { describe, it } from 'vitest';
import { runExactlyOnceDrill } from './exactly-once-drill.js';

describe('exactly once at every crash point', () => {
  it.for([
    { evidenceId: 'exactly-once-before-commit', point: 'message-before-commit', cardPoint: 'card-before-commit' },
    { evidenceId: 'exactly-once-after-commit', point: 'message-after-commit', cardPoint: 'card-after-commit' },
    { evidenceId: 'exactly-once-after-reply', point: 'message-after-reply', cardPoint: 'card-after-commit' },
  ] as const)('SIGKILL at $point for every command: every effect once, every reply once', async (d) => {
    await runExactlyOnceDrill({ evidenceId: d.evidenceId, messagePoint: () => d.point, cardPoint: () => d.cardPoint });
  });
});
