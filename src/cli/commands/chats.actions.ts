/** What the chats commands do (their definitions: ./chats.ts); loaded only when one of them runs. */
import { chatTargetLabel } from '../../cards/labels.js';
import { listChats } from '../../db/chat.repository.js';
import { chatTargetKey } from '../../domain/chat-target.js';
import { parseChatTargetWord } from '../../domain/option-words.js';
import { bindChat, checkChatTarget, unbindChat, validateChatId } from '../../services/members.service.js';
import { actingAs, withContext, type CommonOptions } from '../context.js';

export const runChatBind = async (opts: CommonOptions & { chat: string; to: string }) =>
  withContext(opts, async (ctx) => {
    const chatId = validateChatId(opts.chat);
    const target = await checkChatTarget(ctx.db, ctx.plan, parseChatTargetWord(opts.to, ctx.plan.leadUnits));
    await bindChat({ db: ctx.db, clock: ctx.clock, tz: ctx.config.timeZone }, await actingAs(ctx, undefined), chatId, target);
    ctx.print({ chatId, target: chatTargetKey(target) }, () => `群 ${chatId} 已订阅「${chatTargetLabel(target)}」`);
  });

export const runChatUnbind = async (opts: CommonOptions & { chat: string }) =>
  withContext(opts, async (ctx) => {
    // Any bound id may be unbound (one bound from the console chat included); a typo is simply not bound.
    const chatId = opts.chat.trim();
    const target = await unbindChat(ctx, await actingAs(ctx, undefined), chatId);
    ctx.print({ chatId, target: chatTargetKey(target), unbound: true }, () => `群 ${chatId} 已取消订阅「${chatTargetLabel(target)}」，不再接收它的提醒`);
  });

export const runChatList = async (opts: CommonOptions) =>
  withContext(opts, async (ctx) => {
    const chats = await listChats(ctx.db);
    const rows = chats.map((c) => ({ chatId: c.chatId, target: chatTargetKey(c.target), boundBy: c.boundBy }));
    ctx.print(rows, () => chats.map((c) => `${c.chatId}\t${chatTargetLabel(c.target)}\t（${c.boundBy} 设置）`).join('\n') || '还没有群订阅（dangjian chat bind 或在群里「订阅」）');
  });
