/**
 * Replica drills on PostgreSQL (issue 17), shared by replicas.test.ts (suite) and
 * replicas.soak.test.ts (the heavier variants): THREE real service processes (`node bin/start.js`,
 * webhook mode, scheduler ticking every second) on one PostgreSQL database (DATABASE_URL), sending
 * reminders to the fake Lark server in its own process.
 * - SIGKILL drill: one replica after another is SIGKILLed at seeded moments while they dispatch,
 *   and restarted at once; the other two keep going.
 * - Connection-loss drill: mid-run every connection of the drill's database is terminated again
 *   and again for a few seconds (pg_terminate_backend), or, with DANGJIAN_DRILL_PG_RESTART=1, the
 *   local server is really restarted once (pg_ctlcluster); the replicas must stay up and finish.
 * Delivery is counted at the fake, per reminder (the snooze key each card shows) and per uuid
 * (the idempotency key of a card): a re-send that Lark's uuid dedupe absorbed creates no message,
 * so it counts as one delivery, and the fake's count of absorbed re-sends is reported.
 *
 * Each drill runs on a fresh database it creates next to TEST_DATABASE_URL's and drops afterwards:
 * terminating "every connection of the database" then touches the drill's replicas only, never
 * another suite sharing the server.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CompiledQuery } from 'kysely';
import { expect } from 'vitest';
import { openPostgres, type OpenedPostgres } from '../../src/db/database.js';
import { idempotencyUuid } from '../../src/lark/sender.js';
import { recordChecked } from '../support/evidence.js';
import { spawnFakeLark, type SpawnedFakeLark } from '../support/fake-lark-server.js';
import { deliveries, reminderKeysOf, seededRandom, seedReminders, serviceEnv, sleep, spawnService, waitFor, workingHoursNow, type SeededReminders, type ServiceChild, type WorkingHours } from './support.js';

/** Why the drills are skipped without a server (the embedded PGlite takes no second process). */
export const NEEDS_SERVER = 'needs a PostgreSQL server (TEST_DATABASE_URL)';

const REPLICAS = 3;
const SEND_PATH = '/open-apis/im/v1/messages';
/** application_name of the drill's own reading connections (never terminated by the drill). */
const READER_APP = 'dangjian-drill-reader';

// ---------------------------------------------------------------- a fresh database per drill

interface DrillDatabase {
  name: string;
  /** DATABASE_URL for the replicas and the seeding. */
  url: string;
  /** A small pool on the drill's database for the drill's own reads. */
  reader: OpenedPostgres;
  /** Runs SQL on the server's maintenance connection (TEST_DATABASE_URL's database). */
  admin(sql: string): Promise<Array<Record<string, unknown>>>;
  drop(): Promise<void>;
}

async function freshDatabase(tag: string): Promise<DrillDatabase> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error(NEEDS_SERVER);
  const parsed = new URL(base);
  const name = `${parsed.pathname.slice(1) || 'postgres'}_${tag}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = await openPostgres(base, { max: 1, applicationName: READER_APP });
  const run = async (sql: string) => (await admin.db.executeQuery(CompiledQuery.raw(sql))).rows as Array<Record<string, unknown>>;
  await run(`CREATE DATABASE "${name}" TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C' ENCODING 'UTF8'`);
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  const reader = await openPostgres(url, { max: 2, applicationName: READER_APP });
  return {
    name,
    url,
    reader,
    admin: run,
    async drop() {
      await reader.close().catch(() => {});
      await run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
      await admin.close();
    },
  };
}

async function rows<R>(db: DrillDatabase, sql: string): Promise<R[]> {
  return (await db.reader.db.executeQuery(CompiledQuery.raw(sql))).rows as R[];
}

async function statusCounts(db: DrillDatabase): Promise<Record<string, number>> {
  const r = await rows<{ status: string; n: number }>(db, "select status, count(*)::int as n from outbox where key like 'drill:%' group by status");
  return Object.fromEntries(r.map((x) => [x.status, x.n]));
}

/** The reader retries through a connection loss of its own (the server restart variant). */
async function settled(db: DrillDatabase, cards: number): Promise<Record<string, number> | undefined> {
  try {
    const c = await statusCounts(db);
    return (c.sent ?? 0) + (c.failed ?? 0) + (c.skipped ?? 0) >= cards && !c.pending && !c.sending ? c : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- shared set-up and counting

interface Setup {
  db: DrillDatabase;
  fake: SpawnedFakeLark;
  hours: WorkingHours;
  env: Record<string, string>;
}

async function setUp(o: { tag: string; appId: string; seed: number; faults?: { stallRate: number; stallMs: number } }): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), `dangjian-${o.tag}-`));
  const hours = workingHoursNow(dir);
  const db = await freshDatabase(o.tag);
  try {
    // No rate limits at the fake: three replicas each pace themselves to Lark's 50/s, together more.
    const fake = await spawnFakeLark({ appId: o.appId, appSecret: 'replica-secret', seed: o.seed, ...(o.faults ? { faults: o.faults } : {}) });
    const env = serviceEnv({
      dbFile: join(dir, 'unused.db'),
      fakeUrl: fake.url,
      appId: o.appId,
      appSecret: 'replica-secret',
      hours,
      // A killed replica's claims are taken over after 6 s (default 10 min: longer than any batch
      // takes; 6 s still exceeds what a replica takes for the few cards due at a tick on a loaded
      // machine, so a live replica's claims are rarely taken over); a send whose outcome could not
      // be recorded is retried 0.6 s × attempts later (default 2 min × attempts).
      extra: { DATABASE_URL: db.url, SCHEDULER_TICK_SECONDS: '1', REMINDER_CLAIM_LEASE_MINUTES: '0.1', REMINDER_RETRY_DELAY_MINUTES: '0.01', REMINDER_COALESCE_MAX: '3' },
    });
    return { db, fake, hours, env };
  } catch (err) {
    await db.drop();
    throw err;
  }
}

interface Count {
  deliveredOnce: number;
  duplicates: number;
  missing: number;
  foreign: number;
  wrongChat: number;
  /** Cards whose uuid created exactly one message. */
  uuidsOnce: number;
  /** Messages whose uuid is not one of the seeded cards'. */
  strayMessages: number;
  /** uuids that created more than one message (Lark's dedupe would prevent it: checked). */
  uuidReused: number;
  /** Send requests for a card beyond its first (every HTTP attempt that reached the fake). */
  repeatRequests: number;
  /** Repeats the fake answered from its uuid dedupe (no second message). */
  absorbedByUuid: number;
  messages: number;
  multiReminderCards: number;
  duplicateExample: string;
}

async function count(fake: SpawnedFakeLark, seeded: SeededReminders): Promise<Count> {
  const state = await fake.state();
  const d = deliveries(state);
  const uuids = new Set([...seeded.cards.keys()].map(idempotencyUuid));
  const firstDuplicate = seeded.keys.find((k) => (d.byKey.get(k)?.length ?? 0) > 1);
  return {
    deliveredOnce: seeded.keys.filter((k) => d.byKey.get(k)?.length === 1).length,
    duplicates: seeded.keys.filter((k) => (d.byKey.get(k)?.length ?? 0) > 1).length,
    missing: seeded.keys.filter((k) => !d.byKey.has(k)).length,
    foreign: [...d.byKey.keys()].filter((k) => !seeded.chatOf.has(k)).length,
    wrongChat: seeded.keys.filter((k) => d.byKey.get(k)?.some((m) => m.chatId !== seeded.chatOf.get(k))).length,
    uuidsOnce: [...uuids].filter((u) => d.byUuid.get(u)?.length === 1).length,
    strayMessages: d.messages.filter((m) => m.uuid === null || !uuids.has(m.uuid)).length,
    uuidReused: [...d.byUuid.values()].filter((l) => l.length > 1).length,
    repeatRequests: [...d.attemptsByUuid.entries()].filter(([u]) => uuids.has(u)).reduce((a, [, n]) => a + n - 1, 0),
    absorbedByUuid: state.stats.deduplicated,
    messages: d.messages.length,
    multiReminderCards: d.messages.filter((m) => reminderKeysOf(m.content).length > 1).length,
    duplicateExample: firstDuplicate ? `${firstDuplicate} is on ${JSON.stringify(d.byKey.get(firstDuplicate)!.map((m) => ({ uuid: m.uuid, keys: reminderKeysOf(m.content) })))}` : '',
  };
}

/** Every sent card row names the fake message that shows every reminder it carries. */
async function rowsMatchMessages(db: DrillDatabase, fake: SpawnedFakeLark, seeded: SeededReminders): Promise<{ sentRows: number; matching: number }> {
  const state = await fake.state();
  const byId = new Map(state.messages.map((m) => [m.messageId, m]));
  const sent = await rows<{ key: string; message_id: string | null }>(db, "select key, message_id from outbox where key like 'drill:%' and status = 'sent'");
  const matching = sent.filter((r) => r.message_id !== null && (seeded.cards.get(r.key) ?? ['?']).every((k) => reminderKeysOf(byId.get(r.message_id!)?.content).includes(k))).length;
  return { sentRows: sent.length, matching };
}

/** DANGJIAN_DRILL_LOGS=<dir>: every replica's log lines, one JSON file per drill, to study a failure. */
function keepLogs(tag: string, lives: ServiceChild[]) {
  const dir = process.env.DANGJIAN_DRILL_LOGS;
  if (!dir) return;
  const lines = lives.flatMap((l, i) => [...l.logs.map((x) => JSON.stringify({ life: i, pid: l.pid, ...x })), ...l.otherStderr.map((x) => JSON.stringify({ life: i, pid: l.pid, stderr: x }))]);
  writeFileSync(join(dir, `replicas-${tag}.jsonl`), `${lines.join('\n')}\n`);
}

const sendsOf = (s: ServiceChild) => s.logs.filter((l) => l.msg === 'lark call ok' && l.path === SEND_PATH).length;
const fatalOf = (s: ServiceChild) => s.logs.filter((l) => (l.level as number) >= 60).length;

// ---------------------------------------------------------------- drill 1: SIGKILL among three replicas

export interface ReplicaKillDrillOptions {
  evidenceId: string;
  reminders: number;
  chats: number;
  kills: number;
  seed: number;
  /** Reminder times spread over this long; the kills are spread over about as long. */
  spreadMs: number;
  waves: { size: number; bursts: number[] };
  finishTimeoutMs: number;
}

interface Kill {
  slot: number;
  moment: 'start-up' | 'dispatch';
  wasStarted: boolean;
  /** Messages this life had sent (its log's successful send calls). */
  sentByLife: number;
  /** Its claimed cards still 'sending' right after it died. */
  inFlightAtKill: number;
  selfExit: boolean;
}

export async function runReplicaKillDrill(o: ReplicaKillDrillOptions): Promise<void> {
  const started = Date.now();
  const random = seededRandom(o.seed);
  // 30 % of Lark calls answered 400 ms late (processed even if the caller died meanwhile).
  const s = await setUp({ tag: 'kill', appId: 'cli_3e91ca5e91ca5e91', seed: o.seed, faults: { stallRate: 0.3, stallMs: 400 } });
  const slots: ServiceChild[] = [];
  const lives: ServiceChild[] = [];
  const kills: Kill[] = [];
  try {
    const spawn = (slot: number) => {
      const svc = spawnService(s.env);
      slots[slot] = svc;
      lives.push(svc);
      return svc;
    };
    for (let i = 0; i < REPLICAS; i++) spawn(i);
    await Promise.all(slots.map((svc) => svc.started(60_000)));
    const upS = Math.round((Date.now() - started) / 1000);
    // Seeded once the three are up and ticking (however long a loaded machine took to start them),
    // falling due over spreadMs; the kills are spread over the same time, so that each lands
    // while cards are being dispatched.
    const seeded = await seedReminders(s.db.url, { year: s.hours.localYear, tz: s.hours.tz, count: o.reminders, chats: o.chats, startAt: Date.now() + 500, spreadMs: o.spreadMs, chatPrefix: 'oc_rep_', waves: o.waves });
    await waitFor('the first delivery', async () => (await s.fake.state()).messages.length > 0, 20_000, 25);

    const delivered = async () => (await s.fake.state()).messages.length;
    const isUp = (svc: ServiceChild) => svc.alive() && svc.logs.some((l) => l.msg === 'service started');
    for (let k = 0; k < o.kills; k++) {
      // Kills paced by progress: the k-th once k/(kills+1) of the cards have reached Lark.
      const target = Math.ceil((seeded.cards.size * (k + 1)) / (o.kills + 1));
      await waitFor(`${target} cards to reach Lark`, async () => (await delivered()) >= target, o.finishTimeoutMs, 25);
      const starting = slots.map((svc, i) => (isUp(svc) ? -1 : i)).filter((i) => i >= 0);
      let slot: number;
      let moment: Kill['moment'];
      if (starting.length > 0 && random() < 0.2) {
        // A replica still starting (migrations, the first pass): killed at once.
        moment = 'start-up';
        slot = starting[Math.floor(random() * starting.length)]!;
      } else {
        // The next replica whose message reaches Lark, a moment later (0–200 ms): killed while it
        // dispatches, its other claimed cards in flight or still to go.
        moment = 'dispatch';
        const base = slots.map(sendsOf);
        const sender = await waitFor('a replica to send', () => {
          const i = slots.findIndex((svc, j) => svc.alive() && sendsOf(svc) > base[j]!);
          return i >= 0 ? i : undefined;
        }, 5_000, 5).catch(() => undefined);
        const up = slots.map((svc, i) => (isUp(svc) ? i : -1)).filter((i) => i >= 0);
        slot = sender ?? up[Math.floor(random() * up.length)] ?? Math.floor(random() * REPLICAS);
        await sleep(Math.floor(random() * 200));
      }
      const svc = slots[slot]!;
      const selfExit = !svc.alive();
      const wasStarted = svc.logs.some((l) => l.msg === 'service started');
      await svc.kill('SIGKILL');
      // Cards this life had claimed and not settled when it died (worker ids are host:pid:random).
      const inFlight = await rows<{ n: number }>(s.db, `select count(*)::int as n from outbox where status = 'sending' and claimed_by like '%:${svc.pid}:%'`);
      kills.push({ slot, moment, wasStarted, sentByLife: sendsOf(svc), inFlightAtKill: inFlight[0]!.n, selfExit });
      spawn(slot);
    }

    const finalCounts = await waitFor('every card to be sent', () => settled(s.db, seeded.cards.size), o.finishTimeoutMs, 200);
    // A replica restarted after the last kill may still be starting (a loaded machine): SIGTERM
    // before its handlers are installed would end it by the signal, not by the graceful stop under test.
    await Promise.all(slots.map((svc) => svc.started(60_000)));
    const stops = await Promise.all(slots.map((svc) => svc.kill('SIGTERM')));
    const c = await count(s.fake, seeded);
    const match = await rowsMatchMessages(s.db, s.fake, seeded);
    const killedMidDispatch = kills.filter((x) => x.inFlightAtKill > 0).length;
    const killedAfterSending = kills.filter((x) => x.sentByLife > 0).length;
    const killedInStartUp = kills.filter((x) => !x.wasStarted).length;
    const killedWhileDispatching = kills.filter((x) => x.moment === 'dispatch' && x.sentByLife > 0).length;
    const fatal = lives.reduce((a, l) => a + fatalOf(l), 0);
    const elapsedS = Math.round((Date.now() - started) / 1000);

    await recordChecked(
      {
        id: o.evidenceId,
        test: 'Three replicas on PostgreSQL under SIGKILL',
        load: `${o.reminders} reminders on ${seeded.cards.size} cards to ${o.chats} chats falling due over ${o.spreadMs / 1000} s, three real service processes on one PostgreSQL database (DATABASE_URL), each ticking every 1 s; fake Lark in its own process`,
        injected: `${kills.length} × SIGKILL, paced by delivery progress (seed ${o.seed}), each replica restarted at once: ${killedInStartUp} during start-up, ${killedWhileDispatching} 0–200 ms after the replica's latest message reached Lark; 30 % of Lark calls answered 400 ms late`,
        result: `${c.deliveredOnce}/${o.reminders} reminders delivered exactly once (by content key), ${c.duplicates} duplicates, ${c.missing} missing; ${c.uuidsOnce}/${seeded.cards.size} card uuids on exactly one message; ${c.repeatRequests} repeated send requests, ${c.absorbedByUuid} of them absorbed by Lark's uuid dedupe; ${killedMidDispatch} kills left claimed cards unsettled; ${match.matching}/${seeded.cards.size} sent rows name their message; ${elapsedS} s`,
        method:
          'Cards recorded with the composer’s own write (recordCard through openPostgres, keys drill:<wave>:<chat>, one to three reminders each) in a database the drill creates and drops; the replicas claim them with FOR UPDATE SKIP LOCKED. REMINDER_CLAIM_LEASE_MINUTES=0.1 lets a killed replica’s claims be taken over after 6 s. The fake counts messages per reminder key shown on the card and per uuid, and every HTTP send request per uuid; a re-send of a card Lark already has creates no message (uuid dedupe) and is reported as absorbed.',
        metrics: { reminders: o.reminders, cards: seeded.cards.size, chats: o.chats, replicas: REPLICAS, kills: kills.length, seed: o.seed, deliveredOnce: c.deliveredOnce, duplicates: c.duplicates, missing: c.missing, uuidsOnce: c.uuidsOnce, repeatRequests: c.repeatRequests, absorbedByUuid: c.absorbedByUuid, messages: c.messages, multiReminderCards: c.multiReminderCards, killedInStartUp, killedWhileDispatching, killedAfterSending, killedMidDispatch, fatal, upS, elapsedS },
      },
      () => {
        expect(kills).toHaveLength(o.kills);
        expect(kills.filter((x) => x.selfExit), 'a replica ended by itself before its kill').toEqual([]);
        expect(finalCounts.sent).toBe(seeded.cards.size);
        expect(c.missing).toBe(0);
        expect(c.duplicates, c.duplicateExample).toBe(0);
        expect(c.foreign).toBe(0);
        expect(c.wrongChat).toBe(0);
        expect(c.deliveredOnce).toBe(o.reminders);
        expect(c.uuidReused).toBe(0);
        expect(c.strayMessages).toBe(0);
        expect(c.uuidsOnce).toBe(seeded.cards.size);
        expect(c.messages).toBe(seeded.cards.size);
        expect(match).toEqual({ sentRows: seeded.cards.size, matching: seeded.cards.size });
        expect(killedWhileDispatching).toBeGreaterThan(0);
        expect(fatal).toBe(0);
        expect(stops.map((x) => x.code)).toEqual([0, 0, 0]);
      },
    );
  } finally {
    keepLogs('kill', lives);
    for (const l of lives) await l.kill('SIGKILL');
    await s.fake.stop();
    await s.db.drop();
  }
}

// ---------------------------------------------------------------- drill 2: connections lost mid-run

export interface ConnectionLossDrillOptions {
  evidenceId: string;
  reminders: number;
  chats: number;
  seed: number;
  spreadMs: number;
  /** How long connections are terminated again and again (terminate mode). */
  outageMs: number;
  /** 'terminate': pg_terminate_backend on the drill's database; 'restart': pg_ctlcluster restart of the local server, once. */
  mode: 'terminate' | 'restart';
  finishTimeoutMs: number;
}

/** The real restart variant: the SHARED local server, so at most once per run (env DANGJIAN_DRILL_PG_RESTART=1). */
export const restartMode = (): 'terminate' | 'restart' => (process.env.DANGJIAN_DRILL_PG_RESTART === '1' ? 'restart' : 'terminate');

export async function runConnectionLossDrill(o: ConnectionLossDrillOptions): Promise<void> {
  const started = Date.now();
  const s = await setUp({ tag: 'conn', appId: 'cli_c0aa1055c0aa1055', seed: o.seed });
  const replicas: ServiceChild[] = [];
  try {
    for (let i = 0; i < REPLICAS; i++) replicas.push(spawnService(s.env));
    await Promise.all(replicas.map((svc) => svc.started(60_000)));
    const upS = Math.round((Date.now() - started) / 1000);
    // Seeded once the three are up and ticking: they race for the cards as they fall due.
    const seeded = await seedReminders(s.db.url, { year: s.hours.localYear, tz: s.hours.tz, count: o.reminders, chats: o.chats, startAt: Date.now() + 1_000, spreadMs: o.spreadMs, chatPrefix: 'oc_conn_' });
    const delivered = async () => (await s.fake.state()).messages.length;
    await waitFor('a fifth of the reminders to be delivered', async () => (await delivered()) >= o.reminders / 5, 30_000, 25);

    // The replicas' own server connections: after the outage every one must be a new one (they
    // reconnected), whether or not a query of theirs happened to fail while the server was down.
    const serviceConnections = async () => new Set((await s.db.admin(`SELECT pid FROM pg_stat_activity WHERE datname = '${s.db.name}' AND application_name = 'dangjian-service'`)).map((r) => Number(r.pid)));
    const connectionsBefore = await serviceConnections();
    const beforeOutage = await delivered();
    const logsBefore = replicas.map((r) => r.logs.length);
    const outageStart = Date.now();
    let terminated = 0;
    let rounds = 0;
    let restartOutput = '';
    if (o.mode === 'terminate') {
      while (Date.now() - outageStart < o.outageMs) {
        const r = await s.db.admin(`SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${s.db.name}' AND pid <> pg_backend_pid() AND application_name <> '${READER_APP}') t`);
        terminated += Number(r[0]!.n);
        rounds += 1;
        await sleep(50);
      }
    } else {
      const out = await promisify(execFile)('pg_ctlcluster', ['--skip-systemctl-redirect', '15', 'main', 'restart']);
      restartOutput = `${out.stdout}${out.stderr}`.trim();
      rounds = 1;
      // The drill's own reader and admin connections died with the server; their pools reconnect.
    }
    const outageEnd = Date.now();
    const outageS = (outageEnd - outageStart) / 1000;
    const duringOutage = (await delivered()) - beforeOutage;
    const aliveAfterOutage = replicas.map((r) => r.alive());
    const logsAtOutageEnd = replicas.map((r) => r.logs.length);

    const finalCounts = await waitFor('every card to be sent', () => settled(s.db, seeded.cards.size), o.finishTimeoutMs, 200);
    const connectionsAfter = await serviceConnections();
    const carriedOver = [...connectionsAfter].filter((pid) => connectionsBefore.has(pid)).length;
    const sendsAfter = replicas.map((r, i) => r.logs.slice(logsAtOutageEnd[i]).filter((l) => l.msg === 'lark call ok' && l.path === SEND_PATH).length);
    // What each replica logged about the lost connections (a failed pass, a failed send record…).
    const outageLogs = replicas.map((r, i) => r.logs.slice(logsBefore[i]).filter((l) => (l.level as number) >= 40));
    const replicasThatSawIt = outageLogs.filter((l) => l.length > 0).length;
    const failedPasses = outageLogs.flat().filter((l) => l.msg === 'scheduler pass failed').length;
    const fatal = replicas.reduce((a, r) => a + fatalOf(r), 0);
    const alive = replicas.map((r) => r.alive());
    const stops = await Promise.all(replicas.map((svc) => svc.kill('SIGTERM')));
    const c = await count(s.fake, seeded);
    const match = await rowsMatchMessages(s.db, s.fake, seeded);
    // Lark never failed here: a sent card with more than one attempt would be a database error counted as a failed send.
    const retriedRows = (await rows<{ n: number }>(s.db, "select count(*)::int as n from outbox where key like 'drill:%' and attempts <> 1"))[0]!.n;
    const unsettled = outageLogs.flat().filter((l) => l.msg === 'reminder card not settled: database error; a later pass tries again').length;
    // Sends refused before reaching Lark because the shared quota store (rate_bucket) failed.
    const quotaStoreFailures = outageLogs.flat().filter((l) => l.msg === 'lark call not made: the shared quota store failed').length;
    const elapsedS = Math.round((Date.now() - started) / 1000);
    const injected =
      o.mode === 'terminate'
        ? `every connection of the drill's database terminated (pg_terminate_backend) ${rounds} times in ${outageS.toFixed(1)} s once a fifth was delivered: ${terminated} backends terminated; the server itself stayed up`
        : `the PostgreSQL server restarted once (pg_ctlcluster restart, ${outageS.toFixed(1)} s) once a fifth was delivered`;

    await recordChecked(
      {
        id: o.evidenceId,
        test: o.mode === 'terminate' ? 'Three replicas on PostgreSQL: connections terminated mid-run' : 'Three replicas on PostgreSQL: server restarted mid-run',
        load: `${o.reminders} reminders to ${o.chats} chats, one card each, falling due over ${o.spreadMs / 1000} s, three real service processes on one PostgreSQL database, each ticking every 1 s`,
        injected,
        result: `${c.deliveredOnce}/${o.reminders} delivered exactly once, ${c.duplicates} duplicates, ${c.missing} missing; ${c.repeatRequests} repeated send requests, ${c.absorbedByUuid} absorbed by Lark's uuid dedupe; ${duringOutage} delivered during the outage; the 3 replicas stayed up (${alive.filter(Boolean).length}/3 alive at the end, ${fatal} fatal log lines) and reconnected (${connectionsAfter.size} server connections of theirs after it, ${carriedOver} of them from before it; ${connectionsBefore.size} before), ${replicasThatSawIt} of them logged the lost connections (${failedPasses} failed passes, tried again at the next tick; ${quotaStoreFailures} sends stopped by the shared quota store before Lark; ${unsettled} cards given back unsettled, no send attempt counted: ${retriedRows} sent rows with other than 1 attempt) and sent ${sendsAfter.join(' / ')} messages after it; ${elapsedS} s`,
        method:
          'Same cards as the SIGKILL drill (recordCard through openPostgres, in a database the drill creates and drops), seeded once the three replicas are ticking. The outage is injected from a connection to another database on the same server, so that it hits only the replicas’ pools (the drill’s own reader is spared by its application_name); DANGJIAN_DRILL_PG_RESTART=1 (soak only) restarts the shared local server once instead. Counted at the fake per reminder key, per uuid and per HTTP request.',
        metrics: { mode: o.mode, reminders: o.reminders, chats: o.chats, replicas: REPLICAS, seed: o.seed, outageS, rounds, terminated, duringOutage, deliveredOnce: c.deliveredOnce, duplicates: c.duplicates, missing: c.missing, repeatRequests: c.repeatRequests, absorbedByUuid: c.absorbedByUuid, messages: c.messages, replicasThatSawIt, failedPasses, quotaStoreFailures, unsettled, retriedRows, sendsAfter: sendsAfter.join('/'), fatal, connectionsBefore: connectionsBefore.size, connectionsAfter: connectionsAfter.size, carriedOver, upS, elapsedS, restartOutput },
      },
      () => {
        expect(aliveAfterOutage).toEqual([true, true, true]);
        expect(alive).toEqual([true, true, true]);
        if (o.mode === 'terminate') expect(terminated).toBeGreaterThan(0);
        // Hit by the outage: none of their connections survived it, and they made new ones.
        expect(connectionsBefore.size).toBeGreaterThan(0);
        expect(connectionsAfter.size).toBeGreaterThan(0);
        expect(carriedOver).toBe(0);
        // Connections terminated again and again for seconds: some query of theirs failed and was
        // logged. (A restart can be over in half a second, between two of their queries.)
        if (o.mode === 'terminate') expect(replicasThatSawIt).toBeGreaterThan(0);
        expect(finalCounts.sent).toBe(o.reminders);
        expect(c.missing).toBe(0);
        expect(c.duplicates, c.duplicateExample).toBe(0);
        expect(c.foreign).toBe(0);
        expect(c.wrongChat).toBe(0);
        expect(c.deliveredOnce).toBe(o.reminders);
        expect(c.uuidReused).toBe(0);
        expect(c.strayMessages).toBe(0);
        expect(c.uuidsOnce).toBe(o.reminders);
        expect(match).toEqual({ sentRows: o.reminders, matching: o.reminders });
        expect(sendsAfter.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        expect(retriedRows).toBe(0);
        expect(fatal).toBe(0);
        expect(stops.map((x) => x.code)).toEqual([0, 0, 0]);
      },
    );
  } finally {
    keepLogs('conn', replicas);
    for (const r of replicas) await r.kill('SIGKILL');
    await s.fake.stop();
    await s.db.drop();
  }
}
