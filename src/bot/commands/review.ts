/**
 * 验收 / review: 「验收」 lists the rounds; 「验收 开始 〈种类〉 [年份]」 and 「验收 结束」 open and close
 * one (office only: the service decides and audits a refusal). Re-opening is the CLI's
 * `dangjian review reopen` (with a reason).
 */
import { z } from 'zod';
import { card, escapeMarkdown, markdown } from '../../cards/card.js';
import { ROUND_KIND_ZH, ROUND_KINDS } from '../../domain/round-kind.js';
import { UserError } from '../../errors.js';
import { closeRound, openRound, roundLabel, roundList } from '../../services/rounds.service.js';
import { optionalText } from '../args.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';

const ACTIONS: Record<string, 'open' | 'close' | 'list'> = { 开始: 'open', 开启: 'open', open: 'open', 结束: 'close', 关闭: 'close', close: 'close', 列表: 'list', list: 'list' };
const KINDS = ROUND_KINDS.map((k) => ROUND_KIND_ZH[k]).join('、');

export const review = defineCommand({
  names: ['验收', 'review'],
  summary: `验收轮次（${KINDS}）：开始、结束、列表；结束时冻结各单位等级并推送通报`,
  usage: '验收 [开始 〈种类〉 [年份] | 结束 | 列表]',
  example: '验收 开始 年度验收 2026',
  access: 'write',
  params: [
    { key: 'action', label: '〈开始/结束/列表〉' },
    { key: 'kind', label: '〈种类〉' },
    { key: 'year', label: '〈年份〉' },
  ],
  args: z.object({ action: optionalText('操作', 10), kind: optionalText('验收种类', 20), year: optionalText('年份', 10) }),
  async run(ctx, args) {
    const action = args.action === undefined ? 'list' : ACTIONS[args.action.normalize('NFKC').toLowerCase()];
    if (action === undefined) throw new UserError('bad_argument', `「验收」后面写 开始、结束 或 列表（收到「${args.action}」）`, '〈开始/结束/列表〉');
    const actor = ctx.actor!;
    if (action === 'open') {
      const round = await openRound(ctx.deps, actor, { kind: args.kind, year: args.year });
      return cardReply(card(`${roundLabel(round)} · 已开始`, 'blue', [markdown(`此后录入的 ${round.year} 年分数属于这一轮。\n结束时（@我 验收 结束）冻结各单位等级，并推送通报。\n开始人：${escapeMarkdown(actor.name)}`)]));
    }
    if (action === 'close') {
      const closed = await closeRound(ctx.deps, actor, { year: args.kind });
      return cardReply(
        card(`${roundLabel(closed.round)} · 已结束`, 'green', [
          markdown(`冻结 ${closed.frozen} 个单位的等级；本轮录入 ${closed.entries} 条分数。\n之后的更正另行记录，不改变本轮结果。\n通报：@我 通报`),
        ]),
      );
    }
    const rounds = await roundList(ctx.deps);
    if (rounds.length === 0) return cardReply(card('验收轮次', 'grey', [markdown(`还没有验收轮次。党建办可发「验收 开始 〈种类〉」开始一轮（${KINDS}）。`)]));
    const lines = rounds.map((r) => `**${r.label}** ${r.open ? '🟢 进行中' : `已结束 ${r.closedAt}`} · 本轮录入 ${r.entries} 条${r.laterEntries > 0 ? ` · 结束后更正 ${r.laterEntries} 条` : ''}`);
    return cardReply(card('验收轮次', 'blue', [markdown(lines.join('\n'))]));
  },
});
