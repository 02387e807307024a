/** `dangjian chat …`: which chat receives what — bind, unbind, list. */
import type { Command } from 'commander';
import { lazyAction, withCommonOptions } from '../define.js';

const load = () => import('./chats.actions.js');

export function registerChatCommands(program: Command): void {
  const chat = program.command('chat').description('群订阅：哪个飞书群接收哪些提醒');

  withCommonOptions(
    chat
      .command('bind')
      .description('让一个群订阅领导小组、某牵头单位或某单位的提醒（机器人须已在群里；也可以在群里 @机器人「订阅 …」）')
      .requiredOption('--chat <chat_id>', '飞书群的 chat_id（oc_…）')
      .requiredOption('--to <订阅对象>', '领导小组、牵头单位名（如 社管中心）或单位名（如 城东社区）；也可写 leadership、lead:名、unit:名'),
  ).action(lazyAction(load, 'runChatBind'));

  withCommonOptions(
    chat
      .command('unbind')
      .description('取消一个群的订阅（也可以在群里 @机器人「取消订阅」）')
      .requiredOption('--chat <chat_id>', '飞书群的 chat_id（oc_…；dangjian chat list 查看）'),
  ).action(lazyAction(load, 'runChatUnbind'));

  withCommonOptions(chat.command('list').description('列出已订阅的群')).action(lazyAction(load, 'runChatList'));
}
