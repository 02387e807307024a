/**
 * Exactly once across a crash inside a command: every write command from chat and a button
 * press, the service SIGKILLed at an exact point of handling each (exactly-once-drill.ts). Each
 * command meets one of the two points that matter — just before its transaction commits, and
 * just after — in turn; the button presses likewise. Every point for every
 * command runs in the soak (exactly-once.soak.test.ts).
 */
import { describe, it } from 'vitest';
import { runExactlyOnceDrill } from './exactly-once-drill.js';

describe('exactly once across a crash inside a command', () => {
  it('SIGKILL just before or just after each write command commits: after the restarts every table holds what one run of each command writes, and each command has exactly one reply', { timeout: 240_000 }, async () => {
    await runExactlyOnceDrill({ evidenceId: 'exactly-once-crash-points', messagePoint: (k) => (k % 2 === 0 ? 'message-before-commit' : 'message-after-commit'), cardPoint: (k) => (k % 2 === 0 ? 'card-before-commit' : 'card-after-commit') });
  });
});
