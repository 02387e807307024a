/**
 * Foundation subcommands: migrate, init, plan, score set, veto, backup, audit (unit, member, chat: units.ts, members.ts, chats.ts).
 * `--by NAME` acts as that roster member (src/cli/context.ts `actingAs`); without it, the operator.
 */
import type { Command } from 'commander';
import { lazyAction, withCommonOptions } from '../define.js';

const BY = ['--by <姓名>', '以花名册中此人的身份操作（其权限适用，审计记其姓名）；默认：服务器操作员'] as const;

const load = () => import('./admin.actions.js');

export function registerAdminCommands(program: Command): void {
  withCommonOptions(program.command('migrate').description('升级数据库结构（执行尚未执行的迁移；没有数据库文件时新建）')).action(lazyAction(load, 'runMigrate'));

  withCommonOptions(
    program
      .command('init')
      .description('建立街道、花名册岗位（领导小组组长、党建办主任、党建办副主任）和第一年的任务清单（没有数据库文件时新建；可重复执行）')
      .requiredOption('--year <年份>', '行动的第一年（方案中的 2021 年），例如 2026')
      .option('--street <名称>', '街道名称（默认：方案中的 XX街道）')
      .option('--sample-roster', '演示用：花名册填入方案附件1的示例姓名，而不是岗位'),
  ).action(lazyAction(load, 'runInit'));

  withCommonOptions(program.command('plan').description('显示工作方案：各层面指标、重点任务、行动目标、实施步骤')).action(lazyAction(load, 'runPlan'));

  const score = program.commands.find((c) => c.name() === 'score') ?? program.command('score').description('考核评分：录入、导入、查看');
  withCommonOptions(
    score
      .command('set')
      .description('录入一个子项的得分（保留历史，以最后一次为准）')
      .requiredOption('--unit <单位>', '单位名称（或能唯一确定单位的一部分）')
      .requiredOption('--item <编号>', '子项编号，例如 4.2')
      .requiredOption('--points <分>', '0 到该子项满分，以 0.5 分为单位')
      .option('--year <年份>', '考核年度（默认今年）')
      .option('--note <备注>', '备注')
      .option(...BY),
  ).action(lazyAction(load, 'runScoreSet'));

  const veto = program.command('veto').description('一票否决：设置或取消某单位某年度的一票否决');
  for (const action of ['set', 'clear'] as const) {
    withCommonOptions(
      veto
        .command(action)
        .description(action === 'set' ? '设置一票否决' : '取消一票否决')
        .requiredOption('--unit <单位>', '单位名称')
        .requiredOption('--reason <原因>', '原因（记入审计日志）')
        .option('--year <年份>', '考核年度（默认今年）')
        .option(...BY),
    ).action(lazyAction(load, action === 'set' ? 'runVetoSet' : 'runVetoClear'));
  }

  withCommonOptions(
    program
      .command('backup')
      .description('备份数据库：在线生成一致的副本，服务运行时也可执行')
      .requiredOption('--out <文件>', '备份文件（不能是已有文件）'),
  ).action(lazyAction(load, 'runBackup'));

  withCommonOptions(
    program
      .command('audit')
      .description('审计日志（最新的在前）：谁在何时做了什么，结果如何')
      .option('--limit <条数>', '显示多少条', '50'),
  ).action(lazyAction(load, 'runAudit'));

}
