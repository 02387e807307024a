/**
 * The reminder kinds, one table: for each kind its unique key (the format the rules build and
 * the outbox records once), who receives it, at what configured time, how it shows on the
 * chat's daily card, and how it collapses there. A new kind is one entry here plus its date
 * rule in ./rules.ts.
 *
 *   kind          key                                     audience     time          section / collapsing
 *   before_due    due:<seq>:<period>:d<k>:<chat>          lead units   REMINDER_TIME 即将截止, each in full with its buttons
 *   due_today     due:<seq>:<period>:d0:<chat>            lead units   REMINDER_TIME 今天截止, each in full with its buttons
 *   overdue       overdue:<seq>:<period>:w<n>:<chat>      lead units   OVERDUE_TIME  逾期: n = 1 in full, then one line per task
 *   escalation    escalation:<seq>:<period>:w<n>:<chat>   leadership   OVERDUE_TIME  督办: by lead unit, one line per task, @ its people
 *   monthly       monthly:<YYYY-MM>:<chat>                leadership   PUSH_TIME     its own section
 *   quarterly     quarterly:<YYYY>-Q<q>:<chat>            leadership   PUSH_TIME     its own section
 *   yearly        yearly:<YYYY>:<topic>:<chat>            leadership   PUSH_TIME     its own section
 *   phase         phase:<phaseId>:<chat>                  leadership   PUSH_TIME     its own section
 *   digest        digest:<monday>:<chat>                  leadership   DIGEST_TIME   周报 section
 *   unit_digest   unit_digest:<monday>:<chat>             unit chats   DIGEST_TIME   the unit's 周报 section
 *   unit_changes  unit_changes:<date>:<chat>              unit chats   PUSH_TIME     等级变化 section (skipped when nothing moved)
 *   unit_item     unit_item:<id>:d<k>|w1:<chat>           unit chats   REMINDER_TIME 本单位事项: one line per item (a measure, a 任务节点)
 *   bulletin      bulletin:<round>@<closed ms>:<chat>     leadership   PUSH_TIME     a round's 通报 (leadership: the whole; a unit
 *                                                         + units                    chat: its own lines, skipped when not named)
 *   rectification rectification:<id>:<stage>:<chat>      unit chats   REMINDER_TIME 整改 section: one line per item; the
 *                                                         (escalation:              escalation stage to the leadership chats
 *                                                         leadership)
 *
 * `lead units`: every chat bound to one of the task's lead units, or the leadership chats for a
 * lead unit without one. The key's `<chat>` is '-' when nobody receives it. A chat receives at
 * most one scheduled card per working day: everything of the day goes into that card, at the
 * earliest of the times above among what it carries (./compose.ts).
 */
import type { SchedulerSettings } from '../config/scheduler-settings.js';
import type { CardItem } from './content.js';
import type { ReminderKind } from './intent.js';
import { renderDigests, renderDueToday, renderEscalation, renderOverdue, renderPushes, renderSoon, renderUnitChanges, renderUnitDigests, renderUnitItems, renderBulletins, renderRectifications, type MergedItem, type RenderContext, type RenderedSection } from './sections.js';

export type Audience = 'lead' | 'leadership' | 'unit' | 'leadership_and_units';

/** How items of a kind show when a card carries several. */
export type Collapse = 'each' | 'after_first_day' | 'by_lead_unit' | 'section';

export type KindSpec = {
  /** The key's format (documentation; the rules build it). */
  key: string;
  audience: Audience;
  /** The configured wall-clock time of an item of this kind. */
  time: (s: SchedulerSettings) => string;
  collapse: Collapse;
  /** Ordering of sections on the card (lower first) and, for task kinds, which item of an occurrence is shown. */
  order: number;
} & (
  | {
      /** A task occurrence: 标记完成 and 明天再提醒 apply; merged per occurrence before rendering. */
      task: true;
      render: (items: readonly MergedItem[], ctx: RenderContext) => RenderedSection;
    }
  | { task: false; render: (items: readonly CardItem[], ctx: RenderContext) => RenderedSection[] }
);

const reminderTime = (s: SchedulerSettings) => s.beforeTime;
const overdueTime = (s: SchedulerSettings) => s.overdueTime;
const pushTime = (s: SchedulerSettings) => s.pushTime;
const digestTime = (s: SchedulerSettings) => s.digestTime;

export const KIND_SPECS: Record<ReminderKind, KindSpec> = {
  before_due: { key: 'due:<seq>:<period>:d<k>:<chat>', audience: 'lead', time: reminderTime, collapse: 'each', order: 1, task: true, render: renderSoon },
  due_today: { key: 'due:<seq>:<period>:d0:<chat>', audience: 'lead', time: reminderTime, collapse: 'each', order: 2, task: true, render: renderDueToday },
  overdue: { key: 'overdue:<seq>:<period>:w<n>:<chat>', audience: 'lead', time: overdueTime, collapse: 'after_first_day', order: 3, task: true, render: renderOverdue },
  escalation: { key: 'escalation:<seq>:<period>:w<n>:<chat>', audience: 'leadership', time: overdueTime, collapse: 'by_lead_unit', order: 4, task: true, render: renderEscalation },
  unit_item: { key: 'unit_item:<id>:d<k>|w1:<chat>', audience: 'unit', time: reminderTime, collapse: 'section', order: 4.5, task: false, render: renderUnitItems },
  unit_changes: { key: 'unit_changes:<date>:<chat>', audience: 'unit', time: pushTime, collapse: 'section', order: 5, task: false, render: renderUnitChanges },
  bulletin: { key: 'bulletin:<round>@<closed ms>:<chat>', audience: 'leadership_and_units', time: pushTime, collapse: 'section', order: 5.5, task: false, render: renderBulletins },
  rectification: { key: 'rectification:<id>:<stage>:<chat>', audience: 'leadership_and_units', time: reminderTime, collapse: 'section', order: 4.5, task: false, render: renderRectifications },
  phase: { key: 'phase:<phaseId>:<chat>', audience: 'leadership', time: pushTime, collapse: 'section', order: 6, task: false, render: renderPushes },
  yearly: { key: 'yearly:<YYYY>:<topic>:<chat>', audience: 'leadership', time: pushTime, collapse: 'section', order: 7, task: false, render: renderPushes },
  quarterly: { key: 'quarterly:<YYYY>-Q<q>:<chat>', audience: 'leadership', time: pushTime, collapse: 'section', order: 8, task: false, render: renderPushes },
  monthly: { key: 'monthly:<YYYY-MM>:<chat>', audience: 'leadership', time: pushTime, collapse: 'section', order: 9, task: false, render: renderPushes },
  unit_digest: { key: 'unit_digest:<monday>:<chat>', audience: 'unit', time: digestTime, collapse: 'section', order: 10, task: false, render: renderUnitDigests },
  digest: { key: 'digest:<monday>:<chat>', audience: 'leadership', time: digestTime, collapse: 'section', order: 11, task: false, render: renderDigests },
};

/** The kinds in section order. */
export const KINDS_IN_ORDER: readonly ReminderKind[] = (Object.keys(KIND_SPECS) as ReminderKind[]).sort((a, b) => KIND_SPECS[a].order - KIND_SPECS[b].order);

/** Task kinds (标记完成 / 明天再提醒 apply). */
export const isTaskKind = (kind: string): boolean => kind in KIND_SPECS && KIND_SPECS[kind as ReminderKind].task;
