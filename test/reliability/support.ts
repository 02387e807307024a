/**
 * Shared pieces of the reliability tests: the real service (`node bin/start.js`) as a child
 * process with its JSON logs captured, a time zone in which "now" is within working hours (so
 * that the real scheduler, on the system clock, dispatches at any hour of the day and any day
 * of the week), reminders seeded into the outbox, and what the fake Lark server received.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import SQLite from 'better-sqlite3';
import { operatorActor } from '../../src/auth/actor.js';
import { systemClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { insertOutboxRows } from '../../src/db/outbox.repository.js';
import type { NewOutbox } from '../../src/db/schema.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import type { ReminderPayload } from '../../src/scheduler/content.js';
import { initProgramme } from '../../src/services/init.service.js';
import { occurrencesFor } from '../../src/tasks/occurrences.js';
import { listTasks } from '../../src/db/task.repository.js';
import { isoInZone } from '../../src/time.js';
import { childEnv, REPO_ROOT } from '../support/cli.js';
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

export function spawnService(env: Record<string, string>): ServiceChild {
  const child = spawn(process.execPath, [START_BIN], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
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
  keys: string[];
  /** Reminder key → its chat. */
  chatOf: Map<string, string>;
}

/**
 * A database file with the programme initialised for `year` and `count` task reminders in the
 * outbox, pending, spread over `chats` chats (each chat's reminders are distinct task
 * occurrences, so that a coalesced card shows each of them), their times spread evenly over
 * `spreadMs` from `startAt`. Inserted with the outbox repository, exactly as the pass records
 * rows (same columns, payload and key format); the service's dispatcher then claims and sends them.
 */
export async function seedReminders(
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
     * at once (chats taken in turn across waves). Default: one at a time, chats in turn.
     */
    waves?: { size: number; bursts: number[] };
  },
): Promise<SeededReminders> {
  const opened = openDatabase(dbFile);
  try {
    await migrateToLatest(opened.db);
    await initProgramme({ db: opened.db, plan, clock: systemClock }, operatorActor('reliability'), { year: o.year });
    const tasks = await listTasks(opened.db, { year: o.year });
    const occurrences = tasks.flatMap((t) => occurrencesFor(t).map((occ) => ({ t, occ })));
    const rows: NewOutbox[] = [];
    const keys: string[] = [];
    const chatOf = new Map<string, string>();
    const used = new Map<number, number>();
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
      const payload: ReminderPayload = {
        v: 1,
        kind: 'overdue',
        at: isoInZone(at, o.tz),
        late: false,
        task: { year: o.year, seq: t.seq, content: t.content, period: occ.period, cadence: t.cadence, dueDate: occ.dueDate, offset: null, daysLeft: null, overdueDays: 1, overdueWorkdays: 1, leadUnits: t.leadUnits, fallbackUnits: [] },
      };
      rows.push({ key, kind: 'overdue', chat_id: chatId, task_seq: t.seq, period: occ.period, payload: JSON.stringify(payload), due_at: at, not_before: at, status: 'pending', created_at: Date.now() });
      keys.push(key);
      chatOf.set(key, chatId);
    }
    const inserted = await insertOutboxRows(opened.db, rows);
    if (inserted.length !== rows.length) throw new Error(`seeded ${inserted.length} of ${rows.length} reminders`);
    return { keys, chatOf };
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
