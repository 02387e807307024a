/** 订阅 / subscribe 〈领导小组 | 牵头单位名 | 单位名〉 — binds this chat; office only. */
import { z } from 'zod';
import { card, escapeMarkdown, markdown } from '../../cards/card.js';
import { UserError } from '../../errors.js';
import { bindChat, describeChatTarget, formatChatTarget, type ChatTarget } from '../../services/members.service.js';
import { requiredText } from '../args.js';
import { defineCommand } from '../registry.js';
import type { CommandContext } from '../types.js';
import { cardReply } from '../types.js';
import { lookupUnit } from './units.js';

const LEADERSHIP_WORDS = new Set(['领导小组', 'leadership', '领导']);

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
    const text = args.target.normalize('NFKC').trim();
    let target: ChatTarget;
    if (LEADERSHIP_WORDS.has(text.toLowerCase())) target = { kind: 'leadership' };
    else {
      const leads = deps.plan.leadUnits.filter((l) => l === text || l.includes(text));
      if (leads.length === 1) target = { kind: 'lead', leadUnit: leads[0]! };
      else {
        const found = await lookupUnit(deps.db, args.target, (name) => `订阅 ${name}`, '〈订阅对象〉').catch((err: unknown) => {
          if (err instanceof UserError && err.code === 'not_found') {
            throw new UserError('not_found', `「${args.target}」既不是领导小组，也不是牵头单位（${deps.plan.leadUnits.join('、')}）或单位名称`, '〈订阅对象〉');
          }
          throw err;
        });
        if (!found.unit) return found.reply;
        target = { kind: 'unit', unitName: found.unit.name };
      }
    }
    await bindChat(deps, ctx.actor!, msg.chatId, target);
    return cardReply(
      card('本群已订阅', 'green', [
        markdown(`本群已订阅「${escapeMarkdown(describeChatTarget(formatChatTarget(target)))}」，今后相关的任务提醒和周报会发到这里。\n群里的成员现在可以 @我 查询得分、排名和任务。`),
      ]),
    );
  },
});
