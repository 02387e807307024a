import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load-plan.js';
import type { ChatRouting, ReminderIntent, RuleInput, RuleTask } from '../../src/scheduler/intent.js';
import { computeIntents } from '../../src/scheduler/rules.js';
import { DEFAULT_SCHEDULER_SETTINGS, schedulerSettings } from '../../src/config/scheduler-settings.js';
import { occurrencesFor } from '../../src/tasks/occurrences.js';
import { createWorkCalendar } from '../../src/tasks/work-calendar.js';
import { isoInZone, localDate, zonedInstant } from '../../src/time.js';

const TZ = 'Asia/Shanghai';
const { calendar } = createWorkCalendar();
const plan = loadPlan();
const at = (iso: string) => Date.parse(iso);
const year2026 = { from: at('2026-01-01T00:00:00+08:00'), to: at('2026-12-31T23:59:59+08:00') };

const chats = (lead: Record<string, string[]> = { 党建办: ['oc_djb'] }, leadership: string[] = ['oc_lead'], units: Record<string, string[]> = {}): ChatRouting => ({
  leadership,
  leadUnits: new Map(Object.entries(lead)),
  units: new Map(Object.entries(units)),
});

function dated(dueDate: string, doneAt: number | null = null, leadUnits: string[] = ['党建办']): RuleTask {
  return { year: Number(dueDate.slice(0, 4)), seq: 1, content: '测试任务', leadUnits, occurrences: [{ period: dueDate.slice(0, 4), dueDate, doneAt }] };
}

function input(tasks: RuleTask[], over: Partial<RuleInput> = {}): RuleInput {
  return { tz: TZ, settings: DEFAULT_SCHEDULER_SETTINGS, calendar, firstYear: 2026, phases: [], tasks, chats: chats(), ...over };
}

const local = (i: ReminderIntent) => isoInZone(i.at, TZ).slice(0, 16);
const taskReminders = (intents: ReminderIntent[], kinds: string[]) => intents.filter((i) => kinds.includes(i.kind)).map((i) => `${i.kind}:${i.offset ?? i.overdueWorkdays}@${local(i)}`);

describe('before-deadline reminders on working days (2026 holidays and 调休 from chinese-days)', () => {
  it.each([
    {
      name: 'a T−1 on Sunday moves to Friday',
      due: '2026-03-09', // Monday
      // T−3 is Friday 6 March and T−1 (Sunday 8 March) moves to the same Friday: only the closer offset is kept.
      keep: ['before_due:7@2026-03-02T09:00', 'before_due:1@2026-03-06T09:00', 'due_today:0@2026-03-09T09:00'],
    },
    {
      name: 'a deadline on the 调休 Saturday 2026-02-28 (a working day) across the Spring Festival (15–23 Feb)',
      due: '2026-02-28',
      keep: ['before_due:7@2026-02-14T09:00', 'before_due:3@2026-02-25T09:00', 'before_due:1@2026-02-27T09:00', 'due_today:0@2026-02-28T09:00'],
    },
    {
      name: 'a deadline right after the Spring Festival: T−7, T−3 and T−1 all land in the holiday and move to 14 Feb (调休 Saturday)',
      due: '2026-02-24',
      keep: ['before_due:1@2026-02-14T09:00', 'due_today:0@2026-02-24T09:00'],
    },
    {
      name: 'National Day (1–7 Oct): T−7 and T−3 move back to 30 Sep',
      due: '2026-10-09',
      keep: ['before_due:3@2026-09-30T09:00', 'before_due:1@2026-10-08T09:00', 'due_today:0@2026-10-09T09:00'],
    },
    {
      name: 'a deadline on the 调休 Saturday 10 Oct is reminded that Saturday',
      due: '2026-10-10',
      keep: ['before_due:3@2026-09-30T09:00', 'before_due:1@2026-10-09T09:00', 'due_today:0@2026-10-10T09:00'],
    },
    {
      name: 'a deadline on a Sunday: the due-day reminder moves to Friday and absorbs T−1',
      due: '2026-05-31',
      keep: ['before_due:7@2026-05-22T09:00', 'before_due:3@2026-05-28T09:00', 'due_today:0@2026-05-29T09:00'],
    },
  ])('$name', ({ due, keep }) => {
    const intents = computeIntents(input([dated(due)]), year2026);
    expect(taskReminders(intents, ['before_due', 'due_today'])).toEqual(keep);
    for (const i of intents) expect(calendar.isWorkday(localDate(i.at, TZ))).toBe(true);
  });

  it('keys name rule, subject, occurrence, offset and chat', () => {
    const intents = computeIntents(input([dated('2026-03-09')]), year2026);
    expect(intents.find((i) => i.kind === 'due_today')).toMatchObject({ key: 'due:1:2026:d0:oc_djb', chatId: 'oc_djb', taskSeq: 1, period: '2026', daysLeft: 0, leadUnits: ['党建办'], fallbackUnits: [] });
  });

  it('a completed occurrence gets no further reminders', () => {
    const intents = computeIntents(input([dated('2026-03-09', at('2026-03-05T12:00:00+08:00'))]), year2026);
    expect(taskReminders(intents, ['before_due', 'due_today', 'overdue', 'escalation'])).toEqual(['before_due:7@2026-03-02T09:00']);
  });
});

describe('overdue reminders and escalations', () => {
  it('overdue every working day from the first working day after the deadline, escalating on the 3rd and every 5th after', () => {
    // Due 30 Sep; 1–7 Oct are holidays; 10 Oct (Saturday) is a working day.
    const intents = computeIntents(input([dated('2026-09-30')]), { from: at('2026-10-01T00:00:00+08:00'), to: at('2026-10-23T23:59:59+08:00') });
    const overdue = intents.filter((i) => i.kind === 'overdue');
    expect(overdue.map((i) => `${localDate(i.at, TZ)}#${i.overdueWorkdays}/${i.overdueDays}`)).toEqual([
      '2026-10-08#1/8',
      '2026-10-09#2/9',
      '2026-10-10#3/10',
      '2026-10-12#4/12',
      '2026-10-13#5/13',
      '2026-10-14#6/14',
      '2026-10-15#7/15',
      '2026-10-16#8/16',
      '2026-10-19#9/19',
      '2026-10-20#10/20',
      '2026-10-21#11/21',
      '2026-10-22#12/22',
      '2026-10-23#13/23',
    ]);
    expect(overdue.every((i) => local(i).endsWith('T09:30') && i.chatId === 'oc_djb')).toBe(true);
    const esc = intents.filter((i) => i.kind === 'escalation');
    expect(esc.map((i) => `${localDate(i.at, TZ)}#${i.overdueWorkdays}→${i.chatId}`)).toEqual(['2026-10-10#3→oc_lead', '2026-10-16#8→oc_lead', '2026-10-23#13→oc_lead']);
    expect(esc[0]?.key).toBe('escalation:1:2026:w3:oc_lead');
  });

  it.each([
    { doneAt: '2026-10-09T10:00:00+08:00', overdue: 2, escalations: 0, why: 'done after the 2nd reminder: no escalation' },
    { doneAt: '2026-10-10T09:29:59+08:00', overdue: 2, escalations: 0, why: 'done half a minute before the 3rd' },
    { doneAt: '2026-10-10T09:30:01+08:00', overdue: 3, escalations: 1, why: 'done just after the 3rd' },
    { doneAt: '2026-09-30T18:00:00+08:00', overdue: 0, escalations: 0, why: 'done on the due day' },
  ])('a completion stops the series ($why)', ({ doneAt, overdue, escalations }) => {
    const intents = computeIntents(input([dated('2026-09-30', at(doneAt))]), { from: at('2026-10-01T00:00:00+08:00'), to: at('2026-12-31T23:59:59+08:00') });
    expect(intents.filter((i) => i.kind === 'overdue')).toHaveLength(overdue);
    expect(intents.filter((i) => i.kind === 'escalation')).toHaveLength(escalations);
  });

  it('escalation rhythm is configurable', () => {
    const settings = schedulerSettings({ escalateAfterWorkdays: 2, escalateEveryWorkdays: 2 });
    const intents = computeIntents(input([dated('2026-03-02')], { settings }), { from: at('2026-03-03T00:00:00+08:00'), to: at('2026-03-10T23:59:59+08:00') });
    expect(intents.filter((i) => i.kind === 'escalation').map((i) => i.overdueWorkdays)).toEqual([2, 4, 6]);
  });
});

describe('routing to chats', () => {
  /** The task reminders of Monday 9 March (the weekly digest of that day left out). */
  const dueDay = (i: RuleInput) => computeIntents(i, { from: at('2026-03-09T00:00:00+08:00'), to: at('2026-03-09T23:59:59+08:00') }).filter((x) => x.taskSeq !== null);

  it('a lead unit without a chat falls back to the leadership chat, saying so', () => {
    const intents = dueDay(input([dated('2026-03-09', null, ['党建办', '社管中心'])]));
    expect(intents.map((i) => [i.key, i.leadUnits, i.fallbackUnits])).toEqual([
      ['due:1:2026:d0:oc_djb', ['党建办'], []],
      ['due:1:2026:d0:oc_lead', ['社管中心'], ['社管中心']],
    ]);
  });

  it('two lead units falling back to the same chat give one reminder for both', () => {
    const intents = dueDay(input([dated('2026-03-09', null, ['社会治理办', '社管中心'])]));
    expect(intents.map((i) => [i.key, i.fallbackUnits])).toEqual([['due:1:2026:d0:oc_lead', ['社会治理办', '社管中心']]]);
  });

  it('with no chat at all the intent has chatId null and key suffix "-"', () => {
    const intents = dueDay(input([dated('2026-03-09')], { chats: chats({}, []) }));
    expect(intents.map((i) => [i.key, i.chatId])).toEqual([['due:1:2026:d0:-', null]]);
  });

  it('every bound chat of a target gets the reminder', () => {
    const intents = dueDay(input([dated('2026-03-09')], { chats: chats({ 党建办: ['oc_a', 'oc_b'] }) }));
    expect(intents.map((i) => i.chatId)).toEqual(['oc_a', 'oc_b']);
  });
});

describe("the plan's rhythm and the weekly digest (2026, programme first year 2026)", () => {
  const all = computeIntents(input([], { phases: plan.phases }), year2026);
  const dates = (kind: string) => all.filter((i) => i.kind === kind).map((i) => `${i.subject}@${local(i)}`);

  it('月度专题推进 on the first working day of each month (1 Jan is a holiday, 4 Jan is a 调休 Sunday; October after National Day)', () => {
    expect(dates('monthly')).toEqual([
      '2026-01@2026-01-04T09:00',
      '2026-02@2026-02-02T09:00',
      '2026-03@2026-03-02T09:00',
      '2026-04@2026-04-01T09:00',
      '2026-05@2026-05-06T09:00',
      '2026-06@2026-06-01T09:00',
      '2026-07@2026-07-01T09:00',
      '2026-08@2026-08-03T09:00',
      '2026-09@2026-09-01T09:00',
      '2026-10@2026-10-08T09:00',
      '2026-11@2026-11-02T09:00',
      '2026-12@2026-12-01T09:00',
    ]);
  });

  it('季度现场推进 on the first working day of each quarter; yearly pushes in January, July and December', () => {
    expect(dates('quarterly')).toEqual(['2026-Q1@2026-01-04T09:00', '2026-Q2@2026-04-01T09:00', '2026-Q3@2026-07-01T09:00', '2026-Q4@2026-10-08T09:00']);
    expect(dates('yearly')).toEqual(['2026:project-list@2026-01-04T09:00', '2026:self-check@2026-07-01T09:00', '2026:acceptance@2026-12-01T09:00']);
  });

  it('a notice when a phase begins (示范推进 Feb 2026, 全面推进 Jul 2026; the others start outside 2026)', () => {
    expect(dates('phase')).toEqual(['pilot@2026-02-02T09:00', 'rollout@2026-07-01T09:00']);
  });

  it('the digest goes out on the first working day of each week; the Spring Festival week has none', () => {
    const digests = dates('digest');
    expect(digests).toContain('2026-02-09@2026-02-09T09:00');
    expect(digests.some((d) => d.startsWith('2026-02-16'))).toBe(false);
    expect(digests).toContain('2026-02-23@2026-02-24T09:00');
    expect(digests).toContain('2026-10-05@2026-10-08T09:00');
    expect(digests).toContain('2026-09-28@2026-09-28T09:00');
    // 52 Mondays from 5 Jan to 28 Dec, minus the Spring Festival week.
    expect(digests).toHaveLength(51);
    expect(all.filter((i) => i.kind === 'digest').every((i) => i.chatId === 'oc_lead')).toBe(true);
  });
});

describe('invariants over a whole year of the built-in plan', () => {
  const tasks: RuleTask[] = plan.tasks.map((t) => ({
    year: 2026,
    seq: t.seq,
    content: t.content,
    leadUnits: t.leadUnits,
    occurrences: occurrencesFor({ deadlineText: t.deadlineText, cadence: t.cadence, year: 2026 }).map((o) => ({ period: o.period, dueDate: o.dueDate, doneAt: null })),
  }));
  const routing = chats({ '党建办(组织)': ['oc_djb'], 社管中心: ['oc_sg'] });
  const intents = computeIntents(input(tasks, { phases: plan.phases, chats: routing }), year2026);

  it('every reminder is on a working day inside 08:30–18:00, in time order, with a unique key', () => {
    expect(intents.length).toBeGreaterThan(1000);
    const bounds = new Map<string, [number, number]>();
    const bad: string[] = [];
    let prev = -Infinity;
    for (const i of intents) {
      const date = i.date;
      let b = bounds.get(date);
      if (!b) {
        b = [zonedInstant(date, '08:30', TZ), zonedInstant(date, '18:00', TZ)];
        bounds.set(date, b);
        if (!calendar.isWorkday(date)) bad.push(`${i.key} on non-working day ${date}`);
        if (localDate(b[0], TZ) !== date) bad.push(`date field ${date} of ${i.key}`);
      }
      if (i.at < b[0] || i.at >= b[1]) bad.push(`${i.key} outside the window at ${isoInZone(i.at, TZ)}`);
      if (i.at < prev) bad.push(`${i.key} out of order`);
      prev = i.at;
    }
    expect(bad).toEqual([]);
    expect(new Set(intents.map((i) => i.key)).size).toBe(intents.length);
  });

  it('splitting the window gives exactly the same reminders (passes are composable)', () => {
    const cut = at('2026-06-15T09:15:00+08:00');
    const a = computeIntents(input(tasks, { phases: plan.phases, chats: routing }), { from: year2026.from, to: cut });
    const b = computeIntents(input(tasks, { phases: plan.phases, chats: routing }), { from: cut + 1, to: year2026.to });
    expect([...a, ...b].map((i) => i.key)).toEqual(intents.map((i) => i.key));
  });

  it('an occurrence gets at most one before-deadline reminder per offset and chat', () => {
    const perOcc = new Map<string, number>();
    for (const i of intents.filter((x) => x.kind === 'before_due' || x.kind === 'due_today')) {
      const k = `${i.taskSeq}:${i.period}:${i.chatId}`;
      perOcc.set(k, (perOcc.get(k) ?? 0) + 1);
    }
    for (const n of perOcc.values()) expect(n).toBeLessThanOrEqual(4);
  });
});

describe('the push window', () => {
  it('a configured time before the window opens moves to its opening; after it closes, to the next working day', () => {
    const early = schedulerSettings({ overdueTime: '07:00', beforeTime: '19:00' });
    const intents = computeIntents(input([dated('2026-03-06')], { settings: early }), { from: at('2026-02-20T00:00:00+08:00'), to: at('2026-03-10T23:59:59+08:00') });
    const due = intents.find((i) => i.kind === 'due_today');
    expect(due && local(due)).toBe('2026-03-09T08:30'); // 19:00 on Friday 6 March → Monday 08:30
    const first = intents.find((i) => i.kind === 'overdue');
    expect(first && local(first)).toBe('2026-03-09T08:30');
  });

  it('an empty or reversed window gives nothing', () => {
    expect(computeIntents(input([dated('2026-03-09')]), { from: at('2026-03-09T10:00:00+08:00'), to: at('2026-03-09T09:00:00+08:00') })).toEqual([]);
  });
});
