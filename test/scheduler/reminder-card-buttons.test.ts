/** The daily card's buttons and marks, rendered from its data (pure: src/scheduler/cards.ts). */
import { describe, expect, it } from 'vitest';
import type { ButtonElement, Card, CardElement } from '../../src/cards/card.js';
import { renderCardText } from '../../src/cards/card.js';
import { dailyCard, fullListCard, MAX_CARD_BYTES } from '../../src/scheduler/cards.js';
import type { CardData, CardItem, TaskReminderInfo } from '../../src/scheduler/content.js';

const task = (seq: number, period: string, extra: Partial<TaskReminderInfo> = {}): TaskReminderInfo => ({
  year: 2026,
  seq,
  content: `任务内容 ${seq}`,
  period,
  cadence: period === '2026' ? null : 'monthly',
  dueDate: '2026-03-31',
  offset: 1,
  daysLeft: 1,
  overdueDays: null,
  overdueWorkdays: null,
  leadUnits: ['社管中心'],
  fallbackUnits: [],
  ...extra,
});

const item = (key: string, t: TaskReminderInfo, kind: CardItem['kind'] = 'before_due'): CardItem => ({ key, kind, at: '2026-03-30T09:00:00+08:00', date: '2026-03-30', task: t });

const data = (items: CardItem[]): CardData => ({
  v: 2,
  key: 'daily:2026-03-30:oc_a',
  chatId: 'oc_a',
  target: { kind: 'lead', leadUnit: '社管中心' },
  date: '2026-03-30',
  at: '2026-03-30T09:00:00+08:00',
  late: false,
  counts: { red: 2, yellow: 1, done: 0, since: '2026-03-27' },
  people: {},
  remindersStart: null,
  items,
});

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

describe('a daily card', () => {
  it('gives each item in full 「标记完成」 for its occurrence and 「明天再提醒」 for the item, both naming the card', () => {
    const c = dailyCard(data([item('due:3:2026-03:d1:oc_a', task(3, '2026-03')), item('due:10:2026:d1:oc_a', task(10, '2026'))]));
    expect(buttons(c).map((b) => [b.text.content, b.behaviors[0]?.value])).toEqual([
      ['标记完成', { action: 'task.complete', year: 2026, seq: 3, period: '2026-03', card: 'daily:2026-03-30:oc_a' }],
      ['明天再提醒', { action: 'reminder.snooze', key: 'due:3:2026-03:d1:oc_a', card: 'daily:2026-03-30:oc_a' }],
      ['标记完成', { action: 'task.complete', year: 2026, seq: 10, period: '2026', card: 'daily:2026-03-30:oc_a' }],
      ['明天再提醒', { action: 'reminder.snooze', key: 'due:10:2026:d1:oc_a', card: 'daily:2026-03-30:oc_a' }],
    ]);
    expect(c.config.update_multi).toBe(true);
    expect(c.header.title.content).toBe('今日待办｜社管中心 3月30日（周一）');
  });

  it('marks a done item ✅ with who and when, a snoozed one 💤, and leaves every other line and button as it was', () => {
    const items = [item('due:3:2026-03:d1:oc_a', task(3, '2026-03')), item('due:4:2026-03:d1:oc_a', task(4, '2026-03')), item('due:5:2026-03:d1:oc_a', task(5, '2026-03'))];
    const before = dailyCard(data(items));
    const after = dailyCard(data(items), {
      done: new Map([['2026:4:2026-03', { state: 'done', by: '李社管', at: '2026-03-30T10:12:00+08:00' }]]),
      snoozed: new Map([['due:5:2026-03:d1:oc_a', { state: 'snoozed', by: '王博文', until: '2026-03-31T09:00:00+08:00' }]]),
    });
    const text = renderCardText(after).text;
    expect(text).toContain('✅ 已完成（李社管 03-30 10:12）');
    expect(text).toContain('💤 明日再提醒（王博文，3月31日 09:00）');
    const keep = (c: Card) => buttons(c).filter((b) => b.behaviors[0]?.value.seq === 3 || b.behaviors[0]?.value.key === 'due:3:2026-03:d1:oc_a');
    expect(keep(after)).toEqual(keep(before));
    expect(buttons(after)).toHaveLength(2);
  });

  it('collapses older overdue periods of a task into one line with 「全部标记完成」 (asking first), the first day overdue in full', () => {
    const overdue = (p: string, n: number, days: number) => item(`overdue:8:${p}:w${n}:oc_a`, task(8, p, { dueDate: `${p}-28`, overdueWorkdays: n, overdueDays: days }), 'overdue');
    const c = dailyCard(data([overdue('2026-01', 40, 60), overdue('2026-02', 20, 30), item('overdue:3:2026-03:w1:oc_a', task(3, '2026-03', { overdueWorkdays: 1, overdueDays: 1 }), 'overdue')]));
    const text = renderCardText(c).text;
    expect(text).toContain('任务 8 任务内容 8：逾期 2 期（2026-01、2026-02），最早逾期 60 天');
    expect(text).toContain('今天起逾期（1）');
    const all = buttons(c).find((b) => b.behaviors[0]?.value.action === 'task.complete_overdue');
    expect(all?.behaviors[0]?.value).toEqual({ action: 'task.complete_overdue', year: 2026, seq: 8, card: 'daily:2026-03-30:oc_a' });
    expect(all?.confirm?.title.content).toBe('任务 8：全部标记完成？');
  });

  it('shows at most REMINDER_COALESCE_MAX items in full and ten collapsed lines; the rest behind 「查看全部」, whose list has every item', () => {
    const soon = Array.from({ length: 25 }, (_, i) => item(`due:${i + 1}:2026:d1:oc_a`, task(i + 1, '2026')));
    const old = Array.from({ length: 14 }, (_, i) => item(`overdue:${i + 40}:2026-01:w9:oc_a`, task(i + 40, '2026-01', { overdueWorkdays: 9, overdueDays: 12 + i }), 'overdue'));
    const d = data([...soon, ...old]);
    const c = dailyCard(d, undefined, 20);
    expect(buttons(c).filter((b) => b.behaviors[0]?.value.action === 'reminder.snooze')).toHaveLength(20);
    expect(buttons(c).filter((b) => b.behaviors[0]?.value.action === 'task.complete' && Number(b.behaviors[0]?.value.seq) >= 40)).toHaveLength(10);
    const more = buttons(c).find((b) => b.behaviors[0]?.value.action === 'reminder.list');
    expect(more?.text.content).toBe('查看全部（另有 9 项）');
    const list = renderCardText(fullListCard(d)).text;
    for (let s = 1; s <= 25; s++) expect(list).toContain(`任务 ${s}`);
    for (let s = 40; s < 54; s++) expect(list).toContain(`任务 ${s}`);
  });

  it('groups escalations by lead unit and @-mentions the unit\'s bound members (a real Feishu @)', () => {
    const esc = (seq: number, unit: string, n: number) => item(`escalation:${seq}:2026-02:w${n}:oc_lead`, task(seq, '2026-02', { leadUnits: [unit], overdueWorkdays: n, overdueDays: n + 2 }), 'escalation');
    const d: CardData = { ...data([esc(16, '社管中心', 3), esc(8, '社会治理办', 8)]), target: { kind: 'leadership' }, people: { 社管中心: [{ name: '李社管', openId: 'ou_lead_sgzx' }] } };
    const c = dailyCard(d);
    const md = JSON.stringify(c);
    expect(md).toContain('**社管中心** <at user_id=\\"ou_lead_sgzx\\">李社管</at>');
    expect(md).toContain('**社会治理办**\\n');
    const text = renderCardText(c).text;
    expect(text).toContain('📣 提请督办（2）');
    expect(text).toContain('社管中心 @李社管');
    expect(text).toMatch(/任务 16 任务内容 16〔2026-02〕：已逾期 5 天（第 3 个工作日）/);
  });

  it('stays under 30 KB however many items it carries', () => {
    const many = Array.from({ length: 400 }, (_, i) => item(`overdue:${i + 1}:2026-01:w9:oc_a`, task(i + 1, '2026-01', { content: '很长的任务内容'.repeat(20), overdueWorkdays: 9, overdueDays: 12 }), 'overdue'));
    const d = data(many);
    expect(Buffer.byteLength(JSON.stringify(dailyCard(d)), 'utf8')).toBeLessThanOrEqual(MAX_CARD_BYTES);
    const list = fullListCard(d);
    expect(Buffer.byteLength(JSON.stringify(list), 'utf8')).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(renderCardText(list).text).toMatch(/…以下 \d+ 项从略。/);
    expect(renderCardText(list).text).toContain('dangjian tasks --status red');
  });
});
