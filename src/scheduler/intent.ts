/**
 * What the reminder rules produce: intents, one per reminder the plan's rhythm calls for (its
 * kind, its unique key, its time, its chat). The kinds themselves — audience, time, how they
 * show on a card and how they collapse — are one table in ./kinds.ts.
 */
import type { Phase } from '../plan/schema.js';
import type { SchedulerSettings } from '../config/scheduler-settings.js';
import type { WorkCalendar } from '../tasks/work-calendar.js';

export const REMINDER_KINDS = ['before_due', 'due_today', 'overdue', 'escalation', 'monthly', 'quarterly', 'yearly', 'phase', 'digest', 'unit_digest', 'unit_changes', 'unit_item', 'bulletin', 'rectification'] as const;
export type ReminderKind = (typeof REMINDER_KINDS)[number];

export type YearlyTopic = 'project-list' | 'self-check' | 'acceptance';

export interface RuleOccurrence {
  period: string;
  dueDate: string;
  /** Completion instant (epoch ms), or null while not done. */
  doneAt: number | null;
}

export interface RuleTask {
  year: number;
  seq: number;
  content: string;
  leadUnits: readonly string[];
  occurrences: readonly RuleOccurrence[];
}

/** A unit's own tracked item (a self-check measure, an application's 任务节点). */
export interface RuleUnitItem {
  id: number;
  unit: string;
  title: string;
  dueDate: string;
  /** Completion instant (epoch ms), or null while not done. */
  doneAt: number | null;
}

export interface ChatRouting {
  /** Chats bound to `leadership`, oldest first. */
  leadership: readonly string[];
  /** Chats bound to `lead:<unit>`, by unit. */
  leadUnits: ReadonlyMap<string, readonly string[]>;
  /** Chats bound to `unit:<name>`, by unit name. */
  units: ReadonlyMap<string, readonly string[]>;
}

export interface RuleInput {
  tz: string;
  settings: SchedulerSettings;
  calendar: Pick<WorkCalendar, 'isWorkday'>;
  /** The programme's first year (plan yearOffset 0). */
  firstYear: number;
  phases: readonly Phase[];
  tasks: readonly RuleTask[];
  /** The units' own items (issue 13); none when absent. */
  unitItems?: readonly RuleUnitItem[];
  chats: ChatRouting;
  /** Closed assessment rounds: each one's 通报 is pushed once per close. */
  rounds?: ReadonlyArray<{ id: number; closedAt: number }>;
  /** 整改 items: reminded in their unit's chats, escalated to the leadership when overdue. */
  rectifications?: ReadonlyArray<{ id: number; unit: string; dueDate: string; doneAt: number | null }>;
}

export interface ReminderIntent {
  key: string;
  kind: ReminderKind;
  /** When it is to be sent (epoch ms): a working day, inside the push window. */
  at: number;
  /** Local date of `at`. */
  date: string;
  chatId: string | null;
  taskSeq: number | null;
  period: string | null;
  taskYear: number | null;
  dueDate: string | null;
  /** before_due / due_today: the configured offset k and the calendar days from `date` to the due date. */
  offset: number | null;
  daysLeft: number | null;
  /** overdue / escalation: calendar days since the due date and the n-th working day overdue. */
  overdueDays: number | null;
  overdueWorkdays: number | null;
  /** Lead units this chat receives the task reminder for. */
  leadUnits: string[];
  /** Lead units without a chat of their own, routed to this leadership chat. */
  fallbackUnits: string[];
  /** Plan pushes: 'YYYY-MM' (monthly), 'YYYY-Qn' (quarterly), 'YYYY:<topic>' (yearly), phase id, week Monday (digest), '<monday>:<unit>' (unit_digest), '<since ms>:<unit>' (unit_changes), the item id (unit_item), '<round id>@<closed ms>' or '<round id>@<closed ms>:<unit>' (bulletin), '<item id>:<stage>' (rectification: d<k>, overdue, escalation). */
  subject: string | null;
}

export interface IntentWindow {
  /** Inclusive bounds, epoch ms. */
  from: number;
  to: number;
}
