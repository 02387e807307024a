/** `dangjian unit …`: the street's units — add, list, import, rename, move, remove (or archive). */
import type { Command } from 'commander';
import { lazyAction, withCommonOptions } from '../define.js';

const LEVEL_CHOICES = '街道、社区、小区、楼宇、商圈、社会组织（或 street、community、compound、building、district、social_org）';

const load = () => import('./units.actions.js');

export function registerUnitCommands(program: Command): void {
  const unit = program.command('unit').description('单位：街道、社区、小区、楼宇、商圈、社会组织');

  withCommonOptions(
    unit
      .command('add')
      .description('添加一个单位（一个数据库只有一个街道）')
      .requiredOption('--name <名称>', '单位名称（不能重名）')
      .requiredOption('--level <层级>', LEVEL_CHOICES)
      .option('--parent <上级>', '上级单位：小区的上级是社区，其余是街道（不填则为本街道）'),
  ).action(lazyAction(load, 'runUnitAdd'));

  withCommonOptions(unit.command('list').description('列出单位（已归档的不列出）').option('--level <层级>', `只列出这一层级：${LEVEL_CHOICES}`)).action(lazyAction(load, 'runUnitList'));

  withCommonOptions(
    unit
      .command('import')
      .description('从单位表新增或更新单位（.xlsx 或 CSV，按名称；全部导入或全部不导入）')
      .requiredOption('--file <文件>', '单位表：名称、层级、上级 三列；已有的单位按表调整上级，街道本身那一行可以保留；模板见 dangjian template units'),
  ).action(lazyAction(load, 'runUnitImport'));

  withCommonOptions(
    unit
      .command('rename')
      .description('修改单位名称（订阅该单位的群随之更新；评分历史不变）')
      .requiredOption('--name <名称>', '现在的名称')
      .requiredOption('--to <新名称>', '新的名称'),
  ).action(lazyAction(load, 'runUnitRename'));

  withCommonOptions(
    unit
      .command('move')
      .description('调整单位的上级（小区挂在社区下，其余挂在街道下）')
      .requiredOption('--name <名称>', '要调整的单位')
      .requiredOption('--parent <上级>', '新的上级单位'),
  ).action(lazyAction(load, 'runUnitMove'));

  withCommonOptions(
    unit
      .command('remove')
      .description('删除单位；有评分、一票否决、下级单位或书记时须加 --archive 归档')
      .requiredOption('--name <名称>', '要删除的单位')
      .option('--archive', '归档：不再出现在等级、排名和单位列表中，评分历史保留（下级单位一并归档）'),
  ).action(lazyAction(load, 'runUnitRemove'));
}
