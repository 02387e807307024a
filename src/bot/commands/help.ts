import { z } from 'zod';
import { UserError } from '../../errors.js';
import { commandHelpCard, helpCard } from '../cards.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';

export const help = defineCommand({
  names: ['帮助', 'help', '?', '菜单'],
  summary: '看看我能做什么',
  usage: '帮助 [命令]',
  example: '帮助 得分',
  access: 'public',
  readOnly: true,
  params: [{ key: 'command', label: '〈命令〉' }],
  args: z.object({ command: z.string().optional() }),
  async run(ctx, args) {
    if (args.command === undefined) return cardReply(helpCard(ctx.commands));
    const wanted = args.command.normalize('NFKC').replace(/^\//, '').toLowerCase();
    const found = ctx.commands.find((c) => c.names.some((n) => n.toLowerCase() === wanted));
    if (!found) throw new UserError('not_found', `没有「${args.command}」这个命令；发送「帮助」查看全部命令`, '〈命令〉');
    return cardReply(commandHelpCard(found));
  },
});
