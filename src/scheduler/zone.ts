/**
 * Zone arithmetic for the scheduler's hot paths (a pass runs every minute, a preview covers a
 * year of reminders): the same results as src/time.ts (`localDate`, `zonedInstant`, `isoInZone`)
 * from one cached Intl.DateTimeFormat per zone instead of a dayjs parse per call, which costs
 * about half a millisecond. Where a wall-clock time does not exist or is ambiguous (DST changes)
 * the dayjs functions decide, so results never differ.
 */
import { zonedInstant } from '../time.js';

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function format(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(tz, f);
  }
  return f;
}

function partsOf(ms: number, tz: string): Parts {
  const p: Parts = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  for (const part of format(tz).formatToParts(ms)) {
    if (part.type in p) p[part.type as keyof Parts] = Number(part.value);
  }
  return p;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const floorSecond = (ms: number) => ms - (((ms % 1000) + 1000) % 1000);

/** Offset of the zone at an instant, in ms (local wall time − UTC). */
export function offsetAt(ms: number, tz: string): number {
  const p = partsOf(ms, tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - floorSecond(ms);
}

/** 'YYYY-MM-DD' of an instant in a zone (= time.ts localDate). */
export function localDateOf(ms: number, tz: string): string {
  const p = partsOf(ms, tz);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** Minutes since local midnight of an instant in a zone. */
export function localMinutesOf(ms: number, tz: string): number {
  const p = partsOf(ms, tz);
  return p.hour * 60 + p.minute;
}

/** ISO-8601 with the zone's offset, seconds precision (= time.ts isoInZone). */
export function isoOf(ms: number, tz: string): string {
  const p = partsOf(ms, tz);
  const off = Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - floorSecond(ms)) / 60_000);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** The instant of a wall-clock time 'HH:mm' on a date in a zone (= time.ts zonedInstant). */
export function instantOf(date: string, time: string, tz: string): number {
  const utc = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)), Number(time.slice(0, 2)), Number(time.slice(3, 5)));
  const first = utc - offsetAt(utc, tz);
  const second = utc - offsetAt(first, tz);
  // Stable and exact: the wall time exists once. Otherwise (a DST gap or overlap) dayjs decides.
  if (first === second && offsetAt(first - 3_600_000, tz) === offsetAt(first + 3_600_000, tz)) return first;
  return zonedInstant(date, time, tz);
}
