/** 通报 / bulletin [年份] [种类]: the bulletin of an assessment round (default: the round closed last). */
import { z } from 'zod';
import { bulletinCard } from '../../scheduler/bulletin-card.js';
import { readRoundBulletin } from '../../services/bulletin.service.js';
import { looksLikeYear, optionalText, yearArg } from '../args.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';

export const bulletin = defineCommand({
  names: ['通报', 'bulletin'],
  summary: '验收通报：各层级等级变化、晋位、申报目标达成情况和需整改的单位、目标节点（限党建办和领导小组）',
  usage: '通报 [年份] [种类]',
  example: '通报 2026 年度验收',
  access: 'write',
  params: [
    { key: 'year', label: '[年份]' },
    { key: 'kind', label: '[种类]' },
  ],
  toInput(tokens) {
    const rest = [...tokens];
    const out: Record<string, unknown> = {};
    const yearAt = rest.findIndex(looksLikeYear);
    if (yearAt >= 0) out.year = rest.splice(yearAt, 1)[0];
    if (rest[0] !== undefined) out.kind = rest[0];
    if (rest.length > 1) out._extra = rest.slice(1).join(' ');
    return out;
  },
  args: z.object({ year: yearArg.optional(), kind: optionalText('验收种类', 20) }),
  async run(ctx, args) {
    return cardReply(bulletinCard(await readRoundBulletin(ctx.deps, ctx.actor!, { year: args.year, kind: args.kind })));
  },
});
