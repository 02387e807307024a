/**
 * The drills that run the real service as child processes, suite versions (the full loads are
 * the *.soak.test.ts files in `npm run soak`). They spend most of their time waiting for child
 * processes and timers, so they run concurrently: each has its own fake Lark server, database
 * and service processes.
 */
import { describe, it } from 'vitest';
import { runTwoInstanceDrill } from './concurrency-drill.js';
import { runCrashDrill } from './crash-drill.js';
import { runFaultDrill } from './faults-drill.js';

describe.concurrent('the real service under crashes, Lark faults and a second instance', () => {
  it('crash safety: every reminder delivered exactly once although the service is SIGKILLed again and again', async () => {
    await runCrashDrill({ evidenceId: 'crash-safety', reminders: 100, chats: 20, kills: 8, seed: 7, spreadMs: 14_000, maxKillDelayMs: 700, coalesceMax: 3, waves: { size: 10, bursts: [1, 2, 3] }, finishTimeoutMs: 90_000 });
  }, 240_000);

  it('Lark faults: every reminder once through 5xx, 429, stalls and drops, with bounded retries; a message that exhausts them is failed, logged, listed and in the digest', async () => {
    await runFaultDrill({ reminders: 100, chats: 25, seed: 11, spreadMs: 4_000, deliverTimeoutMs: 120_000 });
  }, 300_000);

  it('two instances on one database never send a reminder twice: the outbox claim holds across processes', async () => {
    await runTwoInstanceDrill();
  }, 180_000);
});
