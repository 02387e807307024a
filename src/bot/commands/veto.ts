/** 否决 / veto 〈单位〉〈原因〉 — office only. */
import { z } from 'zod';
import { card, escapeMarkdown, markdown } from '../../cards/card.js';
import { setVeto } from '../../services/scores.service.js';
import { requiredText } from '../args.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';
import { lookupUnit } from './units.js';

export const veto = defineCommand({
  names: ['否决', 'veto'],
  summary: '对某单位本年度实行一票否决（不能评为示范型）',
  usage: '否决 〈单位〉〈原因〉',
  example: '否决 城东社区 发生重大安全事故',
  access: 'office',
  auditAction: 'veto.set',
  params: [
    { key: 'unit', label: '〈单位〉' },
    { key: 'reason', label: '〈原因〉', rest: true },
  ],
  args: z.object({ unit: requiredText('单位名称', 60), reason: requiredText('否决原因', 500) }),
  async run(ctx, args) {
    const found = await lookupUnit(ctx.deps.db, args.unit, (name) => `否决 ${name} ${args.reason}`);
    if (!found.unit) return found.reply;
    const row = await setVeto(ctx.deps, ctx.actor!, { unit: found.unit.name, reason: args.reason });
    return cardReply(
      card(`一票否决 · ${found.unit.name}`, 'red', [
        markdown(`${row.year} 年度对「${escapeMarkdown(found.unit.name)}」实行一票否决。\n原因：${escapeMarkdown(row.reason)}\n登记人：${escapeMarkdown(row.set_by)}`),
      ]),
    );
  },
});
