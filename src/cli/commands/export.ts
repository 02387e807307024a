/**
 * `dangjian export 种类 --out 文件.xlsx [--year 年份] [--level 层级] [--force]`: writes an Excel
 * workbook (评分表, 排名, 任务台账, 目标进度, 年度通报). Help, output and errors are in Chinese; the file
 * is written beside its final name and renamed, and an existing file is kept unless --force.
 */
import type { Command } from 'commander';
import { EXPORT_KIND_LIST } from '../../services/export-kinds.js';
import { lazyAction } from '../define.js';

const load = () => import('./export.actions.js');

export function registerExportCommand(program: Command): void {
  const cmd = program
    .command('export')
    .description(`导出 Excel 表格（.xlsx）：${EXPORT_KIND_LIST}`)
    .argument('[种类]', `${EXPORT_KIND_LIST}（也可写 scores、ranking、tasks、targets、bulletin、applications）`)
    .option('--out <文件>', '保存为哪个 .xlsx 文件，例如 评分表-2026.xlsx')
    .option('--year <年份>', '年度，默认今年（目标进度：按该年年底或今天，取较早者；年度通报：该年与上一年对比）')
    .option('--level <层级>', '只导出一个层级（评分表、排名）：街道、社区、小区、楼宇、商圈、社会组织')
    .option('--round <验收种类>', '通报：导出该种类验收轮次（预验收、年度验收、复评）的通报，与上一轮对比；不写则按年度对比')
    .option('--unit <单位>', '申报表：按附件4格式导出这个单位的申报（另附全部申报的汇总表）')
    .option('--force', '文件已存在时覆盖')
    .option('--db <文件>', 'SQLite 数据库文件（默认 DB_FILE 或 ./data/dangjian.db）')
    .option('--json', '输出 JSON（文件、大小、工作表）')
    .addHelpText('after', '\n例如：\n  npx dangjian export 评分表 --out 评分表-2026.xlsx --year 2026\n  npx dangjian export 排名 --out 社区排名.xlsx --level 社区\n  npx dangjian export 申报表 --out 申报表-城东社区.xlsx --unit 城东社区');
  cmd.action(lazyAction(load, 'runExport'));
}
