/** `dangjian template units|scores|roster --out FILE.xlsx`: blank sheets the importers accept. */
import type { Command } from 'commander';
import { lazyAction, withCommonOptions } from '../define.js';

const load = () => import('./template.actions.js');

export function registerTemplateCommands(program: Command): void {
  withCommonOptions(
    program
      .command('template')
      .description('生成可直接填写的 Excel 模板：单位表、评分表或花名册（带下拉列表和填表说明）')
      .argument('<种类>', '单位表、评分表或花名册（也可写 units、scores、roster）')
      .requiredOption('--out <文件>', '保存到的 .xlsx 文件（不能是已有文件）')
      .option('--layout <格式>', '评分表的格式：宽表（每个单位一行，默认）或长表（每条分数一行）')
      .option('--year <年份>', '评分表中预填的年份（默认当年）'),
  ).action(lazyAction(load, 'runTemplate'));
}
