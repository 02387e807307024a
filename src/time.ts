/** Calendar arithmetic in the configured time zone. dayjs parses/formats; instants are epoch ms. */
import dayjs, { type Dayjs } from 'dayjs';
import timezone from 'dayjs/plugin/timezone.js';
import utc from 'dayjs/plugin/utc.js';

dayjs.extend(utc);
dayjs.extend(timezone);

export { dayjs, type Dayjs };

export const DEFAULT_TZ = 'Asia/Shanghai';

/** The instant seen in a zone. */
export function inZone(instant: Date | number, tz: string): Dayjs {
  return dayjs(instant).tz(tz);
}

/** 'YYYY-MM-DD' of an instant in a zone. */
export function localDate(instant: Date | number, tz: string): string {
  return inZone(instant, tz).format('YYYY-MM-DD');
}

/** The instant of a wall-clock time on a calendar date in a zone, e.g. ('2026-03-01', '09:00'). */
export function zonedInstant(date: string, time: string, tz: string): number {
  return dayjs.tz(`${date} ${time}`, 'YYYY-MM-DD HH:mm', tz).valueOf();
}

/** The last millisecond of a calendar date in a zone (deadlines are "end of that day"). */
export function endOfLocalDay(date: string, tz: string): number {
  return dayjs.tz(`${date} 00:00`, 'YYYY-MM-DD HH:mm', tz).add(1, 'day').valueOf() - 1;
}

/** ISO-8601 with the zone's offset, e.g. 2026-03-01T09:00:00+08:00. */
export function isoInZone(instant: Date | number, tz: string): string {
  return inZone(instant, tz).format('YYYY-MM-DDTHH:mm:ssZ');
}

/** Parses 'YYYY-MM-DD' strictly (real calendar date) or returns undefined. */
export function parseIsoDate(text: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const d = dayjs.utc(text, 'YYYY-MM-DD');
  return d.isValid() && d.format('YYYY-MM-DD') === text ? text : undefined;
}

/**
 * Parses an ISO instant. A bare date or a date-time without offset is read as wall-clock
 * time in `tz`. Returns undefined when the text is not a valid ISO date/time.
 */
export function parseInstant(text: string, tz: string): number | undefined {
  const t = text.trim();
  if (parseIsoDate(t)) return zonedInstant(t, '00:00', tz);
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(t);
  if (!m) return undefined;
  const [, date, hh, mm, ss, ms, offset] = m;
  if (!date || !parseIsoDate(date) || Number(hh) > 23 || Number(mm) > 59 || Number(ss ?? 0) > 59) return undefined;
  if (offset) {
    const ms2 = Date.parse(t.replace(' ', 'T'));
    return Number.isNaN(ms2) ? undefined : ms2;
  }
  return dayjs.tz(`${date} ${hh}:${mm}:${ss ?? '00'}`, 'YYYY-MM-DD HH:mm:ss', tz).valueOf() + Number((ms ?? '0').padEnd(3, '0'));
}
