/**
 * 整改 / rectify: 「整改」 lists the 整改 items the sender can act on (the office: every unit's);
 * 「整改 下达 〈单位〉 〈负责人〉 〈期限〉 [事项；事项]」 (office) issues them, pre-filled from the
 * sub-items where the unit lost the most points when no text is given; 「整改 修改 〈编号〉 〈新内容〉」
 * (office) rewrites one not yet done; 「整改 完成 〈编号〉 [说明]」
 * and 「整改 撤销 〈编号〉」 by the responsible secretary, the unit's secretary or the office;
 * 「整改 进度」 every unit's 整改 (open, closed, closed late).
 */
import { z } from 'zod';
import { card, escapeMarkdown, markdown } from '../../cards/card.js';
import { requireOffice } from '../../auth/policy.js';
import { UserError } from '../../errors.js';
import { completeRectification, editRectification, issueRectification, rectificationProgress, undoRectification, type UnitRectification } from '../../services/rectification.service.js';
import { localDate } from '../../time.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';

type Action = 'list' | 'issue' | 'edit' | 'done' | 'undo' | 'progress';
const ACTIONS: Record<string, Action> = { 下达: 'issue', issue: 'issue', 修改: 'edit', edit: 'edit', 完成: 'done', done: 'done', 撤销: 'undo', undo: 'undo', 进度: 'progress', progress: 'progress' };
const STATE_ZH = { open: '进行中', closed: '已完成', closed_late: '逾期完成' } as const;

function itemLines(u: UnitRectification, tz: string): string {
  const head = `**${escapeMarkdown(u.unit)}** ${STATE_ZH[u.state]} ${u.done}/${u.items.length}${u.closedAt === null ? '' : `（${localDate(u.closedAt, tz)} 完成）`}`;
  const lines = u.items.map((i) => {
    const mark = i.doneAt !== null ? (i.late ? '✅（逾期）' : '✅') : i.overdue ? '🔴 逾期' : '⏳';
    return `${mark} #${i.id} ${escapeMarkdown(i.title)} · ${escapeMarkdown(i.responsible)} · ${i.dueDate} 前${i.note ? ` · ${escapeMarkdown(i.note)}` : ''}`;
  });
  return [head, ...lines].join('\n');
}

export const rectification = defineCommand({
  names: ['整改', 'rectify'],
  summary: '整改事项：下达、修改（党建办）、完成、撤销、进度',
  usage: '整改 [下达 〈单位〉 〈负责人〉 〈期限〉 [事项；事项] | 修改 〈编号〉 〈新内容〉 | 完成 〈编号〉 [说明] | 撤销 〈编号〉 | 进度]',
  example: '整改 下达 城东花园小区 钱书记 2028-03-31',
  access: 'write',
  params: [
    { key: 'action', label: '〈下达/修改/完成/撤销/进度〉' },
    { key: 'rest', label: '〈参数〉', rest: true },
  ],
  args: z.object({ action: z.string().optional(), rest: z.string().max(2000, '内容太长（至多 2000 字）').optional() }),
  async run(ctx, args) {
    const { deps } = ctx;
    const actor = ctx.actor!;
    const action: Action | undefined = args.action === undefined ? 'list' : ACTIONS[args.action.normalize('NFKC').toLowerCase()];
    if (action === undefined) throw new UserError('bad_argument', `「整改」后面写 下达、修改、完成、撤销 或 进度（收到「${args.action}」）`, '〈下达/修改/完成/撤销/进度〉');
    const words = (args.rest ?? '').trim().split(/\s+/).filter((w) => w !== '');
    if (action === 'issue') {
      const [unit, responsible, due, ...rest] = words;
      if (unit === undefined || responsible === undefined || due === undefined) throw new UserError('bad_argument', '写作：整改 下达 〈单位〉 〈负责人〉 〈期限 YYYY-MM-DD〉 [事项；事项]', '〈参数〉');
      const items = rest.length === 0 ? undefined : rest.join(' ').split(/[；;]/);
      const issued = await issueRectification(deps, actor, { unit, responsible, due, items });
      const lines = issued.map((i) => `#${i.id} ${escapeMarkdown(i.title)}`);
      return cardReply(card(`整改已下达 · ${issued[0]!.unit}`, 'orange', [markdown(`负责人：${escapeMarkdown(issued[0]!.responsible)} · 期限：${issued[0]!.dueDate}\n${lines.join('\n')}\n完成后：@我 整改 完成 〈编号〉 〈说明〉`)]));
    }
    if (action === 'edit') {
      const id = Number((words[0] ?? '').replace(/^#/, ''));
      if (!Number.isInteger(id) || id < 1 || words.length < 2) throw new UserError('bad_argument', '写作：整改 修改 〈编号〉 〈新内容〉（编号见「整改」）', '〈编号〉');
      const item = await editRectification(deps, actor, { id, title: words.slice(1).join(' ') });
      return cardReply(card(`整改事项 #${item.id} 已修改`, 'orange', [markdown(`${escapeMarkdown(item.unit)}：${escapeMarkdown(item.title)} · ${escapeMarkdown(item.responsible)} · ${item.dueDate} 前`)]));
    }
    if (action === 'done' || action === 'undo') {
      const id = Number((words[0] ?? '').replace(/^#/, ''));
      if (!Number.isInteger(id) || id < 1) throw new UserError('bad_argument', `写作：整改 ${action === 'done' ? '完成 〈编号〉 [说明]' : '撤销 〈编号〉'}（编号见「整改」）`, '〈编号〉');
      const item = action === 'done' ? await completeRectification(deps, actor, { id, note: words.slice(1).join(' ') }) : await undoRectification(deps, actor, { id });
      const [unit] = await rectificationProgress(deps, { unit: item.unit });
      const title = action === 'done' ? `整改事项 #${item.id} 已完成` : `整改事项 #${item.id} 已撤销完成`;
      return cardReply(card(title, action === 'done' ? 'green' : 'grey', [markdown(itemLines(unit!, deps.tz))]));
    }
    const all = await rectificationProgress(deps);
    const office = actor.role === 'office' || actor.role === 'admin';
    if (action === 'progress') await requireOffice(deps, actor, '查看整改进度（发「整改」看本单位的整改事项）', { action: 'rectification.progress', subject: null });
    const mine = office ? all : all.filter((u) => u.items.some((i) => i.unitId === actor.unitId || i.responsible === actor.name));
    if (mine.length === 0) return cardReply(card('整改', 'grey', [markdown(office ? '还没有下达整改事项。' : '没有需要您完成的整改事项。')]));
    if (action === 'progress') {
      const count = (s: UnitRectification['state']) => mine.filter((u) => u.state === s).length;
      const head = `进行中 ${count('open')} · 已完成 ${count('closed')} · 逾期完成 ${count('closed_late')}`;
      return cardReply(card('整改进度', count('open') > 0 ? 'orange' : 'green', [markdown(head), markdown(mine.map((u) => itemLines(u, deps.tz)).join('\n\n'))]));
    }
    return cardReply(card('整改事项', 'orange', [markdown(mine.map((u) => itemLines(u, deps.tz)).join('\n\n'))]));
  },
});
