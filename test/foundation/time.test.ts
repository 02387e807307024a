import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayjs, endOfLocalDay, isKnownTimeZone, isoInZone, localDate, localMinutes, parseInstant, zonedInstant } from '../../src/time.js';

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

  it('reads Asia/Shanghai and UTC by arithmetic exactly as Intl does (offset fixed since 1992), and earlier instants through Intl', () => {
    const intl = (tz: string) => new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    const viaIntl = (f: Intl.DateTimeFormat, ms: number) => {
      const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
      return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
    };
    for (const tz of ['Asia/Shanghai', 'UTC', 'Etc/UTC']) {
      const f = intl(tz);
      fc.assert(
        fc.property(fc.integer({ min: Date.UTC(1992, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
          expect(isoInZone(ms, tz).slice(0, 19)).toBe(viaIntl(f, ms));
          expect(localDate(ms, tz)).toBe(viaIntl(f, ms).slice(0, 10));
        }),
        { numRuns: 3000 },
      );
    }
    // China's summer time (1986–1991): +09:00 in July 1988, as the zone data says.
    expect(isoInZone(Date.UTC(1988, 6, 1, 4), 'Asia/Shanghai')).toBe('1988-07-01T13:00:00+09:00');
    expect(isoInZone(Date.UTC(2026, 6, 1, 4, 0, 0, 999), 'Asia/Shanghai')).toBe('2026-07-01T12:00:00+08:00');
    expect(isKnownTimeZone('Asia/Shanghai')).toBe(true);
    expect(isKnownTimeZone('Asia/Nowhere')).toBe(false);
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
