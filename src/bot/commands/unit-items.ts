/**
 * 事项 〈单位〉: a unit's own tracked items (self-check measures, the 任务节点 of its approved
 * application) with 完成 / 撤销 buttons; 完成事项 N and 撤销事项 N from the chat.
 */
import { z } from 'zod';
import { card, escapeMarkdown, lineWithButton, markdown, type Card, type CardElement } from '../../cards/card.js';
import type { RectificationRecord } from '../../db/rectification.repository.js';
import type { UnitItemRecord } from '../../db/unit-item.repository.js';
import { daysBetween } from '../../tasks/dates.js';
import { localDate } from '../../time.js';
import { completeUnitItem, undoUnitItem, unitItemsOf } from '../../services/unit-items.service.js';
import { optionalText } from '../args.js';
import { commandButton } from '../cards.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';
import { defaultUnit } from './self-check.js';

const SOURCE_ZH: Record<UnitItemRecord['source'], string> = { self_check: '自查', application: '申报' };
const MAX_SHOWN = 15;

function itemLine(i: UnitItemRecord, today: string): string {
  const days = daysBetween(today, i.dueDate);
  const state = i.doneAt !== null ? `✅ 已完成（${escapeMarkdown(i.doneBy ?? '')}）` : days < 0 ? `🔴 逾期 ${-days} 天` : days <= 7 ? `🟡 还有 ${days} 天` : '🟢';
  return `**${i.id}.** ${escapeMarkdown(i.title)}\n　${SOURCE_ZH[i.source]} · 时限 ${i.dueDate} · ${state}`;
}

function rectificationLine(r: RectificationRecord, today: string): string {
  const days = daysBetween(today, r.dueDate);
  const state = r.doneAt !== null ? `✅ 已完成（${escapeMarkdown(r.doneBy ?? '')}）` : days < 0 ? `🔴 逾期 ${-days} 天` : days <= 7 ? `🟡 还有 ${days} 天` : '🟢';
  return `**整改 #${r.id}** ${escapeMarkdown(r.title)}\n　负责人 ${escapeMarkdown(r.responsible)} · 期限 ${r.dueDate} · ${state}`;
}

function itemsCard(unit: string, items: readonly UnitItemRecord[], today: string, rectifications: readonly RectificationRecord[] = []): Card {
  const open = items.filter((i) => i.doneAt === null);
  const openRectifications = rectifications.filter((r) => r.doneAt === null);
  const elements: CardElement[] = [];
  // 整改 first: the office holds the unit to them (done / undo with a note: 「整改 完成 〈编号〉 〈说明〉」).
  for (const r of rectifications.slice(0, MAX_SHOWN)) {
    elements.push(lineWithButton(rectificationLine(r, today), r.doneAt === null ? commandButton('标记完成', `整改 完成 ${r.id}`, 'primary') : commandButton('撤销', `整改 撤销 ${r.id}`)));
  }
  if (rectifications.length > MAX_SHOWN) elements.push(markdown(`……另有 ${rectifications.length - MAX_SHOWN} 项整改（发送「整改 进度」查看）`));
  if (items.length === 0 && rectifications.length === 0) elements.push(markdown('没有在办的事项。自查清单提交后，有完成时限的措施会列在这里；申报通过后，特色品牌项目的任务节点也会列在这里。'));
  for (const i of items.slice(0, MAX_SHOWN)) {
    elements.push(lineWithButton(itemLine(i, today), i.doneAt === null ? commandButton('标记完成', `完成事项 ${i.id}`, 'primary') : commandButton('撤销', `撤销事项 ${i.id}`)));
  }
  if (items.length > MAX_SHOWN) elements.push(markdown(`……另有 ${items.length - MAX_SHOWN} 项`));
  const red = open.filter((i) => i.dueDate < today).length + openRectifications.filter((r) => r.dueDate < today).length;
  return card(`${unit} · 本单位事项（${open.length + openRectifications.length} 项在办）`, red > 0 ? 'red' : open.length + openRectifications.length > 0 ? 'blue' : 'green', elements);
}

const itemId = z
  .string({ error: '缺少事项编号' })
  .transform((s) => s.normalize('NFKC').replace(/^#/, ''))
  .refine((s) => /^\d{1,9}$/.test(s), '事项编号应为数字，例如 3（发送「事项」查看编号）')
  .transform(Number);

export const unitItems = defineCommand({
  names: ['事项', 'items'],
  summary: '本单位的事项：自查措施、申报任务节点（可标记完成）',
  usage: '事项 [单位]',
  example: '事项 城东社区',
  access: 'read',
  params: [{ key: 'unit', label: '[单位]', rest: true }],
  args: z.object({ unit: optionalText('单位名称', 60) }),
  async run(ctx, args) {
    const r = await unitItemsOf(ctx.deps, args.unit ?? (await defaultUnit(ctx)));
    return cardReply(itemsCard(r.unit, r.items, localDate(ctx.now, ctx.deps.tz), r.rectifications));
  },
});

export const completeItem = defineCommand({
  names: ['完成事项', 'itemdone'],
  summary: '把本单位的一个事项标记为完成',
  usage: '完成事项 〈事项编号〉',
  example: '完成事项 3',
  access: 'write',
  params: [{ key: 'id', label: '〈事项编号〉' }],
  args: z.object({ id: itemId }),
  async run(ctx, args) {
    const r = await completeUnitItem(ctx.deps, ctx.actor!, args.id);
    const board = await unitItemsOf(ctx.deps, r.item.unitName);
    const c = itemsCard(board.unit, board.items, localDate(ctx.now, ctx.deps.tz), board.rectifications);
    c.body.elements.unshift(markdown(r.already ? `事项 ${args.id} 已经是完成状态。` : `✅ 已完成：${escapeMarkdown(r.item.title)}（发送「撤销事项 ${args.id}」可撤销）`));
    return cardReply(c);
  },
});

export const undoItem = defineCommand({
  names: ['撤销事项', 'itemundo'],
  summary: '撤销一个事项的完成标记',
  usage: '撤销事项 〈事项编号〉',
  example: '撤销事项 3',
  access: 'write',
  params: [{ key: 'id', label: '〈事项编号〉' }],
  args: z.object({ id: itemId }),
  async run(ctx, args) {
    const item = await undoUnitItem(ctx.deps, ctx.actor!, args.id);
    const board = await unitItemsOf(ctx.deps, item.unitName);
    const c = itemsCard(board.unit, board.items, localDate(ctx.now, ctx.deps.tz), board.rectifications);
    c.body.elements.unshift(markdown(`↩️ 已撤销完成：${escapeMarkdown(item.title)}`));
    return cardReply(c);
  },
});
