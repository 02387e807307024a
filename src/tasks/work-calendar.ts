/**
 * Working days in mainland China: public holidays and adjusted working days (调休) from the
 * `chinese-days` library, an optional override file (HOLIDAY_FILE) for years the library does
 * not cover yet, and a Monday–Friday fallback for any other year.
 *
 * The calendar reads the library's bundled data table (chinese-days/dist/chinese-days.json,
 * the same data its functions use) instead of calling `isWorkday()` & co.: those parse
 * 'YYYY-MM-DD' as UTC and then read local-time fields, which gives the wrong day when the
 * process runs in a zone west of UTC, and they silently answer Monday–Friday for years outside
 * their data. Here coverage is explicit and everything is computed on date strings.
 *
 * Building the calendar reads that data once; the calendar object itself is pure. Warnings
 * (years that fall back to Monday–Friday) are returned to the caller to log. The override file
 * is read by src/services/calendar.service.ts.
 */
import { createRequire } from 'node:module';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { addDays, formatDate, isWeekend, isValidDate, parseDate } from './dates.js';

export type YearSource = 'chinese-days' | 'fallback-mon-fri' | 'override';
export type SpecialDayKind = 'holiday' | 'workday';

export interface SpecialDay {
  date: string;
  /** 'holiday' = a public-holiday day off (weekend days inside the holiday included); 'workday' = 调休上班. */
  kind: SpecialDayKind;
  /** Chinese name (「春节」) where the library or the override file gives one. */
  name: string | null;
  /** A 调休 rest day: a normal working day given off in exchange for a weekend workday. */
  inLieu: boolean;
  source: 'chinese-days' | 'override';
}

export interface DayInfo {
  date: string;
  work: boolean;
  /** The holiday / adjusted working day this date is, or null for an ordinary weekday or weekend. */
  special: SpecialDay | null;
}

export interface CalendarCoverage {
  source: 'chinese-days';
  libraryVersion: string;
  /** Years with holiday data in the library (contiguous, e.g. 2004–2026). */
  coveredYears: number[];
  /** Years that have at least one entry in the override file. */
  overrideYears: number[];
}

export interface WorkCalendar {
  isWorkday(date: string): boolean;
  /** The last working day strictly before `date`. */
  previousWorkday(date: string): string;
  /** The first working day strictly after `date`. */
  nextWorkday(date: string): string;
  /** `date` itself when it is a working day, else the previous working day. */
  nearestWorkdayOnOrBefore(date: string): string;
  firstWorkdayOfMonth(year: number, month: number): string;
  /**
   * Working days d with a ≤ d ≤ b — both ends inclusive (Monday..Friday of an ordinary week
   * is 5). 0 when b is before a.
   */
  workdaysBetween(a: string, b: string): number;
  /** Number of working days in a year. */
  workdayCount(year: number): number;
  dayInfo(date: string): DayInfo;
  /** The year's holidays and adjusted working days, by date. */
  specialDays(year: number): SpecialDay[];
  /** Where a year's rules come from: the override file (on top of the library when it also covers the year), the library, or Mon–Fri. */
  yearSource(year: number): YearSource;
  /** The warning to log when a year falls back to Monday–Friday; undefined otherwise. */
  fallbackWarning(year: number): string | undefined;
  coverage(): CalendarCoverage;
}

export interface HolidayOverrideEntry {
  date: string;
  name: string | null;
}

export interface HolidayOverride {
  /** Where it came from (file path), for messages. */
  label: string;
  holidays: HolidayOverrideEntry[];
  workdays: HolidayOverrideEntry[];
}

// ---- the library's data ----

interface LibraryData {
  version: string;
  holidays: Record<string, string>;
  workdays: Record<string, string>;
  inLieuDays: Record<string, string>;
}

const libraryTableSchema = z.object({
  holidays: z.record(z.string(), z.string()),
  workdays: z.record(z.string(), z.string()),
  inLieuDays: z.record(z.string(), z.string()),
});

let libraryCache: LibraryData | undefined;

function loadLibraryData(): LibraryData {
  if (libraryCache) return libraryCache;
  const require = createRequire(import.meta.url);
  const table = libraryTableSchema.parse(require('chinese-days/dist/chinese-days.json'));
  const pkg = z.object({ version: z.string() }).parse(require('chinese-days/package.json'));
  libraryCache = { version: pkg.version, ...table };
  return libraryCache;
}

/** 'Spring Festival,春节,4' → '春节'. */
function chineseName(value: string): string | null {
  const parts = value.split(',');
  return parts[1]?.trim() || parts[0]?.trim() || null;
}

// ---- the override file ----

const overrideDateSchema = z.string().refine(isValidDate, { message: 'is not a real date (YYYY-MM-DD)' });
const overrideEntrySchema = z.union([
  overrideDateSchema,
  z.object({ date: overrideDateSchema, name: z.string().min(1).optional() }).strict(),
]);
const overrideFileSchema = z
  .object({
    holidays: z.array(overrideEntrySchema).default([]),
    workdays: z.array(overrideEntrySchema).default([]),
  })
  .strict();

function overrideError(label: string, problem: string): UserError {
  return new UserError('config', `HOLIDAY_FILE ${label}: ${problem}`, 'HOLIDAY_FILE');
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out || '(root)';
}

/**
 * Validates override data ({"holidays": ["2027-01-01", {"date": "2027-02-11", "name": "春节"}],
 * "workdays": ["2027-02-06"]}); errors name the source and the entry.
 */
export function parseHolidayOverride(json: unknown, label: string): HolidayOverride {
  const parsed = overrideFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? formatPath(issue.path) : '(root)';
    const value = issue ? valueAt(json, issue.path) : undefined;
    const shown = value === undefined || typeof value === 'object' ? '' : ` ${JSON.stringify(value)}`;
    throw overrideError(label, `${path}${shown}: ${issue?.message ?? 'invalid'}`);
  }
  const toEntry = (e: z.infer<typeof overrideEntrySchema>): HolidayOverrideEntry =>
    typeof e === 'string' ? { date: e, name: null } : { date: e.date, name: e.name ?? null };
  const holidays = parsed.data.holidays.map(toEntry);
  const workdays = parsed.data.workdays.map(toEntry);
  for (const [listName, list] of [['holidays', holidays], ['workdays', workdays]] as const) {
    const seen = new Set<string>();
    list.forEach((e, i) => {
      if (seen.has(e.date)) throw overrideError(label, `${listName}[${i}] "${e.date}": listed twice`);
      seen.add(e.date);
    });
  }
  const holidayDates = new Set(holidays.map((h) => h.date));
  workdays.forEach((w, i) => {
    if (holidayDates.has(w.date)) throw overrideError(label, `workdays[${i}] "${w.date}": also listed under holidays`);
  });
  return { label, holidays, workdays };
}

function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = json;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

// ---- the calendar ----

export interface CreateWorkCalendarOptions {
  override?: HolidayOverride;
  /** Years the caller is about to use: a warning is returned for each that falls back to Mon–Fri. */
  years?: readonly number[];
}

/** A search for a working day gives up after this many days (an override could make every day a holiday). */
const SEARCH_LIMIT_DAYS = 400;

function checkDate(date: string, field = 'date'): string {
  if (!isValidDate(date)) throw new UserError('bad_argument', `日期「${date}」无效（应为 YYYY-MM-DD）`, field);
  return date;
}

export function createWorkCalendar(options: CreateWorkCalendarOptions = {}): { calendar: WorkCalendar; warnings: string[] } {
  const lib = loadLibraryData();
  const coveredYears = [...new Set(Object.keys(lib.holidays).map((d) => Number(d.slice(0, 4))))].sort((a, b) => a - b);
  const covered = new Set(coveredYears);

  const overrideDays = new Map<string, SpecialDay>();
  for (const h of options.override?.holidays ?? []) {
    overrideDays.set(h.date, { date: h.date, kind: 'holiday', name: h.name, inLieu: false, source: 'override' });
  }
  for (const w of options.override?.workdays ?? []) {
    overrideDays.set(w.date, { date: w.date, kind: 'workday', name: w.name, inLieu: false, source: 'override' });
  }
  const overrideYears = [...new Set([...overrideDays.keys()].map((d) => Number(d.slice(0, 4))))].sort((a, b) => a - b);
  const overridden = new Set(overrideYears);

  const librarySpecial = (date: string): SpecialDay | null => {
    const holiday = lib.holidays[date];
    if (holiday !== undefined) {
      return { date, kind: 'holiday', name: chineseName(holiday), inLieu: lib.inLieuDays[date] !== undefined, source: 'chinese-days' };
    }
    const workday = lib.workdays[date];
    if (workday !== undefined) return { date, kind: 'workday', name: chineseName(workday), inLieu: false, source: 'chinese-days' };
    return null;
  };

  const special = (date: string): SpecialDay | null => overrideDays.get(date) ?? librarySpecial(date);

  const isWorkdayUnchecked = (date: string): boolean => {
    const s = special(date);
    if (s) return s.kind === 'workday';
    return !isWeekend(date);
  };

  const search = (from: string, step: 1 | -1): string => {
    let d = from;
    for (let i = 0; i < SEARCH_LIMIT_DAYS; i++) {
      d = addDays(d, step);
      if (isWorkdayUnchecked(d)) return d;
    }
    throw new UserError('config', `${SEARCH_LIMIT_DAYS} 天内没有工作日（从 ${from} 起），请检查节假日配置`);
  };

  const yearSource = (year: number): YearSource => (overridden.has(year) ? 'override' : covered.has(year) ? 'chinese-days' : 'fallback-mon-fri');

  const fallbackWarning = (year: number): string | undefined =>
    yearSource(year) === 'fallback-mon-fri'
      ? `chinese-days ${lib.version} 没有 ${year} 年的节假日数据（只有 ${coveredYears[0]}–${coveredYears[coveredYears.length - 1]} 年）：` +
        `${year} 年按周一至周五上班、不放节假日计算；请在 HOLIDAY_FILE 中补上这一年，或升级 chinese-days`
      : undefined;

  const workdaysBetween = (a: string, b: string): number => {
    checkDate(a, 'from');
    checkDate(b, 'to');
    let n = 0;
    for (let d = a; d <= b; d = addDays(d, 1)) if (isWorkdayUnchecked(d)) n++;
    return n;
  };

  const calendar: WorkCalendar = {
    isWorkday: (date) => isWorkdayUnchecked(checkDate(date)),
    previousWorkday: (date) => search(checkDate(date), -1),
    nextWorkday: (date) => search(checkDate(date), 1),
    nearestWorkdayOnOrBefore: (date) => (isWorkdayUnchecked(checkDate(date)) ? date : search(date, -1)),
    firstWorkdayOfMonth: (year, month) => {
      const first = formatDate(year, month, 1);
      if (!Number.isInteger(year) || !Number.isInteger(month) || !parseDate(first)) {
        throw new UserError('bad_argument', `年月 ${year}-${month} 无效`, 'month');
      }
      return isWorkdayUnchecked(first) ? first : search(first, 1);
    },
    workdaysBetween,
    workdayCount: (year) => workdaysBetween(formatDate(year, 1, 1), formatDate(year, 12, 31)),
    dayInfo: (date) => {
      checkDate(date);
      return { date, work: isWorkdayUnchecked(date), special: special(date) };
    },
    specialDays: (year) => {
      const out: SpecialDay[] = [];
      const end = formatDate(year, 12, 31);
      for (let d = formatDate(year, 1, 1); d <= end; d = addDays(d, 1)) {
        const s = special(d);
        if (s) out.push(s);
      }
      return out;
    },
    yearSource,
    fallbackWarning,
    coverage: () => ({ source: 'chinese-days', libraryVersion: lib.version, coveredYears: [...coveredYears], overrideYears: [...overrideYears] }),
  };

  const warnings: string[] = [];
  for (const year of options.years ?? []) {
    const w = fallbackWarning(year);
    if (w) warnings.push(w);
  }
  return { calendar, warnings };
}
