/**
 * Three replicas on PostgreSQL, full loads (`npm run soak`): 500 reminders through 20 SIGKILLs,
 * and connections terminated for 3 s mid-run — or, with DANGJIAN_DRILL_PG_RESTART=1, the local
 * PostgreSQL server really restarted once (pg_ctlcluster; it is shared, so only on request).
 * Skipped without TEST_DATABASE_URL. See replicas-drill.ts.
 */
import { describe, it } from 'vitest';
import { NEEDS_SERVER, restartMode, runConnectionLossDrill, runReplicaKillDrill } from './replicas-drill.js';

const noServer = !process.env.TEST_DATABASE_URL;
const skipped = noServer ? `skipped: ${NEEDS_SERVER}: ` : '';

describe('three service replicas on PostgreSQL (soak)', () => {
  it.skipIf(noServer)(`${skipped}500 reminders delivered exactly once although replicas are SIGKILLed 20 times while dispatching`, async () => {
    await runReplicaKillDrill({ evidenceId: 'replicas-sigkill', reminders: 500, chats: 100, kills: 20, seed: 20261202, spreadMs: 30_000, waves: { size: 20, bursts: [1, 2, 3] }, finishTimeoutMs: 180_000 });
  }, 900_000);

  it.skipIf(noServer)(`${skipped}${restartMode() === 'restart' ? 'the server restarted' : 'connections terminated'} mid-run: the replicas stay up, reconnect and deliver every reminder once`, async () => {
    const mode = restartMode();
    await runConnectionLossDrill({ evidenceId: mode === 'restart' ? 'replicas-server-restart' : 'replicas-connection-loss', reminders: 500, chats: 100, seed: 20261203, spreadMs: 20_000, outageMs: 3_000, mode, finishTimeoutMs: 180_000 });
  }, 900_000);
});
