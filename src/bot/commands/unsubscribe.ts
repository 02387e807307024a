/** 取消订阅 / unsubscribe — this chat stops receiving what it was subscribed to; office only. */
import { z } from 'zod';
import { card, escapeMarkdown, markdown } from '../../cards/card.js';
import { chatTargetLabel } from '../../cards/labels.js';
import { unbindChat } from '../../services/members.service.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';

export const unsubscribe = defineCommand({
  names: ['取消订阅', 'unsubscribe'],
  summary: '取消本群的订阅：本群不再收到提醒和周报（可再「订阅」）',
  usage: '取消订阅',
  example: '取消订阅',
  access: 'office',
  auditAction: 'chat.unbind',
  allowUnboundChat: true,
  params: [],
  args: z.object({}),
  async run(ctx) {
    const target = await unbindChat(ctx.deps, ctx.actor!, ctx.msg.chatId, '本群');
    return cardReply(
      card('已取消订阅', 'grey', [markdown(`本群不再接收「${escapeMarkdown(chatTargetLabel(target))}」的提醒和周报。需要时发送「订阅 …」重新订阅。`)]),
    );
  },
});
