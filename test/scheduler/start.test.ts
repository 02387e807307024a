import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { listOutbox } from '../../src/db/outbox.repository.js';
import { operatorActor } from '../../src/auth/actor.js';
import { schedulerSettings } from '../../src/config/scheduler-settings.js';
import { getSetting } from '../../src/db/setting.repository.js';
import { createLogger } from '../../src/log.js';
import { startScheduler } from '../../src/runtime/scheduler.js';
import { initProgramme } from '../../src/services/init.service.js';
import { LAST_PASS_SETTING, runPass } from '../../src/services/reminders.service.js';
import { CHATS, RecordingOutbound, at, deps, openProgramme, plan } from './support.js';

function captureLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('info', stream), lines };
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('startScheduler', () => {
  it('runs a pass at start (catching up what is due) and stops cleanly', async () => {
    const o = await openProgramme();
    const out = new RecordingOutbound();
    const { log } = captureLog();
    const running = startScheduler(deps(o, out, { clock: fixedClock('2026-03-09T09:00:00+08:00'), log }));
    await until(async () => (await listOutbox(o.db, { status: 'sent' })).length === 3);
    await running.stop();
    expect(out.sent.map((s) => s.receiveId).sort()).toEqual([CHATS.leadership, CHATS.office, CHATS.community].sort());
    await o.close();
  });

  it('starts reminding by itself once the programme is initialised (`dangjian init` or 初始化 elsewhere)', async () => {
    const o = await openProgramme(':memory:', false);
    const clock = fixedClock('2026-03-10T10:00:00+08:00');
    const running = startScheduler(deps(o, new RecordingOutbound(), { clock, settings: schedulerSettings({ tickSeconds: 0.02 }) }));
    expect(await getSetting(o.db, LAST_PASS_SETTING)).toBeUndefined();
    await initProgramme({ db: o.db, plan, clock }, operatorActor('t'), { year: 2026 });
    await until(async () => (await getSetting(o.db, LAST_PASS_SETTING)) !== undefined);
    await running.stop();
    await o.close();
  });

  it('waits quietly (one log line) while the programme is not initialised', async () => {
    const o = await openProgramme(':memory:', false);
    const { log, lines } = captureLog();
    const running = startScheduler(deps(o, new RecordingOutbound(), { log }));
    await until(() => lines.some((l) => String(l.msg).includes('not initialised')));
    await running.stop();
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    await o.close();
  });
});

describe('logging', () => {
  it('says when a lead unit has no chat and its reminders go to the leadership chat', async () => {
    const o = await openProgramme();
    const { log, lines } = captureLog();
    await runPass(deps(o, new RecordingOutbound(), { log }), at('2026-03-02T09:30:00+08:00'));
    const warn = lines.find((l) => String(l.msg).startsWith('lead units without a bound chat'));
    expect(warn).toMatchObject({ level: 40, name: 'scheduler', leadUnits: ['社会治理办'] });
    await o.close();
  });
});
