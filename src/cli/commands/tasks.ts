/**
 * Task-list commands: `tasks` (the 督办 board), `task done|undo|add|edit|retire|instantiate`,
 * and `calendar` (the working-day calendar in use).
 */
import type { Command } from 'commander';
import { DEADLINE_PHRASE_HELP } from '../../tasks/deadline.js';
import { lazyAction, withCommonOptions } from '../define.js';

const BY = '以花名册中此人的身份操作（其权限适用，审计记其姓名）；默认：服务器操作员';

const load = () => import('./tasks.actions.js');

export function registerTaskCommands(program: Command): void {
  withCommonOptions(
    program
      .command('tasks')
      .description('重点任务督办表（红黄绿灯）')
      .option('--at <时间>', '按这个时间评估状态，例如 2026-03-01 或 2026-03-01T09:00（默认现在）')
      .option('--lead <牵头单位>', '只看这个牵头单位牵头的任务')
      .option('--status <状态>', '只看这种状态的任务：红、黄、绿、完成')
      .option('--year <年份>', '哪一年的任务清单（默认 --at 所在的年份）')
      .option('--yellow-days <天数>', '离截止不到这么多天时亮黄灯（默认：环境变量 YELLOW_DAYS，7 天）'),
  ).action(lazyAction(load, 'runTasks'));

  const task = program.command('task').description('任务：标记完成、撤销完成、新增、修改、撤销任务、生成下一年清单');

  withCommonOptions(
    task
      .command('done')
      .description('把任务的一期标记为完成')
      .requiredOption('--seq <序号>', '任务序号')
      .option('--period <期次>', '哪一期：2026-03、2026-03-上/下、2026-Q1、2026-B1、2026（默认最早未完成的一期）；补录多期写范围：2026-01..2026-11、1-11月，或「全部逾期」')
      .option('--by <姓名>', BY)
      .option('--note <备注>', '备注')
      .option('--at <时间>', '完成时间，例如 2026-03-05T16:00（默认现在）')
      .option('--progress <指标=数值,...>', '有量化目标的任务填写进度数字')
      .option('--year <年份>', '哪一年的任务清单（默认 --at 所在的年份）'),
  ).action(lazyAction(load, 'runTaskDone'));

  withCommonOptions(
    task
      .command('undo')
      .description('撤销某一期的完成记录（历史保留）')
      .requiredOption('--seq <序号>', '任务序号')
      .option('--period <期次>', '哪一期（默认：定期任务为最近完成的一期）；多期写范围，例如 2026-01..2026-11')
      .option('--by <姓名>', BY)
      .option('--year <年份>', '哪一年的任务清单（默认今年）'),
  ).action(lazyAction(load, 'runTaskUndo'));

  withCommonOptions(
    task
      .command('add')
      .description('在方案清单之外新增任务（党建办）')
      .requiredOption('--content <内容>', '要做什么')
      .requiredOption('--deadline <完成时间>', `完成时间：${DEADLINE_PHRASE_HELP}`)
      .requiredOption('--lead <牵头单位>', '牵头单位，多个用逗号或顿号分开')
      .option('--category <类别>', '所属行动（默认：其他任务）')
      .option('--cadence <周期>', '每月、每半月、每季度、每两月、每年（完成时间为「贯穿全年」时必填）')
      .option('--year <年份>', '哪一年的任务清单（默认今年）')
      .option('--by <姓名>', BY),
  ).action(lazyAction(load, 'runTaskAdd'));

  withCommonOptions(
    task
      .command('edit')
      .description('修改任务（党建办）')
      .requiredOption('--seq <序号>', '任务序号')
      .option('--content <内容>', '新的内容')
      .option('--deadline <完成时间>', `新的完成时间：${DEADLINE_PHRASE_HELP}`)
      .option('--lead <牵头单位>', '新的牵头单位，多个用逗号或顿号分开')
      .option('--category <类别>', '新的所属行动')
      .option('--cadence <周期>', '新的周期：每月、每半月、每季度、每两月、每年（仅「贯穿全年」的任务）')
      .option('--year <年份>', '哪一年的任务清单（默认今年）')
      .option('--by <姓名>', BY),
  ).action(lazyAction(load, 'runTaskEdit'));

  withCommonOptions(
    task
      .command('retire')
      .description('撤销任务：今后不再列出和提醒，历史保留（党建办）')
      .requiredOption('--seq <序号>', '任务序号')
      .option('--year <年份>', '哪一年的任务清单（默认今年）')
      .option('--by <姓名>', BY),
  ).action(lazyAction(load, 'runTaskRetire'));

  withCommonOptions(
    task
      .command('instantiate')
      .description('生成某一年的任务清单：方案中的常态任务加上党建办新增且未撤销的任务（可重复执行）')
      .requiredOption('--year <年份>', '哪一年')
      .option('--by <姓名>', BY),
  ).action(lazyAction(load, 'runTaskInstantiate'));

  withCommonOptions(
    program
      .command('calendar')
      .description('某一年使用的工作日历：节假日、调休上班日及来源')
      .option('--year <年份>', '年份（默认今年）'),
  ).action(lazyAction(load, 'runCalendar'));
}
