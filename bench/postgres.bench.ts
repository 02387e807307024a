/**
 * PostgreSQL beside SQLite in the same run (issue 17), on one generated city (bench/city.ts: 50
 * streets, 1,000 communities, 15,000 compounds, 2,000 other units, every sub-item scored) written
 * to a SQLite file and copied row for row into a fresh schema of a PostgreSQL server:
 *
 * 1. Event → reply p99 (bench/bot.bench.ts's run: signed, encrypted webhook events at 100/s
 *    through the real receiver, runtime and Lark sender to the fake Lark server) on each engine,
 *    in BENCH_BOT_ROUNDS (6) rounds of BENCH_PG_ROUND_SECONDS (5) taking turns, each engine's p99 over
 *    all its rounds' events; goal: PostgreSQL's p99 at most 1.5× SQLite's, both over all rounds and
 *    in the median round (the verdict takes the larger ratio). Per round the detail
 *    shows the CPU time the hypervisor stole from this VM (/proc/stat) and, for PostgreSQL, the
 *    local server's CPU per event (its processes in /proc): the slow rounds are those with steal.
 * 2. Grading a street and ranking the city (bench/scoring.bench.ts) against a bare read of the
 *    same rows on the same engine; goal ≤ 2× on each.
 * 3. The service process's own peak RSS (VmHWM of `node bin/start.js`, webhook mode, against the
 *    fake Lark server) while it answers events at city scale from a leadership group and 299
 *    community chats (20/s for 20 s; a city-wide compound ranking and a street's grades every
 *    2 s) and runs a scheduler pass every 5 s, once on the SQLite file (DB_FILE) and once on
 *    PostgreSQL (DATABASE_URL); goal < 150 MB (ratio to 150 MB).
 *
 * The server: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/dangjian_pgbench17. Without a reachable server the SQLite
 * figures are still measured and the PostgreSQL ones are reported as skipped, with the reason.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import SQLite from 'better-sqlite3';
import type pg from 'pg';
import { measureBot, command, quantile, type BotRun } from './bot.bench.js';
import { generateCity, type City } from './city.js';
import type { BenchMeasure, BenchResult } from './index.js';
import { measureScoring, sqliteBareReads, type BareReads } from './scoring.bench.js';
import { bindChat } from '../src/db/chat.repository.js';
import { openDatabase, openPostgres, type AnyOpenedDatabase, type Db } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { startFakeLark } from '../test/support/fake-lark-server.js';
import { encryptBody, messageEvent, signedHeaders } from '../test/bot/lark-events.js';
import { serviceEnv, spawnService, workingHoursNow, type WorkingHours } from '../test/reliability/support.js';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/dangjian_pgbench17';
const P99_RATIO_GOAL = 1.5;
const RSS_GOAL_MB = 150;
/** The service run: events at this rate for this long, one in RANK_EVERY a city-wide ranking. */
const SERVICE_RATE_PER_S = 20;
const SERVICE_SECONDS = Number(process.env.BENCH_SERVICE_SECONDS ?? 20);
const RANK_EVERY = 40;
const SERVICE_CHATS = 300;
const ENCRYPT_KEY = 'bench-encrypt-key';
const TOKEN = 'bench-token';
const APP_ID = 'cli_benchpg00000001';
const BOT_OPEN_ID = 'ou_bench_bot';
const OFFICE_OPEN_ID = 'ou_bench_office';
/** The tables bench/city.ts writes. */
const CITY_TABLES = ['unit', 'score_entry', 'setting'] as const;

/** Event → reply: this many rounds per engine, taking turns, of this many seconds each (100 events/s). */
// Short rounds, many: the hypervisor steals CPU from this VM in spells of seconds; turns of 5 s
// let a spell fall on both engines alike more often than turns of 10 s (same 3,000 events each).
const BOT_ROUNDS = Number(process.env.BENCH_BOT_ROUNDS ?? 6);
const BOT_ROUND_SECONDS = Number(process.env.BENCH_PG_ROUND_SECONDS ?? 5);
/** Which of the three measures to run (BENCH_PG_STEPS=reply,scoring,service; all by default). */
const STEPS = new Set((process.env.BENCH_PG_STEPS ?? 'reply,scoring,service').split(',').map((s) => s.trim()));
for (const step of STEPS) if (!['reply', 'scoring', 'service'].includes(step)) throw new Error(`BENCH_PG_STEPS: unknown step "${step}" (reply, scoring, service)`);

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on every Linux we run). */
const TICKS_PER_S = 100;

/** CPU time (ms) the hypervisor stole from this machine so far; undefined off Linux. */
function stolenMs(): number | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    return (Number(cpu[8]) * 1000) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** CPU time (ms) of the local PostgreSQL server's processes so far (its exited backends too); undefined when none is found. */
function postgresServerCpuMs(): number | undefined {
  let ticks = 0;
  let found = false;
  const stats = new Map<number, string[]>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!raw.includes('(postgres)')) continue;
      stats.set(Number(pid), raw.slice(raw.lastIndexOf(')') + 2).split(' '));
    } catch {
      // exited meanwhile
    }
  }
  for (const f of stats.values()) {
    // After "pid (comm) ": state ppid … utime(11) stime(12) cutime(13) cstime(14).
    ticks += Number(f[11]) + Number(f[12]);
    // The postmaster (its parent is not a postgres process) holds its reaped backends' times.
    if (!stats.has(Number(f[1]))) ticks += Number(f[13]) + Number(f[14]);
    found = true;
  }
  return found ? (ticks * 1000) / TICKS_PER_S : undefined;
}

/** A round of measureBot with the CPU stolen meanwhile and the local server's CPU per event. */
type MeteredRun = BotRun & { stolenMs?: number | undefined; serverCpuMsPerEvent?: number | undefined };
async function metered(run: () => Promise<BotRun>, server: boolean): Promise<MeteredRun> {
  const stolen0 = stolenMs();
  const server0 = server ? postgresServerCpuMs() : undefined;
  const r = await run();
  const stolen1 = stolenMs();
  const server1 = server ? postgresServerCpuMs() : undefined;
  return {
    ...r,
    stolenMs: stolen0 !== undefined && stolen1 !== undefined ? stolen1 - stolen0 : undefined,
    serverCpuMsPerEvent: server0 !== undefined && server1 !== undefined && r.roundTripMs.length > 0 ? round((server1 - server0) / r.roundTripMs.length) : undefined,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One full collection after the setup (the generated city, its copy into PostgreSQL: a few
 * hundred MB of garbage in this process) and before the warm-up rounds, whose work lets the
 * heap's limits settle again: otherwise that garbage is collected in whichever measured round
 * reaches the old generation's limit first, a 100–300 ms stall charged to one engine.
 */
function collectSetupGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** The rounds of one engine as one run: quantiles over every event of every round. */
function pooled(runs: BotRun[]): { p50: number; p99: number; events: number; byCommand: Record<string, { n: number; p50: number; p99: number; aboveP99: number }> } {
  const all = runs.flatMap((r) => r.roundTripMs);
  const words = new Map<string, number[]>();
  for (const r of runs) for (const [w, v] of r.byCommand) words.set(w, [...(words.get(w) ?? []), ...v]);
  const p99 = quantile(all, 0.99);
  return {
    p50: quantile(all, 0.5),
    p99,
    events: all.length,
    // aboveP99: how many of the command's events are slower than the engine's p99 (what sets it).
    byCommand: Object.fromEntries([...words].map(([w, v]) => [w, { n: v.length, p50: round(quantile(v, 0.5)), p99: round(quantile(v, 0.99)), aboveP99: v.filter((x) => x > p99).length }])),
  };
}

function botMeasure(engine: string, p: ReturnType<typeof pooled>, runs: MeteredRun[]): BenchMeasure {
  return {
    name: `${engine}: webhook → reply at the fake Lark server, p99 over ${runs.length} rounds (${p.events} replies, 100/s)`,
    value: p.p99,
    unit: 'ms',
    detail: {
      p50: round(p.p50),
      roundP99s: runs.map((r) => round(r.p99)),
      roundP50s: runs.map((r) => round(r.p50)),
      // Per round, the p99 of each phase: the acknowledgement as the driver saw it, and the
      // command's work from its queue start to the reply handed to the sender.
      roundPhaseP99s: runs.map((r) => ({
        ack: (r.measures.find((m) => m.name.startsWith('acknowledgement as the sender'))?.detail as { p99?: number } | undefined)?.p99,
        command: (r.measures.find((m) => m.name.startsWith('command work after'))?.detail as { p99?: number } | undefined)?.p99,
      })),
      roundStolenMs: runs.map((r) => r.stolenMs),
      // Per round, this process's garbage collection (total and longest pause) and its CPU per
      // event: a round whose p99 stands out with a long pause was held up here, not by the engine.
      roundGcMs: runs.map((r) => {
        const gc = (r.measures[0]?.detail as { gcPauseMs?: { total: number; max: number } } | undefined)?.gcPauseMs;
        return gc === undefined ? undefined : { total: gc.total, max: gc.max };
      }),
      roundServiceCpuMsPerEvent: runs.map((r) => (r.measures[0]?.detail as { serviceCpuMsPerEvent?: number } | undefined)?.serviceCpuMsPerEvent),
      ...(runs.some((r) => r.serverCpuMsPerEvent !== undefined) ? { roundServerCpuMsPerEvent: runs.map((r) => r.serverCpuMsPerEvent) } : {}),
      perCommand: p.byCommand,
      firstRound: runs[0]?.measures[0]?.detail,
    },
  };
}
const round = (n: number) => Math.round(n * 100) / 100;

function withSearchPath(url: string, schema: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

async function pgClient(url: string): Promise<pg.Client> {
  const { default: pgModule } = await import('pg');
  const types = { getTypeParser: (oid: number, format?: string) => (oid === 20 || oid === 1700 ? (v: string) => Number(v) : pgModule.types.getTypeParser(oid, format as 'text')) };
  const client = new pgModule.Client({ connectionString: url, connectionTimeoutMillis: 3000, types: types as never });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** The server to use, or why there is none. */
async function reachableServer(): Promise<{ url: string } | { skip: string }> {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? DEFAULT_URL;
  try {
    const client = await pgClient(url);
    await client.query('SELECT 1');
    await client.end();
    return { url };
  } catch (err) {
    return { skip: `no PostgreSQL server reachable at ${url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')} (${err instanceof Error ? err.message : String(err)}); set BENCH_DATABASE_URL` };
  }
}

/**
 * Copies the city's tables from the SQLite file into the (migrated) current schema of `client`:
 * one INSERT … SELECT FROM unnest(arrays) per batch, identities moved past the copied ids, then
 * ANALYZE, as autovacuum would have done on a live server.
 */
async function copyCity(file: string, client: pg.Client): Promise<number> {
  const sqlite = new SQLite(file, { readonly: true });
  let copied = 0;
  try {
    for (const table of CITY_TABLES) {
      const columns = (
        await client.query<{ column_name: string; data_type: string }>(
          'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position',
          [table],
        )
      ).rows;
      const rows = sqlite.prepare(`SELECT ${columns.map((c) => `"${c.column_name}"`).join(', ')} FROM "${table}"`).raw().all() as unknown[][];
      const BATCH = 50_000;
      for (let at = 0; at < rows.length; at += BATCH) {
        const batch = rows.slice(at, at + BATCH);
        const arrays = columns.map((_, i) => batch.map((r) => r[i]));
        await client.query(
          `INSERT INTO "${table}" (${columns.map((c) => `"${c.column_name}"`).join(', ')}) SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.data_type}[]`).join(', ')})`,
          arrays,
        );
      }
      copied += rows.length;
      const identity = await client.query<{ seq: string | null }>(`SELECT pg_get_serial_sequence($1, 'id') AS seq`, [table]).catch(() => ({ rows: [{ seq: null }] }));
      const seq = identity.rows[0]?.seq;
      if (seq) await client.query(`SELECT setval($1, (SELECT COALESCE(MAX(id), 0) + 1 FROM "${table}"), false)`, [seq]);
    }
    // As a live server's tables would be: vacuumed and analysed, the bulk load checkpointed, so
    // that autovacuum and a checkpoint do not fall into the measured runs.
    await client.query('VACUUM (ANALYZE)');
    await client.query('CHECKPOINT').catch(() => undefined);
    // And written out by the kernel: the generated city and the checkpoint leave hundreds of MB of
    // dirty pages, whose writeback stalled the first measured rounds of both engines (p50 16 and
    // 62 ms, one PostgreSQL round's p99 0.76 s) on this VM's disk.
    execFileSync('sync');
  } finally {
    sqlite.close();
  }
  return copied;
}

/** The bare reads on PostgreSQL: plain queries on a pg client of their own. */
function postgresBareReads(client: pg.Client): BareReads {
  return {
    subtreeIds: async (name) =>
      (
        await client.query<{ id: number }>(
          'WITH RECURSIVE sub(id) AS (SELECT id FROM unit WHERE name = $1 UNION ALL SELECT u.id FROM unit u JOIN sub ON u.parent_id = sub.id) SELECT id FROM sub',
          [name],
        )
      ).rows.map((r) => r.id),
    streetRows: async (year, ids) =>
      (await client.query({ name: 'bare_street', text: 'SELECT unit_id, item_code, points FROM score_entry WHERE year = $1 AND unit_id = ANY($2::bigint[])', values: [year, ids] })).rowCount ?? 0,
    compoundRows: async (year) =>
      (
        await client.query({
          name: 'bare_compounds',
          text: `SELECT s.unit_id, s.item_code, s.points FROM score_entry s JOIN unit u ON u.id = s.unit_id WHERE s.year = $1 AND u.level = 'compound'`,
          values: [year],
        })
      ).rowCount ?? 0,
    close: () => client.end(),
  };
}

/**
 * The chats of a city deployment for the service run: the leadership group (oc_bench_0) and
 * community chats bound to their community (the bot run bound all 300 to the leadership group,
 * which makes the scheduler remind 300 leadership groups of every overdue task: 86,100
 * reminders a pass, not a deployment).
 */
async function bindCityChats(db: Db, city: City): Promise<void> {
  const streets = city.streetNames.length;
  for (let c = 0; c < SERVICE_CHATS; c++) {
    const community = `${city.streetNames[c % streets]}${Math.floor(c / streets) + 1}社区`;
    await bindChat(db, { chatId: `oc_bench_${c}`, target: c === 0 ? { kind: 'leadership' } : { kind: 'unit', unitName: community }, by: 'bench', at: Date.now() });
  }
}

interface ServiceRun {
  peakRssMb: number;
  residentMb: { anon: number; file: number; shmem: number };
  events: number;
  replies: number;
  cards: number;
  failures: string[];
  seconds: number;
}

/**
 * The real service (`node bin/start.js`, webhook mode) on `database`, driven with signed events
 * (the bot bench's mix, plus a city-wide compound ranking in every RANK_EVERY and a street's
 * grades) while its scheduler runs a pass every 5 s; its own peak RSS (VmHWM) read before it is
 * stopped.
 */
async function measureService(city: City, hours: WorkingHours, database: { DB_FILE: string } | { DATABASE_URL: string }): Promise<ServiceRun> {
  const fake = await startFakeLark({ appId: APP_ID, botOpenId: BOT_OPEN_ID });
  const env = serviceEnv({
    dbFile: 'DB_FILE' in database ? database.DB_FILE : join(tmpdir(), 'unused.db'),
    fakeUrl: fake.url,
    appId: fake.appId,
    appSecret: fake.appSecret,
    hours,
    extra: {
      DATABASE_URL: 'DATABASE_URL' in database ? database.DATABASE_URL : '',
      LARK_ENCRYPT_KEY: ENCRYPT_KEY,
      LARK_VERIFICATION_TOKEN: TOKEN,
      LOG_LEVEL: 'warn',
      SCHEDULER_TICK_SECONDS: '5',
      // As the image runs it (Dockerfile ENV; test/deploy/compose.test.ts keeps the two alike).
      MALLOC_ARENA_MAX: '2',
    },
  });
  // 'service started' is logged at info; the rest of the run logs at warn.
  env.LOG_LEVEL = 'info';
  const service = spawnService(env);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  try {
    const webhook = await service.started(60_000);
    const run = Date.now().toString(36);
    const started = Date.now();
    const total = SERVICE_RATE_PER_S * SERVICE_SECONDS;
    const failures: string[] = [];
    const inflight: Array<Promise<void>> = [];
    const street = (i: number) => city.streetNames[i % city.streetNames.length]!;
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / SERVICE_RATE_PER_S - Date.now();
      if (wait > 1) await sleep(wait);
      const text = i % RANK_EVERY === 0 ? '排名 小区 全部' : i % RANK_EVERY === RANK_EVERY / 2 ? `得分 ${street(i)}` : command(i, city.streetNames);
      const messageId = `om_svc_${run}_${i}`;
      const chatId = `oc_bench_${i % SERVICE_CHATS}`;
      fake.addInboundMessage({ messageId, chatId });
      const event = messageEvent({ eventId: `ev_svc_${run}_${i}`, messageId, chatId, senderOpenId: OFFICE_OPEN_ID, text: `@_user_1 ${text}`, mentions: [{ key: '@_user_1', openId: BOT_OPEN_ID, name: 'bot' }], token: TOKEN });
      const raw = JSON.stringify(encryptBody(event, ENCRYPT_KEY));
      const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(raw)), ...signedHeaders(raw, ENCRYPT_KEY, Math.floor(Date.now() / 1000)) };
      // A kept-alive socket the server closed as idle (its 5 s keepAliveTimeout) just as this
      // request reused it answers ECONNRESET: not acknowledged, so Lark delivers again; so does
      // the driver, once.
      const post = (retried: boolean): Promise<void> =>
        new Promise<void>((resolvePost) => {
          const req = http.request(new URL('/webhook/event', webhook), { method: 'POST', headers, agent }, (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode !== 200) failures.push(`${messageId}: HTTP ${res.statusCode}`);
              resolvePost();
            });
          });
          req.on('error', (err: NodeJS.ErrnoException) => {
            if (!retried && req.reusedSocket && err.code === 'ECONNRESET') resolvePost(post(true));
            else {
              failures.push(`${messageId}: ${err.message}`);
              resolvePost();
            }
          });
          req.end(raw);
        });
      inflight.push(post(false));
    }
    await Promise.all(inflight);
    const replies = () => fake.messages.filter((m) => m.parentId?.startsWith(`om_svc_${run}_`)).length;
    const deadline = Date.now() + 120_000;
    while (replies() < total && Date.now() < deadline && service.alive()) await sleep(100);
    const seconds = (Date.now() - started) / 1000;
    if (!service.alive()) throw new Error(`the service exited during the run: ${JSON.stringify(service.logs.slice(-3))} ${service.otherStderr.join('\n')}`);
    const status = readFileSync(`/proc/${service.pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
    if (!hwm) throw new Error(`no VmHWM in /proc/${service.pid}/status`);
    // What the resident memory is at the end (anonymous: heaps; file: code and mapped files; shmem: SQLite's WAL index).
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const residentMb = { anon: round(kb('RssAnon') / 1024), file: round(kb('RssFile') / 1024), shmem: round(kb('RssShmem') / 1024) };
    const errors = service.logs.filter((l) => Number(l.level) >= 50).map((l) => String(l.msg));
    return {
      peakRssMb: Number(hwm[1]) / 1024,
      residentMb,
      events: total,
      replies: replies(),
      cards: fake.messages.filter((m) => m.parentId === undefined).length,
      failures: [...failures, ...errors],
      seconds,
    };
  } finally {
    agent.destroy();
    await service.kill('SIGTERM');
    await fake.close();
  }
}

function serviceMeasure(engine: string, run: ServiceRun): BenchMeasure {
  return {
    name: `${engine}: the service process's peak RSS (VmHWM of node bin/start.js) answering ${run.replies}/${run.events} events (city-wide rankings among them) with scheduler passes`,
    ratio: run.peakRssMb / RSS_GOAL_MB,
    goal: 1,
    value: run.peakRssMb,
    unit: 'MB',
    detail: { goalMb: RSS_GOAL_MB, residentAtEndMb: run.residentMb, cardsSent: run.cards, seconds: round(run.seconds), failures: run.failures.slice(0, 5), failureCount: run.failures.length },
  };
}

export default async function postgresBench(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dangjian-bench-pg-'));
  const hours = workingHoursNow(dir);
  const server = await reachableServer();
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  let admin: pg.Client | undefined;
  const measures: BenchMeasure[] = [];
  try {
    const city = await generateCity(join(dir, 'city.db'), { streets: 50, communities: 1000, compounds: 15000, others: 2000, seed: 20231231, years: [hours.localYear] });
    measures.push({ name: 'generate city (SQLite)', value: city.generationMs, unit: 'ms', detail: { units: city.units, scoreRows: city.scoreRows } });
    let pgUrl: string | undefined;
    if ('url' in server) {
      admin = await pgClient(server.url);
      await admin.query(`CREATE SCHEMA ${schema}`);
      pgUrl = withSearchPath(server.url, schema);
      const t0 = performance.now();
      const migrated = await openPostgres(pgUrl, { max: 1 });
      await migrateToLatest(migrated.db);
      await migrated.close();
      const loader = await pgClient(pgUrl);
      const rows = await copyCity(city.file, loader);
      await loader.end();
      measures.push({ name: 'copy the city into PostgreSQL', value: performance.now() - t0, unit: 'ms', detail: { rows, schema } });
    } else {
      console.log(`- PostgreSQL: SKIPPED — ${server.skip}`);
      measures.push({ name: `PostgreSQL measures skipped: ${server.skip}` });
    }

    // 1. Event → reply, in rounds taking turns (SQLite, PostgreSQL, SQLite, …): a slow spell of
    // the machine (another process, a checkpoint) falls on both engines alike. Each engine's p99
    // is taken over all of its rounds' events together.
    // Each engine's connection is opened once for all its rounds, as a running service keeps its
    // pool: a fresh pool per round measured PostgreSQL's cold start (every statement parsed again
    // on every connection, plans not yet settled) every 10 s. Its idle connections stay open (10 min,
    // src/db/database.ts) while the other engine's round runs.
    if (STEPS.has('reply')) {
      // The server's CPU is read from /proc when it runs on this machine.
      const localServer = pgUrl !== undefined && ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(new URL(pgUrl).hostname);
      const sqlite: MeteredRun[] = [];
      const postgres: MeteredRun[] = [];
      const keptOpen = (o: AnyOpenedDatabase) => async (): Promise<AnyOpenedDatabase> => ({ ...o, close: async () => undefined });
      const sqliteDb = openDatabase(city.file);
      const postgresDb = pgUrl ? await openPostgres(pgUrl, { applicationName: 'dangjian-bench' }) : undefined;
      try {
        // One round per engine first, not counted: the copy's CHECKPOINT has just run, so every
        // page's first change afterwards writes the whole page into the WAL (full_page_writes),
        // which a live server does only in the moments after each of its checkpoints.
        collectSetupGarbage();
        await measureBot(city, keptOpen(sqliteDb), { seconds: 5, round: 'warm' });
        if (postgresDb) await measureBot(city, keptOpen(postgresDb), { seconds: 5, round: 'warm' });
        for (let r = 0; r < BOT_ROUNDS; r++) {
          sqlite.push(await metered(() => measureBot(city, keptOpen(sqliteDb), { seconds: BOT_ROUND_SECONDS, round: `r${r}` }), false));
          if (postgresDb) postgres.push(await metered(() => measureBot(city, keptOpen(postgresDb), { seconds: BOT_ROUND_SECONDS, round: `r${r}` }), localServer));
        }
      } finally {
        await sqliteDb.close();
        await postgresDb?.close();
      }
      const sqliteBot = pooled(sqlite);
      measures.push(botMeasure('SQLite', sqliteBot, sqlite));
      if (pgUrl) {
        const pgBot = pooled(postgres);
        measures.push(botMeasure('PostgreSQL', pgBot, postgres));
        const pooledRatio = pgBot.p99 / sqliteBot.p99;
        const medianRoundRatio = quantile(postgres.map((r) => r.p99), 0.5) / quantile(sqlite.map((r) => r.p99), 0.5);
        measures.push({
          // The larger of the two ratios: a stall of the machine during one engine's round sets
          // that engine's pooled p99 (a 3.9 s stall in a SQLite round once made the pooled ratio
          // 0.04, a pass that meant nothing); the median round is what most rounds saw.
          name: 'event → reply p99, PostgreSQL / SQLite (the larger of: over all rounds, the median round)',
          ratio: Math.max(pooledRatio, medianRoundRatio),
          goal: P99_RATIO_GOAL,
          value: pgBot.p99,
          unit: 'ms',
          detail: {
            sqliteP99: round(sqliteBot.p99),
            postgresP99: round(pgBot.p99),
            sqliteP50: round(sqliteBot.p50),
            postgresP50: round(pgBot.p50),
            pooledP99Ratio: round(pooledRatio),
            medianRoundP99Ratio: round(medianRoundRatio),
            rounds: BOT_ROUNDS,
            secondsPerRound: BOT_ROUND_SECONDS,
          },
        });
      }
    }

    // 2. Grading and ranking against a bare read on the same engine.
    if (STEPS.has('scoring')) {
      const opened = openDatabase(city.file);
      const bare = sqliteBareReads(city.file);
      measures.push(...(await measureScoring(city, opened.db, bare, 'SQLite: ')));
      await bare.close();
      await opened.close();
    }
    if (pgUrl && STEPS.has('scoring')) {
      const opened = await openPostgres(pgUrl, { applicationName: 'dangjian-bench' });
      const bare = postgresBareReads(await pgClient(pgUrl));
      measures.push(...(await measureScoring(city, opened.db, bare, 'PostgreSQL: ')));
      await bare.close();
      await opened.close();
    }

    // 3. The service process's own peak RSS.
    if (STEPS.has('service')) {
      {
        const opened = openDatabase(city.file);
        await bindCityChats(opened.db, city);
        await opened.close();
      }
      if (pgUrl) {
        const opened = await openPostgres(pgUrl, { max: 1 });
        await bindCityChats(opened.db, city);
        await opened.close();
      }
      measures.push(serviceMeasure('SQLite', await measureService(city, hours, { DB_FILE: city.file })));
      if (pgUrl) measures.push(serviceMeasure('PostgreSQL', await measureService(city, hours, { DATABASE_URL: pgUrl })));
    }

    return { bench: 'postgres (PostgreSQL beside SQLite)', peakRssMb: process.resourceUsage().maxRSS / 1024, measures };
  } finally {
    if (admin) {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await admin.end();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
