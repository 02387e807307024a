import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { aggregateStatus, occurrenceStatus, type OccurrenceStatus } from '../../src/tasks/status.js';

const TZ = 'Asia/Shanghai';
const at = (iso: string) => Date.parse(iso);
const open = (dueDate: string) => ({ dueDate, doneAt: null });

describe('occurrenceStatus: the 7-day and due boundaries in Asia/Shanghai', () => {
  it('green until the end of the 8th day before, yellow from 00:00 seven days before', () => {
    expect(occurrenceStatus(open('2026-02-28'), at('2026-02-20T23:59:59.999+08:00'), TZ)).toMatchObject({ status: 'green', light: 'green', daysLeft: 8 });
    expect(occurrenceStatus(open('2026-02-28'), at('2026-02-21T00:00:00.000+08:00'), TZ)).toMatchObject({ status: 'yellow', light: 'yellow', daysLeft: 7 });
  });

  it('yellow until 23:59:59.999 of the due date, red from the next millisecond', () => {
    expect(occurrenceStatus(open('2026-02-28'), at('2026-02-28T23:59:59.999+08:00'), TZ)).toMatchObject({ status: 'yellow', late: false, daysLeft: 0 });
    expect(occurrenceStatus(open('2026-02-28'), at('2026-03-01T00:00:00.000+08:00'), TZ)).toMatchObject({ status: 'red', light: 'red', late: true, daysLeft: -1 });
  });

  it('the deadline is the end of the day in Shanghai, not in UTC', () => {
    // 2026-02-28T20:00Z is still 28 February in UTC but already 1 March 04:00 in Shanghai.
    expect(occurrenceStatus(open('2026-02-28'), at('2026-02-28T20:00:00Z'), TZ).status).toBe('red');
    expect(occurrenceStatus(open('2026-02-28'), at('2026-02-28T15:59:59.999Z'), TZ).status).toBe('yellow');
    expect(occurrenceStatus(open('2026-02-28'), 0, TZ).dueAt).toBe(at('2026-02-28T23:59:59.999+08:00'));
  });

  it('the yellow window is configurable', () => {
    expect(occurrenceStatus(open('2026-02-28'), at('2026-02-24T12:00:00+08:00'), TZ, 3).status).toBe('green');
    expect(occurrenceStatus(open('2026-02-28'), at('2026-02-25T00:00:00+08:00'), TZ, 3).status).toBe('yellow');
    expect(occurrenceStatus(open('2026-02-28'), at('2026-02-28T09:00:00+08:00'), TZ, 0).status).toBe('yellow');
    expect(occurrenceStatus(open('2026-02-28'), at('2026-02-27T23:00:00+08:00'), TZ, 0).status).toBe('green');
  });

  it('done is done however late it is now; a completion after the deadline is done late', () => {
    const onTime = occurrenceStatus({ dueDate: '2026-02-28', doneAt: at('2026-02-28T23:59:59.999+08:00') }, at('2026-06-01T00:00:00+08:00'), TZ);
    expect(onTime).toMatchObject({ status: 'done', light: 'green', late: false, doneLate: false });
    const late = occurrenceStatus({ dueDate: '2026-02-28', doneAt: at('2026-03-01T00:00:00+08:00') }, at('2026-03-01T00:00:01+08:00'), TZ);
    expect(late).toMatchObject({ status: 'done', light: 'green', late: true, doneLate: true });
  });
});

describe('aggregateStatus', () => {
  const s = (status: OccurrenceStatus['status']): OccurrenceStatus => ({
    status,
    light: status === 'done' ? 'green' : status,
    late: status === 'red',
    doneLate: false,
    dueAt: 0,
    daysLeft: 0,
  });

  it('is done only when every occurrence is done', () => {
    expect(aggregateStatus([{ start: '2026-01-01', status: s('done') }, { start: '2026-02-01', status: s('done') }], '2026-03-01')).toBe('done');
    expect(aggregateStatus([{ start: '2026-01-01', status: s('done') }, { start: '2026-02-01', status: s('green') }], '2026-01-10')).toBe('green');
  });

  it('takes the worst light of the occurrences that have started, ignoring future ones', () => {
    const occ = [
      { start: '2026-01-01', status: s('done') },
      { start: '2026-02-01', status: s('red') },
      { start: '2026-03-01', status: s('yellow') },
      { start: '2026-04-01', status: s('red') },
    ];
    expect(aggregateStatus(occ, '2026-03-15')).toBe('red');
    expect(aggregateStatus(occ.slice(2), '2026-03-15')).toBe('yellow');
    expect(aggregateStatus(occ.slice(3), '2026-03-15')).toBe('green');
  });
});

describe('independence from the machine’s time zone', () => {
  for (const processTz of ['UTC', 'America/Los_Angeles']) {
    it(`a child process with TZ=${processTz} computes the same boundaries and working days`, () => {
      const stdout = execFileSync(process.execPath, ['bin/run-ts.js', 'test/tasks/fixtures/tz-probe.ts'], {
        env: { ...process.env, TZ: processTz },
        encoding: 'utf8',
      });
      const out = JSON.parse(stdout);
      expect(out.processTz).toBe(processTz);
      expect(out.offsetMinutes).not.toBe(-480);
      expect(out.status).toMatchObject({ greenLast: 'green', yellowFirst: 'yellow', yellowLast: 'yellow', redFirst: 'red' });
      expect(out.status.doneOnTime).toMatchObject({ status: 'done', doneLate: false });
      expect(out.status.doneLate).toMatchObject({ status: 'done', doneLate: true });
      expect(out.calendar).toEqual({ '2026-02-28': true, '2026-02-16': false, '2026-10-08': true, firstWorkdayOct: '2026-10-08', workdays2026: 248 });
    });
  }
});
