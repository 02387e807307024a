/**
 * One quota for all replicas (issue 17): 1,000 reminder cards (10 to each of 100 chats) recorded
 * as due in a fresh PostgreSQL schema, then sent by three `dangjian tick` processes at once (the
 * real scheduler pass: claim with SKIP LOCKED, REMINDER_CLAIM_BATCH=100 so that all three take
 * part, the Lark sender pacing in the database's shared slots) to the fake Lark server in its own
 * process, enforcing 50/s and 1,000/min per app and 5/s per chat. The bound set by those limits
 * is 1,000 / 50 = 20 s (1,000 in a minute is exactly the minute's quota, so it does not bind):
 * goal within 10 % (ratio ≤ 1.10), measured at the fake from the first replica's first request
 * (its token) to the last message, with zero rate-limit rejections and every card delivered
 * exactly once. For information: the wall time from starting the processes (their start-up
 * included), the time to the first message, the rate between the 100th and the 900th message and
 * the load average: window entries are stamped when a request's answer arrives (as the in-memory
 * limiter does), so on a loaded machine slow answers lower the rate below 50/s.
 *
 * Needs a PostgreSQL server: TEST_DATABASE_URL (or DATABASE_URL); without one it says so and skips.
 */
import { loadavg } from 'node:os';
import { CompiledQuery } from 'kysely';
import { operatorActor } from '../src/auth/actor.js';
import { fixedClock } from '../src/clock.js';
import { isPostgresUrl, openPostgres } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { recordCard } from '../src/db/outbox.repository.js';
import { listTasks } from '../src/db/task.repository.js';
import { idempotencyUuid } from '../src/lark/sender.js';
import { loadPlan } from '../src/plan/load-plan.js';
import type { CardData, CardItem } from '../src/scheduler/content.js';
import { initProgramme } from '../src/services/init.service.js';
import { occurrencesFor } from '../src/tasks/occurrences.js';
import { isoInZone } from '../src/time.js';
import { runCli } from '../test/support/cli.js';
import { spawnFakeLark } from '../test/support/fake-lark-server.js';
import type { BenchResult } from './index.js';

const TZ = 'Asia/Shanghai';
const REPLICAS = 3;
const CARDS = 1000;
const CHATS = 100;
const APP_ID = 'cli_replicas_bench_01';
const APP_SECRET = 'bench-secret';
const AT = '2026-03-09T10:00:00+08:00';
const BOUND_MS = (CARDS / 50) * 1000;

/** Most of `times` within any window of `windowMs` (as the fake counts: a stamp `windowMs` old has left). */
function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

async function seed(url: string): Promise<string[]> {
  const opened = await openPostgres(url, { max: 2 });
  try {
    await migrateToLatest(opened.db);
    const plan = loadPlan();
    await initProgramme({ db: opened.db, plan, clock: fixedClock('2025-12-01T00:00:00+08:00') }, operatorActor(), { year: 2026, street: '第1街道' });
    const now = Date.parse(AT);
    const tasks = await listTasks(opened.db, { year: 2026 });
    const keys: string[] = [];
    for (let i = 0; i < CARDS; i++) {
      const chatId = `oc_replicas_${String(i % CHATS).padStart(3, '0')}`;
      const t = tasks[i % tasks.length]!;
      const o = occurrencesFor(t)[0]!;
      const key = `replicas:${i}:${chatId}`;
      keys.push(key);
      const item: CardItem = {
        key: `overdue:${t.seq}:${o.period}:w3:${chatId}#${i}`,
        kind: 'overdue',
        at: isoInZone(now, TZ),
        date: '2026-03-09',
        task: { year: 2026, seq: t.seq, content: t.content, period: o.period, cadence: t.cadence, dueDate: o.dueDate, offset: null, daysLeft: null, overdueDays: 5, overdueWorkdays: 3, leadUnits: t.leadUnits, fallbackUnits: [] },
      };
      const data: CardData = { v: 2, key, chatId, target: null, date: '2026-03-09', at: isoInZone(now, TZ), late: false, counts: null, people: {}, remindersStart: null, items: [item] };
      await recordCard(opened.db, {
        card: { key, kind: 'daily', chat_id: chatId, task_seq: null, period: null, payload: JSON.stringify(data), due_at: now, not_before: now, status: 'pending', created_at: now },
        fresh: [{ key: item.key, kind: 'overdue', chat_id: chatId, task_year: 2026, task_seq: t.seq, period: o.period, date: '2026-03-09', due_at: now, not_before: now, status: 'pending', reason: null, payload: JSON.stringify(item), created_at: now }],
        held: [],
        skipped: [],
        skippedHeld: [],
      });
    }
    return keys;
  } finally {
    await opened.close();
  }
}

export default async function replicasBench(): Promise<BenchResult> {
  const server = [process.env.TEST_DATABASE_URL, process.env.DATABASE_URL].find((u) => u !== undefined && isPostgresUrl(u));
  if (!server) {
    console.log('replicas: SKIPPED — needs a PostgreSQL server: set TEST_DATABASE_URL (or DATABASE_URL) to postgres://…');
    return { bench: 'replicas', measures: [{ name: 'skipped: no PostgreSQL server (TEST_DATABASE_URL / DATABASE_URL unset)' }], peakRssMb: process.memoryUsage().rss / 1e6 };
  }
  const schema = `bench_replicas_${process.pid}`;
  const admin = await openPostgres(server, { max: 1 });
  await admin.db.executeQuery(CompiledQuery.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  await admin.db.executeQuery(CompiledQuery.raw(`CREATE SCHEMA ${schema}`));
  const url = `${server}${server.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const fake = await spawnFakeLark({ appId: APP_ID, appSecret: APP_SECRET, rateLimits: { perAppPerSecond: 50, perAppPerMinute: 1000, perChatPerSecond: 5 } });
  try {
    const keys = await seed(url);
    const env = {
      LARK_APP_ID: APP_ID,
      LARK_APP_SECRET: APP_SECRET,
      LARK_DOMAIN: fake.url,
      DATABASE_URL: url,
      REMINDER_CLAIM_BATCH: '100',
      // No reminders planned by the pass itself: it only sends the cards recorded above.
      REMINDERS_START: '2026-12-31',
      LOG_LEVEL: 'error',
    };
    const started = performance.now();
    const runs = await Promise.all(Array.from({ length: REPLICAS }, () => runCli(['tick', '--at', AT, '--json', '--db', url], { env })));
    const wallMs = performance.now() - started;
    const failedRuns = runs.filter((r) => r.code !== 0);
    if (failedRuns.length > 0) throw new Error(`a replica failed: ${failedRuns.map((r) => `exit ${r.code}: ${r.stderr.slice(0, 500)}`).join('; ')}`);
    const sentBy = runs.map((r) => (JSON.parse(r.stdout) as { dispatch: { sent: number } }).dispatch.sent);

    const state = await fake.state();
    const firstRequest = Math.min(...state.received.map((r) => r.at));
    const messageTimes = state.messages.map((m) => m.at);
    const elapsedMs = Math.max(...messageTimes) - firstRequest;
    const sorted = [...messageTimes].sort((a, b) => a - b);
    // Where the time went: before the first message (start-up, token), and the rate in between.
    const firstMessageAfterMs = Math.round(sorted[0]! - firstRequest);
    const middlePerSecond = Number(((800 / (sorted[899]! - sorted[99]!)) * 1000).toFixed(1));
    const uuids = new Set(state.messages.map((m) => m.uuid));
    const expected = new Set(keys.map(idempotencyUuid));
    const delivered = [...expected].filter((u) => uuids.has(u)).length;
    const perChat = new Map<string, number[]>();
    for (const m of state.messages) perChat.set(m.chatId ?? '', [...(perChat.get(m.chatId ?? '') ?? []), m.at]);

    const check = await openPostgres(url, { max: 1 });
    const outbox = (await check.db.selectFrom('outbox').select(['status']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('status').execute()).map((r) => ({ status: r.status, n: Number(r.n) }));
    const buckets = (await check.db.selectFrom('rate_bucket').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    await check.close();

    const rejections = state.stats.rejected.rateLimited;
    const duplicates = state.messages.length - uuids.size;
    return {
      bench: 'replicas',
      measures: [
        {
          name: `${REPLICAS} replicas (dangjian tick on PostgreSQL) send ${CARDS} reminders to ${CHATS} chats (fake Lark: 50/s and 1,000/min per app, 5/s per chat); bound ${BOUND_MS / 1000} s`,
          value: elapsedMs,
          unit: 'ms',
          ratio: elapsedMs / BOUND_MS,
          goal: 1.1,
          detail: { wallFromSpawnMs: Math.round(wallMs), firstMessageAfterMs, middlePerSecond, loadAverage: Number(loadavg()[0]?.toFixed(1)), sentByReplica: sentBy, maxPerSecondAtFake: maxInWindow(messageTimes, 1000), maxPerMinuteAtFake: maxInWindow(messageTimes, 60_000), maxPerChatSecondAtFake: Math.max(...[...perChat.values()].map((t) => maxInWindow(t, 1000))), rateBuckets: Number(buckets) },
        },
        {
          name: 'rate-limit rejections at the fake Lark (goal 0)',
          value: rejections,
          unit: 'rejections',
          ratio: rejections,
          goal: 0,
          detail: { rejectedBy: state.stats.rateLimitedBy, rejected: state.stats.rejected },
        },
        {
          name: `each of the ${CARDS} cards delivered exactly once (ratio: cards missing + duplicate messages; goal 0)`,
          value: delivered,
          unit: 'cards delivered',
          ratio: CARDS - delivered + duplicates,
          goal: 0,
          detail: { messages: state.messages.length, distinctUuids: uuids.size, deduplicatedAtFake: state.stats.deduplicated, outbox, sentByReplicas: sentBy.reduce((a, b) => a + b, 0) },
        },
      ],
      peakRssMb: process.memoryUsage().rss / 1e6,
    };
  } finally {
    await fake.stop();
    await admin.db.executeQuery(CompiledQuery.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).catch(() => {});
    await admin.close();
  }
}
