/** `dangjian unit …`: the street's units — add, list, import, rename, move, remove (or archive). */
import type { Command } from 'commander';
import { listUnits } from '../../db/unit.repository.js';
import { fileLabel } from '../../io/import-file.js';
import { withRowErrorsAsJson } from '../../io/row-errors.js';
import { readUnitSheet } from '../../io/unit-sheet.js';
import { LEVEL_NAMES_ZH } from '../../plan/schema.js';
import { addUnit, importUnits, moveUnit, parseLevel, removeUnit, renameUnit } from '../../services/units.service.js';
import { actingAs, withCommonOptions, withContext, type CommonOptions } from '../context.js';

const LEVEL_CHOICES = '街道、社区、小区、楼宇、商圈、社会组织（或 street、community、compound、building、district、social_org）';

export function registerUnitCommands(program: Command): void {
  const unit = program.command('unit').description('单位：街道、社区、小区、楼宇、商圈、社会组织');

  withCommonOptions(
    unit
      .command('add')
      .description('添加一个单位（一个数据库只有一个街道）')
      .requiredOption('--name <名称>', '单位名称（不能重名）')
      .requiredOption('--level <层级>', LEVEL_CHOICES)
      .option('--parent <上级>', '上级单位：小区的上级是社区，其余是街道（不填则为本街道）'),
  ).action(async (opts: CommonOptions & { name: string; level: string; parent?: string }) =>
    withContext(opts, async (ctx) => {
      const row = await addUnit(ctx, await actingAs(ctx, undefined), opts);
      ctx.print({ id: row.id, name: row.name, level: row.level, parentId: row.parent_id }, () => `已添加${LEVEL_NAMES_ZH[row.level]}「${row.name}」`);
    }),
  );

  withCommonOptions(unit.command('list').description('列出单位（已归档的不列出）').option('--level <层级>', `只列出这一层级：${LEVEL_CHOICES}`)).action(
    async (opts: CommonOptions & { level?: string }) =>
      withContext(opts, async (ctx) => {
        const level = opts.level === undefined ? undefined : parseLevel(opts.level);
        const units = await listUnits(ctx.db, level ? { level } : {});
        const names = new Map((await listUnits(ctx.db, { includeArchived: true })).map((u) => [u.id, u.name]));
        const rows = units.map((u) => ({ name: u.name, level: u.level, parent: u.parent_id === null ? null : (names.get(u.parent_id) ?? null) }));
        ctx.print(rows, () => (rows.length === 0 ? '没有单位' : rows.map((r) => `${LEVEL_NAMES_ZH[r.level]}\t${r.name}${r.parent ? `\t（上级：${r.parent}）` : ''}`).join('\n')));
      }),
  );

  withCommonOptions(
    unit
      .command('import')
      .description('从单位表新增或更新单位（.xlsx 或 CSV，按名称；全部导入或全部不导入）')
      .requiredOption('--file <文件>', '单位表：名称、层级、上级 三列；已有的单位按表调整上级，街道本身那一行可以保留；模板见 dangjian template units'),
  ).action(async (opts: CommonOptions & { file: string }) =>
    withContext(opts, (ctx) =>
      withRowErrorsAsJson(ctx, async () => {
        const { rows } = await readUnitSheet(opts.file);
        const r = await importUnits(ctx, await actingAs(ctx, undefined), rows, opts.file);
        ctx.print({ imported: r.created.length, created: r.created, moved: r.moved, unchanged: r.unchanged, file: opts.file }, () => {
          const rest = [r.moved.length > 0 ? `调整上级 ${r.moved.length} 个（${r.moved.join('、')}）` : '', r.unchanged > 0 ? `已有且未变 ${r.unchanged} 个` : ''].filter((t) => t !== '');
          return `已从 ${fileLabel(opts.file)} 导入 ${r.created.length} 个单位${rest.length > 0 ? `；${rest.join('，')}` : ''}`;
        });
      }),
    ),
  );

  withCommonOptions(
    unit
      .command('rename')
      .description('修改单位名称（订阅该单位的群随之更新；评分历史不变）')
      .requiredOption('--name <名称>', '现在的名称')
      .requiredOption('--to <新名称>', '新的名称'),
  ).action(async (opts: CommonOptions & { name: string; to: string }) =>
    withContext(opts, async (ctx) => {
      const { unit: u, chats } = await renameUnit(ctx, await actingAs(ctx, undefined), opts);
      ctx.print({ from: opts.name.trim(), to: u.name, chats }, () => `「${opts.name.trim()}」已改名为「${u.name}」${chats > 0 ? `（${chats} 个订阅群随之更新）` : ''}`);
    }),
  );

  withCommonOptions(
    unit
      .command('move')
      .description('调整单位的上级（小区挂在社区下，其余挂在街道下）')
      .requiredOption('--name <名称>', '要调整的单位')
      .requiredOption('--parent <上级>', '新的上级单位'),
  ).action(async (opts: CommonOptions & { name: string; parent: string }) =>
    withContext(opts, async (ctx) => {
      const r = await moveUnit(ctx, await actingAs(ctx, undefined), opts);
      ctx.print({ name: r.unit.name, from: r.from, to: r.to }, () => `「${r.unit.name}」的上级已从「${r.from ?? '无'}」改为「${r.to}」`);
    }),
  );

  withCommonOptions(
    unit
      .command('remove')
      .description('删除单位；有评分、一票否决、下级单位或书记时须加 --archive 归档')
      .requiredOption('--name <名称>', '要删除的单位')
      .option('--archive', '归档：不再出现在等级、排名和单位列表中，评分历史保留（下级单位一并归档）'),
  ).action(async (opts: CommonOptions & { name: string; archive?: boolean }) =>
    withContext(opts, async (ctx) => {
      const r = await removeUnit(ctx, await actingAs(ctx, undefined), { name: opts.name, archive: opts.archive === true });
      ctx.print(r, () =>
        r.outcome === 'deleted'
          ? `已删除单位「${r.name}」`
          : `已归档单位「${r.name}」${r.alsoArchived.length > 0 ? `及其下级 ${r.alsoArchived.length} 个单位（${r.alsoArchived.join('、')}）` : ''}；评分历史保留，不再参加等级和排名`,
      );
    }),
  );
}
