import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayjs, endOfLocalDay, isoInZone, localDate, localMinutes, parseInstant, zonedInstant } from '../../src/time.js';

const zones = ['Asia/Shanghai', 'America/New_York', 'Europe/London', 'UTC'];
const instants = fc.integer({ min: Date.UTC(2004, 0, 1), max: Date.UTC(2035, 0, 1) });

describe('time (Intl fast paths agree with dayjs)', () => {
  it.each(zones)('localDate, localMinutes, isoInZone and zonedInstant match dayjs in %s', (tz) => {
    fc.assert(
      fc.property(instants, (ms) => {
        const d = dayjs(ms).tz(tz);
        expect(localDate(ms, tz)).toBe(d.format('YYYY-MM-DD'));
        expect(localMinutes(ms, tz)).toBe(d.hour() * 60 + d.minute());
        expect(isoInZone(ms, tz)).toBe(d.format('YYYY-MM-DDTHH:mm:ssZ'));
        const wall = d.format('HH:mm');
        expect(zonedInstant(d.format('YYYY-MM-DD'), wall, tz)).toBe(dayjs.tz(`${d.format('YYYY-MM-DD')} ${wall}`, 'YYYY-MM-DD HH:mm', tz).valueOf());
      }),
      { numRuns: 2000 },
    );
  });

  it('ends a day at its last millisecond in Asia/Shanghai, whatever the machine zone', () => {
    expect(new Date(endOfLocalDay('2026-02-28', 'Asia/Shanghai')).toISOString()).toBe('2026-02-28T15:59:59.999Z');
    expect(new Date(endOfLocalDay('2028-02-29', 'Asia/Shanghai')).toISOString()).toBe('2028-02-29T15:59:59.999Z');
  });

  it('ends a 23-hour DST day at the next local midnight minus 1 ms', () => {
    expect(new Date(endOfLocalDay('2026-03-08', 'America/New_York')).toISOString()).toBe('2026-03-09T03:59:59.999Z');
  });

  it('parses ISO instants with and without offsets, rejecting impossible dates', () => {
    expect(parseInstant('2026-03-01T09:00:00+08:00', 'Asia/Shanghai')).toBe(Date.UTC(2026, 2, 1, 1, 0));
    expect(parseInstant('2026-03-01T09:00', 'Asia/Shanghai')).toBe(Date.UTC(2026, 2, 1, 1, 0));
    expect(parseInstant('2026-03-01', 'Asia/Shanghai')).toBe(Date.UTC(2026, 1, 28, 16, 0));
    expect(parseInstant('2026-02-30', 'Asia/Shanghai')).toBeUndefined();
    expect(parseInstant('yesterday', 'Asia/Shanghai')).toBeUndefined();
  });
});
