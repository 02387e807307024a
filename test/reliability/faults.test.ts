/**
 * Faults at the Lark API, suite version (150 reminders); faults.soak.test.ts runs 500.
 * See faults-drill.ts.
 */
import { describe, it } from 'vitest';
import { runFaultDrill } from './faults-drill.js';

describe('faults at the Lark API', () => {
  it('delivers every reminder once through 5xx, 429, stalls and drops, with bounded retries; a message that exhausts them is failed, logged, listed and in the digest', async () => {
    await runFaultDrill({ reminders: 150, chats: 30, seed: 11, spreadMs: 5_000, deliverTimeoutMs: 120_000 });
  }, 300_000);
});
