/**
 * A simulated 2026 (real holiday data) driven with an injected clock: passes at the minutes that
 * matter on every working day (08:30, 09:00, 09:30, 12:00, 18:30) plus random instants, sending
 * through the real Lark sender to the fake Lark server. Along the way: completions (on time,
 * late, early), a restart on a new connection, a short downtime across a deadline (catch-up
 * once, one card per chat) and a long one (older reminders skipped). Each chat gets at most one
 * card a day; every reminder item the rules announce is carried by exactly one sent card.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import type { AnyOpenedDatabase } from '../../src/db/database.js';
import { listOutbox, listOutboxItems, type OutboxItemRecord, type OutboxRecord } from '../../src/db/outbox.repository.js';
import { createLarkSender, type LarkSender } from '../../src/lark/sender.js';
import { silentLogger } from '../../src/log.js';
import type { CardData } from '../../src/scheduler/content.js';
import { runPass } from '../../src/services/reminders.service.js';
import { addDays } from '../../src/tasks/dates.js';
import { isoInZone, zonedInstant } from '../../src/time.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { CHATS, TZ, at, calendar, complete, deps, openProgramme, tempDbFile } from './support.js';
import { mulberry32 } from '../support/prng.js';

const APP_ID = 'cli_scheduler_sim_0001';
const APP_SECRET = 'scheduler-sim-secret';

type Event = { t: number; kind: 'pass' } | { t: number; kind: 'complete'; seq: number; period: string } | { t: number; kind: 'restart' };

const COMPLETIONS: Array<[number, string, string]> = [
  [1, '2026', '2026-03-03T10:00:00+08:00'], // two days late
  [4, '2026', '2026-03-09T10:00:00+08:00'], // the day before its deadline
  [6, '2026', '2026-06-26T12:00:00+08:00'],
  [9, '2026-Q1', '2026-03-20T10:00:00+08:00'], // each quarter well ahead of its deadline
  [9, '2026-Q2', '2026-06-19T10:00:00+08:00'],
  [9, '2026-Q3', '2026-09-18T10:00:00+08:00'],
  [9, '2026-Q4', '2026-12-18T10:00:00+08:00'],
];
/** No passes strictly inside these intervals; one pass at each end. */
const DOWNTIMES: Array<[string, string]> = [
  ['2026-05-28T18:30:00+08:00', '2026-05-29T14:00:00+08:00'], // across the 31 May deadlines (moved to Friday 29 May)
  ['2026-08-14T18:30:00+08:00', '2026-08-18T10:00:00+08:00'], // Monday 17 Aug more than 24 h late
];
const RESTART = '2026-07-01T00:00:00+08:00';


function timeline(): Event[] {
  const events: Event[] = [];
  for (let d = '2026-01-01'; d <= '2026-12-31'; d = addDays(d, 1)) {
    if (!calendar.isWorkday(d)) continue;
    for (const time of ['08:30', '09:00', '09:30', '12:00', '18:30']) events.push({ t: zonedInstant(d, time, TZ), kind: 'pass' });
  }
  const random = mulberry32(2026);
  const start = at('2026-01-01T00:00:00+08:00');
  const span = at('2027-01-01T00:00:00+08:00') - start;
  for (let i = 0; i < 150; i++) events.push({ t: start + Math.floor(random() * span), kind: 'pass' });
  for (const [seq, period, t] of COMPLETIONS) events.push({ t: at(t), kind: 'complete', seq, period });
  events.push({ t: at(RESTART), kind: 'restart' });
  const down = DOWNTIMES.map(([a, b]) => [at(a), at(b)] as const);
  const kept = events.filter((e) => e.kind !== 'pass' || !down.some(([a, b]) => e.t > a && e.t < b));
  for (const [, b] of down) kept.push({ t: b, kind: 'pass' });
  // Completions before passes at the same instant; otherwise in time order.
  const rank = (e: Event) => (e.kind === 'pass' ? 1 : 0);
  return kept.sort((x, y) => x.t - y.t || rank(x) - rank(y));
}

let fake: FakeLark;
let cards: OutboxRecord[] = [];
let items: OutboxItemRecord[] = [];
let passes = 0;
let simMs = 0;
const passMessages = new Map<number, Map<string, number>>(); // pass instant → chat → messages
const workerIds: string[] = [];

/** Local date / minute in Asia/Shanghai (a fixed +08:00, no DST): plain arithmetic, the assertions run over tens of thousands of rows. */
const SHANGHAI_MS = 8 * 3_600_000;
const localDay = (ms: number) => new Date(ms + SHANGHAI_MS).toISOString().slice(0, 10);
const local = (ms: number) => new Date(ms + SHANGHAI_MS).toISOString().slice(0, 16);

const cardById = () => new Map(cards.map((c) => [c.id, c]));
/** Items carried by a card that was sent, with the card. */
const sent = (filter: (i: OutboxItemRecord) => boolean) => {
  const byId = cardById();
  return items.filter((i) => i.status === 'carried' && byId.get(i.outboxId ?? -1)?.status === 'sent' && filter(i)).map((i) => ({ ...i, card: byId.get(i.outboxId!)! }));
};
const keysOf = (list: Array<{ key: string }>) => list.map((r) => r.key).sort();

beforeAll(async () => {
  fake = await startFakeLark({ appId: APP_ID, appSecret: APP_SECRET });
  const file = tempDbFile();
  let opened: AnyOpenedDatabase = await openProgramme(file);
  const clock = fixedClock('2026-01-01T00:00:00+08:00');
  const makeSender = (): LarkSender =>
    createLarkSender({ appId: APP_ID, appSecret: APP_SECRET, domain: fake.url, log: silentLogger, clock, sleep: async (ms) => clock.advance(ms) });
  let sender = makeSender();
  let workerId = 'sim-1';
  workerIds.push(workerId);
  const simStart = performance.now();
  for (const e of timeline()) {
    if (e.t > clock.now().getTime()) clock.set(e.t);
    if (e.kind === 'complete') await complete(opened, e.seq, e.period, isoInZone(e.t, TZ));
    else if (e.kind === 'restart') {
      await sender.close();
      await opened.close();
      opened = await openProgramme(file, false);
      sender = makeSender();
      workerId = 'sim-2';
      workerIds.push(workerId);
    } else {
      const before = fake.messages.length;
      await runPass(deps(opened, sender, { clock, workerId }), e.t);
      passes++;
      if (fake.messages.length > before) {
        const perChat = new Map<string, number>();
        for (const m of fake.messages.slice(before)) perChat.set(m.chatId ?? '', (perChat.get(m.chatId ?? '') ?? 0) + 1);
        passMessages.set(e.t, perChat);
      }
    }
  }
  simMs = performance.now() - simStart;
  cards = await listOutbox(opened.db);
  items = await listOutboxItems(opened.db);
  await sender.close();
  await opened.close();
}, 240_000);

afterAll(async () => {
  await fake?.close();
});

describe('a simulated 2026 against the fake Lark server', () => {
  it('sends every card once: one Lark message per card, no uuid twice, every item on one sent card', () => {
    expect(passes).toBeGreaterThan(1300);
    console.log(`simulated year: ${passes} passes, ${fake.messages.length} messages, ${cards.length} cards carrying ${items.filter((i) => i.status === 'carried').length} items in ${(simMs / 1000).toFixed(1)} s`);
    const sentCards = cards.filter((r) => r.status === 'sent');
    expect(sent(() => true).length).toBeGreaterThan(5000);
    expect(fake.stats.deduplicated).toBe(0);
    expect(fake.rejected.rateLimited + fake.rejected.invalid).toBe(0);
    const uuids = fake.messages.map((m) => m.uuid);
    expect(new Set(uuids).size).toBe(uuids.length);
    expect(new Set(sentCards.map((r) => r.messageId))).toEqual(new Set(fake.messages.map((m) => m.messageId)));
    // Nothing is left half-sent, and every carried item is on a card that went out.
    expect(cards.filter((r) => r.status !== 'sent')).toEqual([]);
    expect(items.filter((i) => i.status === 'carried').length).toBe(sent(() => true).length);
    expect(cards.every((r) => r.claimedBy === null)).toBe(true);
    expect(workerIds).toEqual(['sim-1', 'sim-2']);
  });

  it('never sends on a non-working day or outside 08:30–18:00, and never more than one card per chat a day', () => {
    expect(TZ).toBe('Asia/Shanghai');
    const bad = cards.filter((r) => {
      const sentAt = r.sentAt as number;
      const minute = local(sentAt).slice(11);
      return !calendar.isWorkday(localDay(sentAt)) || minute < '08:30' || minute >= '18:00';
    });
    expect(bad.map((r) => `${r.key} ${local(r.sentAt as number)}`)).toEqual([]);
    const perChatDay = new Map<string, number>();
    for (const c of cards) perChatDay.set(`${c.chatId} ${localDay(c.sentAt as number)}`, (perChatDay.get(`${c.chatId} ${localDay(c.sentAt as number)}`) ?? 0) + 1);
    expect([...perChatDay.entries()].filter(([, n]) => n > 1)).toEqual([]);
  });

  it('the expected items per task: a task done the day before its deadline', () => {
    const t4 = sent((r) => r.taskSeq === 4);
    expect(keysOf(t4)).toEqual(['due:4:2026:d1:oc_djb', 'due:4:2026:d1:oc_sg', 'due:4:2026:d3:oc_djb', 'due:4:2026:d3:oc_sg', 'due:4:2026:d7:oc_djb', 'due:4:2026:d7:oc_sg']);
    expect([...new Set(t4.map((r) => local(r.card.sentAt as number)))].sort()).toEqual(['2026-03-03T09:00', '2026-03-06T09:00', '2026-03-09T09:00']);
    expect(items.filter((r) => r.taskSeq === 4 && r.status !== 'carried')).toEqual([]);
  });

  it('a completion stops the overdue series (task 1, done two days late, no escalation)', () => {
    const t1 = sent((r) => r.taskSeq === 1);
    expect(keysOf(t1)).toEqual(
      ['due:1:2026:d0', 'due:1:2026:d1', 'due:1:2026:d3', 'due:1:2026:d7', 'overdue:1:2026:w1', 'overdue:1:2026:w2'].flatMap((k) => [`${k}:oc_djb`, `${k}:oc_sg`]).sort(),
    );
    // T−7 (21 Feb) is in the Spring Festival: moved to the 调休 Saturday 14 Feb; the due day is the 调休 Saturday 28 Feb.
    expect(local(t1.find((r) => r.key === 'due:1:2026:d7:oc_djb')?.card.sentAt as number)).toBe('2026-02-14T09:00');
    expect(local(t1.find((r) => r.key === 'due:1:2026:d0:oc_djb')?.card.sentAt as number)).toBe('2026-02-28T09:00');
  });

  it('a task done early gets nothing; one done after T−3 gets T−7 and T−3 only', () => {
    expect(items.filter((r) => r.taskSeq === 9)).toEqual([]);
    expect(keysOf(sent((r) => r.taskSeq === 6))).toEqual(['due:6:2026:d3:oc_djb', 'due:6:2026:d7:oc_djb']);
  });

  it('a task never done is on its chat\'s card before its deadline, then every working day overdue, escalating on the 3rd and every 5th working day', () => {
    const workdays: string[] = [];
    for (let d = '2026-07-01'; d <= '2026-12-31'; d = addDays(d, 1)) if (calendar.isWorkday(d)) workdays.push(d);
    const skippedDay = '2026-08-17';
    const t12 = items.filter((r) => r.taskSeq === 12);
    expect(keysOf(sent((r) => r.taskSeq === 12 && r.kind !== 'overdue' && r.kind !== 'escalation'))).toEqual(['due:12:2026:d0:oc_djb', 'due:12:2026:d1:oc_djb', 'due:12:2026:d3:oc_djb', 'due:12:2026:d7:oc_djb']);
    const overdue = t12.filter((r) => r.kind === 'overdue');
    expect(overdue.map((r) => localDay(r.dueAt))).toEqual(workdays);
    expect(overdue.filter((r) => r.status === 'carried').map((r) => localDay(r.dueAt))).toEqual(workdays.filter((d) => d !== skippedDay));
    expect(overdue.filter((r) => r.status === 'skipped').map((r) => localDay(r.dueAt))).toEqual([skippedDay]);
    const escalations = t12.filter((r) => r.kind === 'escalation');
    const expectedN = workdays.map((_, i) => i + 1).filter((n) => n >= 3 && (n - 3) % 5 === 0);
    expect(escalations.map((r) => Number(/:w(\d+):/.exec(r.key)?.[1]))).toEqual(expectedN);
    expect(escalations.every((r) => r.chatId === CHATS.leadership)).toBe(true);
  });

  it('a downtime across a deadline: what became due meanwhile goes out once, 补发, in one card per chat', () => {
    const catchUp = at('2026-05-29T14:00:00+08:00');
    const caught = sent((r) => localDay(r.dueAt) === '2026-05-29');
    expect(caught.length).toBeGreaterThan(20);
    expect(caught.every((r) => r.card.sentAt === catchUp && (r.card.payload as CardData).late)).toBe(true);
    expect(keysOf(caught.filter((r) => r.taskSeq === 5))).toEqual(['due:5:2026:d0:oc_djb']);
    const perChat = passMessages.get(catchUp);
    for (const chat of [CHATS.office, CHATS.community, CHATS.leadership]) expect(perChat?.get(chat)).toBe(1);
    const card = fake.messages.find((m) => m.chatId === CHATS.office && caught.some((r) => r.card.messageId === m.messageId));
    expect(JSON.stringify(card?.content)).toContain('【补发】');
  });

  it('a long downtime: items more than 24 h late are recorded as skipped, the rest sent as 补发', () => {
    const monday = items.filter((r) => localDay(r.dueAt) === '2026-08-17');
    expect(monday.length).toBeGreaterThan(0);
    expect(monday.every((r) => r.status === 'skipped' && (r.reason ?? '').startsWith('too late'))).toBe(true);
    expect(monday.map((r) => r.key)).toContain('digest:2026-08-17:oc_lead');
    const tuesday = sent((r) => localDay(r.dueAt) === '2026-08-18' && r.dueAt <= at('2026-08-18T09:30:00+08:00'));
    expect(tuesday.length).toBe(items.filter((r) => localDay(r.dueAt) === '2026-08-18' && r.dueAt <= at('2026-08-18T09:30:00+08:00')).length);
    expect(tuesday.every((r) => (r.card.payload as CardData).late && r.card.sentAt === at('2026-08-18T10:00:00+08:00'))).toBe(true);
  });

  it('the 2026 Spring Festival and National Day: nothing sent during the holidays, the pushes move to the next working day', () => {
    const sentOn = (date: string) => cards.filter((r) => localDay(r.sentAt as number) === date);
    for (let d = '2026-02-15'; d <= '2026-02-23'; d = addDays(d, 1)) expect(sentOn(d)).toEqual([]);
    for (let d = '2026-10-01'; d <= '2026-10-07'; d = addDays(d, 1)) expect(sentOn(d)).toEqual([]);
    expect(sentOn('2026-02-14').length).toBeGreaterThan(0);
    expect(sentOn('2026-02-28').length).toBeGreaterThan(0);
    expect(sentOn('2026-10-10').length).toBeGreaterThan(0);
    const oct = sent((r) => r.key === 'monthly:2026-10:oc_lead' || r.key === 'quarterly:2026-Q4:oc_lead');
    expect(oct.map((r) => local(r.card.sentAt as number))).toEqual(['2026-10-08T09:00', '2026-10-08T09:00']);
    expect(oct[0]?.card.key).toBe('daily:2026-10-08:oc_lead');
  });

  it('the plan pushes and digests of the year, each on its day\'s card', () => {
    const kinds = (kind: string) => sent((r) => r.kind === kind);
    expect(kinds('monthly')).toHaveLength(12);
    expect(kinds('quarterly')).toHaveLength(4);
    expect(keysOf(kinds('yearly'))).toEqual(['yearly:2026:acceptance:oc_lead', 'yearly:2026:project-list:oc_lead', 'yearly:2026:self-check:oc_lead']);
    expect(keysOf(kinds('phase'))).toEqual(['phase:pilot:oc_lead', 'phase:rollout:oc_lead']);
    // 51 weeks with a working day (5 Jan – 28 Dec, not the Spring Festival week), less the one lost in the long downtime.
    expect(kinds('digest')).toHaveLength(50);
    expect(kinds('digest').every((r) => r.card.key === `daily:${localDay(r.dueAt)}:oc_lead`)).toBe(true);
  });
});
