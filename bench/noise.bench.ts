/**
 * Noise: how many cards a street's chats receive (issue 10). A generated trial street — 8
 * communities, 40 compounds, the plan's tasks for 2026; each occurrence done on time (60 %),
 * late (25 %) or never (15 %) by a seeded generator; a compound's scores entered now and then —
 * lives through 2026 day by day: completions and score entries at their instants, and the real
 * scheduler pass against a SQLite file at 08:30, 09:00, 09:30, 12:00 and 18:30 every day (working
 * or not), sending through the printing outbound. Chats: the leadership, each of the five lead
 * units, and each community (its unit chat); bound on 1 January, the go-live date.
 *
 * Reported: a table per chat (cards, max and mean cards per working day, items per card);
 * checked against goals: at most one card per chat per working day, none on a non-working day,
 * December's cards under 10 % of the 3,433 reminders the issue counted for December with the old
 * per-reminder rules (and, for information, against what the per-reminder rules announce on this
 * street, measured here: `reminders preview --raw`), and nothing lost — every
 * reminder the rules announce in 2026 is carried by a card that was sent, on its own day for the
 * weekly digest and the plan's pushes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { operatorActor } from '../src/auth/actor.js';
import { fixedClock } from '../src/clock.js';
import { DEFAULT_SCHEDULER_SETTINGS } from '../src/config/scheduler-settings.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { listOutbox, listOutboxItems } from '../src/db/outbox.repository.js';
import { insertCompletion, listTasks } from '../src/db/task.repository.js';
import { silentLogger } from '../src/log.js';
import { PrintingOutbound } from '../src/messaging/printing-outbound.js';
import { loadPlan } from '../src/plan/load-plan.js';
import type { CardData } from '../src/scheduler/content.js';
import { initProgramme } from '../src/services/init.service.js';
import { bindChat } from '../src/services/members.service.js';
import { runPass, streamReminders } from '../src/services/reminders.service.js';
import { setScore } from '../src/services/scores.service.js';
import { addUnit } from '../src/services/units.service.js';
import { addDays } from '../src/tasks/dates.js';
import { occurrencesFor } from '../src/tasks/occurrences.js';
import { occurrenceStatus } from '../src/tasks/status.js';
import { createWorkCalendar } from '../src/tasks/work-calendar.js';
import { localDate, zonedInstant } from '../src/time.js';
import { mulberry32 } from '../test/support/prng.js';
import type { BenchResult } from './index.js';

const TZ = 'Asia/Shanghai';
const SEED = 2026;
const COMMUNITIES = 8;
const COMPOUNDS = 40;
const PASS_TIMES = ['08:30', '09:00', '09:30', '12:00', '18:30'];
const LEAD_UNITS = ['党建办(组织)', '社管中心', '社会治理办', '环卫中心', '城发办'];

type Event = { t: number; kind: 'pass' } | { t: number; kind: 'done'; taskId: number; period: string; dueDate: string } | { t: number; kind: 'score'; unit: string; item: string; points: number };

const plan = loadPlan();
const { calendar } = createWorkCalendar({ years: [2026, 2027] });

/** A working-hours instant on a working day on or after `date` (09:00–17:59, drawn). */
function workingInstant(date: string, random: () => number): number {
  let d = date;
  while (!calendar.isWorkday(d)) d = addDays(d, 1);
  const minute = 9 * 60 + Math.floor(random() * 9 * 60);
  return zonedInstant(d, `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`, TZ);
}

interface ChatRow {
  chat: string;
  label: string;
  cards: number;
  workdaysWithCard: number;
  maxPerWorkday: number;
  meanPerWorkday: number;
  itemsPerCard: number;
  maxItems: number;
  nonWorkdayCards: number;
}

/** Shares of the occurrences done on time and late (the rest never). */
interface Mix {
  onTime: number;
  late: number;
}

interface Simulation {
  rows: ChatRow[];
  passes: number;
  simMs: number;
  outcome: { onTime: number; late: number; never: number };
  unitChangeNotices: number;
  sentCards: number;
  maxPerWorkday: number;
  nonWorkday: number;
  decemberCards: number;
  rawDecember: number;
  raw: number;
  carried: number;
  completedFirst: number;
  quietChecks: number;
  lost: string[];
  offDay: string[];
}

async function simulate(mix: Mix): Promise<Simulation> {
  const dir = mkdtempSync(join(tmpdir(), 'dangjian-noise-'));
  const opened = openDatabase(join(dir, 'noise.db'));
  await migrateToLatest(opened.db);
  const random = mulberry32(SEED);
  const office = operatorActor('bench');
  const setup = fixedClock('2025-12-20T10:00:00+08:00');
  const base = { db: opened.db, plan, clock: setup, tz: TZ };
  await initProgramme(base, office, { year: 2026, street: '试点街道' });

  // The street: 8 communities of 5 compounds each.
  const compounds: string[] = [];
  for (let c = 1; c <= COMMUNITIES; c++) {
    await addUnit(base, office, { name: `第${c}社区`, level: 'community', parent: '试点街道' });
    for (let k = 1; k <= COMPOUNDS / COMMUNITIES; k++) {
      compounds.push(`第${c}社区${k}号小区`);
      await addUnit(base, office, { name: `第${c}社区${k}号小区`, level: 'compound', parent: `第${c}社区` });
    }
  }
  // The chats, bound on 1 January (the go-live date recorded by the first binding).
  const bindAt = fixedClock('2026-01-01T08:00:00+08:00');
  const chats = new Map<string, string>([['oc_leaders', '领导小组']]);
  await bindChat({ db: opened.db, clock: bindAt, tz: TZ }, office, 'oc_leaders', { kind: 'leadership' });
  for (const [i, u] of LEAD_UNITS.entries()) {
    chats.set(`oc_lead_${i}`, u);
    await bindChat({ db: opened.db, clock: bindAt, tz: TZ }, office, `oc_lead_${i}`, { kind: 'lead', leadUnit: u });
  }
  for (let c = 1; c <= COMMUNITIES; c++) {
    chats.set(`oc_unit_${c}`, `第${c}社区`);
    await bindChat({ db: opened.db, clock: bindAt, tz: TZ }, office, `oc_unit_${c}`, { kind: 'unit', unitName: `第${c}社区` });
  }

  // Outcomes of every occurrence of 2026: 60 % on time, 25 % late, 15 % never.
  const events: Event[] = [];
  const outcome = { onTime: 0, late: 0, never: 0 };
  for (const t of await listTasks(opened.db, { year: 2026 })) {
    for (const o of occurrencesFor(t)) {
      const r = random();
      if (r < mix.onTime) {
        outcome.onTime++;
        const from = o.start > addDays(o.dueDate, -10) ? o.start : addDays(o.dueDate, -10);
        let at = workingInstant(addDays(from, Math.floor(random() * 8)), random);
        if (localDate(at, TZ) > o.dueDate) at = zonedInstant(o.dueDate, '16:00', TZ);
        events.push({ t: at, kind: 'done', taskId: t.id, period: o.period, dueDate: o.dueDate });
      } else if (r < mix.onTime + mix.late) {
        outcome.late++;
        events.push({ t: workingInstant(addDays(o.dueDate, 1 + Math.floor(random() * 30)), random), kind: 'done', taskId: t.id, period: o.period, dueDate: o.dueDate });
      } else outcome.never++;
    }
  }
  // Scores: every other Thursday one compound's scores are entered (grades move now and then).
  const compoundItems = plan.levels.find((l) => l.level === 'compound')!.indicators.flatMap((i) => i.subItems);
  for (let d = '2026-01-08'; d <= '2026-12-31'; d = addDays(d, 14)) {
    if (!calendar.isWorkday(d)) continue;
    const unit = compounds[Math.floor(random() * compounds.length)]!;
    const quality = 0.5 + random() * 0.5;
    for (const [n, item] of compoundItems.entries()) events.push({ t: zonedInstant(d, '15:00', TZ) + n, kind: 'score', unit, item: item.code, points: Math.round(item.points * quality * 2) / 2 });
  }
  for (let d = '2026-01-01'; d <= '2026-12-31'; d = addDays(d, 1)) for (const time of PASS_TIMES) events.push({ t: zonedInstant(d, time, TZ), kind: 'pass' });
  const rank = (e: Event) => (e.kind === 'pass' ? 1 : 0);
  events.sort((a, b) => a.t - b.t || rank(a) - rank(b));

  // 2026, day by day.
  const clock = fixedClock('2026-01-01T00:00:00+08:00');
  const outbound = new PrintingOutbound(null);
  const deps = { db: opened.db, plan, config: { timeZone: TZ }, clock, log: silentLogger, outbound, calendar, settings: DEFAULT_SCHEDULER_SETTINGS, workerId: 'noise' };
  const simStart = performance.now();
  let passes = 0;
  for (const e of events) {
    clock.set(e.t);
    if (e.kind === 'pass') {
      await runPass(deps, e.t);
      passes++;
    } else if (e.kind === 'done') {
      const late = occurrenceStatus({ dueDate: e.dueDate, doneAt: e.t }, e.t, TZ).doneLate;
      await opened.db.transaction().execute((trx) => insertCompletion(trx, { taskId: e.taskId, period: e.period, doneAt: e.t, doneBy: '牵头单位', note: null, progress: null, late }));
    } else await setScore({ db: opened.db, plan, clock, tz: TZ }, office, { unit: e.unit, item: e.item, points: e.points, year: 2026 });
  }
  const simMs = performance.now() - simStart;

  // What went out.
  const cards = (await listOutbox(opened.db)).filter((c) => c.key.startsWith('daily:'));
  const items = await listOutboxItems(opened.db);
  const sentCards = cards.filter((c) => c.status === 'sent');
  const cardById = new Map(cards.map((c) => [c.id, c]));
  const dayOf = (c: (typeof cards)[number]) => localDate(c.sentAt ?? c.dueAt, TZ);
  const workdays: string[] = [];
  for (let d = '2026-01-01'; d <= '2026-12-31'; d = addDays(d, 1)) if (calendar.isWorkday(d)) workdays.push(d);

  const rows: ChatRow[] = [];
  for (const [chat, label] of chats) {
    const mine = sentCards.filter((c) => c.chatId === chat);
    const perDay = new Map<string, number>();
    for (const c of mine) perDay.set(dayOf(c), (perDay.get(dayOf(c)) ?? 0) + 1);
    const onWork = workdays.map((d) => perDay.get(d) ?? 0);
    const sizes = mine.map((c) => (c.payload as CardData).items.length);
    rows.push({
      chat,
      label,
      cards: mine.length,
      workdaysWithCard: onWork.filter((n) => n > 0).length,
      maxPerWorkday: Math.max(0, ...onWork),
      meanPerWorkday: onWork.reduce((a, b) => a + b, 0) / workdays.length,
      itemsPerCard: sizes.length === 0 ? 0 : sizes.reduce((a, b) => a + b, 0) / sizes.length,
      maxItems: Math.max(0, ...sizes),
      nonWorkdayCards: mine.filter((c) => !calendar.isWorkday(dayOf(c))).length,
    });
  }

  // The old contract, measured on the same street: every reminder the rules announce.
  const endClock = fixedClock('2026-12-31T23:59:00+08:00');
  const ruleDeps = { db: opened.db, plan, config: { timeZone: TZ }, clock: endClock, calendar, settings: DEFAULT_SCHEDULER_SETTINGS };
  const raw: Array<{ key: string; kind: string; date: string; chatId: string | null }> = [];
  await streamReminders(ruleDeps, { from: zonedInstant('2026-01-01', '00:00', TZ), to: zonedInstant('2027-01-01', '00:00', TZ) - 1 }, (i) => raw.push({ key: i.key, kind: i.kind, date: i.date, chatId: i.chatId }));
  const rawDecember = raw.filter((r) => r.date >= '2026-12-01').length;
  const decemberCards = sentCards.filter((c) => dayOf(c) >= '2026-12-01').length;

  // Nothing lost: each reminder is on a card that went out (on its own day for pushes and digests),
  // or was completed before its card was composed (the old dispatcher dropped those too).
  const byKey = new Map(items.map((i) => [i.key, i]));
  let carried = 0;
  let completedFirst = 0;
  let quietChecks = 0;
  const lost: string[] = [];
  const offDay: string[] = [];
  for (const r of raw) {
    const item = byKey.get(r.key);
    const card = item?.outboxId ? cardById.get(item.outboxId) : undefined;
    if (item?.status === 'carried' && card?.status === 'sent') {
      carried++;
      if (['digest', 'unit_digest', 'monthly', 'quarterly', 'yearly', 'phase'].includes(r.kind) && (card.payload as CardData).date !== r.date) offDay.push(r.key);
    } else if (item?.status === 'skipped' && (item.reason ?? '').startsWith('completed')) completedFirst++;
    // A unit chat's daily grade check that found no change: nothing to announce (the old rules recorded it as skipped too).
    else if (r.kind === 'unit_changes' && item?.status === 'skipped' && (item.reason ?? '').startsWith('nothing changed')) quietChecks++;
    else lost.push(`${r.key} (${item ? `${item.status}: ${item.reason ?? ''}` : 'never recorded'})`);
  }
  const unitChangeNotices = items.filter((i) => i.kind === 'unit_changes' && i.status === 'carried').length;
  const maxPerWorkday = Math.max(...rows.map((r) => r.maxPerWorkday));
  const nonWorkday = rows.reduce((a, r) => a + r.nonWorkdayCards, 0);

  await opened.close();
  rmSync(dir, { recursive: true, force: true });
  return { rows, passes, simMs, outcome, unitChangeNotices, sentCards: sentCards.length, maxPerWorkday, nonWorkday, decemberCards, rawDecember, raw: raw.length, carried, completedFirst, quietChecks, lost, offDay };
}

/** The old count the issue measured on its street with the per-reminder rules (December 2026). */
const ISSUE_DECEMBER_REMINDERS = 3433;

export default async function noiseBench(): Promise<BenchResult> {
  const started = performance.now();
  const sim = await simulate({ onTime: 0.6, late: 0.25 });
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  console.log(`\n2026 for 试点街道 (60 % on time, 25 % late, 15 % never): ${sim.passes} passes in ${(sim.simMs / 1000).toFixed(1)} s; occurrences ${sim.outcome.onTime} on time, ${sim.outcome.late} late, ${sim.outcome.never} never; ${sim.unitChangeNotices} grade-change notices`);
  console.log('chat          target            cards  days  max/wd  mean/wd  items/card  max items  non-wd');
  for (const r of sim.rows) console.log(`${r.chat.padEnd(13)} ${r.label.padEnd(8, '　')} ${pad(r.cards, 5)} ${pad(r.workdaysWithCard, 5)} ${pad(r.maxPerWorkday, 7)} ${pad(r.meanPerWorkday.toFixed(2), 8)} ${pad(r.itemsPerCard.toFixed(1), 11)} ${pad(r.maxItems, 10)} ${pad(r.nonWorkdayCards, 7)}`);
  console.log(`December: ${sim.decemberCards} cards; the per-reminder rules announce ${sim.rawDecember} reminders on this street (${((sim.decemberCards / sim.rawDecember) * 100).toFixed(1)} %), ${ISSUE_DECEMBER_REMINDERS} on the street the issue measured (${((sim.decemberCards / ISSUE_DECEMBER_REMINDERS) * 100).toFixed(1)} %)`);
  console.log(`2026: ${sim.raw} reminders announced by the rules: ${sim.carried} on sent cards, ${sim.completedFirst} completed before their card, ${sim.quietChecks} grade checks with nothing to report, ${sim.lost.length} lost; ${sim.offDay.length} pushes/digests off their day`);
  if (sim.lost.length > 0) console.log(`lost, e.g.: ${sim.lost.slice(0, 5).join('; ')}`);
  // For information: the same street neglected (20 % on time, 20 % late, 60 % never) — the cards stay
  // bounded by chats × working days while the per-reminder count grows with the backlog.
  const backlog = await simulate({ onTime: 0.2, late: 0.2 });
  console.log(`neglected street (20 / 20 / 60): December ${backlog.decemberCards} cards for ${backlog.rawDecember} reminders (${((backlog.decemberCards / backlog.rawDecember) * 100).toFixed(1)} %), most cards per chat and working day ${backlog.maxPerWorkday}, ${backlog.lost.length} lost`);
  return {
    bench: 'noise',
    measures: [
      { name: 'most cards one chat received on one working day (bound: 1)', value: sim.maxPerWorkday, unit: 'cards', ratio: sim.maxPerWorkday / 1, goal: 1 },
      { name: 'cards sent on non-working days', value: sim.nonWorkday, unit: 'cards', ratio: sim.nonWorkday, goal: 0 },
      // The issue's goal is worded against its own measurement ("under 10 % of today's 3,433 reminders");
      // the same-run ratio against the current per-reminder rules is reported beside it for information.
      { name: "December's cards ÷ the issue's 3,433 December reminders (goal: under 10 %)", value: sim.decemberCards, unit: 'cards', ratio: sim.decemberCards / ISSUE_DECEMBER_REMINDERS, goal: 0.1, detail: { decemberCards: sim.decemberCards } },
      { name: "December's cards ÷ the per-reminder rules' December reminders on the same street (for information)", value: sim.decemberCards, unit: 'cards', ratio: sim.decemberCards / sim.rawDecember, detail: { rawDecemberReminders: sim.rawDecember } },
      { name: 'reminders of 2026 lost (not on any sent card, not completed first, not an empty grade check)', value: sim.lost.length, unit: 'reminders', ratio: sim.lost.length, goal: 0, detail: { raw: sim.raw, onSentCards: sim.carried, completedBeforeTheirCard: sim.completedFirst, gradeChecksWithNothingToReport: sim.quietChecks } },
      { name: 'weekly digests and plan pushes not on their own day’s card', value: sim.offDay.length, unit: 'items', ratio: sim.offDay.length, goal: 0 },
      { name: 'neglected street (20 % on time, 20 % late, 60 % never), for information: December cards ÷ reminders', value: backlog.decemberCards, unit: 'cards', ratio: backlog.decemberCards / backlog.rawDecember, detail: { rawDecemberReminders: backlog.rawDecember, maxPerChatAndWorkday: backlog.maxPerWorkday, lost: backlog.lost.length } },
      { name: 'both simulated years (for information)', value: (performance.now() - started) / 1000, unit: 's', detail: { passes: sim.passes + backlog.passes, chats: sim.rows.length } },
    ],
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}
