/**
 * A chat's daily card (Card JSON 2.0 via src/cards/card.ts), rendered from the data its outbox
 * row keeps (CardData) and the current state of what it carries: when it is sent, re-sent, and
 * after every button press — the pressed line marked (✅ 已完成 by whom / 💤 明日再提醒), every
 * other line and button as it was. Sections in the order of ./kinds.ts; task items merged per
 * occurrence; long lists capped (the rest behind 「查看全部」, a list card sent to the presser).
 */
import { listCardButton } from '../cards/actions.js';
import { card, escapeMarkdown, hr, markdown, type Card, type CardElement, type CardTemplate } from '../cards/card.js';
import type { CardData, CardItem, TaskReminderInfo } from './content.js';
import type { ReminderKind } from './intent.js';
import { KIND_SPECS, KINDS_IN_ORDER } from './kinds.js';
import { dayZh, occurrenceId, plainLine, type Mark, type MergedItem, type RenderContext, type RenderedSection } from './sections.js';

/** Lark refuses cards over 30 KB; leave room for the envelope. */
export const MAX_CARD_BYTES = 28_000;
/** Collapsed lines (overdue tasks, escalations) a card shows before 「另有 N 项」. */
const MAX_LINES = 10;

export interface CardState {
  /** By occurrence id (`year:seq:period`). */
  done: ReadonlyMap<string, Extract<Mark, { state: 'done' }>>;
  /** By item key. */
  snoozed: ReadonlyMap<string, Extract<Mark, { state: 'snoozed' }>>;
}

const NO_STATE: CardState = { done: new Map(), snoozed: new Map() };

/** Task items of one occurrence shown once: the most urgent kind, then the latest. Escalations apart. */
function mergeTaskItems(items: readonly CardItem[]): Map<ReminderKind, MergedItem[]> {
  const byOccurrence = new Map<string, MergedItem>();
  for (const i of items) {
    if (!i.task || !KIND_SPECS[i.kind].task) continue;
    const id = `${occurrenceId(i.task)}:${i.kind === 'escalation' ? 'e' : 't'}`;
    const prev = byOccurrence.get(id);
    const item = i as CardItem & { task: TaskReminderInfo };
    if (!prev) byOccurrence.set(id, { item, keys: [i.key] });
    else {
      prev.keys.push(i.key);
      const rank = (x: CardItem) => KIND_SPECS[x.kind].order;
      if (rank(i) > rank(prev.item) || (rank(i) === rank(prev.item) && i.at > prev.item.at)) prev.item = item;
    }
  }
  const out = new Map<ReminderKind, MergedItem[]>();
  for (const m of byOccurrence.values()) out.set(m.item.kind, [...(out.get(m.item.kind) ?? []), m]);
  return out;
}

function sectionsOf(data: CardData, state: CardState, caps: { maxFull: number; maxLines: number }): { sections: RenderedSection[]; hidden: number; tasks: boolean } {
  const ctx: RenderContext = {
    cardKey: data.key,
    target: data.target,
    remindersStart: data.remindersStart,
    people: data.people,
    done: state.done,
    snoozed: state.snoozed,
    budget: { full: 0, maxFull: caps.maxFull, lines: 0, maxLines: caps.maxLines, hidden: 0 },
  };
  const merged = mergeTaskItems(data.items);
  const sections: RenderedSection[] = [];
  let tasks = false;
  for (const kind of KINDS_IN_ORDER) {
    const spec = KIND_SPECS[kind];
    if (spec.task) {
      const list = merged.get(kind);
      if (!list || list.length === 0) continue;
      tasks = true;
      sections.push(spec.render(list, ctx));
    } else {
      const list = data.items.filter((i) => i.kind === kind);
      if (list.length > 0) sections.push(...spec.render(list, ctx));
    }
  }
  return { sections, hidden: ctx.budget.hidden, tasks };
}

const scopeName = (data: CardData) => (data.target === null ? '' : data.target.kind === 'leadership' ? '领导小组' : data.target.kind === 'lead' ? data.target.leadUnit : data.target.unitName);

/** 「✅ 昨日完成 2」, or since the previous working day when that was not yesterday. */
function countsLine(data: CardData): string | null {
  const c = data.counts;
  if (!c) return null;
  const yesterday = new Date(Date.parse(`${data.date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  const since = c.since === yesterday ? '昨日完成' : `${Number(c.since.slice(5, 7))}月${Number(c.since.slice(8, 10))}日以来完成`;
  return `🔴 逾期 ${c.red}　🟡 临期 ${c.yellow}　✅ ${since} ${c.done}`;
}

function fallbackNote(items: readonly CardItem[]): string | null {
  const units = [...new Set(items.flatMap((i) => (i.kind === 'escalation' ? [] : (i.task?.fallbackUnits ?? []))))];
  return units.length > 0 ? `⚠️ ${units.map(escapeMarkdown).join('、')} 尚未绑定群聊，其任务提醒发到本群。` : null;
}

/** Items of earlier days that could not go out then (downtime, or after that day's card). */
function carriedOver(data: CardData): string | null {
  const earlier = data.items.filter((i) => i.date < data.date && !i.snooze);
  if (earlier.length === 0) return null;
  const days = [...new Set(earlier.map((i) => i.date))].sort().map(dayZh).join('、');
  return `⏰ 其中 ${earlier.length} 项是 ${days} 未能随当天卡片送达的提醒（补发）`;
}

function assemble(data: CardData, state: CardState, caps: { maxFull: number; maxLines: number }, compact: boolean): Card {
  const { sections, hidden, tasks } = sectionsOf(data, state, caps);
  const elements: CardElement[] = [];
  const counts = tasks ? countsLine(data) : null;
  if (counts) elements.push(markdown(counts));
  const single = sections.length === 1 && !counts;
  sections.forEach((s, n) => {
    if (n > 0 || counts) elements.push(hr());
    if (!single && s.title) elements.push(markdown(`**${escapeMarkdown(s.title)}**`));
    if (compact && s.severity === 0) elements.push(markdown('内容较多，此处从略：发送「周报」或「任务 逾期」查看。'));
    else elements.push(...s.elements);
  });
  const notes = [fallbackNote(data.items), data.late ? `⏰ 补发：原定 ${dayZh(data.at.slice(0, 10))} ${data.at.slice(11, 16)} 发送（服务恢复后补发）` : null, carriedOver(data)].filter((n): n is string => n !== null);
  if (notes.length > 0) elements.push(hr(), markdown(notes.join('\n')));
  if (hidden > 0) elements.push(listCardButton(data.key, hidden));
  const worst = sections.reduce<RenderedSection | undefined>((a, b) => (a === undefined || b.severity > a.severity ? b : a), undefined);
  const template: CardTemplate = worst?.template ?? 'blue';
  let title: string;
  if (tasks) title = `今日待办｜${scopeName(data)} ${dayZh(data.date)}`;
  else if (sections.length === 1) title = sections[0]!.title ?? '推送';
  else title = `今日推送｜${sections.map((s) => s.title?.split('｜')[0]).join('、')}`;
  return card(`${data.late ? '【补发】' : ''}${title}`, template, elements);
}

const sizeOf = (c: Card) => Buffer.byteLength(JSON.stringify(c), 'utf8');

/** The card as it stands: at most `maxFull` items in full (REMINDER_COALESCE_MAX), shrunk until it fits 30 KB. */
export function dailyCard(data: CardData, state: CardState = NO_STATE, maxFull = 20): Card {
  const attempts: Array<[{ maxFull: number; maxLines: number }, boolean]> = [
    [{ maxFull, maxLines: MAX_LINES }, false],
    [{ maxFull: Math.min(maxFull, 10), maxLines: 5 }, false],
    [{ maxFull: Math.min(maxFull, 5), maxLines: 3 }, true],
  ];
  let c = assemble(data, state, attempts[0]![0], false);
  for (const [caps, compact] of attempts.slice(1)) {
    if (sizeOf(c) <= MAX_CARD_BYTES) break;
    c = assemble(data, state, caps, compact);
  }
  return c;
}

/** Every item of a card, one line each, for the presser of 「查看全部」: clipped to fit, with where to see the rest. */
export function fullListCard(data: CardData, state: CardState = NO_STATE): Card {
  const lines = KINDS_IN_ORDER.flatMap((k) =>
    data.items
      .filter((i) => i.kind === k)
      .map((i) => {
        const done = i.task ? state.done.get(occurrenceId(i.task)) : undefined;
        return `${plainLine(i)}${done ? ` ✅ 已完成（${escapeMarkdown(done.by)}）` : ''}`;
      }),
  );
  const unique = [...new Set(lines)];
  const pointer = '完整的逾期清单：在群里发送「任务 逾期」，或由党建办运行 `dangjian tasks --status red`。';
  const title = `全部待办｜${scopeName(data)} ${dayZh(data.date)}（${unique.length} 项）`;
  // Each line costs its JSON-escaped bytes and a newline; 200 bytes spare for the cut-off note.
  let size = sizeOf(card(title, 'blue', [markdown(''), hr(), markdown(pointer)])) + 200;
  const shown: string[] = [];
  for (const line of unique) {
    size += Buffer.byteLength(JSON.stringify(line), 'utf8') - 1;
    if (size > MAX_CARD_BYTES) {
      shown.push(`…以下 ${unique.length - shown.length} 项从略。`);
      break;
    }
    shown.push(line);
  }
  return card(title, 'blue', [markdown(shown.join('\n') || '无'), hr(), markdown(pointer)]);
}
