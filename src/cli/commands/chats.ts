/** `dangjian chat …`: which chat receives what — bind, unbind, list. */
import type { Command } from 'commander';
import { chatTargetLabel } from '../../cards/labels.js';
import { listChats } from '../../db/chat.repository.js';
import { chatTargetKey } from '../../domain/chat-target.js';
import { parseChatTargetWord } from '../../domain/option-words.js';
import { bindChat, checkChatTarget, unbindChat, validateChatId } from '../../services/members.service.js';
import { actingAs, withCommonOptions, withContext, type CommonOptions } from '../context.js';

export function registerChatCommands(program: Command): void {
  const chat = program.command('chat').description('群订阅：哪个飞书群接收哪些提醒');

  withCommonOptions(
    chat
      .command('bind')
      .description('让一个群订阅领导小组、某牵头单位或某单位的提醒（机器人须已在群里；也可以在群里 @机器人「订阅 …」）')
      .requiredOption('--chat <chat_id>', '飞书群的 chat_id（oc_…）')
      .requiredOption('--to <订阅对象>', '领导小组、牵头单位名（如 社管中心）或单位名（如 城东社区）；也可写 leadership、lead:名、unit:名'),
  ).action(async (opts: CommonOptions & { chat: string; to: string }) =>
    withContext(opts, async (ctx) => {
      const chatId = validateChatId(opts.chat);
      const target = await checkChatTarget(ctx.db, ctx.plan, parseChatTargetWord(opts.to, ctx.plan.leadUnits));
      await bindChat({ db: ctx.db, clock: ctx.clock, tz: ctx.config.timeZone }, await actingAs(ctx, undefined), chatId, target);
      ctx.print({ chatId, target: chatTargetKey(target) }, () => `群 ${chatId} 已订阅「${chatTargetLabel(target)}」`);
    }),
  );

  withCommonOptions(
    chat
      .command('unbind')
      .description('取消一个群的订阅（也可以在群里 @机器人「取消订阅」）')
      .requiredOption('--chat <chat_id>', '飞书群的 chat_id（oc_…；dangjian chat list 查看）'),
  ).action(async (opts: CommonOptions & { chat: string }) =>
    withContext(opts, async (ctx) => {
      // Any bound id may be unbound (one bound from the console chat included); a typo is simply not bound.
      const chatId = opts.chat.trim();
      const target = await unbindChat(ctx, await actingAs(ctx, undefined), chatId);
      ctx.print({ chatId, target: chatTargetKey(target), unbound: true }, () => `群 ${chatId} 已取消订阅「${chatTargetLabel(target)}」，不再接收它的提醒`);
    }),
  );

  withCommonOptions(chat.command('list').description('列出已订阅的群')).action(async (opts: CommonOptions) =>
    withContext(opts, async (ctx) => {
      const chats = await listChats(ctx.db);
      const rows = chats.map((c) => ({ chatId: c.chatId, target: chatTargetKey(c.target), boundBy: c.boundBy }));
      ctx.print(rows, () => chats.map((c) => `${c.chatId}\t${chatTargetLabel(c.target)}\t（${c.boundBy} 设置）`).join('\n') || '还没有群订阅（dangjian chat bind 或在群里「订阅」）');
    }),
  );
}
