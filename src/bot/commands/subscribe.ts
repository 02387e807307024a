/** 订阅 / subscribe 〈领导小组 | 牵头单位名 | 单位名〉 — binds this chat; office only. */
import { z } from 'zod';
import { card, escapeMarkdown, markdown } from '../../cards/card.js';
import { chatTargetLabel } from '../../cards/labels.js';
import type { ChatTarget } from '../../domain/chat-target.js';
import { parseChatTargetWord } from '../../domain/option-words.js';
import { UserError } from '../../errors.js';
import { bindChat } from '../../services/members.service.js';
import { requiredText } from '../args.js';
import { defineCommand, type CommandContext } from '../registry.js';
import { cardReply } from '../types.js';

/** What the chat will receive, as promised in the reply (src/scheduler/rules.ts decides it). */
function promise(target: ChatTarget): string {
  switch (target.kind) {
    case 'leadership':
      return '今后的逾期督办、月度/季度/年度推进、每周周报，以及尚未订阅群聊的牵头单位的任务提醒会发到这里。';
    case 'lead':
      return `今后${target.leadUnit}牵头任务的截止提醒和逾期提醒会发到这里。`;
    case 'unit':
      return `今后「${target.unitName}」的每周周报（本单位及下属单位的等级、上周的分数变化）和等级变化通知会发到这里。`;
  }
}
import { lookupUnit } from './units.js';

export const subscribe = defineCommand({
  names: ['订阅', 'subscribe'],
  summary: '把本群订阅为领导小组群、某牵头单位群或某单位群，接收对应提醒',
  usage: '订阅 〈领导小组 | 牵头单位名 | 单位名〉',
  example: '订阅 社管中心',
  access: 'office',
  auditAction: 'chat.bind',
  allowUnboundChat: true,
  params: [{ key: 'target', label: '〈订阅对象〉', rest: true }],
  args: z.object({ target: requiredText('订阅对象（领导小组、牵头单位名或单位名）', 60) }),
  async run(ctx: CommandContext, args) {
    const { deps, msg } = ctx;
    if (msg.chatType === 'p2p' && !deps.consoleActor) throw new UserError('bad_argument', '订阅只能在群聊中使用：把我拉进群后 @我 发送「订阅 …」', '〈订阅对象〉');
    let target = parseChatTargetWord(args.target, deps.plan.leadUnits, '〈订阅对象〉');
    if (target.kind === 'unit') {
      const found = await lookupUnit(deps.db, target.unitName, (name) => `订阅 ${name}`, '〈订阅对象〉').catch((err: unknown) => {
        if (err instanceof UserError && err.code === 'not_found') {
          throw new UserError('not_found', `「${args.target}」既不是领导小组，也不是牵头单位（${deps.plan.leadUnits.join('、')}）或单位名称`, '〈订阅对象〉');
        }
        throw err;
      });
      if (!found.unit) return found.reply;
      target = { kind: 'unit', unitName: found.unit.name };
    }
    await bindChat(deps, ctx.actor!, msg.chatId, target);
    return cardReply(
      card('本群已订阅', 'green', [
        markdown(`本群已订阅「${escapeMarkdown(chatTargetLabel(target))}」。${escapeMarkdown(promise(target))}\n群里的成员现在可以 @我 查询得分、排名和任务。`),
      ]),
    );
  },
});
