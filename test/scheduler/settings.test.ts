import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULER_SETTINGS, schedulerSettings, schedulerSettingsFromEnv } from '../../src/config/scheduler-settings.js';
import { snoozeKeyOf } from '../../src/services/snooze.service.js';

describe('scheduler settings', () => {
  it('defaults: T−7/3/1/0 at 09:00, overdue 09:30, escalate on the 3rd then every 5th working day, window 08:30–18:00, catch-up 24 h, yellow 7 days', () => {
    expect(DEFAULT_SCHEDULER_SETTINGS).toMatchObject({
      offsets: [7, 3, 1, 0],
      beforeTime: '09:00',
      overdueTime: '09:30',
      escalateAfterWorkdays: 3,
      escalateEveryWorkdays: 5,
      windowStart: '08:30',
      windowEnd: '18:00',
      catchUpHours: 24,
      yellowDays: 7,
    });
    expect(schedulerSettingsFromEnv({})).toEqual(DEFAULT_SCHEDULER_SETTINGS);
  });

  it('reads overrides from the environment', () => {
    const s = schedulerSettingsFromEnv({ REMINDER_OFFSETS: '1, 14,0', REMINDER_TIME: '08:45', OVERDUE_TIME: '10:00', PUSH_WINDOW: '08:00-17:30', CATCH_UP_HOURS: '12', ESCALATE_AFTER_WORKDAYS: '2', ESCALATE_EVERY_WORKDAYS: '3', YELLOW_DAYS: '5', REMINDER_COALESCE_MAX: '1', PUSH_TIME: '' });
    expect(s).toMatchObject({ offsets: [14, 1, 0], beforeTime: '08:45', overdueTime: '10:00', windowStart: '08:00', windowEnd: '17:30', catchUpHours: 12, escalateAfterWorkdays: 2, escalateEveryWorkdays: 3, yellowDays: 5, coalesceMax: 1, pushTime: '09:00' });
  });

  it.each([
    [{ REMINDER_TIME: '9:00' }, /^invalid REMINDER_TIME="9:00": expected a time HH:mm/],
    [{ REMINDER_OFFSETS: '7,x' }, /^invalid REMINDER_OFFSETS="7,x": expected comma-separated day counts/],
    [{ PUSH_WINDOW: '18:00-08:30' }, /^invalid PUSH_WINDOW="18:00-08:30": expected windowStart must be before windowEnd/],
    [{ ESCALATE_EVERY_WORKDAYS: '0' }, /^invalid ESCALATE_EVERY_WORKDAYS="0"/],
    [{ CATCH_UP_HOURS: 'a day' }, /^invalid CATCH_UP_HOURS="a day": expected a number of hours/],
  ])('a bad value names the variable: %o', (env, message) => {
    expect(() => schedulerSettingsFromEnv(env)).toThrow(message);
  });

  it('settings given in code are validated too', () => {
    expect(() => schedulerSettings({ beforeTime: '25:00' })).toThrow(/beforeTime/);
    expect(schedulerSettings({ coalesceMax: 1 }).coalesceMax).toBe(1);
  });
});

describe('snooze keys', () => {
  it.each([
    ['due:4:2026:d7:oc_djb', 'due:4:2026:d7:oc_djb#snooze1'],
    ['due:4:2026:d7:oc_djb#snooze1', 'due:4:2026:d7:oc_djb#snooze2'],
    ['overdue:21:2026-03-上:w12:oc_x#snooze9', 'overdue:21:2026-03-上:w12:oc_x#snooze10'],
  ])('%s → %s', (key, next) => {
    expect(snoozeKeyOf(key)).toBe(next);
  });
});
