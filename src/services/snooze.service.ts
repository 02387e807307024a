/**
 * 「明天再提醒」: defers one task reminder item to the chat's card of the next working day,
 * without shifting its series. The item is held once more under a derived key (`<key>#snooze1`,
 * then `#snooze2` …) and goes with that day's card (merged with the day's own item for the
 * occurrence, if any); the original item keeps its record.
 */
import type { Actor } from '../auth/actor.js';
import type { Clock } from '../clock.js';
import type { SchedulerSettings } from '../config/scheduler-settings.js';
import { audit } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { findItemByKey, insertItems } from '../db/outbox.repository.js';
import { UserError } from '../errors.js';
import type { CardItem } from '../scheduler/content.js';
import { isTaskKind } from '../scheduler/kinds.js';
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
  /** The key of the re-send item. */
  key: string;
  /** The reminder deferred. */
  of: string;
  /** When it will be shown again, ISO with offset. */
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
 * Holds the reminder item `key` once more for the next working day's card (at the reminder time,
 * REMINDER_TIME, 09:00 by default). Idempotent: pressing the same button twice schedules one
 * re-send. Only task reminders can be snoozed. Audited.
 */
export async function snoozeReminder(deps: SnoozeDeps, key: string, actor: Actor): Promise<SnoozeResult> {
  const settings = deps.settings;
  const tz = deps.config.timeZone;
  const now = deps.clock.now().getTime();
  const row = typeof key === 'string' && key.trim() !== '' ? await findItemByKey(deps.db, key.trim()) : undefined;
  if (!row) throw new UserError('not_found', `没有找到这条提醒（${key}）`, 'key');
  if (!isTaskKind(row.kind) || row.chatId === '') {
    await audit(deps.db, { at: now, actor: actor.name, source: actor.source, action: 'reminder.snooze', subject: row.key, outcome: 'denied', detail: { reason: `kind ${row.kind} cannot be snoozed` } });
    throw new UserError('bad_argument', '只有任务提醒可以「明天再提醒」', 'key');
  }
  const newKey = snoozeKeyOf(row.key);
  const date = deps.calendar.nextWorkday(localDate(now, tz));
  const notBefore = zonedInstant(date, settings.beforeTime, tz);
  const original = (row.payload ?? {}) as CardItem;
  const n = Number(/#snooze(\d+)$/.exec(newKey)?.[1] ?? 1);
  const item: CardItem = { ...original, key: newKey, date, at: isoInZone(notBefore, tz), snooze: { of: row.key, n, by: actor.name, at: isoInZone(now, tz) } };
  const inserted = await insertItems(deps.db, [
    {
      key: newKey,
      kind: row.kind,
      chat_id: row.chatId,
      task_year: row.taskYear,
      task_seq: row.taskSeq,
      period: row.period,
      date,
      due_at: notBefore,
      not_before: notBefore,
      status: 'pending',
      reason: null,
      payload: JSON.stringify(item),
      created_at: now,
    },
  ]);
  const alreadySnoozed = inserted.length === 0;
  const existing = alreadySnoozed ? await findItemByKey(deps.db, newKey) : undefined;
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
