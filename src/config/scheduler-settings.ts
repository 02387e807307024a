/**
 * The scheduler's knobs: one zod schema with the defaults of issue 6, optionally overridden
 * from the environment (see `schedulerSettingsFromEnv`). Times are wall-clock 'HH:mm' in
 * DANGJIAN_TZ.
 */
import { z } from 'zod';
import { UserError } from '../errors.js';
import { parseIsoDate } from '../time.js';

const isIsoDate = (s: string) => parseIsoDate(s) !== undefined;

const hhmm = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a wall-clock time HH:mm such as 09:00');

const minutesOf = (t: string): number => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

export const schedulerSettingsSchema = z
  .object({
    /** Calendar days before a deadline at which to remind; 0 = on the due day. */
    offsets: z.array(z.number().int().min(0).max(60)).min(1).default([7, 3, 1, 0]),
    /** REMINDER_TIME: the daily card's time (before-deadline and due-day items). */
    beforeTime: hhmm.default('09:00'),
    /** Time of the overdue items and escalations: the card's time only on a day it carries nothing else. */
    overdueTime: hhmm.default('09:30'),
    /** Time of the monthly / quarterly / yearly / phase pushes. */
    pushTime: hhmm.default('09:00'),
    /** Time of the weekly digest (first working day of the week). */
    digestTime: hhmm.default('09:00'),
    /** First escalation to the leadership chat on this working day overdue … */
    escalateAfterWorkdays: z.number().int().min(1).default(3),
    /** … then every this many working days. */
    escalateEveryWorkdays: z.number().int().min(1).default(5),
    /** Pushes go out only on working days within [windowStart, windowEnd). */
    windowStart: hhmm.default('08:30'),
    windowEnd: hhmm.default('18:00'),
    /** A reminder first seen more than this late is recorded as skipped instead of sent. */
    catchUpHours: z.number().positive().max(24 * 30).default(24),
    /** A reminder sent more than this many minutes after its time is marked 补发. */
    lateGraceMinutes: z.number().min(0).default(5),
    /** Yellow light: due within this many calendar days. */
    yellowDays: z.number().int().min(0).default(7),
    /** Months of the yearly pushes. */
    projectListMonth: z.number().int().min(1).max(12).default(1),
    selfCheckMonth: z.number().int().min(1).max(12).default(7),
    acceptanceMonth: z.number().int().min(1).max(12).default(12),
    /** Items a daily card shows in full with their buttons (the rest: collapsed, counted, 「查看全部」). */
    coalesceMax: z.number().int().min(1).max(50).default(20),
    /** REMINDERS_START (YYYY-MM-DD): go-live; unset = the day the first chat was bound (recorded in the database). */
    remindersStart: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD such as 2026-03-01')
      .optional(),
    /** Dispatch passes (send attempts) before a row is marked failed. */
    maxSendAttempts: z.number().int().min(1).default(3),
    /** Delay before the next attempt after a retryable failure: retryDelayMinutes × attempts. */
    retryDelayMinutes: z.number().min(0).default(2),
    /** How long a claim holds before another process may take the row over (crash recovery). */
    claimLeaseMinutes: z.number().positive().default(10),
    /** Lark's uuid dedup window: a crashed claim older than this is not re-sent (delivery unknown) but marked failed. */
    uuidWindowMinutes: z.number().positive().default(55),
    /** Rows claimed per dispatch round. */
    claimBatch: z.number().int().min(1).default(500),
    /** Chats sent to concurrently (each chat's cards go one after another, in order). */
    sendConcurrency: z.number().int().min(1).default(100),
    /** Seconds between passes; unset = every minute at second 0 (node-cron). For tests and drills. */
    tickSeconds: z.number().positive().max(3600).optional(),
  })
  .refine((s) => minutesOf(s.windowStart) < minutesOf(s.windowEnd), { message: 'windowStart must be before windowEnd', path: ['windowStart'] });

export type SchedulerSettings = z.output<typeof schedulerSettingsSchema>;
export type SchedulerSettingsInput = z.input<typeof schedulerSettingsSchema>;

/** Validated settings with defaults filled in; throws UserError('config') naming the field. */
export function schedulerSettings(input: SchedulerSettingsInput = {}): SchedulerSettings {
  const r = schedulerSettingsSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue?.path.map(String).join('.') || 'settings';
  throw new UserError('config', `scheduler setting ${field}: ${issue?.message ?? 'invalid'}`, field);
}

export const DEFAULT_SCHEDULER_SETTINGS: SchedulerSettings = schedulerSettings();

/** Env variable → settings field. All optional; see the report / README. */
const SCHEDULER_ENV = {
  REMINDER_OFFSETS: 'offsets',
  REMINDER_TIME: 'beforeTime',
  OVERDUE_TIME: 'overdueTime',
  PUSH_TIME: 'pushTime',
  DIGEST_TIME: 'digestTime',
  ESCALATE_AFTER_WORKDAYS: 'escalateAfterWorkdays',
  ESCALATE_EVERY_WORKDAYS: 'escalateEveryWorkdays',
  PUSH_WINDOW: 'window',
  CATCH_UP_HOURS: 'catchUpHours',
  YELLOW_DAYS: 'yellowDays',
  REMINDER_COALESCE_MAX: 'coalesceMax',
  REMINDERS_START: 'remindersStart',
  REMINDER_CLAIM_LEASE_MINUTES: 'claimLeaseMinutes',
  REMINDER_RETRY_DELAY_MINUTES: 'retryDelayMinutes',
  SCHEDULER_TICK_SECONDS: 'tickSeconds',
  REMINDER_CLAIM_BATCH: 'claimBatch',
} as const;

/**
 * Settings from the environment: REMINDER_OFFSETS=7,3,1,0  REMINDER_TIME=09:00  OVERDUE_TIME=09:30
 * PUSH_TIME=09:00  DIGEST_TIME=09:00  ESCALATE_AFTER_WORKDAYS=3  ESCALATE_EVERY_WORKDAYS=5
 * PUSH_WINDOW=08:30-18:00  CATCH_UP_HOURS=24  YELLOW_DAYS=7  REMINDER_COALESCE_MAX=20  REMINDERS_START=YYYY-MM-DD.
 * Operational knobs (defaults suit production; fault drills and the reliability tests shorten them):
 * REMINDER_CLAIM_LEASE_MINUTES=10 (how long a crashed sender's claim blocks its rows),
 * REMINDER_RETRY_DELAY_MINUTES=2 (× attempts, before a failed send is retried),
 * SCHEDULER_TICK_SECONDS (unset: a pass every minute; else every N seconds). Decimals allowed.
 * REMINDER_CLAIM_BATCH=500 (rows a sender claims per round: smaller spreads a burst over replicas).
 * Unset or empty variables keep the defaults; a bad value is a UserError naming the variable.
 */
export function schedulerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SchedulerSettings {
  const input: Record<string, unknown> = {};
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const bad = (name: string, expected: string): never => {
    throw new UserError('config', `invalid ${name}=${JSON.stringify(env[name] ?? '')}: expected ${expected}`, name);
  };
  const int = (name: string, field: string) => {
    const v = get(name);
    if (v === undefined) return;
    if (!/^\d+$/.test(v)) bad(name, 'a whole number');
    input[field] = Number(v);
  };
  const time = (name: string, field: string) => {
    const v = get(name);
    if (v === undefined) return;
    if (!hhmm.safeParse(v).success) bad(name, 'a time HH:mm such as 09:00');
    input[field] = v;
  };
  const offsets = get('REMINDER_OFFSETS');
  if (offsets !== undefined) {
    const parts = offsets.split(',').map((s) => s.trim());
    if (parts.some((p) => !/^\d{1,2}$/.test(p))) bad('REMINDER_OFFSETS', 'comma-separated day counts such as 7,3,1,0');
    input.offsets = [...new Set(parts.map(Number))].sort((a, b) => b - a);
  }
  time('REMINDER_TIME', 'beforeTime');
  time('OVERDUE_TIME', 'overdueTime');
  time('PUSH_TIME', 'pushTime');
  time('DIGEST_TIME', 'digestTime');
  int('ESCALATE_AFTER_WORKDAYS', 'escalateAfterWorkdays');
  int('ESCALATE_EVERY_WORKDAYS', 'escalateEveryWorkdays');
  int('YELLOW_DAYS', 'yellowDays');
  int('REMINDER_COALESCE_MAX', 'coalesceMax');
  int('REMINDER_CLAIM_BATCH', 'claimBatch');
  const start = get('REMINDERS_START');
  if (start !== undefined) {
    if (!isIsoDate(start)) bad('REMINDERS_START', 'a date YYYY-MM-DD such as 2026-03-01');
    input.remindersStart = start;
  }
  const window = get('PUSH_WINDOW');
  if (window !== undefined) {
    const m = /^(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})$/.exec(window);
    if (!m || !hhmm.safeParse(m[1]).success || !hhmm.safeParse(m[2]).success) bad('PUSH_WINDOW', 'HH:mm-HH:mm such as 08:30-18:00');
    input.windowStart = m?.[1];
    input.windowEnd = m?.[2];
  }
  const catchUp = get('CATCH_UP_HOURS');
  if (catchUp !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(catchUp)) bad('CATCH_UP_HOURS', 'a number of hours such as 24');
    input.catchUpHours = Number(catchUp);
  }
  const decimal = (name: string, field: string) => {
    const v = get(name);
    if (v === undefined) return;
    if (!/^\d+(\.\d+)?$/.test(v)) bad(name, 'a non-negative number such as 1.5');
    input[field] = Number(v);
  };
  decimal('REMINDER_CLAIM_LEASE_MINUTES', 'claimLeaseMinutes');
  decimal('REMINDER_RETRY_DELAY_MINUTES', 'retryDelayMinutes');
  decimal('SCHEDULER_TICK_SECONDS', 'tickSeconds');
  const r = schedulerSettingsSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = String(issue?.path[0] ?? '');
  const envName = Object.entries(SCHEDULER_ENV).find(([, f]) => f === field || (field.startsWith('window') && f === 'window'))?.[0] ?? 'scheduler settings';
  return bad(envName, issue?.message ?? 'a valid value');
}

export { minutesOf };
