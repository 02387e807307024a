/**
 * Three replicas of the service on one PostgreSQL database (issue 17), suite versions: SIGKILLs
 * while they dispatch, and every connection terminated mid-run. Real child processes on a real
 * server, so they need TEST_DATABASE_URL (CI sets it) and are skipped without it. The heavier
 * variants are in replicas.soak.test.ts. See replicas-drill.ts.
 */
import { describe, it } from 'vitest';
import { NEEDS_SERVER, runConnectionLossDrill, runReplicaKillDrill } from './replicas-drill.js';

const noServer = !process.env.TEST_DATABASE_URL;

describe.concurrent('three service replicas on PostgreSQL', () => {
  it.skipIf(noServer)(`${noServer ? `skipped: ${NEEDS_SERVER}: ` : ''}150 reminders delivered exactly once although replicas are SIGKILLed 6 times while dispatching`, async () => {
    await runReplicaKillDrill({ evidenceId: 'replicas-sigkill', reminders: 150, chats: 30, kills: 6, seed: 17, spreadMs: 8_000, waves: { size: 20, bursts: [1, 2, 3] }, finishTimeoutMs: 60_000 });
  }, 180_000);

  it.skipIf(noServer)(`${noServer ? `skipped: ${NEEDS_SERVER}: ` : ''}connections terminated mid-run: the replicas stay up, reconnect and deliver every reminder once`, async () => {
    await runConnectionLossDrill({ evidenceId: 'replicas-connection-loss', reminders: 120, chats: 30, seed: 1717, spreadMs: 8_000, outageMs: 3_000, mode: 'terminate', finishTimeoutMs: 60_000 });
  }, 180_000);
});
