/**
 * 设目标 〈节点〉〈层级〉[等级]〈个数 | 恢复〉 — office only: the street's own number for one of
 * section 二's targets (issue 16 #3), as `dangjian targets set | reset`.
 */
import { z } from 'zod';
import { card, escapeMarkdown, markdown } from '../../cards/card.js';
import { resetTarget, setTarget, type TargetChange } from '../../services/targets.service.js';
import { requiredText } from '../args.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';

/** The chat's names of the arguments, for the service's messages. */
const FIELDS = { milestone: '〈节点〉', level: '〈层级〉', grade: '[等级]', count: '〈个数〉' };

const RESET_WORDS = ['恢复', '默认', '取消', '方案'];
const isGrade = (s: string) => /^(标准|示范)型?$/.test(s.normalize('NFKC').trim());

const SOURCE_ZH: Record<TargetChange['source'], string> = { street: '本街道设置', plan_file: '方案文件', document: '方案原文' };

function changeCard(title: string, c: TargetChange) {
  const lines = [
    `**${escapeMarkdown(c.label)}** ${escapeMarkdown(c.text)}`,
    `现在的目标：${c.count === 0 ? '本街道不设此目标' : `${c.count} 个`}（${SOURCE_ZH[c.source]}；方案原文 ${c.planCount} 个；本街道现有 ${c.available} 个）`,
  ];
  if (c.warning !== null) lines.push(`⚠️ ${escapeMarkdown(c.warning)}`);
  return cardReply(card(title, c.warning === null ? 'blue' : 'orange', [markdown(lines.join('\n'))]));
}

export const setTargetCommand = defineCommand({
  names: ['设目标', 'settarget'],
  summary: '设置本街道自己的目标个数（替代方案原文中样板街道的数字）；写「恢复」则用回方案的数字',
  usage: '设目标 〈节点〉〈层级〉[等级]〈个数 | 恢复〉',
  example: '设目标 2027-12 社区 8',
  access: 'office',
  auditAction: 'targets.set',
  params: [
    { key: 'milestone', label: '〈节点〉' },
    { key: 'level', label: '〈层级〉' },
    { key: 'grade', label: '[等级]' },
    { key: 'count', label: '〈个数〉' },
  ],
  toInput(tokens) {
    const rest = [...tokens];
    const out: Record<string, unknown> = {};
    out.milestone = rest.shift();
    if (rest.length > 0) out.count = rest.pop();
    const gradeAt = rest.findIndex(isGrade);
    if (gradeAt >= 0) out.grade = rest.splice(gradeAt, 1)[0];
    out.level = rest.shift();
    if (rest.length > 0) out._extra = rest.join(' ');
    return out;
  },
  args: z.object({
    milestone: requiredText('节点（序号、日期或月份，例如 2027-12）', 20),
    level: requiredText('层级（社区、小区、楼宇、商圈或社会组织）', 10),
    grade: z.string().optional(),
    count: requiredText('个数（或「恢复」）', 10),
  }),
  async run(ctx, args) {
    const spec = { milestone: args.milestone, level: args.level, grade: args.grade };
    if (RESET_WORDS.includes(args.count)) {
      return changeCard('已恢复方案的目标', await resetTarget(ctx.deps, ctx.actor!, spec, FIELDS));
    }
    return changeCard('已设置本街道的目标', await setTarget(ctx.deps, ctx.actor!, { ...spec, count: args.count }, FIELDS));
  },
});
