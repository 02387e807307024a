/**
 * Scheduler commands: `reminders preview | status | start`, `tick`, `digest`, `outbox`.
 *
 * `tick --at ISO` runs one pass as if it were that instant. With LARK_APP_ID and LARK_APP_SECRET
 * it sends through the Lark API at LARK_DOMAIN; without them it prints the cards to stdout (and
 * records them as sent with `console-…` message ids, exactly as a real pass would).
 */
import type { Command } from 'commander';
import { lazyAction, withCommonOptions } from '../define.js';

const load = () => import('./scheduler.actions.js');

export function registerSchedulerCommands(program: Command): void {
  const reminders = program.command('reminders').description('提醒规则与每日卡片：预览、状态、起始日期');
  withCommonOptions(
    reminders
      .command('preview')
      .description('预览一段时间内每个群会收到的卡片（每群每个工作日至多一张），不发送也不记录；--raw 列出规则产生的每一条提醒')
      .requiredOption('--from <时间>', '开始，例如 2026-03-01 或 2026-03-01T00:00:00+08:00')
      .requiredOption('--to <时间>', '结束（含）；只写日期（如 2026-03-31）表示包含这一整天')
      .option('--raw', '每条提醒一行：key、at、kind、chatId、taskSeq、period（与以往的输出相同，供脚本使用）'),
  ).action(lazyAction(load, 'runRemindersPreview'));

  withCommonOptions(reminders.command('status').description('提醒从哪天开始（REMINDERS_START）、上一次扫描、卡片和留待下一张卡片的事项')).action(lazyAction(load, 'runRemindersStatus'));

  withCommonOptions(
    reminders
      .command('start')
      .description('设置提醒起始日期（党建办；记入审计日志）：此前逾期的事项只计入统计和合并行，不逐条补发')
      .requiredOption('--date <日期>', '起始日期，例如 2026-03-01')
      .option('--by <姓名>', '以花名册成员的身份操作（其权限生效，审计记其姓名）；默认：服务器操作员'),
  ).action(lazyAction(load, 'runRemindersStart'));

  withCommonOptions(
    program
      .command('tick')
      .description('立即执行一次定时扫描（可用 --at 假定时间）：有飞书凭据时经 LARK_DOMAIN 发送，没有时把卡片打印出来')
      .option('--at <时间>', '扫描时间，例如 2026-03-02T09:00（默认现在）'),
  ).action(lazyAction(load, 'runTick'));

  withCommonOptions(
    program
      .command('digest')
      .description('每周周报的内容')
      .option('--week <日期>', '这一周中的任意一天，例如 2026-03-16（默认本周）'),
  ).action(lazyAction(load, 'runDigest'));

  withCommonOptions(
    program
      .command('outbox')
      .description('定时发出的卡片：发了什么、何时发、飞书消息 id；哪些失败、最后一次的错误')
      .option('--status <状态>', '只看这种状态：待发、发送中、已发、失败、未发')
      .option('--limit <条数>', '最多显示多少张（最新的）'),
  ).action(lazyAction(load, 'runOutbox'));
}
