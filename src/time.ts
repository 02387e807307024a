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

// Hot paths (every command, every scheduler pass) use one cached Intl.DateTimeFormat per
// zone: a dayjs tz conversion costs ~0.3 ms, this ~2 µs. dayjs decides only where a wall
// time does not exist or is ambiguous (DST changes; none in Asia/Shanghai).
interface WallParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const floorSecond = (ms: number) => ms - (((ms % 1000) + 1000) % 1000);

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(tz: string): Intl.DateTimeFormat {
  let f = zoneFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    zoneFormats.set(tz, f);
  }
  return f;
}

/**
 * Whether the runtime knows the zone `tz`. Its formatter is kept for the hot paths: configuration
 * checks the zone on every start, and creating a second formatter would cost again. A fixed-offset
 * zone needs none.
 */
export function isKnownTimeZone(tz: string): boolean {
  if (FIXED_OFFSET_ZONES.has(tz)) return true;
  try {
    zoneFormat(tz);
    return true;
  } catch {
    return false;
  }
}

/**
 * Zones whose offset has stayed the same since `since` (Asia/Shanghai: China's last summer time
 * ended in September 1991): from then on their wall time is arithmetic. The first
 * Intl.DateTimeFormat a process creates costs ~15 ms (ICU loads its zone and calendar data),
 * a good part of a CLI command; with the default zone a command creates none. Earlier instants
 * and every other zone go through the formatter.
 */
const FIXED_OFFSET_ZONES: ReadonlyMap<string, { since: number; offsetMs: number }> = new Map([
  ['Asia/Shanghai', { since: Date.UTC(1992, 0, 1), offsetMs: 8 * 3_600_000 }],
  ['UTC', { since: -8.64e15, offsetMs: 0 }],
  ['Etc/UTC', { since: -8.64e15, offsetMs: 0 }],
]);

function wallParts(ms: number, tz: string): WallParts {
  const fixed = FIXED_OFFSET_ZONES.get(tz);
  if (fixed !== undefined && ms >= fixed.since && Number.isFinite(ms)) {
    const d = new Date(floorSecond(ms) + fixed.offsetMs);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
  }
  const p: WallParts = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  for (const part of zoneFormat(tz).formatToParts(ms)) {
    if (part.type in p) p[part.type as keyof WallParts] = Number(part.value);
  }
  return p;
}


/** Offset of the zone at an instant, in ms (local wall time − UTC). */
function zoneOffsetAt(instant: Date | number, tz: string): number {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const p = wallParts(ms, tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - floorSecond(ms);
}

/** 'YYYY-MM-DD' of an instant in a zone. */
export function localDate(instant: Date | number, tz: string): string {
  const p = wallParts(typeof instant === 'number' ? instant : instant.getTime(), tz);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** Minutes since local midnight of an instant in a zone. */
export function localMinutes(instant: Date | number, tz: string): number {
  const p = wallParts(typeof instant === 'number' ? instant : instant.getTime(), tz);
  return p.hour * 60 + p.minute;
}

/** The instant of a wall-clock time on a calendar date in a zone, e.g. ('2026-03-01', '09:00'). */
export function zonedInstant(date: string, time: string, tz: string): number {
  const wall = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)), Number(time.slice(0, 2)), Number(time.slice(3, 5)));
  const first = wall - zoneOffsetAt(wall, tz);
  const second = wall - zoneOffsetAt(first, tz);
  if (first === second && zoneOffsetAt(first - 3_600_000, tz) === zoneOffsetAt(first + 3_600_000, tz)) return first;
  return dayjs.tz(`${date} ${time}`, 'YYYY-MM-DD HH:mm', tz).valueOf();
}

/** The last millisecond of a calendar date in a zone (deadlines are "end of that day"). */
export function endOfLocalDay(date: string, tz: string): number {
  const next = new Date(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)) + 1)).toISOString().slice(0, 10);
  return zonedInstant(next, '00:00', tz) - 1;
}

/** ISO-8601 with the zone's offset, e.g. 2026-03-01T09:00:00+08:00. */
export function isoInZone(instant: Date | number, tz: string): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const p = wallParts(ms, tz);
  const offsetMinutes = Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - floorSecond(ms)) / 60_000);
  const a = Math.abs(offsetMinutes);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
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

/**
 * An instant as people read it: 「2月27日 10:00」, with the year when it is not `nowMs`'s year
 * (「2025年12月30日 17:00」). Machine output (--json) keeps ISO.
 */
export function readableTime(instant: Date | number, tz: string, nowMs: number): string {
  const p = wallParts(typeof instant === 'number' ? instant : instant.getTime(), tz);
  const year = p.year === wallParts(nowMs, tz).year ? '' : `${p.year}年`;
  return `${year}${p.month}月${p.day}日 ${pad(p.hour)}:${pad(p.minute)}`;
}

/** A calendar date 'YYYY-MM-DD' as people read it: 「3月31日」, with the year when it is not `year`. */
export function readableDate(date: string, year: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return `${y === year ? '' : `${y}年`}${m}月${d}日`;
}
