/**
 * Two service instances on one database file (run by service-drills.test.ts): two real
 * `node bin/start.js` processes, each with its scheduler ticking every second, race for the same
 * reminders as they fall due. The
 * outbox claim (one UPDATE … RETURNING per claim) must give each reminder to one process only:
 * at the fake Lark server every reminder is one message, and every uuid was requested once
 * (no faults are injected, so a second request for a uuid could only come from a second claim;
 * Lark's uuid dedup would hide it in the message count, so requests are counted, not messages).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { idempotencyUuid } from '../../src/lark/sender.js';
import { recordChecked } from '../support/evidence.js';
import { spawnFakeLark, type SpawnedFakeLark } from '../support/fake-lark-server.js';
import { deliveries, integrity, outboxStatusCounts, seedReminders, serviceEnv, spawnService, waitFor, workingHoursNow, type ServiceChild } from './support.js';

const APP_ID = 'cli_2c0c0ac0ac0ac0ac';
const SECRET = 'concurrency-secret';
const REMINDERS = 200;
const CHATS = 40;
const SEND_PATH = '/open-apis/im/v1/messages';
const SPREAD_MS = 6_000;

export async function runTwoInstanceDrill(): Promise<void> {
  let fake: SpawnedFakeLark | undefined;
  const services: ServiceChild[] = [];
  try {
    const dir = mkdtempSync(join(tmpdir(), 'dangjian-two-'));
    const dbFile = join(dir, 'service.db');
    const hours = workingHoursNow(dir);
    // No rate limits at the fake: each process paces itself to Lark's limits, but two of them
    // together exceed the app's 50/s and a 429 would be retried; here any second request for a
    // uuid can only come from a second claim.
    fake = await spawnFakeLark({ appId: APP_ID, appSecret: SECRET });
    // Default claim lease (10 min): a claim is never taken over here, it must simply hold.
    const env = serviceEnv({ dbFile, fakeUrl: fake.url, appId: APP_ID, appSecret: SECRET, hours, extra: { SCHEDULER_TICK_SECONDS: '1' } });
    const a = spawnService(env);
    const b = spawnService(env);
    services.push(a, b);
    await Promise.all([a.started(60_000), b.started(60_000)]);
    // Seeded once both processes are up and ticking (however long a loaded machine took to start
    // them): due from 1 s from now, over 6 s, so that both race for them as they fall due.
    const seeded = await seedReminders(dbFile, { year: hours.localYear, tz: hours.tz, count: REMINDERS, chats: CHATS, startAt: Date.now() + 1_000, spreadMs: SPREAD_MS, chatPrefix: 'oc_two_' });
    const counts = await waitFor(
      'every reminder to be sent',
      () => {
        const c = outboxStatusCounts(dbFile);
        return (c.sent ?? 0) + (c.failed ?? 0) >= REMINDERS && !c.pending && !c.sending ? c : undefined;
      },
      90_000,
      200,
    );
    const [stopA, stopB] = await Promise.all([a.kill('SIGTERM'), b.kill('SIGTERM')]);

    const state = await fake.state();
    const d = deliveries(state);
    const expected = new Set([...seeded.cards.keys()].map(idempotencyUuid));
    const requested = [...d.attemptsByUuid.entries()].filter(([u]) => expected.has(u));
    const requestedTwice = requested.filter(([, n]) => n > 1).length;
    const deliveredOnce = seeded.keys.filter((k) => d.byKey.get(k)?.length === 1).length;
    const sentBy = (s: ServiceChild) => s.logs.filter((l) => l.msg === 'lark call ok' && l.path === SEND_PATH).length;
    const [sentA, sentB] = [sentBy(a), sentBy(b)];
    const errors = [...a.logs, ...b.logs].filter((l) => (l.level as number) >= 50).length;
    const check = integrity(dbFile);

    await recordChecked(
      {
        id: 'two-instances',
        test: 'Two service instances on one database',
        load: `${REMINDERS} reminders to ${CHATS} chats falling due over ${SPREAD_MS / 1000} s, two real service processes on the same SQLite file, each ticking every 1 s`,
        injected: 'a second instance of the service (same database, same Lark app)',
        result: `${deliveredOnce}/${REMINDERS} delivered exactly once; process A sent ${sentA}, process B sent ${sentB}; ${requestedTwice} uuids requested twice, ${state.stats.deduplicated} sends deduplicated by Lark; ${errors} error log lines; integrity_check ${check.integrity}`,
        method: 'Reminder cards seeded as pending outbox rows with their outbox_item rows (the composer’s recordCard, keys drill:<n>:<chat>), one reminder each; the fake counts every HTTP request per uuid, so a card claimed by both processes would show as two requests even though Lark would create one message.',
        metrics: { reminders: REMINDERS, chats: CHATS, sentA, sentB, requestedTwice, deduplicated: state.stats.deduplicated, deliveredOnce, errors },
      },
      () => {
        expect(seeded.cards.size).toBe(REMINDERS);
        expect(counts.sent).toBe(REMINDERS);
        expect(requested).toHaveLength(REMINDERS);
        expect(requestedTwice).toBe(0);
        expect(state.stats.deduplicated).toBe(0);
        expect(deliveredOnce).toBe(REMINDERS);
        expect(sentA + sentB).toBe(REMINDERS);
        expect(sentA).toBeGreaterThan(0);
        expect(sentB).toBeGreaterThan(0);
        expect(errors).toBe(0);
        expect(check.integrity).toBe('ok');
        expect([stopA.code, stopB.code]).toEqual([0, 0]);
      },
    );
  } finally {
    for (const s of services) await s.kill('SIGKILL');
    await fake?.stop();
  }
}
