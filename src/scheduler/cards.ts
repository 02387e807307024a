/**
 * Reminder cards (Card JSON 2.0 via src/cards/card.ts). One outbox row renders as one section;
 * a card holds one row, or several rows for one chat coalesced into a summary card. Task
 * reminders carry 「标记完成」 (action `task.complete`) and 「明天再提醒」 (action `reminder.snooze`,
 * value `key` = the outbox row's key).
 */
import { completeTaskButton, snoozeReminderButton } from '../cards/actions.js';
import { buttonRow, card, escapeMarkdown, hr, markdown, type Card, type CardElement, type CardTemplate } from '../cards/card.js';
import { clip, GRADE_TEMPLATE } from '../cards/labels.js';
import { WEEKDAY_NAMES_ZH, weekday } from '../tasks/dates.js';
import { inZone } from '../time.js';
import type { PushContent, ReminderPayload, TaskReminderInfo } from './content.js';
import { digestCard, digestElements, type ItemLine, unitChangeElements, unitChangeTitle, unitDigestCard, unitDigestElements } from './digest-card.js';

export interface CardItem {
  key: string;
  payload: ReminderPayload;
}

interface Section {
  title: string;
  template: CardTemplate;
  /** Higher = more urgent; decides a coalesced card's colour. */
  severity: number;
  elements: CardElement[];
  snoozeKey: string | null;
  /** The task occurrence a 「标记完成」 button completes. */
  complete?: { year: number; seq: number; period: string };
}

const MAX_LIST = 15;
const dateZh = (date: string) => `${date}（${WEEKDAY_NAMES_ZH[weekday(date)]}）`;
const localTime = (iso: string, tz: string) => inZone(Date.parse(iso), tz).format('YYYY-MM-DD HH:mm');

function taskLines(t: TaskReminderInfo): string[] {
  const lines = [`**任务 ${t.seq}**（${t.year} 年）${escapeMarkdown(clip(t.content, 120))}`];
  const period = t.cadence === null ? '' : `周期：${t.period}　`;
  lines.push(`${period}截止：${dateZh(t.dueDate)}`);
  lines.push(`牵头单位：${t.leadUnits.map(escapeMarkdown).join('、')}`);
  return lines;
}

function itemList(items: readonly ItemLine[], withOverdue: boolean): string {
  if (items.length === 0) return '无';
  const lines = items.slice(0, MAX_LIST).map((i) => {
    const period = i.cadence === null ? '' : `〔${i.period}〕`;
    const overdue = withOverdue && i.daysOverdue !== null ? `，已逾期 ${i.daysOverdue} 天` : '';
    return `- ${i.seq}. ${escapeMarkdown(clip(i.content, 40))}${period}：${i.dueDate} 截止${overdue}（${i.leadUnits.map(escapeMarkdown).join('、')}）`;
  });
  if (items.length > MAX_LIST) lines.push(`- …另有 ${items.length - MAX_LIST} 项`);
  return lines.join('\n');
}

function taskSection(key: string, p: ReminderPayload, t: TaskReminderInfo): Section {
  const lines = taskLines(t);
  let title: string;
  let template: CardTemplate;
  let severity: number;
  switch (p.kind) {
    case 'due_today':
      if (t.daysLeft !== null && t.daysLeft > 0) {
        title = `截止提醒｜${t.dueDate} 截止，今天是截止前最后一个工作日`;
      } else {
        title = '截止提醒｜今天截止';
      }
      template = 'orange';
      severity = 2;
      break;
    case 'overdue':
      title = `逾期提醒｜已逾期 ${t.overdueDays ?? 0} 天`;
      template = 'red';
      severity = 3;
      lines.push(`已逾期 ${t.overdueDays ?? 0} 天（第 ${t.overdueWorkdays ?? 0} 个工作日），请尽快完成并在群里标记完成。`);
      break;
    case 'escalation':
      title = `逾期督办｜任务 ${t.seq} 已逾期 ${t.overdueWorkdays ?? 0} 个工作日`;
      template = 'carmine';
      severity = 4;
      lines.push(`已逾期 ${t.overdueDays ?? 0} 天（${t.overdueWorkdays ?? 0} 个工作日），提请领导小组督办。`);
      break;
    default:
      title = `截止提醒｜还有 ${t.daysLeft ?? t.offset ?? 0} 天截止`;
      template = (t.daysLeft ?? 99) <= 1 ? 'orange' : 'yellow';
      severity = 1;
  }
  if (t.fallbackUnits.length > 0 && p.kind !== 'escalation') {
    lines.push(`⚠️ ${t.fallbackUnits.map(escapeMarkdown).join('、')} 尚未绑定群聊，本提醒发到领导小组群。`);
  }
  return { title, template, severity, elements: [markdown(lines.join('\n'))], snoozeKey: key };
}

function pushSection(p: PushContent): Omit<Section, 'snoozeKey'> {
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
        els.push(markdown(`**目标进度**${on ? `（${on}）` : ''}\n${p.targets.lines.map((l) => `- ${escapeMarkdown(l.text)}：${l.reached}/${l.required}`).join('\n')}`));
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

function section(item: CardItem, tz: string): Section {
  const p = item.payload;
  let s: Section;
  if (p.task) s = { ...taskSection(item.key, p, p.task), complete: { year: p.task.year, seq: p.task.seq, period: p.task.period } };
  else if (p.push) s = { ...pushSection(p.push), snoozeKey: null };
  else if (p.digest) {
    const c = digestCard(p.digest);
    s = { title: c.header.title.content, template: c.header.template, severity: 0, elements: digestElements(p.digest), snoozeKey: null };
  } else if (p.unitDigest) {
    const c = unitDigestCard(p.unitDigest);
    s = { title: c.header.title.content, template: c.header.template, severity: 0, elements: unitDigestElements(p.unitDigest), snoozeKey: null };
  } else if (p.unitChanges) {
    const up = p.unitChanges.changes.some((c) => c.direction === 'up');
    const worst = p.unitChanges.changes.some((c) => c.direction === 'down') ? 'none' : up ? 'demonstration' : 'standard';
    s = { title: unitChangeTitle(p.unitChanges), template: GRADE_TEMPLATE[worst], severity: 0, elements: unitChangeElements(p.unitChanges), snoozeKey: null };
  } else s = { title: `提醒（${p.kind}）`, template: 'grey', severity: 0, elements: [], snoozeKey: null };
  const notes: string[] = [];
  if (p.late) notes.push(`⏰ 补发：原定 ${localTime(p.at, tz)} 发送（服务恢复后补发）`);
  if (p.snooze) notes.push(`🔁 ${escapeMarkdown(p.snooze.by)} 选择了「明天再提醒」`);
  if (notes.length > 0) s.elements = [...s.elements, markdown(notes.join('\n'))];
  return s;
}

/** 「标记完成」 and 「明天再提醒」 for a task reminder section. */
function sectionButtons(s: Section): CardElement[] {
  const buttons = [];
  if (s.complete) buttons.push(completeTaskButton(s.complete.year, s.complete.seq, s.complete.period));
  if (s.snoozeKey) buttons.push(snoozeReminderButton(s.snoozeKey));
  return buttons.length > 0 ? [buttonRow(buttons)] : [];
}

/** Same task occurrence twice in one card (a snoozed re-send meeting the series): keep the most urgent. */
function dedupe(items: readonly CardItem[]): CardItem[] {
  const best = new Map<string, CardItem>();
  const order: string[] = [];
  const rank = (i: CardItem) => ({ before_due: 1, due_today: 2, overdue: 3, escalation: 4 })[i.payload.kind as 'before_due'] ?? 0;
  for (const item of items) {
    const t = item.payload.task;
    const id = t ? `${t.year}:${t.seq}:${t.period}:${item.payload.kind === 'escalation' ? 'e' : 't'}` : `k:${item.key}`;
    const prev = best.get(id);
    if (!prev) order.push(id);
    if (!prev || rank(item) > rank(prev) || (rank(item) === rank(prev) && item.payload.at > prev.payload.at)) best.set(id, item);
  }
  return order.map((id) => best.get(id) as CardItem);
}

/** One card for one or several reminders of the same chat. */
export function reminderCard(items: readonly CardItem[], tz: string): Card {
  const list = dedupe(items);
  if (list.length === 1) {
    const only = list[0] as CardItem;
    if (only.payload.digest && !only.payload.late && !only.payload.snooze) return digestCard(only.payload.digest);
    if (only.payload.unitDigest && !only.payload.late) return unitDigestCard(only.payload.unitDigest);
    const s = section(only, tz);
    const title = only.payload.late ? `【补发】${s.title}` : s.title;
    return card(title, s.template, [...s.elements, ...sectionButtons(s)]);
  }
  const sections = list.map((i) => section(i, tz));
  const worst = sections.reduce((a, b) => (b.severity > a.severity ? b : a));
  const allLate = list.every((i) => i.payload.late);
  const elements: CardElement[] = [];
  sections.forEach((s, n) => {
    if (n > 0) elements.push(hr());
    elements.push(markdown(`**${escapeMarkdown(s.title)}**`), ...s.elements);
    elements.push(...sectionButtons(s));
  });
  const title = `${allLate ? '【补发】' : ''}提醒汇总｜${list.length} 条`;
  return card(title, worst.severity > 0 ? worst.template : 'blue', elements);
}
