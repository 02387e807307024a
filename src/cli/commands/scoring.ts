/** Scoring subcommands: score import, score show, rank, targets. */
import type { Command } from 'commander';
import { lazyAction, withCommonOptions } from '../define.js';

const load = () => import('./scoring.actions.js');

export function registerScoringCommands(program: Command): void {
  const score = program.commands.find((c) => c.name() === 'score') ?? program.command('score').description('考核评分：录入、导入、查看');

  withCommonOptions(
    score
      .command('import')
      .description('导入评分表（.xlsx 或 CSV；长表或宽表；全部导入或全部不导入）')
      .requiredOption('--file <文件>', '长表：单位、指标、分值、年份、备注 五列；宽表：单位、年份，然后每个子项一列（表头写编号如 6.1 或子项名称）；模板见 dangjian template scores')
      .option('--by <姓名>', '以花名册中此人的身份导入（其权限适用，审计记其姓名）；默认为服务器操作员'),
  ).action(lazyAction(load, 'runScoreImport'));

  withCommonOptions(
    score
      .command('show')
      .description('某单位的总分、等级、各项得分、阻碍因素和离下一等级的差距')
      .requiredOption('--unit <单位>', '单位名称（或能唯一确定单位的一部分，如「城东」）')
      .option('--year <年份>', '考核年度（默认今年）'),
  ).action(lazyAction(load, 'runScoreShow'));

  withCommonOptions(
    program
      .command('rank')
      .description('某一层级的单位按总分排名（同分按名称拼音）')
      .requiredOption('--level <层级>', '街道、社区、小区、楼宇、商圈、社会组织')
      .option('--parent <单位>', '只排这个街道或社区下属的单位')
      .option('--year <年份>', '考核年度（默认今年）'),
  ).action(lazyAction(load, 'runRank'));

  const targets = withCommonOptions(
    program
      .command('targets')
      .description('对照「行动目标」各节点的进度：要求、已达、是否正常')
      .option('--at <日期>', '按哪一天评估，例如 2026-06-30（默认今天）'),
  ).action(lazyAction(load, 'runTargets'));

  const milestoneHelp = '节点：序号（1 为第一个）、日期或月份，如 2027-12-31、2027-12；见 dangjian targets';
  withCommonOptions(
    targets
      .command('set')
      .description('设置本街道自己的目标个数（替代方案原文中样板街道的数字，如「累计建成示范型社区11个」）')
      .requiredOption('--milestone <节点>', milestoneHelp)
      .requiredOption('--level <层级>', '社区、小区、楼宇、商圈或社会组织')
      .option('--grade <等级>', '标准型或示范型（同一节点同一层级有两个目标时必填）')
      .requiredOption('--count <个数>', '本街道的目标个数；0 表示本街道不设此目标')
      .option('--by <name>', '以花名册中此人的身份设置（其权限适用，审计记其姓名）；默认为服务器操作员'),
  ).action(lazyAction(load, 'runTargetsSet'));

  withCommonOptions(
    targets
      .command('reset')
      .description('取消本街道设置的目标个数，恢复方案文件或方案原文的数字')
      .option('--milestone <节点>', milestoneHelp)
      .option('--level <层级>', '社区、小区、楼宇、商圈或社会组织')
      .option('--grade <等级>', '标准型或示范型')
      .option('--all', '取消本街道设置的全部目标个数')
      .option('--by <name>', '以花名册中此人的身份操作（其权限适用，审计记其姓名）；默认为服务器操作员'),
  ).action(lazyAction(load, 'runTargetsReset'));
}
