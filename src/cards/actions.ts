/**
 * Button values shared by every card that carries them (the bot's task cards and the
 * scheduler's reminder cards); src/bot/actions.ts routes them.
 */
import { button, type ButtonElement } from './card.js';

export const COMPLETE_TASK_ACTION = 'task.complete';
export const SNOOZE_REMINDER_ACTION = 'reminder.snooze';

/** 「标记完成」: completes one occurrence of a task and updates the card in place. */
export function completeTaskButton(year: number, seq: number, period: string, label = '标记完成'): ButtonElement {
  return button(label, { action: COMPLETE_TASK_ACTION, year, seq, period }, 'primary');
}

/** 「明天再提醒」: defers one reminder (an outbox row) to the next working day. */
export function snoozeReminderButton(key: string): ButtonElement {
  return button('明天再提醒', { action: SNOOZE_REMINDER_ACTION, key });
}
