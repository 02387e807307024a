import { describe, expect, it } from 'vitest';
import type { ButtonElement, Card, CardElement } from '../../src/cards/card.js';
import { reminderCard, type CardItem } from '../../src/scheduler/cards.js';
import type { TaskReminderInfo } from '../../src/scheduler/content.js';

const task = (seq: number, period: string): TaskReminderInfo => ({
  year: 2026,
  seq,
  content: `任务 ${seq}`,
  period,
  cadence: period === '2026' ? null : 'monthly',
  dueDate: '2026-03-31',
  offset: 1,
  daysLeft: 1,
  overdueDays: null,
  overdueWorkdays: null,
  leadUnits: ['社管中心'],
  fallbackUnits: [],
});

const item = (key: string, t: TaskReminderInfo): CardItem => ({ key, payload: { v: 1, kind: 'before_due', at: '2026-03-30T09:00:00+08:00', late: false, task: t } });

function buttons(c: Card): ButtonElement[] {
  const out: ButtonElement[] = [];
  const walk = (els: CardElement[]) => {
    for (const e of els) {
      if (e.tag === 'button') out.push(e);
      if (e.tag === 'column_set') e.columns.forEach((col) => walk(col.elements));
    }
  };
  walk(c.body.elements);
  return out;
}

describe('reminder cards', () => {
  it('carry 「标记完成」 for the occurrence and 「明天再提醒」 for the row', () => {
    const c = reminderCard([item('due:3:2026-03:d1:oc_a', task(3, '2026-03'))], 'Asia/Shanghai');
    expect(buttons(c).map((b) => [b.text.content, b.behaviors[0]?.value])).toEqual([
      ['标记完成', { action: 'task.complete', year: 2026, seq: 3, period: '2026-03' }],
      ['明天再提醒', { action: 'reminder.snooze', key: 'due:3:2026-03:d1:oc_a' }],
    ]);
    expect(c.config.update_multi).toBe(true);
  });

  it('give each task of a coalesced card its own pair of buttons', () => {
    const c = reminderCard([item('due:3:2026-03:d1:oc_a', task(3, '2026-03')), item('due:10:2026:d1:oc_a', task(10, '2026'))], 'Asia/Shanghai');
    expect(buttons(c).map((b) => b.behaviors[0]?.value)).toEqual([
      { action: 'task.complete', year: 2026, seq: 3, period: '2026-03' },
      { action: 'reminder.snooze', key: 'due:3:2026-03:d1:oc_a' },
      { action: 'task.complete', year: 2026, seq: 10, period: '2026' },
      { action: 'reminder.snooze', key: 'due:10:2026:d1:oc_a' },
    ]);
  });
});
