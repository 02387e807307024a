/**
 * Button values shared by every card that carries them (the bot's task cards and the
 * scheduler's daily cards); src/bot/actions.ts routes them. A button on a card that carries
 * several items names that card, so that a press updates the card in place:
 *   card: '<outbox key>'                      — a scheduled card (its items are in the outbox)
 *   listTitle + listSeqs: '3,8,12'             — a task list (the 「任务」 reply): the tasks it lists
 */
import { button, type ButtonElement } from './card.js';

export const COMPLETE_TASK_ACTION = 'task.complete';
export const SNOOZE_REMINDER_ACTION = 'reminder.snooze';
export const COMPLETE_OVERDUE_ACTION = 'task.complete_overdue';
export const LIST_CARD_ACTION = 'reminder.list';
export const COMPLETE_UNIT_ITEM_ACTION = 'unit_item.complete';

/** Where a button sits: a scheduled card, or a task list. */
export type CardRef = { card: string } | { listTitle: string; listSeqs: string } | Record<string, never>;

/** 「标记完成」: completes one occurrence of a task and updates the card in place. */
export function completeTaskButton(year: number, seq: number, period: string, label = '标记完成', on: CardRef = {}): ButtonElement {
  return button(label, { action: COMPLETE_TASK_ACTION, year, seq, period, ...on }, 'primary');
}

/** 「明天再提醒」: defers one reminder item to the next working day's card. */
export function snoozeReminderButton(key: string, on: CardRef = {}): ButtonElement {
  return button('明天再提醒', { action: SNOOZE_REMINDER_ACTION, key, ...on });
}

/** 「全部标记完成」 on a collapsed line: every overdue occurrence of the task, after a confirmation. */
export function completeOverdueButton(year: number, seq: number, count: number, on: { card: string }): ButtonElement {
  return button('全部标记完成', { action: COMPLETE_OVERDUE_ACTION, year, seq, ...on }, 'default', {
    title: `任务 ${seq}：全部标记完成？`,
    text: `将把任务 ${seq} 的 ${count} 期逾期事项全部标记为已完成（你无权完成的会被拒绝并列出）。完成后可发送「撤销 ${seq} 〈期次范围〉」撤销。`,
  });
}

/** 「查看全部」: the card's every item, sent to the presser. */
export function listCardButton(card: string, hidden: number): ButtonElement {
  return button(`查看全部（另有 ${hidden} 项）`, { action: LIST_CARD_ACTION, card });
}

/** 「标记完成」 on a unit's own item in its chat's daily card: answered with a toast, the card kept as it is. */
export function completeUnitItemButton(id: number): ButtonElement {
  return button('标记完成', { action: COMPLETE_UNIT_ITEM_ACTION, id }, 'primary');
}
