/**
 * Cards the dispatcher itself produces: help, hints, refusals, errors, unit choices. Their free
 * text (a hint, a problem, a reason, notice lines) quotes what people typed: it is escaped here,
 * once, so that no caller can forget it.
 */
import { button, buttonRow, card, escapeMarkdown, hr, markdown, table, type Card, type CardElement, type CardTemplate } from '../cards/card.js';
import type { UnitRow } from '../db/schema.js';
import { LEVEL_NAMES_ZH } from '../plan/schema.js';
import type { AnyCommand } from './registry.js';

/** Button value that runs a chat command as if typed by whoever presses it. */
export const commandButton = (label: string, text: string, type: 'primary' | 'default' = 'default') => button(label, { action: 'command', text }, type);

/**
 * A card sent into a one-to-one chat: its command buttons carry that chat's id (`p2p`). A press
 * counts as one-to-one only in that very chat; anywhere else (a group, a forwarded card) it goes
 * through the group gate, subscription included, exactly like typing there.
 */
export function markOneToOne(c: Card, chatId: string): Card {
  const mark = (e: CardElement): CardElement => {
    if (e.tag === 'button') return { ...e, behaviors: e.behaviors.map((b) => (b.value.action === 'command' ? { ...b, value: { ...b.value, p2p: chatId } } : b)) };
    if (e.tag === 'column_set') return { ...e, columns: e.columns.map((col) => ({ ...col, elements: col.elements.map(mark) })) };
    return e;
  };
  return { ...c, body: { elements: c.body.elements.map(mark) } };
}

const commandLine = (c: AnyCommand) => `**${c.names.join(' / ')}**　${c.summary}\n　用法：${c.usage}　例：「${c.example}」`;

const OFFICE_ONLY = new Set<AnyCommand['access']>(['office']);

export function helpCard(commands: readonly AnyCommand[], hint?: string): Card {
  const everyone = commands.filter((c) => !OFFICE_ONLY.has(c.access));
  const office = commands.filter((c) => OFFICE_ONLY.has(c.access));
  const elements = [
    ...(hint ? [markdown(escapeMarkdown(hint)), hr()] : []),
    markdown('在群里 @我 后输入命令，单聊直接输入即可；命令前的「/」可省略，单位名称可以只写一部分（「城东」即可找到「城东社区」）。'),
    markdown(everyone.map(commandLine).join('\n')),
    hr(),
    markdown(`**仅党建办**\n${office.map(commandLine).join('\n')}`),
    buttonRow([commandButton('逾期任务', '任务 逾期', 'primary'), commandButton('本周任务', '任务 本周'), commandButton('排名', '排名'), commandButton('目标进度', '目标')]),
  ];
  return card('党建助手 · 使用说明', 'blue', elements);
}

/** One command's usage in detail (帮助 得分). */
export function commandHelpCard(c: AnyCommand): Card {
  return card(`命令：${c.names[0]}`, 'blue', [markdown(commandLine(c)), markdown(c.access === 'office' ? '仅党建办成员可用。' : '')].filter((e) => e.content !== ''));
}

export function noticeCard(title: string, template: CardTemplate, lines: readonly string[]): Card {
  return card(title, template, [markdown(lines.map(escapeMarkdown).join('\n'))]);
}

/** Wrong arguments: what is wrong, the usage and a correct example. */
export function usageErrorCard(problem: string, c: AnyCommand | undefined): Card {
  const lines = [`❌ ${escapeMarkdown(problem)}`];
  if (c) lines.push('', `用法：${c.usage}`, `例如：「${c.example}」`);
  return card('命令参数有误', 'orange', [markdown(lines.join('\n'))]);
}

export function refusalCard(reason: string): Card {
  return card('没有权限', 'red', [markdown(`🚫 ${escapeMarkdown(reason)}`)]);
}

export function apologyCard(): Card {
  return card('出错了', 'grey', [markdown('抱歉，处理这条命令时出了点问题，数据没有改动。请稍后再试；如果反复出现，请联系党建办。')]);
}

/** Several units match a fragment: list them, each with a button that repeats the command with the full name. */
export function unitChoiceCard(fragment: string, units: readonly UnitRow[], commandText: (unitName: string) => string): Card {
  const shown = units.slice(0, 10);
  const rows = shown.map((u) => ({ unit: escapeMarkdown(u.name), level: LEVEL_NAMES_ZH[u.level] }));
  const elements = [
    markdown(`「${escapeMarkdown(fragment)}」对应多个单位，请选择或输入完整名称：`),
    table([{ key: 'unit', title: '单位' }, { key: 'level', title: '层级' }], rows),
    ...shown.map((u) => buttonRow([commandButton(u.name, commandText(u.name))])),
  ];
  if (units.length > shown.length) elements.push(markdown(`还有更多匹配，请输入更完整的名称。`));
  return card('找到多个单位', 'yellow', elements);
}
