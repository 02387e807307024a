import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminActor } from '../../src/auth/actor.js';
import { startSchedulerLink } from '../../src/bot/scheduler-link.js';
import { fixedClock } from '../../src/clock.js';
import { readConfig } from '../../src/config/config.js';
import { openDatabase, type OpenedDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { getSetting } from '../../src/db/setting.repository.js';
import { silentLogger } from '../../src/log.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import { LAST_PASS_SETTING } from '../../src/scheduler/index.js';
import { initProgramme } from '../../src/services/programme.service.js';
import { RecordingOutbound } from './support.js';

let opened: OpenedDatabase | undefined;
afterEach(async () => {
  await opened?.close();
});

async function until(check: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('scheduler link', () => {
  it('waits for the programme to be initialised, then starts the scheduler', async () => {
    opened = openDatabase(join(mkdtempSync(join(tmpdir(), 'dangjian-link-')), 'x.db'));
    await migrateToLatest(opened.db);
    const clock = fixedClock('2026-03-10T10:00:00+08:00');
    const plan = loadPlan();
    const config = readConfig({ DB_FILE: 'unused.db' });
    const link = await startSchedulerLink({ config, db: opened.db, plan, clock, log: silentLogger, outbound: new RecordingOutbound(), start: true, initCheckMs: 20 });
    expect(link.running).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(await getSetting(opened.db, LAST_PASS_SETTING)).toBeUndefined();
    await initProgramme({ db: opened.db, plan, clock }, adminActor('t'), { year: 2026 });
    await until(async () => (await getSetting(opened!.db, LAST_PASS_SETTING)) !== undefined);
    await link.stop();
  });
});
