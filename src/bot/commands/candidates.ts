/** 推选 / candidates: the demonstration units of the last closed round per level; 「推选 选定 〈单位〉…」 records the chosen list (office). */
import { z } from 'zod';
import { card, escapeMarkdown, markdown } from '../../cards/card.js';
import { LEVEL_NAMES_ZH } from '../../plan/schema.js';
import { fmtPoints } from '../../scoring/format.js';
import { candidateList, chooseCandidates, type CandidateList } from '../../services/candidates.service.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';

function listCard(list: CandidateList, title: string) {
  if (list.levels.length === 0) return card(title, 'grey', [markdown(`${list.round}没有示范型单位可推选。`)]);
  const blocks = list.levels.map((l) => {
    const lines = l.candidates.map((c) => {
      const mark = c.chosen ? '⭐' : c.excluded.length > 0 ? '⛔' : '·';
      return `${mark} ${c.rank}. ${escapeMarkdown(c.unit)} ${fmtPoints(c.total)} 分${c.declared === null ? '' : `（申报${c.declared}）`}${c.excluded.length > 0 ? `（不能推选：${c.excluded.join('、')}）` : ''}`;
    });
    return markdown([`**${LEVEL_NAMES_ZH[l.level]}**`, ...lines].join('\n'));
  });
  return card(title, 'blue', [markdown(`${list.round} 示范型单位，按总分排序；⭐ 已推选，⛔ 不能推选。\n党建办：@我 推选 选定 〈单位〉 〈单位〉…`), ...blocks]);
}

export const candidates = defineCommand({
  names: ['推选', 'candidates'],
  summary: '市县级验收推选：各层级示范型单位排名并注明申报目标（一票否决、整改未完成的除外），党建办选定名单',
  usage: '推选 [选定 〈单位〉 〈单位〉…]',
  example: '推选 选定 城东新村小区',
  access: 'write',
  params: [
    { key: 'action', label: '〈选定〉' },
    { key: 'units', label: '〈单位〉', rest: true },
  ],
  args: z.object({ action: z.string().optional(), units: z.string().max(2000, '内容太长（至多 2000 字）').optional() }),
  async run(ctx, args) {
    if (args.action === undefined) return cardReply(listCard(await candidateList(ctx.deps), '推选候选'));
    if (args.action.normalize('NFKC').trim() !== '选定') return cardReply(card('推选', 'grey', [markdown(`「推选」后面写「选定 〈单位〉…」，或什么都不写查看候选（收到「${escapeMarkdown(args.action)}」）`)]));
    const list = await chooseCandidates(ctx.deps, ctx.actor!, { units: (args.units ?? '').split(/[\s、，,]+/) });
    return cardReply(listCard(list, '推选名单已记录'));
  },
});
