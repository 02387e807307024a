/** `dangjian template units|scores|roster --out FILE.xlsx`: blank sheets the importers accept. */
import type { Command } from 'commander';
import { listUnits } from '../../db/unit.repository.js';
import { fileLabel } from '../../io/import-file.js';
import { parseScoreLayout, parseTemplateKind, writeTemplate, type TemplateUnit } from '../../io/templates.js';
import type { Level } from '../../plan/schema.js';
import { assessmentYear, parseYear } from '../../services/scores.service.js';
import { withCommonOptions, withContext, type CommonOptions } from '../context.js';

const IMPORT_COMMAND = { units: 'dangjian unit import', scores: 'dangjian score import', roster: 'dangjian member import' } as const;

export function registerTemplateCommands(program: Command): void {
  withCommonOptions(
    program
      .command('template')
      .description('生成可直接填写的 Excel 模板：单位表、评分表或花名册（带下拉列表和填表说明）')
      .argument('<种类>', '单位表、评分表或花名册（也可写 units、scores、roster）')
      .requiredOption('--out <文件>', '保存到的 .xlsx 文件（不能是已有文件）')
      .option('--layout <格式>', '评分表的格式：宽表（每个单位一行，默认）或长表（每条分数一行）')
      .option('--year <年份>', '评分表中预填的年份（默认当年）'),
  ).action(async (kindText: string, opts: CommonOptions & { out: string; layout?: string; year?: string }) => {
    const kind = parseTemplateKind(kindText);
    const layout = opts.layout === undefined ? undefined : parseScoreLayout(opts.layout);
    return withContext(opts, async (ctx) => {
      const rows = await listUnits(ctx.db);
      const names = new Map(rows.map((u) => [u.id, u.name]));
      const units: TemplateUnit[] = rows.map((u) => ({ name: u.name, level: u.level as Level, parent: u.parent_id === null ? null : (names.get(u.parent_id) ?? null) }));
      const year = opts.year === undefined ? assessmentYear(ctx.clock, ctx.config.timeZone) : parseYear(opts.year);
      const sheets = await writeTemplate(opts.out, kind, { plan: ctx.plan, units, year, ...(layout ? { layout } : {}) });
      ctx.print({ file: opts.out, kind, layout: kind === 'scores' ? (layout ?? 'wide') : null, sheets }, () =>
        [`已生成模板 ${opts.out}（工作表：${sheets.join('、')}）`, `填好后导入：${IMPORT_COMMAND[kind]} --file ${fileLabel(opts.out)}`].join('\n'),
      );
    });
  });
}
