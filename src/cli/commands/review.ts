/**
 * `dangjian review open|close|reopen|list`: assessment rounds (预验收, 年度验收, 复评). Office only
 * (the operator, or `--by` a roster member of the office); every step audited. Text in Chinese.
 */
import type { Command } from 'commander';
import { ROUND_KIND_ZH, ROUND_KINDS } from '../../domain/round-kind.js';
import { lazyAction, withCommonOptions } from '../define.js';

const KINDS = ROUND_KINDS.map((k) => ROUND_KIND_ZH[k]).join('|');
const BY = '以花名册中此人的身份操作（其权限适用，审计记其姓名）；默认为服务器操作员';

const load = () => import('./review.actions.js');

export function registerReviewCommands(program: Command): void {
  const review = program.command('review').description('验收轮次：预验收、年度验收、复评（开始、结束、重新开启、列表）');

  withCommonOptions(
    review
      .command('open')
      .description('开始一轮验收：此后录入的该年分数属于这一轮')
      .requiredOption('--kind <种类>', KINDS)
      .option('--year <年份>', '年度，默认今年')
      .option('--by <姓名>', BY),
  ).action(lazyAction(load, 'runReviewOpen'));

  withCommonOptions(
    review
      .command('close')
      .description('结束进行中的验收，冻结各单位的等级（之后的更正不改变本轮结果）')
      .option('--year <年份>', '进行中那一轮的年度（核对用）')
      .option('--by <姓名>', BY),
  ).action(lazyAction(load, 'runReviewClose'));

  withCommonOptions(
    review
      .command('reopen')
      .description('重新开启已结束的验收（仅党建办，须写明原因，记入审计）')
      .requiredOption('--year <年份>', '年度')
      .option('--kind <种类>', `${KINDS}（该年只有一轮时可省略）`)
      .requiredOption('--reason <原因>', '为什么重新开启')
      .option('--by <姓名>', BY),
  ).action(lazyAction(load, 'runReviewReopen'));

  withCommonOptions(review.command('candidates').description('市县级验收推选候选：上一轮已结束验收的示范型单位，各层级按总分排序，注明申报目标')).action(lazyAction(load, 'runReviewCandidates'));

  withCommonOptions(
    review
      .command('choose')
      .description('记录推选名单（替换之前的名单；一票否决或整改未完成的单位不能推选）')
      .requiredOption('--units <单位>', '推选的单位，用逗号或「、」分隔')
      .option('--by <姓名>', BY),
  ).action(lazyAction(load, 'runReviewChoose'));

  withCommonOptions(review.command('list').description('列出各轮验收及其开始、结束、重新开启记录')).action(lazyAction(load, 'runReviewList'));
}
