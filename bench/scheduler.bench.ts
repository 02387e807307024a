/**
 * Scheduler speed.
 *
 * 1. Preview a whole year's reminders (2026, real holidays) for the plan's 25 tasks in each of
 *    50 streets (50 databases, three chats bound each; the other lead units fall back to the
 *    leadership chat), as `reminders preview --json` produces them (streamed, each formatted
 *    into its JSON row). Worst case: nothing done yet, so every occurrence runs overdue to the
 *    end of the year (daily overdue reminders and escalations): about 20,000 reminders a street.
 *    Goal: under 2 s for all 50 (ratio = time / 2 s). For information: the same collected into
 *    arrays (previewReminders), and a realistic mid-year state (85 % done on time).
 * 2. Dispatch 1,000 reminder cards (10 to each of 100 chats) through the real Lark
 *    sender against the fake Lark server enforcing 50/s per app and 5/s per chat. The bound set
 *    by those limits is 1,000 / 50 = 20 s; goal: within 5 % of it (ratio ≤ 1.05) with zero
 *    rate-limit rejections.
 */
import { loadavg } from 'node:os';
import { operatorActor } from '../src/auth/actor.js';
import { fixedClock } from '../src/clock.js';
import { bindChat } from '../src/db/chat.repository.js';
import { openDatabase, type OpenedDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { recordCard } from '../src/db/outbox.repository.js';
import { createLarkSender } from '../src/lark/sender.js';
import { silentLogger } from '../src/log.js';
import { loadPlan } from '../src/plan/load-plan.js';
import type { CardData, CardItem } from '../src/scheduler/content.js';
import { dispatchDue, previewReminders, streamReminders, type SchedulerDeps } from '../src/services/reminders.service.js';
import { previewFormatter } from '../src/scheduler/preview-format.js';
import { DEFAULT_SCHEDULER_SETTINGS, schedulerSettings } from '../src/config/scheduler-settings.js';
import { initProgramme } from '../src/services/init.service.js';
import { occurrencesFor } from '../src/tasks/occurrences.js';
import { insertCompletion, listTasks } from '../src/db/task.repository.js';
import { createWorkCalendar } from '../src/tasks/work-calendar.js';
import { isoInZone, zonedInstant } from '../src/time.js';
import { spawnFakeLark } from '../test/support/fake-lark-server.js';
import type { BenchResult } from './index.js';

const TZ = 'Asia/Shanghai';
const STREETS = 50;
const plan = loadPlan();
const { calendar } = createWorkCalendar({ years: [2026] });

async function street(n: number, done: boolean): Promise<OpenedDatabase> {
  const opened = openDatabase(':memory:');
  await migrateToLatest(opened.db);
  const clock = fixedClock('2025-12-01T00:00:00+08:00');
  await initProgramme({ db: opened.db, plan, clock }, operatorActor(), { year: 2026, street: `第${n + 1}街道` });
  await bindChat(opened.db, { chatId: `oc_s${n}_lead`, target: { kind: 'leadership' }, by: 'bench', at: 1 });
  await bindChat(opened.db, { chatId: `oc_s${n}_djb`, target: { kind: 'lead', leadUnit: '党建办(组织)' }, by: 'bench', at: 2 });
  await bindChat(opened.db, { chatId: `oc_s${n}_sg`, target: { kind: 'lead', leadUnit: '社管中心' }, by: 'bench', at: 3 });
  if (done) {
    // 85 % of the occurrences due by 30 June, done on their due day.
    let k = 0;
    for (const t of await listTasks(opened.db, { year: 2026 })) {
      for (const o of occurrencesFor(t)) {
        if (o.dueDate > '2026-06-30' || k++ % 20 >= 17) continue;
        await opened.db.transaction().execute((trx) => insertCompletion(trx, { taskId: t.id, period: o.period, doneAt: zonedInstant(o.dueDate, '16:00', TZ), doneBy: 'bench', note: null, progress: null, late: false }));
      }
    }
  }
  return opened;
}

const YEAR = { from: Date.parse('2026-01-01T00:00:00+08:00'), to: Date.parse('2026-12-31T23:59:59+08:00') };

interface PreviewRun {
  ms: number;
  cpuMs: number;
  reminders: number;
  /** Bytes of the JSON rows the CLI would print (streamed runs). */
  bytes: number;
}

/**
 * Previews 2026 for every street. `streamed`: as `dangjian reminders preview --json` does — each
 * reminder formatted into its JSON row as it is produced; otherwise collected into an array.
 */
async function previewAll(streets: OpenedDatabase[], now: string, streamed: boolean): Promise<PreviewRun> {
  const clock = fixedClock(now);
  let reminders = 0;
  let bytes = 0;
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (const s of streets) {
    const deps = { db: s.db, plan, config: { timeZone: TZ }, clock, calendar, settings: DEFAULT_SCHEDULER_SETTINGS };
    if (streamed) {
      const format = previewFormatter(TZ);
      reminders += await streamReminders(deps, YEAR, (i) => {
        bytes += format.json(format.row(i)).length + 2;
      });
    } else {
      reminders += (await previewReminders(deps, YEAR)).length;
    }
  }
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - t, cpuMs: Math.round((used.user + used.system) / 1000), reminders, bytes };
}

async function dispatchBench(): Promise<{ ms: number; messages: number; rejected: number; rejectedBy: Record<string, number>; rows: number; byChatMax: number }> {
  // The fake runs in its own process, as Lark would: its clock and event loop are not ours.
  const fake = await spawnFakeLark({ appId: 'cli_scheduler_bench_01', appSecret: 'bench-secret', rateLimits: { perAppPerSecond: 50, perChatPerSecond: 5 } });
  const sender = createLarkSender({ appId: 'cli_scheduler_bench_01', appSecret: 'bench-secret', domain: fake.url, log: silentLogger });
  const opened = await street(0, false);
  try {
    const now = Date.parse('2026-03-09T10:00:00+08:00');
    const tasks = await listTasks(opened.db, { year: 2026 });
    for (let i = 0; i < 1000; i++) {
      const chatId = `oc_bench_${String(i % 100).padStart(3, '0')}`;
      const t = tasks[i % tasks.length]!;
      const o = occurrencesFor(t)[0]!;
      const key = `bench:${i}:${chatId}`;
      const item: CardItem = {
        key: `overdue:${t.seq}:${o.period}:w3:${chatId}#${i}`,
        kind: 'overdue',
        at: isoInZone(now, TZ),
        date: '2026-03-09',
        task: { year: 2026, seq: t.seq, content: t.content, period: o.period, cadence: t.cadence, dueDate: o.dueDate, offset: null, daysLeft: null, overdueDays: 5, overdueWorkdays: 3, leadUnits: t.leadUnits, fallbackUnits: [] },
      };
      const data: CardData = { v: 2, key, chatId, target: null, date: '2026-03-09', at: isoInZone(now, TZ), late: false, counts: null, people: {}, remindersStart: null, items: [item] };
      recordCard(opened.db, {
        card: { key, kind: 'daily', chat_id: chatId, task_seq: null, period: null, payload: JSON.stringify(data), due_at: now, not_before: now, status: 'pending', created_at: now },
        fresh: [{ key: item.key, kind: 'overdue', chat_id: chatId, task_year: 2026, task_seq: t.seq, period: o.period, date: '2026-03-09', due_at: now, not_before: now, status: 'pending', reason: null, payload: JSON.stringify(item), created_at: now }],
        held: [],
        skipped: [],
        skippedHeld: [],
      });
    }
    const deps: SchedulerDeps = {
      db: opened.db,
      plan,
      config: { timeZone: TZ },
      clock: fixedClock(now),
      log: silentLogger,
      outbound: sender,
      calendar,
      // One card per reminder: the benchmark measures raw dispatch.
      settings: schedulerSettings({ claimBatch: 1000, sendConcurrency: 100 }),
      workerId: 'bench',
    };
    // Measured from the first call: the tenant token request (not rate limited) is part of it.
    const t = performance.now();
    const result = await dispatchDue(deps, now);
    const ms = performance.now() - t;
    const state = await fake.state();
    const perChat = new Map<string, number>();
    for (const m of state.messages) perChat.set(m.chatId ?? '', (perChat.get(m.chatId ?? '') ?? 0) + 1);
    return { ms, messages: state.messages.length, rejected: state.stats.rejected.rateLimited, rejectedBy: state.stats.rateLimitedBy, rows: result.sent, byChatMax: Math.max(...perChat.values()) };
  } finally {
    await sender.close();
    await opened.close();
    await fake.stop();
  }
}

export default async function schedulerBench(): Promise<BenchResult> {
  const worst = await Promise.all(Array.from({ length: STREETS }, (_, n) => street(n, false)));
  const realistic = await Promise.all(Array.from({ length: STREETS }, (_, n) => street(n, true)));
  // Warm-up on one street (JIT, the working-day table), then the measured runs.
  await previewAll(worst.slice(0, 1), '2026-01-01T00:00:00+08:00', true);
  const worstRun = await previewAll(worst, '2026-01-01T00:00:00+08:00', true);
  const worstArray = await previewAll(worst, '2026-01-01T00:00:00+08:00', false);
  const realisticRun = await previewAll(realistic, '2026-07-01T00:00:00+08:00', true);
  for (const s of [...worst, ...realistic]) await s.close();

  const dispatch = await dispatchBench();
  return {
    bench: 'scheduler',
    measures: [
      {
        name: `preview a year of reminders as the CLI streams them, 25 tasks × ${STREETS} streets, nothing done (worst case)`,
        value: worstRun.ms,
        unit: 'ms',
        ratio: worstRun.ms / 2000,
        goal: 1,
        // CPU time (all threads, GC included) alongside: on a shared, loaded machine wall time varies a lot.
        detail: { reminders: worstRun.reminders, perStreet: Math.round(worstRun.reminders / STREETS), jsonMb: Math.round(worstRun.bytes / 1e5) / 10, cpuMs: worstRun.cpuMs, loadAverage: Number(loadavg()[0]?.toFixed(1)) },
      },
      {
        name: `the same, collected into one array per street (previewReminders)`,
        value: worstArray.ms,
        unit: 'ms',
        ratio: worstArray.ms / 2000,
        detail: { reminders: worstArray.reminders, cpuMs: worstArray.cpuMs },
      },
      {
        name: `preview a year as the CLI streams it, mid-year state (85 % of the first half done on time)`,
        value: realisticRun.ms,
        unit: 'ms',
        ratio: realisticRun.ms / 2000,
        detail: { reminders: realisticRun.reminders, cpuMs: realisticRun.cpuMs },
      },
      {
        name: 'dispatch 1,000 reminders to 100 chats (fake Lark: 50/s per app, 5/s per chat); bound 20 s',
        value: dispatch.ms,
        unit: 'ms',
        ratio: dispatch.ms / 20_000,
        goal: 1.05,
        detail: { messages: dispatch.messages, rowsSent: dispatch.rows, rateLimitRejections: dispatch.rejected, rejectedBy: dispatch.rejectedBy, maxPerChat: dispatch.byChatMax },
      },
    ],
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}
