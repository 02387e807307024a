/**
 * What a card and its items carry (an outbox row's payload) and the pure builders of the plan
 * pushes' content.
 * The monthly / quarterly / yearly / phase pushes are assembled from the plan data (phases,
 * Annex 2 sub-items) and the task board; only headings are written here.
 */
import type { Cadence, Phase, Plan } from '../plan/schema.js';
import type { BoardTask } from '../tasks/board.js';
import { daysBetween, lastDayOfMonth } from '../tasks/dates.js';
import type { BulletinNotice, UnitBulletinNotice } from './bulletin-card.js';
import type { Digest, ItemLine, TargetsSummary, UnitChangeNotice, UnitDigest } from './digest-card.js';
import type { ChatTarget } from '../domain/chat-target.js';
import type { ReminderKind, YearlyTopic } from './intent.js';

export interface TaskReminderInfo {
  year: number;
  seq: number;
  content: string;
  period: string;
  cadence: Cadence | null;
  dueDate: string;
  offset: number | null;
  daysLeft: number | null;
  overdueDays: number | null;
  overdueWorkdays: number | null;
  leadUnits: string[];
  fallbackUnits: string[];
}


/** A unit's own item (a self-check measure, an application's 任务节点) as a card shows it. */
export interface UnitItemInfo {
  id: number;
  unit: string;
  title: string;
  dueDate: string;
  /** Calendar days from the card's date to the due date (negative: overdue). */
  daysLeft: number;
}

/** An Annex 2 sub-item quoted by a push. */
export interface PlanLine {
  code: string;
  text: string;
}

export interface PhaseInfo {
  id: string;
  name: string;
  /** 'YYYY-MM'. */
  start: string;
  end: string | null;
  summary: string;
}

export interface TaskCounts {
  total: number;
  red: number;
  yellow: number;
  green: number;
  done: number;
}


export type PushContent =
  | { type: 'monthly'; month: string; phase: PhaseInfo | null; due: ItemLine[]; red: ItemLine[] }
  | { type: 'quarterly'; quarter: string; planItems: PlanLine[]; due: ItemLine[]; red: ItemLine[] }
  | {
      type: 'yearly';
      topic: YearlyTopic;
      year: number;
      /** 年初项目清单 / 一年一验收 / 复评: the plan's own wording for the year's check. */
      heading: string;
      planItems: PlanLine[];
      phase: PhaseInfo | null;
      counts: TaskCounts;
      byCategory: Array<{ category: string; count: number }>;
      byLeadUnit: Array<{ unit: string; count: number }>;
      red: ItemLine[];
      targets: TargetsSummary | null;
      /** No task list exists for the year yet. */
      noTaskList: boolean;
    }
  | { type: 'phase'; phase: PhaseInfo; next: PhaseInfo | null };

/** A 整改 item on a daily card. */
export interface RectificationLine {
  id: number;
  unit: string;
  title: string;
  responsible: string;
  dueDate: string;
  /** d<k> (k days before), overdue, escalation. */
  stage: string;
}

/** One reminder item as a card carries it (outbox_item.payload, and a card's `items`). */
export interface CardItem {
  /** The intent's unique key (./kinds.ts), or a 「明天再提醒」 re-send's `<key>#snoozeN`. */
  key: string;
  kind: ReminderKind;
  /** The item's own time, ISO with offset. */
  at: string;
  /** The local date it belongs to. */
  date: string;
  task?: TaskReminderInfo;
  /** Plan pushes and digests: what the rules named (a month, a quarter, a week's Monday, '<monday>:<unit>' …). */
  subject?: string;
  push?: PushContent;
  digest?: Digest;
  /** unit_digest: the digest of the chat's unit. */
  unitDigest?: UnitDigest;
  /** unit_changes: grade changes in the chat's unit (an item without any is skipped, never carried). */
  unitChanges?: UnitChangeNotice;
  /** unit_item: the unit's own item as of the pass. */
  unitItem?: UnitItemInfo;
  /** bulletin: a round's 通报 (leadership chats), or a unit's own lines of it (its chat). */
  bulletin?: BulletinNotice;
  unitBulletin?: UnitBulletinNotice;
  /** rectification: the 整改 item as it stood when the card was composed. */
  rectification?: RectificationLine;
  /** A 「明天再提醒」 re-send of `of`. */
  snooze?: { of: string; n: number; by: string; at: string };
}

/** 🔴 / 🟡 / ✅ of the card's scope when it was composed. */
export interface CardCounts {
  red: number;
  yellow: number;
  /** Occurrences completed since the start of `since` (the previous working day). */
  done: number;
  since: string;
}

export interface CardPerson {
  name: string;
  openId: string;
}

/**
 * What an outbox card row carries (its payload): everything needed to render the card again —
 * when it is sent, re-sent after a crash, or updated in place after a button press.
 */
export interface CardData {
  v: 2;
  /** The card's outbox key: `daily:<date>:<chat>`. */
  key: string;
  chatId: string;
  /** What the chat is subscribed to (null: a chat no longer bound). */
  target: ChatTarget | null;
  date: string;
  /** The card's time: the earliest time of what it carries, ISO with offset. */
  at: string;
  /** Composed more than lateGraceMinutes after its time (catch-up after downtime): 补发. */
  late: boolean;
  counts: CardCounts | null;
  /** Lead unit → its members bound to Feishu: the @ of the escalation section. */
  people: Record<string, CardPerson[]>;
  /** REMINDERS_START: an overdue item due before it is never shown as new, only counted and collapsed. */
  remindersStart: string | null;
  items: CardItem[];
}

// ---------------------------------------------------------------- helpers

const ym = (year: number, month: number) => `${year}-${String(month).padStart(2, '0')}`;

function phaseInfo(p: Phase, firstYear: number): PhaseInfo {
  return {
    id: p.id,
    name: p.name,
    start: ym(firstYear + p.start.yearOffset, p.start.month),
    end: p.end ? ym(firstYear + p.end.yearOffset, p.end.month) : null,
    summary: p.summary,
  };
}

/** The phases running in a month ('YYYY-MM'), latest-starting first. */
function phasesInMonth(plan: Plan, firstYear: number, month: string): PhaseInfo[] {
  return plan.phases
    .map((p) => phaseInfo(p, firstYear))
    .filter((p) => p.start <= month && (p.end === null || month <= p.end))
    .sort((a, b) => (a.start < b.start ? 1 : a.start > b.start ? -1 : 0));
}

/** Annex 2 sub-items whose text contains one of the words. */
function planItemsMentioning(plan: Plan, words: readonly string[]): PlanLine[] {
  const out: PlanLine[] = [];
  for (const spec of plan.levels) for (const ind of spec.indicators) for (const s of ind.subItems) if (words.some((w) => s.text.includes(w))) out.push({ code: s.code, text: s.text });
  return out;
}

function itemLine(t: BoardTask, o: BoardTask['occurrences'][number], today: string): ItemLine {
  return {
    year: t.year,
    seq: t.seq,
    content: t.content,
    period: o.period,
    cadence: t.cadence,
    dueDate: o.dueDate,
    leadUnits: [...t.leadUnits],
    status: o.status,
    daysOverdue: o.status === 'red' ? daysBetween(o.dueDate, today) : null,
  };
}

const byDue = (a: ItemLine, b: ItemLine) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.seq - b.seq);

/** Occurrences due within [from, to] (every status), by due date. */
export function itemsDueBetween(boards: readonly BoardTask[], from: string, to: string, today: string): ItemLine[] {
  const out: ItemLine[] = [];
  for (const t of boards) for (const o of t.occurrences) if (o.dueDate >= from && o.dueDate <= to) out.push(itemLine(t, o, today));
  return out.sort(byDue);
}

/** Occurrences red (overdue, not done) on the board, oldest deadline first. */
export function redItems(boards: readonly BoardTask[], today: string): ItemLine[] {
  const out: ItemLine[] = [];
  for (const t of boards) for (const o of t.occurrences) if (o.status === 'red') out.push(itemLine(t, o, today));
  return out.sort(byDue);
}

function taskCounts(boards: readonly BoardTask[]): TaskCounts {
  const c: TaskCounts = { total: boards.length, red: 0, yellow: 0, green: 0, done: 0 };
  for (const t of boards) c[t.status] += 1;
  return c;
}

// ---------------------------------------------------------------- the pushes

export interface PushContext {
  plan: Plan;
  firstYear: number;
  /** Boards (all task years up to the push's year) evaluated at the send time. */
  boards: readonly BoardTask[];
  /** Local date of the send time. */
  today: string;
  targets: TargetsSummary | null;
}

/** 月度专题推进: the month's due items and the open red items. */
export function monthlyPush(ctx: PushContext, month: string): PushContent {
  const [y, m] = [Number(month.slice(0, 4)), Number(month.slice(5, 7))];
  const from = `${month}-01`;
  return {
    type: 'monthly',
    month,
    phase: phasesInMonth(ctx.plan, ctx.firstYear, month)[0] ?? null,
    due: itemsDueBetween(ctx.boards, from, lastDayOfMonth(y, m), ctx.today),
    red: redItems(ctx.boards, ctx.today),
  };
}

/** 季度现场推进: the plan's quarterly duties (大党委 meeting, 需求清单), the quarter's due items, red items. */
export function quarterlyPush(ctx: PushContext, quarter: string): PushContent {
  const y = Number(quarter.slice(0, 4));
  const q = Number(quarter.slice(-1));
  const from = `${ym(y, q * 3 - 2)}-01`;
  return {
    type: 'quarterly',
    quarter,
    planItems: planItemsMentioning(ctx.plan, ['每季度', '每个季度']),
    due: itemsDueBetween(ctx.boards, from, lastDayOfMonth(y, q * 3), ctx.today),
    red: redItems(ctx.boards, ctx.today),
  };
}

/**
 * Yearly pushes. project-list (January): the plan's 「年初」 duties and the year's task list;
 * self-check (July) and acceptance (December): the phase text of 「一年一验收」 (or 「复评」 once the
 * programme is in its long-term phase), the year's lights and the targets' progress.
 */
export function yearlyPush(ctx: PushContext, year: number, topic: YearlyTopic): PushContent {
  const yearBoards = ctx.boards.filter((t) => t.year === year);
  const month = topic === 'project-list' ? ym(year, 1) : ctx.today.slice(0, 7);
  const running = phasesInMonth(ctx.plan, ctx.firstYear, month);
  const infos = ctx.plan.phases.map((p) => phaseInfo(p, ctx.firstYear));
  const review = running.find((p) => p.summary.includes('复评'));
  const acceptance = infos.find((p) => p.summary.includes('一年一验收')) ?? null;
  let heading: string;
  let phase: PhaseInfo | null;
  let planItems: PlanLine[];
  if (topic === 'project-list') {
    heading = '年初项目清单';
    phase = running[0] ?? null;
    planItems = planItemsMentioning(ctx.plan, ['年初']);
  } else if (review) {
    heading = topic === 'self-check' ? '年中自查（复评准备）' : '年度复评';
    phase = review;
    planItems = [];
  } else {
    heading = topic === 'self-check' ? '一年一验收·年中自查' : '一年一验收·年度自查自验';
    phase = running.find((p) => p.summary.includes('一年一验收')) ?? acceptance;
    planItems = [];
  }
  const byCategory = new Map<string, number>();
  const byLead = new Map<string, number>();
  for (const t of yearBoards) {
    byCategory.set(t.category, (byCategory.get(t.category) ?? 0) + 1);
    for (const u of t.leadUnits) byLead.set(u, (byLead.get(u) ?? 0) + 1);
  }
  return {
    type: 'yearly',
    topic,
    year,
    heading,
    planItems,
    phase,
    counts: taskCounts(yearBoards),
    byCategory: [...byCategory].map(([category, count]) => ({ category, count })),
    byLeadUnit: [...byLead].map(([unit, count]) => ({ unit, count })),
    red: topic === 'project-list' ? [] : redItems(yearBoards, ctx.today),
    targets: topic === 'project-list' ? null : ctx.targets,
    noTaskList: yearBoards.length === 0,
  };
}

/** A programme phase begins: its name, months and summary as the plan states them, and what follows. */
export function phasePush(ctx: PushContext, phaseId: string): PushContent | undefined {
  const infos = ctx.plan.phases.map((p) => phaseInfo(p, ctx.firstYear));
  const i = infos.findIndex((p) => p.id === phaseId);
  const phase = infos[i];
  if (!phase) return undefined;
  return { type: 'phase', phase, next: infos[i + 1] ?? null };
}
