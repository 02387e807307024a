/**
 * The service paces its Lark calls in the database's shared slots on PostgreSQL (replicas share
 * one quota, issue 17) and in memory on SQLite (one process): its first call, the bot identity
 * lookup, leaves its stamp in rate_bucket on PostgreSQL and nothing on SQLite. Webhook service end
 * to end against the fake Lark API, on the suite's engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { startService, type RunningService } from '../../src/runtime/service.js';
import { allRows, onPostgres, openTestDatabase } from '../support/database.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { BOT_OPEN_ID, makeBot, type TestBot } from './support.js';

const INFO_PATH = '/open-apis/bot/v3/info';

let fake: FakeLark;
let bot: TestBot;
let service: RunningService;

beforeAll(async () => {
  fake = await startFakeLark({ appId: 'cli_sharedlimiter01', botOpenId: BOT_OPEN_ID });
  bot = await makeBot();
  const config = readConfig({ LARK_MODE: 'webhook', LARK_APP_ID: fake.appId, LARK_APP_SECRET: fake.appSecret, LARK_DOMAIN: fake.url, LARK_VERIFICATION_TOKEN: 'shared-limiter-token', PORT: '0', DB_FILE: bot.dbFile });
  service = await startService(config, silentLogger, { clock: bot.clock, scheduler: false, openDatabase: () => openTestDatabase(bot.dbFile) });
});

afterAll(async () => {
  await service?.stop();
  await bot?.close();
  await fake?.close();
});

const until = async (done: () => Promise<boolean> | boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await done()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

describe('the service picks its rate limiter by engine', () => {
  it(onPostgres ? 'on PostgreSQL: the identity lookup is granted and settled in rate_bucket' : 'on SQLite: paced in memory, rate_bucket stays empty', async () => {
    await until(() => fake.received.some((r) => r.path === INFO_PATH));
    expect(fake.received.filter((r) => r.path === INFO_PATH)).toHaveLength(1);
    const rows = () => allRows<{ key: string; log: number[] }>(bot.opened, 'select key, log from rate_bucket order by key');
    if (!onPostgres) {
      // The call went (the shared limiter would have failed on SQLite: grants need PostgreSQL).
      expect(await rows()).toEqual([]);
      return;
    }
    // Settled: its stamp is the answer's time (not the far in-flight one, 30 s ahead).
    await until(async () => (await rows()).some((r) => r.log.length === 1 && r.log[0]! < Date.now() + 1000));
    const [app] = await rows();
    expect(app?.key).toBe('app');
    expect(app?.log).toHaveLength(1);
    expect(app!.log[0]!).toBeLessThan(Date.now() + 1000);
    expect(app!.log[0]!).toBeGreaterThan(Date.now() - 60_000);
  });
});
