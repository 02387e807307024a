/** Faults at the Lark API, full load (`npm run soak`): 500 reminders. See faults-drill.ts. */
import { describe, it } from 'vitest';
import { runFaultDrill } from './faults-drill.js';

describe('faults at the Lark API (soak)', () => {
  it('delivers 500 reminders once through the fault storm; a message that exhausts its retries is failed and reported', async () => {
    await runFaultDrill({ reminders: 500, chats: 100, seed: 20261129, spreadMs: 20_000, deliverTimeoutMs: 600_000 });
  }, 900_000);
});
