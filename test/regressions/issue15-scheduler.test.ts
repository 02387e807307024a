/** Issue 15's behaviour bugs on the scheduler side: what a unit's chat receives, pruning processed events. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import { fixedClock } from '../../src/clock.js';
import { readConfig } from '../../src/config/config.js';
import { bindChat } from '../../src/db/chat.repository.js';
import { markEventProcessed } from '../../src/db/event.repository.js';
import { silentLogger } from '../../src/log.js';
import { runPass } from '../../src/services/reminders.service.js';
import { startService } from '../../src/runtime/service.js';
import { setScore } from '../../src/services/scores.service.js';
import { addUnit } from '../../src/services/units.service.js';
import { at, deps, openProgramme, plan, RecordingOutbound, tempDbFile, titleOf, TZ } from '../scheduler/support.js';

const UNIT_CHAT = 'oc_unit_chengdong';
const COMPOUND_STANDARD = { '11.1': 10, '11.2': 10, '12.1': 10, '12.2': 10, '13.1': 5, '13.2': 5, '13.3': 10, '14.1': 20 };

describe('issue 15 regressions (scheduler)', () => {
  it('a chat subscribed to a unit receives its grade changes and the weekly digest of that unit', async () => {
    const o = await openProgramme();
    const clock = fixedClock('2026-03-03T10:00:00+08:00');
    const base = { db: o.db, plan, clock, tz: TZ };
    await addUnit(base, operatorActor('t'), { name: '城东社区', level: 'community' });
    await addUnit(base, operatorActor('t'), { name: '城东花园小区', level: 'compound', parent: '城东社区' });
    await addUnit(base, operatorActor('t'), { name: '城西社区', level: 'community' });
    await bindChat(o.db, { chatId: UNIT_CHAT, target: { kind: 'unit', unitName: '城东社区' }, by: 'test', at: 4 });
    // Tuesday: the compound reaches 标准型; 城西社区 (not this chat's) gets a score too.
    for (const [item, points] of Object.entries(COMPOUND_STANDARD)) await setScore(base, operatorActor('t'), { unit: '城东花园小区', item, points, year: 2026 });
    await setScore(base, operatorActor('t'), { unit: '城西社区', item: '6.1', points: 5, year: 2026 });

    const out = new RecordingOutbound();
    const toUnit = () => out.sent.filter((m) => m.receiveId === UNIT_CHAT);
    await runPass(deps(o, out, { clock: fixedClock('2026-03-04T09:00:00+08:00') }), at('2026-03-04T09:00:00+08:00'));
    expect(toUnit()).toHaveLength(1);
    const notice = JSON.stringify(toUnit()[0]!.content);
    expect(titleOf(toUnit()[0]!)).toContain('城东社区');
    expect(notice).toContain('城东花园小区');
    expect(notice).toContain('标准型');
    expect(notice).not.toContain('城西社区');

    // Nothing changed since: no second notice.
    await runPass(deps(o, out, { clock: fixedClock('2026-03-05T09:00:00+08:00') }), at('2026-03-05T09:00:00+08:00'));
    expect(toUnit()).toHaveLength(1);

    // Monday: the unit's weekly digest (its grade, its sub-units', last week's changes).
    await runPass(deps(o, out, { clock: fixedClock('2026-03-09T09:00:00+08:00') }), at('2026-03-09T09:00:00+08:00'));
    expect(toUnit()).toHaveLength(2);
    const digest = toUnit()[1]!;
    expect(titleOf(digest)).toMatch(/周报｜城东社区/);
    const text = JSON.stringify(digest.content);
    expect(text).toContain('城东花园小区');
    expect(text).toContain('未达标');
    expect(text).not.toContain('城西社区');
    await o.close();
  });

  it('the running service prunes processed events older than seven days', async () => {
    const file = tempDbFile();
    const o = await openProgramme(file);
    const now = Date.parse('2026-03-10T10:00:00+08:00');
    const day = 86_400_000;
    await markEventProcessed(o.db, 'ev_old', now - 8 * day);
    await markEventProcessed(o.db, 'ev_recent', now - 1 * day);
    await o.close();
    const input = new PassThrough();
    const service = await startService(readConfig({ DB_FILE: file }), silentLogger, { input, output: new PassThrough(), clock: fixedClock(now) });
    const check = await openProgramme(file, false);
    const ids = async () => (await check.db.selectFrom('processed_event').select('event_id').orderBy('event_id').execute()).map((r) => r.event_id);
    const until = Date.now() + 5000;
    while ((await ids()).includes('ev_old') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(await ids()).toEqual(['ev_recent']);
    input.end();
    await service.stop();
    await check.close();
  });
});
