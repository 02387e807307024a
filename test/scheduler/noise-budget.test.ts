/**
 * The noise budget and the go-live date: a chat subscribed to a unit gets its digest and its
 * grade-change notice in one card; a street that starts mid-year (REMINDERS_START) is not
 * flooded with the past; the office can move the date (audited) and see it.
 */
import { describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import type { Card } from '../../src/cards/card.js';
import { renderCardText } from '../../src/cards/card.js';
import { fixedClock } from '../../src/clock.js';
import { schedulerSettings } from '../../src/config/scheduler-settings.js';
import { bindChat as bindChatRow } from '../../src/db/chat.repository.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { listOutboxItems } from '../../src/db/outbox.repository.js';
import { getSetting, REMINDERS_START_SETTING } from '../../src/db/setting.repository.js';
import { bindChat } from '../../src/services/members.service.js';
import { remindersStart, runPass } from '../../src/services/reminders.service.js';
import { setScore } from '../../src/services/scores.service.js';
import { addUnit } from '../../src/services/units.service.js';
import { runCliInProcess } from '../support/cli.js';
import { carriedKeys, deps, openProgramme, plan, RecordingOutbound, tempDbFile, titleOf, TZ, at } from './support.js';
import { databaseLocation, needsServer } from '../support/database.js';

describe('a unit chat', () => {
  it('gets its weekly digest and a grade-change notice of the same day on one card', async () => {
    const o = await openProgramme();
    const clock = fixedClock('2026-03-06T10:00:00+08:00');
    const base = { db: o.db, plan, clock, tz: TZ };
    await addUnit(base, operatorActor('t'), { name: '城东社区', level: 'community' });
    await addUnit(base, operatorActor('t'), { name: '城东花园小区', level: 'compound', parent: '城东社区' });
    await bindChatRow(o.db, { chatId: 'oc_unit', target: { kind: 'unit', unitName: '城东社区' }, by: 'test', at: 4 });
    // Friday: the compound reaches 标准型; the notice is due on Monday, the day of the weekly digest.
    for (const [item, points] of Object.entries({ '11.1': 10, '11.2': 10, '12.1': 10, '12.2': 10, '13.1': 5, '13.2': 5, '13.3': 10, '14.1': 20 })) await setScore(base, operatorActor('t'), { unit: '城东花园小区', item, points, year: 2026 });
    const out = new RecordingOutbound();
    await runPass(deps(o, out, { clock: fixedClock('2026-03-09T09:00:00+08:00') }), at('2026-03-09T09:00:00+08:00'));
    const toUnit = out.sent.filter((m) => m.receiveId === 'oc_unit');
    expect(toUnit).toHaveLength(1);
    expect(await carriedKeys(o, 'daily:2026-03-09:oc_unit')).toEqual(['unit_changes:2026-03-09:oc_unit', 'unit_digest:2026-03-09:oc_unit']);
    const text = renderCardText(toUnit[0]!.content as Card).text;
    expect(titleOf(toUnit[0]!)).toBe('今日推送｜等级变化、周报');
    expect(text).toContain('等级变化｜城东社区');
    expect(text).toContain('周报｜城东社区 2026-03-09 至 2026-03-15');
    await o.close();
  });
});

describe('REMINDERS_START (go-live)', () => {
  it('is recorded by the first chat binding and kept by later ones; the environment overrides it', async () => {
    const o = await openProgramme(':memory:', false);
    const { initProgramme } = await import('../../src/services/init.service.js');
    await initProgramme({ db: o.db, plan, clock: fixedClock('2026-01-01T00:00:00+08:00') }, operatorActor(), { year: 2026 });
    const settings = schedulerSettings();
    expect(await remindersStart({ db: o.db, settings, config: { timeZone: TZ } })).toEqual({ date: null, source: null });
    await bindChat({ db: o.db, clock: fixedClock('2026-07-01T16:00:00+08:00'), tz: TZ }, operatorActor(), 'oc_lead', { kind: 'leadership' });
    await bindChat({ db: o.db, clock: fixedClock('2026-07-08T10:00:00+08:00'), tz: TZ }, operatorActor(), 'oc_djb', { kind: 'lead', leadUnit: '党建办(组织)' });
    expect(await getSetting(o.db, REMINDERS_START_SETTING)).toBe('2026-07-01');
    expect(await remindersStart({ db: o.db, settings, config: { timeZone: TZ } })).toEqual({ date: '2026-07-01', source: 'database' });
    expect(await remindersStart({ db: o.db, settings: schedulerSettings({ remindersStart: '2026-06-01' }), config: { timeZone: TZ } })).toEqual({ date: '2026-06-01', source: 'env' });
    await o.close();
  });

  it('a street going live mid-year gets one card per chat, its past overdue periods collapsed and counted, nothing back-filled', async () => {
    const o = await openProgramme(':memory:', false);
    const { initProgramme } = await import('../../src/services/init.service.js');
    await initProgramme({ db: o.db, plan, clock: fixedClock('2026-01-01T00:00:00+08:00') }, operatorActor(), { year: 2026 });
    // Bound on Wednesday 1 July at 08:00: go-live is that day.
    await bindChat({ db: o.db, clock: fixedClock('2026-07-01T08:00:00+08:00'), tz: TZ }, operatorActor(), 'oc_djb', { kind: 'lead', leadUnit: '党建办(组织)' });
    await bindChat({ db: o.db, clock: fixedClock('2026-07-01T08:00:00+08:00'), tz: TZ }, operatorActor(), 'oc_lead', { kind: 'leadership' });
    const out = new RecordingOutbound();
    const d = deps(o, out, { clock: fixedClock('2026-07-01T09:30:00+08:00') });
    await runPass(d, at('2026-07-01T09:00:00+08:00'));
    await runPass(d, at('2026-07-01T09:30:00+08:00'));
    expect(out.sent.map((s) => s.idempotencyKey).sort()).toEqual(['daily:2026-07-01:oc_djb', 'daily:2026-07-01:oc_lead']);
    // Nothing from before go-live was recorded or sent.
    expect((await listOutboxItems(o.db)).filter((i) => i.date < '2026-07-01')).toEqual([]);
    const card = out.sent.find((s) => s.receiveId === 'oc_djb')!;
    const text = renderCardText(card.content as Card).text;
    expect(titleOf(card)).toBe('今日待办｜党建办(组织) 7月1日（周三）');
    // Task 7 (monthly) missed January to June: one line; the tasks due 30 June, just before go-live, are not 「今天起逾期」 in full.
    expect(text).toContain('逾期 6 期（2026-01 … 2026-06）');
    expect(text).not.toContain('今天起逾期');
    expect(text).toMatch(/🔴 逾期 \d\d/);
    expect(renderCardText(card.content as Card).buttons.filter((b) => b.action === 'reminder.snooze')).toEqual([]);
    await o.close();
  });

  it.skipIf(needsServer)('the office moves it with `dangjian reminders start` (audited) and sees it in `dangjian reminders status`', async () => {
    const tmp = tempDbFile();
    await (await openProgramme(tmp)).close();
    const file = databaseLocation(tmp)!;
    const set = await runCliInProcess(['reminders', 'start', '--date', '2026-05-01', '--db', file]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('提醒起始日期已设为 2026-05-01');
    const status = await runCliInProcess(['reminders', 'status', '--db', file]);
    expect(status.stdout).toContain('提醒起始日期：2026-05-01（来源：数据库记录');
    const json = JSON.parse((await runCliInProcess(['reminders', 'status', '--json', '--db', file])).stdout) as { remindersStart: string; source: string };
    expect(json).toMatchObject({ remindersStart: '2026-05-01', source: 'database' });
    const bad = await runCliInProcess(['reminders', 'start', '--date', '5月1日', '--db', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('日期应为 YYYY-MM-DD');
    const o = await openProgramme(tmp, false);
    expect((await listAudit(o.db, { action: 'reminders.start' })).map((a) => [a.subject, a.outcome])).toEqual([['2026-05-01', 'ok']]);
    await o.close();
  }, 30_000);
});
