/** The working-day calendar as configured: chinese-days plus the HOLIDAY_FILE override, read here (file I/O at the edge of the engine). */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { createWorkCalendar, parseHolidayOverride, type HolidayOverride, type WorkCalendar } from '../tasks/work-calendar.js';

/** Reads and validates an override file (HOLIDAY_FILE); errors name the file and the entry. */
function loadHolidayOverrideFile(path: string): HolidayOverride {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError('config', `HOLIDAY_FILE ${path}: cannot read file: ${err instanceof Error ? err.message : String(err)}`, 'HOLIDAY_FILE');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError('config', `HOLIDAY_FILE ${path}: invalid JSON: ${err instanceof Error ? err.message : String(err)}`, 'HOLIDAY_FILE');
  }
  return parseHolidayOverride(json, path);
}

/**
 * The calendar as configured: the override file when HOLIDAY_FILE is set, warnings for `years`
 * that fall back to Monday–Friday (for the caller to log).
 */
export function configuredWorkCalendar(config: { holidayFile?: string | undefined }, years: readonly number[] = []): { calendar: WorkCalendar; warnings: string[] } {
  const override = config.holidayFile === undefined ? undefined : loadHolidayOverrideFile(config.holidayFile);
  return createWorkCalendar({ ...(override ? { override } : {}), years });
}
