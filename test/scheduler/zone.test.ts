import { describe, expect, it } from 'vitest';
import { instantOf, isoOf, localDateOf, localMinutesOf } from '../../src/scheduler/zone.js';
import { isoInZone, localDate, zonedInstant } from '../../src/time.js';

const ZONES = ['Asia/Shanghai', 'America/New_York', 'America/Sao_Paulo', 'Australia/Lord_Howe'];

describe('fast zone arithmetic agrees with src/time.ts', () => {
  it.each(ZONES)('in %s, around DST changes and through the year', (tz) => {
    const mismatches: string[] = [];
    // Every 23 h 7 min over 2026 and 2018 (Sao Paulo still had DST then), so every hour of the day comes up: dates, ISO strings.
    for (const start of [Date.parse('2026-01-01T00:00:00Z'), Date.parse('2018-01-01T00:00:00Z')]) {
      for (let ms = start; ms < start + 366 * 86_400_000; ms += 23 * 3_600_000 + 7 * 60_000 + 123) {
        if (localDateOf(ms, tz) !== localDate(ms, tz)) mismatches.push(`localDate ${ms}`);
        if (isoOf(ms, tz) !== isoInZone(ms, tz)) mismatches.push(`iso ${ms}: ${isoOf(ms, tz)} vs ${isoInZone(ms, tz)}`);
        const hm = isoInZone(ms, tz).slice(11, 16);
        if (localMinutesOf(ms, tz) !== Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3))) mismatches.push(`minutes ${ms}`);
      }
    }
    // Wall-clock times around the 2018 DST changes of these zones (including times that do not exist or repeat) and on Mondays.
    const dates = ['2018-03-10', '2018-03-11', '2018-03-12', '2018-04-01', '2018-09-30', '2018-10-07', '2018-11-03', '2018-11-04', '2018-02-17', '2018-02-18', '2018-11-04'];
    for (let d = Date.parse('2018-01-01T00:00:00Z'); d < Date.parse('2019-01-01T00:00:00Z'); d += 7 * 86_400_000) dates.push(new Date(d).toISOString().slice(0, 10));
    for (const date of dates) {
      for (const time of ['00:00', '00:30', '01:30', '02:30', '09:00', '23:59']) {
        if (instantOf(date, time, tz) !== zonedInstant(date, time, tz)) mismatches.push(`instant ${date} ${time}`);
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
