/**
 * Shared pieces of the reliability tests: the real service (`node bin/start.js`) as a child
 * process with its JSON logs captured, a time zone in which "now" is within working hours (so
 * that the real scheduler, on the system clock, dispatches at any hour of the day and any day
 * of the week), reminder cards seeded into the outbox, and what the fake Lark server received.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import SQLite from 'better-sqlite3';
import { operatorActor } from '../../src/auth/actor.js';
import { systemClock } from '../../src/clock.js';
import { openDatabaseAt } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { recordCard } from '../../src/db/outbox.repository.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import type { CardData, CardItem } from '../../src/scheduler/content.js';
import { initProgramme } from '../../src/services/init.service.js';
import { occurrencesFor } from '../../src/tasks/occurrences.js';
import { listTasks } from '../../src/db/task.repository.js';
import { isoInZone } from '../../src/time.js';
import { childEnv, REPO_ROOT, SERVICE_NODE_FLAGS } from '../support/cli.js';
import type { FakeLarkState, FakeMessage } from '../support/fake-lark-server.js';

const START_BIN = join(REPO_ROOT, 'bin/start.js');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The seeded RNG for kill moments (same generator as the fake's faults). */
export { mulberry32 as seededRandom } from '../support/prng.js';

// ---------------------------------------------------------------- working hours anywhere

export interface WorkingHours {
  /** An Etc/GMT±N zone in which it is now between 12:00 and 13:00. */
  tz: string;
  /** Today's date there. */
  localDate: string;
  localYear: number;
  /** A HOLIDAY_FILE making yesterday, today and tomorrow (there) working days. */
  holidayFile: string;
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The real service reads the system clock and sends only on working days within the push
 * window (08:30–18:00). Rather than a clock override in the product, the tests run it in a zone
 * where it is now midday, with a holiday file that makes today a working day there.
 */
export function workingHoursNow(dir: string, now = Date.now()): WorkingHours {
  const { tz, localDate } = zoneAtLocalHour(12, now);
  const local = Date.parse(`${localDate}T00:00:00Z`);
  const holidayFile = join(dir, 'workdays.json');
  writeFileSync(holidayFile, JSON.stringify({ holidays: [], workdays: [isoDay(local - 86_400_000), localDate, isoDay(local + 86_400_000)] }));
  return { tz, localDate, localYear: Number(localDate.slice(0, 4)), holidayFile };
}

/** An Etc/GMT±N zone in which the local hour is now `hour` (0–23; offsets −12…+14 exist), and today's date there. */
export function zoneAtLocalHour(hour: number, now = Date.now()): { tz: string; localDate: string } {
  let offset = hour - new Date(now).getUTCHours();
  if (offset < -12) offset += 24;
  if (offset > 14) offset -= 24;
  const tz = offset === 0 ? 'Etc/GMT' : offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
  return { tz, localDate: isoDay(now + offset * 3_600_000) };
}

// ---------------------------------------------------------------- the service as a child process

export interface ServiceChild {
  child: ChildProcess;
  pid: number;
  /** Parsed JSON log lines (stderr), in order. */
  logs: Array<Record<string, unknown>>;
  /** stderr lines that are not JSON (there should be none). */
  otherStderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Whether it is still running. */
  alive(): boolean;
  /** The webhook URL once the service said 'service started'. */
  started(timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Lark + service settings for `node bin/start.js` in webhook mode against a fake Lark server. */
export function serviceEnv(o: { dbFile: string; fakeUrl: string; appId: string; appSecret: string; hours: WorkingHours; extra?: Record<string, string> }): Record<string, string> {
  return {
    LARK_MODE: 'webhook',
    LARK_APP_ID: o.appId,
    LARK_APP_SECRET: o.appSecret,
    LARK_DOMAIN: o.fakeUrl,
    PORT: '0',
    DB_FILE: o.dbFile,
    DANGJIAN_TZ: o.hours.tz,
    HOLIDAY_FILE: o.hours.holidayFile,
    LOG_LEVEL: 'info',
    ...o.extra,
  };
}

/**
 * `wrap`: the command that runs the service instead of `node bin/start.js` directly (it must end
 * by exec-ing that command line, given as its arguments, so that signals reach the service).
 */
export function spawnService(env: Record<string, string>, o: { wrap?: (command: string[]) => string[] } = {}): ServiceChild {
  const command = [process.execPath, ...SERVICE_NODE_FLAGS, START_BIN];
  const [file, ...args] = o.wrap ? o.wrap(command) : command;
  const child = spawn(file!, args, { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  const otherStderr: string[] = [];
  let buffer = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        otherStderr.push(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid ?? -1,
    logs,
    otherStderr,
    exited,
    alive,
    started: (timeoutMs = 20_000) =>
      waitFor(
        'the service to start',
        () => {
          if (!alive()) throw new Error(`service exited before starting: ${JSON.stringify(logs.slice(-3))} ${otherStderr.join('\n')}`);
          const line = logs.find((l) => l.msg === 'service started');
          return line ? String(line.url) : undefined;
        },
        timeoutMs,
        20,
      ),
    async kill(signal = 'SIGKILL') {
      if (alive()) child.kill(signal);
      return exited;
    },
  };
}

// ---------------------------------------------------------------- a programme with reminders due

export const plan = loadPlan();

export interface SeededReminders {
  /** Reminder item keys. */
  keys: string[];
  /** Reminder key → its chat. */
  chatOf: Map<string, string>;
  /** Card (outbox) key → the reminder keys it carries. */
  cards: Map<string, string[]>;
}

/**
 * A database file with the programme initialised for `year` and `count` task reminders on
 * cards, pending in the outbox, spread over `chats` chats (each chat's reminders are distinct
 * task occurrences, first day overdue, so that a card shows each in full with its buttons),
 * their times spread evenly over `spreadMs` from `startAt`. A chat's reminders falling due at
 * the same instant share a card. Recorded with the composer's own write (recordCard: the card
 * row and its outbox_item rows, the payload a pass writes); the real rules cannot produce
 * hundreds of cards within seconds for a real date, so the cards are keyed `drill:<wave>:<chat>`
 * instead of `daily:<date>:<chat>`. The service's dispatcher then claims and sends them.
 */
export async function seedReminders(
  /** A SQLite file, or a postgres:// URL (the replica drills on PostgreSQL). */
  dbFile: string,
  o: {
    year: number;
    tz: string;
    count: number;
    chats: number;
    startAt: number;
    spreadMs: number;
    chatPrefix?: string;
    /**
     * Reminders fall due in waves of `size`; in wave w each chat gets `bursts[w % bursts.length]`
     * at once, on one card (chats taken in turn across waves). Default: one at a time, chats in turn.
     */
    waves?: { size: number; bursts: number[] };
  },
): Promise<SeededReminders> {
  const opened = await openDatabaseAt(dbFile);
  try {
    await migrateToLatest(opened.db);
    await initProgramme({ db: opened.db, plan, clock: systemClock }, operatorActor('reliability'), { year: o.year });
    const tasks = await listTasks(opened.db, { year: o.year });
    const occurrences = tasks.flatMap((t) => occurrencesFor(t).map((occ) => ({ t, occ })));
    const keys: string[] = [];
    const chatOf = new Map<string, string>();
    const used = new Map<number, number>();
    const cards = new Map<string, { chatId: string; at: number; items: CardItem[] }>();
    const waveSize = o.waves?.size ?? 1;
    const bursts = o.waves?.bursts ?? [1];
    const waves = Math.ceil(o.count / waveSize);
    let cursor = 0;
    for (let i = 0; i < o.count; i++) {
      const wave = Math.floor(i / waveSize);
      const burst = bursts[wave % bursts.length]!;
      const chat = (cursor + Math.floor((i % waveSize) / burst)) % o.chats;
      if (i % waveSize === waveSize - 1 || i === o.count - 1) cursor += Math.ceil(waveSize / burst);
      const chatId = `${o.chatPrefix ?? 'oc_drill_'}${String(chat).padStart(3, '0')}`;
      const k = used.get(chat) ?? 0;
      if (k >= occurrences.length) throw new Error(`at most ${occurrences.length} distinct reminders per chat`);
      used.set(chat, k + 1);
      const { t, occ } = occurrences[k]!;
      const at = o.startAt + Math.floor((wave / waves) * o.spreadMs);
      const key = `overdue:${t.seq}:${occ.period}:w1:${chatId}`;
      const item: CardItem = {
        key,
        kind: 'overdue',
        at: isoInZone(at, o.tz),
        date: isoInZone(at, o.tz).slice(0, 10),
        task: { year: o.year, seq: t.seq, content: t.content, period: occ.period, cadence: t.cadence, dueDate: occ.dueDate, offset: null, daysLeft: null, overdueDays: 1, overdueWorkdays: 1, leadUnits: t.leadUnits, fallbackUnits: [] },
      };
      const cardKey = `drill:${wave}:${chatId}`;
      const card = cards.get(cardKey) ?? { chatId, at, items: [] };
      card.items.push(item);
      cards.set(cardKey, card);
      keys.push(key);
      chatOf.set(key, chatId);
    }
    const now = Date.now();
    for (const [key, c] of cards) {
      const data: CardData = { v: 2, key, chatId: c.chatId, target: null, date: c.items[0]!.date, at: isoInZone(c.at, o.tz), late: false, counts: null, people: {}, remindersStart: null, items: c.items };
      const id = await recordCard(opened.db, {
        card: { key, kind: 'daily', chat_id: c.chatId, task_seq: null, period: null, payload: JSON.stringify(data), due_at: c.at, not_before: c.at, status: 'pending', created_at: now },
        fresh: c.items.map((i) => ({ key: i.key, kind: i.kind, chat_id: c.chatId, task_year: o.year, task_seq: i.task!.seq, period: i.task!.period, date: i.date, due_at: c.at, not_before: c.at, status: 'pending', reason: null, payload: JSON.stringify(i), created_at: now })),
        held: [],
        skipped: [],
        skippedHeld: [],
      });
      if (id === null) throw new Error(`card ${key} not recorded`);
    }
    return { keys, chatOf, cards: new Map([...cards].map(([k, c]) => [k, c.items.map((i) => i.key)])) };
  } finally {
    await opened.close();
  }
}

// ---------------------------------------------------------------- what reached the fake

/** Every snooze key on a reminder card (one per task reminder it carries). */
export function reminderKeysOf(content: unknown): string[] {
  const keys: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.action === 'reminder.snooze' && typeof o.key === 'string') keys.push(o.key);
      for (const x of Object.values(o)) walk(x);
    }
  };
  walk(content);
  return keys;
}

export interface Deliveries {
  /** Messages created at the fake (uuid-deduplicated sends never create one). */
  messages: FakeMessage[];
  /** Reminder key → messages whose card carries it. */
  byKey: Map<string, FakeMessage[]>;
  /** uuid → messages created with it (Lark's dedup makes this 1; checked, not assumed). */
  byUuid: Map<string, FakeMessage[]>;
  /** Send requests that reached the fake, per uuid (every HTTP attempt, faults included). */
  attemptsByUuid: Map<string, number>;
}

export function deliveries(state: FakeLarkState): Deliveries {
  const messages = state.messages.filter((m) => m.kind === 'send');
  const byKey = new Map<string, FakeMessage[]>();
  const byUuid = new Map<string, FakeMessage[]>();
  for (const m of messages) {
    for (const k of reminderKeysOf(m.content)) byKey.set(k, [...(byKey.get(k) ?? []), m]);
    if (m.uuid) byUuid.set(m.uuid, [...(byUuid.get(m.uuid) ?? []), m]);
  }
  const attemptsByUuid = new Map<string, number>();
  for (const r of state.received) {
    if (r.method !== 'POST' || r.path !== '/open-apis/im/v1/messages') continue;
    const uuid = (r.body as { uuid?: unknown } | undefined)?.uuid;
    if (typeof uuid === 'string') attemptsByUuid.set(uuid, (attemptsByUuid.get(uuid) ?? 0) + 1);
  }
  return { messages, byKey, byUuid, attemptsByUuid };
}

// ---------------------------------------------------------------- the database, read from outside

/** Runs `fn` on a short-lived read-only connection (the service may be writing). */
export function readDb<T>(dbFile: string, fn: (db: SQLite.Database) => T): T {
  const db = new SQLite(dbFile, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    return fn(db);
  } finally {
    db.close();
  }
}

export function outboxStatusCounts(dbFile: string): Record<string, number> {
  return readDb(dbFile, (db) => Object.fromEntries((db.prepare('select status, count(*) as n from outbox group by status').all() as Array<{ status: string; n: number }>).map((r) => [r.status, r.n])));
}

/** PRAGMA integrity_check and foreign_key_check on a fresh connection. */
export function integrity(dbFile: string): { integrity: string; foreignKeyProblems: number } {
  const db = new SQLite(dbFile);
  try {
    return { integrity: String(db.pragma('integrity_check', { simple: true })), foreignKeyProblems: (db.pragma('foreign_key_check') as unknown[]).length };
  } finally {
    db.close();
  }
}

/** Every row of every table, as text: equal digests mean nothing was written. */
export function databaseDigest(db: SQLite.Database): { digest: string; rows: Record<string, number> } {
  const tables = (db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as Array<{ name: string }>).map((t) => t.name);
  const hash = createHash('sha256');
  const rows: Record<string, number> = {};
  for (const t of tables) {
    const all = db.prepare(`select * from "${t}" order by rowid`).all();
    rows[t] = all.length;
    hash.update(`${t}\n${JSON.stringify(all)}\n`);
  }
  return { digest: hash.digest('hex'), rows };
}

const dirOf = (file: string) => dirname(file);
