/**
 * 「明天再提醒」: defers one task reminder to the next working day without shifting its series.
 * The reminder is re-sent once under a derived key (`<key>#snooze1`, then `#snooze2` …) so that
 * Lark's uuid dedup does not swallow it; the original row keeps its send record.
 */
import type { Actor } from '../auth/actor.js';
import type { Clock } from '../clock.js';
import type { SchedulerSettings } from '../config/scheduler-settings.js';
import { audit } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { findOutboxByKey, insertOutboxRows } from '../db/outbox.repository.js';
import { UserError } from '../errors.js';
import type { ReminderPayload } from '../scheduler/content.js';
import { TASK_REMINDER_KINDS, type ReminderKind } from '../scheduler/rules.js';
import type { WorkCalendar } from '../tasks/work-calendar.js';
import { isoInZone, localDate, zonedInstant } from '../time.js';

export interface SnoozeDeps {
  db: Db;
  clock: Clock;
  config: { timeZone: string };
  calendar: Pick<WorkCalendar, 'nextWorkday'>;
  settings: SchedulerSettings;
}

export interface SnoozeResult {
  /** The key of the re-send row. */
  key: string;
  /** The reminder deferred. */
  of: string;
  /** When it will be sent again, ISO with offset. */
  notBefore: string;
  /** The button was pressed before: nothing new was scheduled. */
  alreadySnoozed: boolean;
}

/** `<key>#snoozeN` → `<key>#snooze(N+1)`; `<key>` → `<key>#snooze1`. */
export function snoozeKeyOf(key: string): string {
  const m = /^(.*)#snooze(\d+)$/.exec(key);
  return m ? `${m[1]}#snooze${Number(m[2]) + 1}` : `${key}#snooze1`;
}

/**
 * Schedules the reminder `key` once more on the next working day at the reminder time
 * (beforeTime, 09:00 by default). Idempotent: pressing the same button twice schedules one
 * re-send. Only task reminders can be snoozed. Audited.
 */
export async function snoozeReminder(deps: SnoozeDeps, key: string, actor: Actor): Promise<SnoozeResult> {
  const settings = deps.settings;
  const tz = deps.config.timeZone;
  const now = deps.clock.now().getTime();
  const row = typeof key === 'string' && key.trim() !== '' ? await findOutboxByKey(deps.db, key.trim()) : undefined;
  if (!row) throw new UserError('not_found', `没有找到这条提醒（${key}）`, 'key');
  if (!TASK_REMINDER_KINDS.has(row.kind as ReminderKind) || row.chatId === '') {
    await audit(deps.db, { at: now, actor: actor.name, source: actor.source, action: 'reminder.snooze', subject: row.key, outcome: 'denied', detail: { reason: `kind ${row.kind} cannot be snoozed` } });
    throw new UserError('bad_argument', '只有任务提醒可以「明天再提醒」', 'key');
  }
  const newKey = snoozeKeyOf(row.key);
  const notBefore = zonedInstant(deps.calendar.nextWorkday(localDate(now, tz)), settings.beforeTime, tz);
  const original = (row.payload ?? {}) as ReminderPayload;
  const { batch: _batch, batchSize: _size, ...rest } = original;
  const n = Number(/#snooze(\d+)$/.exec(newKey)?.[1] ?? 1);
  const payload: ReminderPayload = { ...rest, late: false, snooze: { of: row.key, n, by: actor.name, at: isoInZone(now, tz) } };
  const inserted = await insertOutboxRows(deps.db, [
    {
      key: newKey,
      kind: row.kind,
      chat_id: row.chatId,
      task_seq: row.taskSeq,
      period: row.period,
      payload: JSON.stringify(payload),
      due_at: notBefore,
      not_before: notBefore,
      status: 'pending',
      created_at: now,
    },
  ]);
  const alreadySnoozed = inserted.length === 0;
  const existing = alreadySnoozed ? await findOutboxByKey(deps.db, newKey) : undefined;
  const when = existing ? existing.notBefore : notBefore;
  await audit(deps.db, {
    at: now,
    actor: actor.name,
    source: actor.source,
    action: 'reminder.snooze',
    subject: row.key,
    outcome: 'ok',
    detail: { key: newKey, notBefore: isoInZone(when, tz), alreadySnoozed },
  });
  return { key: newKey, of: row.key, notBefore: isoInZone(when, tz), alreadySnoozed };
}
