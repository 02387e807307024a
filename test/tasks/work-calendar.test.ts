import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/tasks/dates.js';
import { configuredWorkCalendar } from '../../src/services/calendar.service.js';
import { createWorkCalendar, parseHolidayOverride } from '../../src/tasks/work-calendar.js';
import { errorOf } from '../support/errors.js';

const { calendar } = createWorkCalendar();


describe('WorkCalendar with chinese-days data (2026)', () => {
  it('2026-02-28, a Saturday, is an adjusted working day (春节调休), as is 2026-02-14', () => {
    expect(calendar.isWorkday('2026-02-28')).toBe(true);
    expect(calendar.isWorkday('2026-02-14')).toBe(true);
    expect(calendar.dayInfo('2026-02-28').special).toEqual({ date: '2026-02-28', kind: 'workday', name: '春节', inLieu: false, source: 'chinese-days' });
    expect(calendar.isWorkday('2026-03-07')).toBe(false); // an ordinary Saturday
  });

  it('the Spring Festival 2026-02-15..23 is nine days off, work resumes on the 24th', () => {
    for (let d = '2026-02-15'; d <= '2026-02-23'; d = addDays(d, 1)) {
      expect(calendar.isWorkday(d), d).toBe(false);
      expect(calendar.dayInfo(d).special?.name, d).toBe('春节');
    }
    expect(calendar.isWorkday('2026-02-24')).toBe(true);
    expect(calendar.dayInfo('2026-02-20').special?.inLieu).toBe(true);
  });

  it('National Day 2026: 1–7 October off, 20 September (Sunday) and 10 October (Saturday) worked', () => {
    for (let d = '2026-10-01'; d <= '2026-10-07'; d = addDays(d, 1)) expect(calendar.isWorkday(d), d).toBe(false);
    expect(calendar.isWorkday('2026-10-08')).toBe(true);
    expect(calendar.isWorkday('2026-09-20')).toBe(true);
    expect(calendar.isWorkday('2026-10-10')).toBe(true);
    expect(calendar.dayInfo('2026-10-01').special?.name).toBe('国庆节');
  });

  it('previousWorkday / nextWorkday are strict and skip holidays', () => {
    expect(calendar.previousWorkday('2026-02-24')).toBe('2026-02-14');
    expect(calendar.nextWorkday('2026-02-14')).toBe('2026-02-24');
    expect(calendar.previousWorkday('2026-03-03')).toBe('2026-03-02');
    expect(calendar.nextWorkday('2026-09-30')).toBe('2026-10-08');
    expect(calendar.previousWorkday('2026-10-08')).toBe('2026-09-30');
  });

  it('nearestWorkdayOnOrBefore keeps a working day and steps back from a day off', () => {
    expect(calendar.nearestWorkdayOnOrBefore('2026-02-28')).toBe('2026-02-28');
    expect(calendar.nearestWorkdayOnOrBefore('2026-10-04')).toBe('2026-09-30');
    expect(calendar.nearestWorkdayOnOrBefore('2026-03-08')).toBe('2026-03-06');
  });

  it('firstWorkdayOfMonth honours holidays and 调休 Sundays', () => {
    expect(calendar.firstWorkdayOfMonth(2026, 1)).toBe('2026-01-04'); // 1–3 Jan off, Sunday 4 Jan worked
    expect(calendar.firstWorkdayOfMonth(2026, 2)).toBe('2026-02-02');
    expect(calendar.firstWorkdayOfMonth(2026, 10)).toBe('2026-10-08');
    expect(calendar.firstWorkdayOfMonth(2026, 5)).toBe('2026-05-06');
  });

  it('workdaysBetween counts both ends inclusive and is 0 for a reversed range', () => {
    expect(calendar.workdaysBetween('2026-03-02', '2026-03-06')).toBe(5);
    expect(calendar.workdaysBetween('2026-03-02', '2026-03-02')).toBe(1);
    expect(calendar.workdaysBetween('2026-03-07', '2026-03-08')).toBe(0);
    expect(calendar.workdaysBetween('2026-02-14', '2026-02-28')).toBe(6);
    expect(calendar.workdaysBetween('2026-03-06', '2026-03-02')).toBe(0);
    expect(calendar.workdayCount(2026)).toBe(248);
  });

  it('lists the special days of 2026 and reports its source', () => {
    const days = calendar.specialDays(2026);
    expect(days.filter((d) => d.kind === 'workday').map((d) => d.date)).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    expect(days.filter((d) => d.kind === 'holiday')).toHaveLength(33);
    expect(calendar.yearSource(2026)).toBe('chinese-days');
    expect(calendar.fallbackWarning(2026)).toBeUndefined();
  });

  it('rejects dates that are not YYYY-MM-DD', () => {
    expect(errorOf(() => calendar.isWorkday('2026-02-30')).code).toBe('bad_argument');
    expect(errorOf(() => calendar.nextWorkday('2026/03/01')).message).toContain('2026/03/01');
    expect(errorOf(() => calendar.firstWorkdayOfMonth(2026, 13)).code).toBe('bad_argument');
  });

  it('reports its coverage from the library data (2004–2026)', () => {
    const c = calendar.coverage();
    expect(c.source).toBe('chinese-days');
    expect(c.libraryVersion).toBe('1.5.7');
    expect(c.coveredYears[0]).toBe(2004);
    expect(c.coveredYears[c.coveredYears.length - 1]).toBe(2026);
    expect(c.coveredYears).toHaveLength(23);
    expect(c.overrideYears).toEqual([]);
  });
});

describe('years the library does not cover', () => {
  it('fall back to Monday–Friday with a warning returned to the caller', () => {
    const { calendar: cal, warnings } = createWorkCalendar({ years: [2026, 2027] });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('2027');
    expect(warnings[0]).toContain('HOLIDAY_FILE');
    expect(cal.yearSource(2027)).toBe('fallback-mon-fri');
    expect(cal.isWorkday('2027-01-01')).toBe(true); // a Friday; New Year unknown without data
    expect(cal.isWorkday('2027-02-06')).toBe(false); // a Saturday
    expect(cal.workdayCount(2027)).toBe(261);
    expect(cal.specialDays(2027)).toEqual([]);
    expect(cal.previousWorkday('2027-01-01')).toBe('2026-12-31');
    expect(createWorkCalendar({ years: [2026] }).warnings).toEqual([]);
  });

  it('an override adds a year: its holidays and working days apply and no warning is given', () => {
    const override = parseHolidayOverride(
      { holidays: ['2027-01-01', { date: '2027-02-11', name: '春节' }, '2027-02-12'], workdays: ['2027-02-06'] },
      'holidays.json',
    );
    const { calendar: cal, warnings } = createWorkCalendar({ override, years: [2027] });
    expect(warnings).toEqual([]);
    expect(cal.yearSource(2027)).toBe('override');
    expect(cal.isWorkday('2027-01-01')).toBe(false);
    expect(cal.isWorkday('2027-02-06')).toBe(true);
    expect(cal.nextWorkday('2027-02-10')).toBe('2027-02-15');
    expect(cal.specialDays(2027)).toEqual([
      { date: '2027-01-01', kind: 'holiday', name: null, inLieu: false, source: 'override' },
      { date: '2027-02-06', kind: 'workday', name: null, inLieu: false, source: 'override' },
      { date: '2027-02-11', kind: 'holiday', name: '春节', inLieu: false, source: 'override' },
      { date: '2027-02-12', kind: 'holiday', name: null, inLieu: false, source: 'override' },
    ]);
    expect(cal.workdayCount(2027)).toBe(261 - 3 + 1);
    expect(cal.coverage().overrideYears).toEqual([2027]);
  });

  it('an override entry wins over the library for that date', () => {
    const override = parseHolidayOverride({ holidays: ['2026-03-02'], workdays: ['2026-02-16'] }, 'o.json');
    const { calendar: cal } = createWorkCalendar({ override });
    expect(cal.isWorkday('2026-03-02')).toBe(false);
    expect(cal.isWorkday('2026-02-16')).toBe(true);
    expect(cal.isWorkday('2026-02-17')).toBe(false);
  });
});

describe('the override file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dangjian-holidays-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('loads a valid file', () => {
    const { calendar, warnings } = configuredWorkCalendar({ holidayFile: file('ok.json', JSON.stringify({ holidays: ['2027-01-01'], workdays: ['2027-02-06'] })) }, [2027]);
    expect(warnings).toEqual([]);
    expect(calendar.specialDays(2027)).toEqual([
      { date: '2027-01-01', kind: 'holiday', name: null, inLieu: false, source: 'override' },
      { date: '2027-02-06', kind: 'workday', name: null, inLieu: false, source: 'override' },
    ]);
  });

  const cases: Array<[string, string, string[]]> = [
    ['bad-date.json', JSON.stringify({ holidays: ['2027-01-01', '2027-02-30'] }), ['holidays[1]', '"2027-02-30"', 'not a real date']],
    ['bad-format.json', JSON.stringify({ workdays: ['6 Feb 2027'] }), ['workdays[0]', '"6 Feb 2027"']],
    ['bad-json.json', '{"holidays": [', ['invalid JSON']],
    ['unknown-key.json', JSON.stringify({ holiday: ['2027-01-01'] }), ['holiday']],
    ['twice.json', JSON.stringify({ holidays: ['2027-01-01', '2027-01-01'] }), ['holidays[1]', 'listed twice']],
    ['both.json', JSON.stringify({ holidays: ['2027-01-01'], workdays: ['2027-01-01'] }), ['workdays[0]', 'also listed under holidays']],
  ];
  for (const [name, text, fragments] of cases) {
    it(`rejects ${name} naming the file and the entry`, () => {
      const path = file(name, text);
      const err = errorOf(() => configuredWorkCalendar({ holidayFile: path }));
      expect(err.code).toBe('config');
      expect(err.message).toContain(path);
      for (const f of fragments) expect(err.message).toContain(f);
    });
  }

  it('rejects a missing file naming it', () => {
    const path = join(dir, 'missing.json');
    expect(errorOf(() => configuredWorkCalendar({ holidayFile: path })).message).toContain(path);
  });
});
