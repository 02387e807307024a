/**
 * How each kind of reminder item shows on a chat's daily card (./kinds.ts names the renderer of
 * each kind). Task items are merged per occurrence first (./cards.ts); a renderer gets the items
 * of its kind, in order, and the card's render context: the current state of each occurrence
 * (✅ 已完成 / 💤 明日再提醒, read when the card is sent or pressed) and the card's budget —
 * at most `maxFull` items in full with their buttons and `maxLines` collapsed lines; the rest
 * are counted in `hidden` and reached through 「查看全部」.
 */
import { completeOverdueButton, completeTaskButton, completeUnitItemButton, snoozeReminderButton } from '../cards/actions.js';
import { buttonRow, escapeMarkdown, lineWithButton, markdown, type CardElement, type CardTemplate } from '../cards/card.js';
import { clip, GRADE_TEMPLATE } from '../cards/labels.js';
import type { ChatTarget } from '../domain/chat-target.js';
import { WEEKDAY_NAMES_ZH, weekday } from '../tasks/dates.js';
import type { CardItem, CardPerson, PushContent, RectificationLine, TaskReminderInfo } from './content.js';
import { bulletinElements, bulletinTemplate, bulletinTitle, unitBulletinElements, unitBulletinTitle } from './bulletin-card.js';
import { digestCard, digestElements, targetSummaryLines, type ItemLine, unitChangeElements, unitChangeTitle, unitDigestCard, unitDigestElements } from './digest-card.js';

/** The state of an occurrence now, overlaid on the line that carries it. */
export type Mark = { state: 'done'; by: string; at: string } | { state: 'snoozed'; by: string; until: string };

export interface RenderContext {
  cardKey: string;
  target: ChatTarget | null;
  remindersStart: string | null;
  people: Record<string, CardPerson[]>;
  /** By occurrence id (`year:seq:period`): done since the card was composed. */
  done: ReadonlyMap<string, Extract<Mark, { state: 'done' }>>;
  /** By item key: 「明天再提醒」 pressed for it. */
  snoozed: ReadonlyMap<string, Extract<Mark, { state: 'snoozed' }>>;
  budget: { full: number; maxFull: number; lines: number; maxLines: number; hidden: number };
}

/** A task item merged with the other items of its occurrence on the same card. */
export interface MergedItem {
  /** The most urgent of them (the one shown). */
  item: CardItem & { task: TaskReminderInfo };
  /** Every item key it stands for. */
  keys: string[];
}

export interface RenderedSection {
  title: string | null;
  elements: CardElement[];
  /** Higher is more urgent: decides the card's colour. */
  severity: number;
  template: CardTemplate;
}

export const occurrenceId = (t: { year: number; seq: number; period: string }) => `${t.year}:${t.seq}:${t.period}`;

/** 3月10日（周二）. */
export function dayZh(date: string): string {
  return `${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日（周${(WEEKDAY_NAMES_ZH[weekday(date)] ?? '').slice(2)}）`;
}
const shortDay = (date: string) => `${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日`;
const hhmm = (iso: string) => iso.slice(11, 16);

const taskName = (t: TaskReminderInfo, n = 24) => `**任务 ${t.seq}**${t.cadence === null ? '' : `〔${t.period}〕`} ${escapeMarkdown(clip(t.content, n))}`;
const units = (list: readonly string[]) => list.map(escapeMarkdown).join('、');

/** The line of one occurrence shown in full. */
function fullLine(m: MergedItem, ctx: RenderContext): string {
  const { item } = m;
  const t = item.task;
  let when: string;
  let icon: string;
  switch (item.kind) {
    case 'due_today':
      icon = '🟠';
      when = t.daysLeft !== null && t.daysLeft > 0 ? `${shortDay(t.dueDate)}截止，今天是截止前最后一个工作日` : '今天截止';
      break;
    case 'overdue':
    case 'escalation':
      icon = '🔴';
      when = `${shortDay(t.dueDate)}截止，已逾期 ${t.overdueDays ?? 0} 天`;
      break;
    default:
      icon = (t.daysLeft ?? 99) <= 1 ? '🟠' : '🟡';
      when = `${dayZh(t.dueDate)}截止，还有 ${t.daysLeft ?? t.offset ?? 0} 天`;
  }
  const lead = ctx.target?.kind === 'lead' ? '' : ` · ${units(t.leadUnits)}`;
  const snoozedBy = item.snooze ? `\n🔁 ${escapeMarkdown(item.snooze.by)} 选择了「明天再提醒」` : '';
  return `${icon} ${taskName(t)}：${when}${lead}${snoozedBy}`;
}

/** The buttons of a line shown in full, or its mark once done / snoozed. */
function fullActions(m: MergedItem, ctx: RenderContext): CardElement[] {
  const t = m.item.task;
  const done = ctx.done.get(occurrenceId(t));
  if (done) return [markdown(`✅ 已完成（${escapeMarkdown(done.by)} ${done.at.slice(5, 16).replace('T', ' ')}）`)];
  const snoozed = m.keys.map((k) => ctx.snoozed.get(k)).find((s) => s !== undefined);
  if (snoozed) return [markdown(`💤 明日再提醒（${escapeMarkdown(snoozed.by)}，${shortDay(snoozed.until.slice(0, 10))} ${hhmm(snoozed.until)}）`)];
  const on = { card: ctx.cardKey };
  return [buttonRow([completeTaskButton(t.year, t.seq, t.period, '标记完成', on), snoozeReminderButton(m.item.key, on)])];
}

/** Items in full while the card's budget allows; the rest counted as hidden. */
function inFull(items: readonly MergedItem[], ctx: RenderContext): CardElement[] {
  const els: CardElement[] = [];
  for (const m of items) {
    if (ctx.budget.full >= ctx.budget.maxFull) {
      ctx.budget.hidden++;
      continue;
    }
    ctx.budget.full++;
    els.push(markdown(fullLine(m, ctx)), ...fullActions(m, ctx));
  }
  return els;
}

const byDue = (a: MergedItem, b: MergedItem) => (a.item.task.dueDate < b.item.task.dueDate ? -1 : a.item.task.dueDate > b.item.task.dueDate ? 1 : a.item.task.seq - b.item.task.seq);

/** before_due: every item in full, soonest deadline first. */
export function renderSoon(items: readonly MergedItem[], ctx: RenderContext): RenderedSection {
  return { title: `🟡 即将截止（${items.length}）`, elements: inFull([...items].sort(byDue), ctx), severity: 1, template: 'yellow' };
}

/** due_today: every item in full. */
export function renderDueToday(items: readonly MergedItem[], ctx: RenderContext): RenderedSection {
  return { title: `🟠 今天截止（${items.length}）`, elements: inFull([...items].sort(byDue), ctx), severity: 2, template: 'orange' };
}

/** Is this overdue item new today: its first working day overdue, due on or after REMINDERS_START. */
const isNewOverdue = (t: TaskReminderInfo, remindersStart: string | null) => t.overdueWorkdays === 1 && (remindersStart === null || t.dueDate >= remindersStart);

interface Collapsed {
  year: number;
  seq: number;
  content: string;
  cadence: TaskReminderInfo['cadence'];
  dueDate: string;
  periods: string[];
  oldestDays: number;
  members: MergedItem[];
}

/** Overdue items of one task on one line: 「任务 8：逾期 11 期（2026-01 … 2026-11），最早逾期 304 天」. */
function collapsedLine(c: { seq: number; content: string; cadence: TaskReminderInfo['cadence']; dueDate: string; periods: readonly string[]; oldestDays: number }): string {
  const name = `**任务 ${c.seq}** ${escapeMarkdown(clip(c.content, 14))}`;
  if (c.cadence === null) return `🔴 ${name}：${shortDay(c.dueDate)}截止，已逾期 ${c.oldestDays} 天`;
  if (c.periods.length === 1) return `🔴 ${name}〔${c.periods[0]}〕：已逾期 ${c.oldestDays} 天`;
  const range = c.periods.length === 2 ? c.periods.join('、') : `${c.periods[0]} … ${c.periods[c.periods.length - 1]}`;
  return `🔴 ${name}：逾期 ${c.periods.length} 期（${range}），最早逾期 ${c.oldestDays} 天`;
}

function collapse(items: readonly MergedItem[]): Collapsed[] {
  const byTask = new Map<string, Collapsed>();
  for (const m of items) {
    const t = m.item.task;
    const k = `${t.year}:${t.seq}`;
    let c = byTask.get(k);
    if (!c) byTask.set(k, (c = { year: t.year, seq: t.seq, content: t.content, cadence: t.cadence, dueDate: t.dueDate, periods: [], oldestDays: 0, members: [] }));
    c.periods.push(t.period);
    c.members.push(m);
    c.oldestDays = Math.max(c.oldestDays, t.overdueDays ?? 0);
    if (t.dueDate < c.dueDate) c.dueDate = t.dueDate;
  }
  for (const c of byTask.values()) c.periods.sort();
  // Severity: the longest overdue first, then the most periods.
  return [...byTask.values()].sort((a, b) => b.oldestDays - a.oldestDays || b.periods.length - a.periods.length || a.seq - b.seq);
}

/** A collapsed line with its action, or its mark once every occurrence on it is done. */
function collapsedElement(c: Collapsed, ctx: RenderContext): CardElement {
  const done = c.members.filter((m) => ctx.done.has(occurrenceId(m.item.task)));
  const text = collapsedLine(c);
  if (done.length === c.members.length) {
    const by = [...new Set(done.map((m) => ctx.done.get(occurrenceId(m.item.task))!.by))].map(escapeMarkdown).join('、');
    return markdown(`${text}\n✅ 已全部完成（${by}）`);
  }
  const note = done.length > 0 ? `\n✅ 其中 ${done.length} 期已完成` : '';
  const first = c.members.find((m) => !ctx.done.has(occurrenceId(m.item.task)))!.item.task;
  const action = c.members.length - done.length === 1 ? completeTaskButton(first.year, first.seq, first.period, '标记完成', { card: ctx.cardKey }) : completeOverdueButton(c.year, c.seq, c.members.length - done.length, { card: ctx.cardKey });
  return lineWithButton(`${text}${note}`, action);
}

/** overdue: new items in full, older ones one line per task, most severe first. */
export function renderOverdue(items: readonly MergedItem[], ctx: RenderContext): RenderedSection {
  const fresh = items.filter((m) => isNewOverdue(m.item.task, ctx.remindersStart)).sort(byDue);
  const older = collapse(items.filter((m) => !isNewOverdue(m.item.task, ctx.remindersStart)));
  const els: CardElement[] = [];
  if (fresh.length > 0) els.push(markdown(`**今天起逾期（${fresh.length}）**`), ...inFull(fresh, ctx));
  if (older.length > 0) {
    if (fresh.length > 0) els.push(markdown(`**持续逾期（${older.length} 项任务）**`));
    for (const c of older) {
      if (ctx.budget.lines >= ctx.budget.maxLines) {
        ctx.budget.hidden += c.members.length;
        continue;
      }
      ctx.budget.lines++;
      els.push(collapsedElement(c, ctx));
    }
  }
  const total = fresh.length + older.reduce((n, c) => n + c.members.length, 0);
  return { title: `🔴 逾期未完成（${total}）`, elements: els, severity: 3, template: 'red' };
}

/** escalation (leadership): grouped by lead unit, its bound members @-mentioned, one line per task. */
export function renderEscalation(items: readonly MergedItem[], ctx: RenderContext): RenderedSection {
  const byUnit = new Map<string, MergedItem[]>();
  for (const m of items) for (const u of m.item.task.leadUnits) byUnit.set(u, [...(byUnit.get(u) ?? []), m]);
  const els: CardElement[] = [];
  for (const [unit, list] of byUnit) {
    const at = (ctx.people[unit] ?? []).map((p) => `<at user_id="${p.openId}">${escapeMarkdown(p.name)}</at>`).join(' ');
    const lines: string[] = [];
    for (const c of collapse(list)) {
      if (ctx.budget.lines >= ctx.budget.maxLines) {
        ctx.budget.hidden += c.members.length;
        continue;
      }
      ctx.budget.lines++;
      const n = Math.max(...c.members.map((m) => m.item.task.overdueWorkdays ?? 0));
      const done = c.members.every((m) => ctx.done.has(occurrenceId(m.item.task))) ? ' ✅ 已完成' : '';
      lines.push(`${collapsedLine(c)}（第 ${n} 个工作日）${done}`);
    }
    if (lines.length > 0) els.push(markdown(`**${escapeMarkdown(unit)}**${at ? ` ${at}` : ''}\n${lines.join('\n')}`));
  }
  return { title: `📣 提请督办（${items.length}）`, elements: els, severity: 4, template: 'carmine' };
}

// ---------------------------------------------------------------- plan pushes and digests

const MAX_LIST = 15;

function itemList(items: readonly ItemLine[], withOverdue: boolean): string {
  if (items.length === 0) return '无';
  const lines = items.slice(0, MAX_LIST).map((i) => {
    const period = i.cadence === null ? '' : `〔${i.period}〕`;
    const overdue = withOverdue && i.daysOverdue !== null ? `，已逾期 ${i.daysOverdue} 天` : '';
    return `- ${i.seq}. ${escapeMarkdown(clip(i.content, 40))}${period}：${i.dueDate} 截止${overdue}（${units(i.leadUnits)}）`;
  });
  if (items.length > MAX_LIST) lines.push(`- …另有 ${items.length - MAX_LIST} 项`);
  return lines.join('\n');
}

/** A plan push (月度 / 季度 / 年度 / 阶段) as a section. */
function pushSection(p: PushContent): RenderedSection {
  switch (p.type) {
    case 'monthly': {
      const [y, m] = [p.month.slice(0, 4), Number(p.month.slice(5, 7))];
      const els: CardElement[] = [];
      if (p.phase) els.push(markdown(`当前阶段：${escapeMarkdown(p.phase.name)}（${p.phase.start} 至 ${p.phase.end ?? '长期'}）`));
      els.push(markdown(`**本月到期（${p.due.length}）**\n${itemList(p.due, false)}`), markdown(`**红灯事项（${p.red.length}）**\n${itemList(p.red, true)}`));
      return { title: `月度专题推进｜${y} 年 ${m} 月`, template: p.red.length > 0 ? 'orange' : 'blue', severity: 0, elements: els };
    }
    case 'quarterly': {
      const [y, q] = [p.quarter.slice(0, 4), p.quarter.slice(-1)];
      const els: CardElement[] = [];
      if (p.planItems.length > 0) els.push(markdown(`**本季度工作要求（附件2）**\n${p.planItems.map((i) => `- ${i.code} ${escapeMarkdown(i.text)}`).join('\n')}`));
      els.push(markdown(`**本季度到期（${p.due.length}）**\n${itemList(p.due, false)}`), markdown(`**红灯事项（${p.red.length}）**\n${itemList(p.red, true)}`));
      return { title: `季度现场推进｜${y} 年第 ${q} 季度`, template: 'wathet', severity: 0, elements: els };
    }
    case 'yearly': {
      const els: CardElement[] = [];
      if (p.phase) els.push(markdown(`**${escapeMarkdown(p.phase.name)}**（${p.phase.start} 至 ${p.phase.end ?? '长期'}）\n${escapeMarkdown(p.phase.summary)}`));
      if (p.planItems.length > 0) els.push(markdown(`**建设要求（附件2）**\n${p.planItems.map((i) => `- ${i.code} ${escapeMarkdown(i.text)}`).join('\n')}`));
      if (p.noTaskList) els.push(markdown(`${p.year} 年的重点任务清单尚未建立：请党建办运行 \`dangjian task instantiate --year ${p.year}\`。`));
      else {
        const c = p.counts;
        els.push(markdown(`**${p.year} 年重点任务** 共 ${c.total} 项：红 ${c.red}、黄 ${c.yellow}、绿 ${c.green}、已完成 ${c.done}`));
        if (p.topic === 'project-list') {
          els.push(markdown(p.byCategory.map((b) => `- ${escapeMarkdown(b.category)}：${b.count} 项`).join('\n')));
          els.push(markdown(`牵头单位：${p.byLeadUnit.map((b) => `${escapeMarkdown(b.unit)} ${b.count} 项`).join('，')}`));
        } else if (p.red.length > 0) {
          els.push(markdown(`**红灯事项（${p.red.length}）**\n${itemList(p.red, true)}`));
        }
      }
      if (p.targets && p.targets.lines.length > 0) {
        const on = p.targets.onTrack === true ? '按计划推进' : p.targets.onTrack === false ? '落后于计划' : '';
        els.push(markdown(`**目标进度**${on ? `（${on}）` : ''}\n${targetSummaryLines(p.targets).join('\n')}`));
      }
      return { title: `${p.heading}｜${p.year} 年`, template: 'purple', severity: 0, elements: els };
    }
    case 'phase': {
      const els: CardElement[] = [markdown(`${p.phase.start} 至 ${p.phase.end ?? '长期'}\n${escapeMarkdown(p.phase.summary)}`)];
      if (p.next) els.push(markdown(`下一阶段：${escapeMarkdown(p.next.name)}（${p.next.start} 起）`));
      return { title: `阶段开始｜${p.phase.name}`, template: 'indigo', severity: 0, elements: els };
    }
  }
}

/** monthly / quarterly / yearly / phase: one section per push. */
export function renderPushes(items: readonly CardItem[]): RenderedSection[] {
  return items.flatMap((i) => (i.push ? [pushSection(i.push)] : []));
}

export function renderDigests(items: readonly CardItem[]): RenderedSection[] {
  return items.flatMap((i) => {
    if (!i.digest) return [];
    const c = digestCard(i.digest);
    return [{ title: c.header.title.content, template: c.header.template, severity: 0, elements: digestElements(i.digest) }];
  });
}

export function renderUnitDigests(items: readonly CardItem[]): RenderedSection[] {
  return items.flatMap((i) => {
    if (!i.unitDigest) return [];
    const c = unitDigestCard(i.unitDigest);
    return [{ title: c.header.title.content, template: c.header.template, severity: 0, elements: unitDigestElements(i.unitDigest) }];
  });
}

export function renderUnitChanges(items: readonly CardItem[]): RenderedSection[] {
  return items.flatMap((i) => {
    const n = i.unitChanges;
    if (!n) return [];
    const up = n.changes.some((c) => c.direction === 'up');
    const worst = n.changes.some((c) => c.direction === 'down') ? 'none' : up ? 'demonstration' : 'standard';
    return [{ title: unitChangeTitle(n), template: GRADE_TEMPLATE[worst], severity: 0, elements: unitChangeElements(n) }];
  });
}

const unitItemState = (daysLeft: number) => (daysLeft < 0 ? `已逾期 ${-daysLeft} 天` : daysLeft === 0 ? '今天到期' : `还有 ${daysLeft} 天`);

/** unit_item: the unit's own items, one line each with 「标记完成」 (the unit's secretary; a toast answers, the shared card stays). */
export function renderUnitItems(items: readonly CardItem[]): RenderedSection[] {
  const shown = items.flatMap((i) => (i.unitItem ? [i.unitItem] : [])).sort((a, b) => a.daysLeft - b.daysLeft || a.id - b.id);
  if (shown.length === 0) return [];
  const overdue = shown.some((u) => u.daysLeft < 0);
  return [
    {
      title: `📋 本单位事项（${shown.length}）`,
      template: overdue ? 'red' : 'yellow',
      severity: overdue ? 3 : 1,
      elements: shown.map((u) => lineWithButton(`${u.daysLeft < 0 ? '🔴' : '🟡'} **${u.id}.** ${escapeMarkdown(u.title)}\n${shortDay(u.dueDate)}到期，${unitItemState(u.daysLeft)}`, completeUnitItemButton(u.id))),
    },
  ];
}

/** bulletin: a round's 通报, or a unit's own lines of it. */
export function renderBulletins(items: readonly CardItem[]): RenderedSection[] {
  return items.flatMap((i) => {
    if (i.bulletin) return [{ title: bulletinTitle(i.bulletin), template: bulletinTemplate(i.bulletin), severity: 0, elements: bulletinElements(i.bulletin) }];
    if (i.unitBulletin) {
      const down = i.unitBulletin.line.reasons.length > 0;
      return [{ title: unitBulletinTitle(i.unitBulletin), template: down ? GRADE_TEMPLATE.none : GRADE_TEMPLATE.demonstration, severity: 0, elements: unitBulletinElements(i.unitBulletin) }];
    }
    return [];
  });
}

const rectificationText = (r: RectificationLine): string => {
  const when = r.stage === 'escalation' ? `已逾期，提请督办（${r.dueDate} 截止）` : r.stage === 'overdue' ? `${r.dueDate} 截止，已逾期` : r.stage === 'd0' ? '今天截止' : `${r.dueDate} 截止`;
  return `${r.stage === 'escalation' || r.stage === 'overdue' ? '🔴' : '🟡'} 整改 #${r.id} ${r.stage === 'escalation' ? `${escapeMarkdown(r.unit)}：` : ''}${escapeMarkdown(clip(r.title, 40))} · ${escapeMarkdown(r.responsible)} · ${when}`;
};

/** rectification: one section, one line per item; 「@我 整改 完成 〈编号〉」 marks one done. */
export function renderRectifications(items: readonly CardItem[]): RenderedSection[] {
  const lines = items.flatMap((i) => (i.rectification ? [rectificationText(i.rectification)] : []));
  if (lines.length === 0) return [];
  const late = items.some((i) => i.rectification && i.rectification.stage !== 'overdue' && i.rectification.stage !== 'escalation') ? 'yellow' : 'red';
  return [{ title: '整改', template: late, severity: late === 'red' ? 2 : 1, elements: [markdown(`${lines.join('\n')}\n完成后：@我 整改 完成 〈编号〉 〈说明〉`)] }];
}

/** One item as a plain line (the 「查看全部」 list): no buttons, every detail. */
export function plainLine(i: CardItem): string {
  const t = i.task;
  if (t) {
    const lead = ` · ${units(t.leadUnits)}`;
    switch (i.kind) {
      case 'overdue':
        return `🔴 ${taskName(t, 40)}：${shortDay(t.dueDate)}截止，已逾期 ${t.overdueDays ?? 0} 天${lead}`;
      case 'escalation':
        return `📣 ${taskName(t, 40)}：已逾期 ${t.overdueDays ?? 0} 天（第 ${t.overdueWorkdays ?? 0} 个工作日），提请督办${lead}`;
      case 'due_today':
        return `🟠 ${taskName(t, 40)}：${shortDay(t.dueDate)}截止${lead}`;
      default:
        return `🟡 ${taskName(t, 40)}：${shortDay(t.dueDate)}截止，还有 ${t.daysLeft ?? 0} 天${lead}`;
    }
  }
  if (i.push) return `📌 ${pushSection(i.push).title}`;
  if (i.digest) return `📊 ${digestCard(i.digest).header.title.content}`;
  if (i.unitDigest) return `📊 ${unitDigestCard(i.unitDigest).header.title.content}`;
  if (i.unitChanges) return `📈 ${unitChangeTitle(i.unitChanges)}`;
  if (i.unitItem) return `📋 ${i.unitItem.id}. ${i.unitItem.title}：${shortDay(i.unitItem.dueDate)}到期，${unitItemState(i.unitItem.daysLeft)}`;
  if (i.bulletin) return `📣 ${bulletinTitle(i.bulletin)}`;
  if (i.rectification) return rectificationText(i.rectification);
  if (i.unitBulletin) return `📣 ${unitBulletinTitle(i.unitBulletin)}`;
  return `${i.kind} ${i.subject ?? ''}`;
}
