/**
 * Faults at the Lark API, shared by faults.test.ts (suite) and faults.soak.test.ts. The real
 * service (`node bin/start.js`) sends reminders to the fake Lark server in its own process, which
 * answers 30 % of calls with HTTP 500, 10 % with 429, stalls some for 2 s and drops connections
 * (before processing, and after processing so that the answer is lost). Then every send fails
 * for one more reminder, which must exhaust its retries and be reported.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DEFAULT_RETRY, idempotencyUuid } from '../../src/lark/sender.js';
import { DEFAULT_SCHEDULER_SETTINGS } from '../../src/config/scheduler-settings.js';
import { runCli } from '../support/cli.js';
import { recordChecked } from '../support/evidence.js';
import { spawnFakeLark } from '../support/fake-lark-server.js';
import { openDatabase } from '../../src/db/database.js';
import { recordCard, type OutboxRecord } from '../../src/db/outbox.repository.js';
import type { CardData } from '../../src/scheduler/content.js';
import { deliveries, integrity, outboxStatusCounts, readDb, seedReminders, serviceEnv, spawnService, waitFor, workingHoursNow, type ServiceChild } from './support.js';

export interface FaultDrillOptions {
  reminders: number;
  chats: number;
  seed: number;
  spreadMs: number;
  deliverTimeoutMs: number;
}

const APP_ID = 'cli_fa0175fa0175fa01';
const SECRET = 'faults-secret';
const FAULTS = { serverErrorRate: 0.3, rateLimitRate: 0.1, stallRate: 0.05, stallMs: 2000, dropRate: 0.05, dropAfterRate: 0.05 };
const SEND_PATH = '/open-apis/im/v1/messages';

export async function runFaultDrill(o: FaultDrillOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dangjian-faults-'));
  const dbFile = join(dir, 'service.db');
  const hours = workingHoursNow(dir);
  const fake = await spawnFakeLark({ appId: APP_ID, appSecret: SECRET, seed: o.seed, faults: FAULTS });
  let svc: ServiceChild | undefined;
  const started = Date.now();
  try {
    const seeded = await seedReminders(dbFile, { year: hours.localYear, tz: hours.tz, count: o.reminders, chats: o.chats, startAt: Date.now(), spreadMs: o.spreadMs, chatPrefix: 'oc_fault_' });
    // One card per reminder: every uuid is one reminder, so attempts are counted per reminder.
    const env = serviceEnv({ dbFile, fakeUrl: fake.url, appId: APP_ID, appSecret: SECRET, hours, extra: { SCHEDULER_TICK_SECONDS: '1', REMINDER_RETRY_DELAY_MINUTES: '0.01' } });
    svc = spawnService(env);
    await svc.started(60_000);

    // ---- phase 1: everything delivered through the fault storm
    await waitFor('every reminder to be delivered', () => {
      const c = outboxStatusCounts(dbFile);
      return (c.sent ?? 0) + (c.failed ?? 0) >= o.reminders && !c.pending && !c.sending ? true : undefined;
    }, o.deliverTimeoutMs, 250);
    const aliveAfterStorm = svc.alive();
    const storm = await fake.state();
    const d = deliveries(storm);
    const counts = outboxStatusCounts(dbFile);
    const expectedUuids = new Set([...seeded.cards.keys()].map(idempotencyUuid));
    const deliveredOnce = seeded.keys.filter((k) => d.byKey.get(k)?.length === 1).length;
    const duplicates = seeded.keys.filter((k) => (d.byKey.get(k)?.length ?? 0) > 1).length;
    const attempts = [...d.attemptsByUuid.entries()].filter(([u]) => expectedUuids.has(u)).map(([, n]) => n);
    const maxAttempts = Math.max(...attempts);
    const totalAttempts = attempts.reduce((a, b) => a + b, 0);
    const bound = DEFAULT_RETRY.maxAttempts * DEFAULT_SCHEDULER_SETTINGS.maxSendAttempts;
    const outboxRetried = readDb(dbFile, (db) => (db.prepare("select count(*) as n from outbox where status = 'sent' and attempts > 1").get() as { n: number }).n);
    const r = storm.stats.rejected;
    const stormSeconds = Math.round((Date.now() - started) / 1000);

    // ---- phase 2: Lark fails every send; one more reminder exhausts its retries
    await fake.setFaults({ serverErrorRate: 1, match: `^POST ${SEND_PATH}$` });
    const doomedKey = 'drill:doomed:oc_fault_doomed';
    const opened = openDatabase(dbFile);
    try {
      // The first card's data, for another chat: one more card as a pass would record it.
      const template = readDb(dbFile, (db) => db.prepare('select payload from outbox where key = ?').get([...seeded.cards.keys()][0]) as { payload: string });
      const data = JSON.parse(template.payload) as CardData;
      const now = Date.now();
      const item = { ...data.items[0]!, key: `overdue:1:${hours.localYear}:w1:oc_fault_doomed` };
      await recordCard(opened.db, {
        card: { key: doomedKey, kind: 'daily', chat_id: 'oc_fault_doomed', task_seq: null, period: null, payload: JSON.stringify({ ...data, key: doomedKey, chatId: 'oc_fault_doomed', items: [item] }), due_at: now, not_before: now, status: 'pending', created_at: now },
        fresh: [{ key: item.key, kind: item.kind, chat_id: 'oc_fault_doomed', task_year: hours.localYear, task_seq: item.task!.seq, period: item.task!.period, date: item.date, due_at: now, not_before: now, status: 'pending', reason: null, payload: JSON.stringify(item), created_at: now }],
        held: [],
        skipped: [],
        skippedHeld: [],
      });
    } finally {
      await opened.close();
    }
    const doomed = await waitFor(
      'the doomed reminder to fail',
      () => readDb(dbFile, (db) => db.prepare("select status, attempts, last_error as lastError from outbox where key = ? and status = 'failed'").get(doomedKey) as Pick<OutboxRecord, 'status' | 'attempts' | 'lastError'> | undefined),
      60_000,
      200,
    );
    const doomedAttemptsAtLark = deliveries(await fake.state()).attemptsByUuid.get(idempotencyUuid(doomedKey)) ?? 0;
    const failLog = svc.logs.find((l) => l.msg === 'reminder send failed' && l.final === true && Array.isArray(l.keys) && (l.keys as string[]).includes(doomedKey));
    const audited = readDb(dbFile, (db) => (db.prepare("select count(*) as n from audit_log where action = 'reminder.failed' and subject = ?").get(doomedKey) as { n: number }).n);
    const aliveAtEnd = svc.alive();
    const fatalLogs = svc.logs.filter((l) => (l.level as number) >= 60).length;
    const errorLogs = svc.logs.filter((l) => (l.level as number) >= 50).length;
    const stopped = await svc.kill('SIGTERM');

    const cliEnv = { DANGJIAN_TZ: hours.tz, HOLIDAY_FILE: hours.holidayFile };
    const [outboxCli, digestCli, digestText] = await Promise.all([
      runCli(['outbox', '--status', 'failed', '--json', '--db', dbFile], { env: cliEnv }),
      runCli(['digest', '--json', '--db', dbFile], { env: cliEnv }),
      runCli(['digest', '--db', dbFile], { env: cliEnv }),
    ]);
    const listedFailed = outboxCli.code === 0 ? (JSON.parse(outboxCli.stdout) as Array<{ key: string; status: string; attempts: number; lastError: string | null }>) : [];
    const digest = digestCli.code === 0 ? (JSON.parse(digestCli.stdout) as { failedMessages: Array<{ key: string; lastError: string | null }> }) : { failedMessages: [] };
    const check = integrity(dbFile);

    await recordChecked(
      {
        id: 'lark-faults',
        test: 'Faults at the Lark API',
        load: `${o.reminders} reminders to ${o.chats} chats, one card each, real service process, fake Lark in its own process`,
        injected: `per Lark call (seed ${o.seed}): 30 % HTTP 500, 10 % HTTP 429, 5 % 2-second stalls, 5 % connections dropped before and 5 % after processing (answer lost); fake counted ${r.injected5xx} × 500, ${r.injected429} × 429, ${storm.stats.stalled} stalls, ${r.dropped} + ${storm.stats.droppedAfter} drops`,
        result: `${deliveredOnce}/${o.reminders} delivered exactly once, ${duplicates} duplicates; ${totalAttempts} HTTP attempts, at most ${maxAttempts} for one message (bound ${bound}); ${outboxRetried} needed an outbox retry; ${storm.stats.deduplicated} lost answers re-sent and absorbed by uuid; process up throughout (${errorLogs} error-level log lines, ${fatalLogs} fatal); ${stormSeconds} s`,
        method:
          'Reminder cards seeded as pending outbox rows with their outbox_item rows (the composer’s recordCard, keys drill:<n>:<chat>), sent by the real dispatcher and Lark sender in the service process; the fake injects the faults with a seeded RNG and counts every HTTP attempt per uuid. REMINDER_RETRY_DELAY_MINUTES=0.01 and SCHEDULER_TICK_SECONDS=1 shorten the waits between outbox retries (defaults: 2 min × attempts, every minute).',
        metrics: { reminders: o.reminders, chats: o.chats, seed: o.seed, deliveredOnce, duplicates, totalAttempts, maxAttempts, bound, outboxRetried, injected5xx: r.injected5xx, injected429: r.injected429, stalls: storm.stats.stalled, droppedBefore: r.dropped, droppedAfter: storm.stats.droppedAfter, deduplicated: storm.stats.deduplicated, errorLogs, fatalLogs, stormSeconds },
      },
      () => {
        expect(aliveAfterStorm).toBe(true);
        expect(seeded.cards.size).toBe(o.reminders);
        expect(counts.sent).toBe(o.reminders);
        expect(counts.failed ?? 0).toBe(0);
        expect(deliveredOnce).toBe(o.reminders);
        expect(duplicates).toBe(0);
        expect(d.messages.filter((m) => m.uuid !== null && expectedUuids.has(m.uuid))).toHaveLength(o.reminders);
        expect(attempts).toHaveLength(o.reminders);
        expect(maxAttempts).toBeLessThanOrEqual(bound);
        expect(r.injected5xx).toBeGreaterThan(0);
        expect(r.injected429).toBeGreaterThan(0);
        expect(storm.stats.stalled).toBeGreaterThan(0);
        expect(r.dropped + storm.stats.droppedAfter).toBeGreaterThan(0);
        expect(fatalLogs).toBe(0);
      },
    );

    await recordChecked(
      {
        id: 'failed-message',
        test: 'A message that exhausts its retries',
        load: '1 reminder, after the fault storm, same service process',
        injected: 'every send answered HTTP 500',
        result: `${doomed.status} after ${doomed.attempts} dispatch attempts and ${doomedAttemptsAtLark} HTTP attempts (bound ${bound}); last_error "${(doomed.lastError ?? '').slice(0, 60)}…"; logged (${failLog ? `level ${String(failLog.level)}, "${String(failLog.msg)}"` : 'no log line'}), audited ×${audited}; listed by \`dangjian outbox --status failed\`: ${listedFailed.some((f) => f.key === doomedKey)}; in the digest: ${digest.failedMessages.some((f) => f.key === doomedKey)}; service still up: ${aliveAtEnd}, exit ${String(stopped.code)} on SIGTERM`,
        method: 'After phase 1 the fake fails every send; one more pending card is written to the outbox (as a `dangjian tick` in another process would) and the running service takes it from there.',
        metrics: { dispatchAttempts: doomed.attempts, httpAttempts: doomedAttemptsAtLark, bound, audited, listed: listedFailed.length, inDigest: digest.failedMessages.length },
      },
      () => {
        expect(doomed.status).toBe('failed');
        expect(doomed.attempts).toBe(DEFAULT_SCHEDULER_SETTINGS.maxSendAttempts);
        expect(doomedAttemptsAtLark).toBe(bound);
        expect(doomed.lastError).toMatch(/http 500/);
        expect(failLog).toBeDefined();
        expect(audited).toBe(1);
        expect(aliveAtEnd).toBe(true);
        expect(stopped.code).toBe(0);
        expect(outboxCli.code, outboxCli.stderr).toBe(0);
        expect(listedFailed.map((f) => f.key)).toEqual([doomedKey]);
        expect(listedFailed[0]).toMatchObject({ status: 'failed', attempts: DEFAULT_SCHEDULER_SETTINGS.maxSendAttempts });
        expect(digestCli.code, digestCli.stderr).toBe(0);
        expect(digest.failedMessages.map((f) => f.key)).toEqual([doomedKey]);
        expect(digestText.stdout).toContain('消息发送异常');
        expect(check.integrity).toBe('ok');
      },
    );
  } finally {
    await svc?.kill('SIGKILL');
    await fake.stop();
  }
}
