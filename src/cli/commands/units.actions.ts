/** What the units commands do (their definitions: ./units.ts); loaded only when one of them runs. */
import { listUnits } from '../../db/unit.repository.js';
import { fileLabel } from '../../io/import-file.js';
import { withRowErrorsAsJson } from '../../io/row-errors.js';
import { readUnitSheet } from '../../io/unit-sheet.js';
import { LEVEL_NAMES_ZH } from '../../plan/schema.js';
import { addUnit, importUnits, moveUnit, parseLevel, removeUnit, renameUnit } from '../../services/units.service.js';
import { actingAs, withContext, type CommonOptions } from '../context.js';

export const runUnitAdd = async (opts: CommonOptions & { name: string; level: string; parent?: string }) =>
  withContext(opts, async (ctx) => {
    const row = await addUnit(ctx, await actingAs(ctx, undefined), opts);
    ctx.print({ id: row.id, name: row.name, level: row.level, parentId: row.parent_id }, () => `已添加${LEVEL_NAMES_ZH[row.level]}「${row.name}」`);
  });

export const runUnitList = async (opts: CommonOptions & { level?: string }) =>
  withContext(opts, async (ctx) => {
    const level = opts.level === undefined ? undefined : parseLevel(opts.level);
    const units = await listUnits(ctx.db, level ? { level } : {});
    const names = new Map((await listUnits(ctx.db, { includeArchived: true })).map((u) => [u.id, u.name]));
    const rows = units.map((u) => ({ name: u.name, level: u.level, parent: u.parent_id === null ? null : (names.get(u.parent_id) ?? null) }));
    ctx.print(rows, () => (rows.length === 0 ? '没有单位' : rows.map((r) => `${LEVEL_NAMES_ZH[r.level]}\t${r.name}${r.parent ? `\t（上级：${r.parent}）` : ''}`).join('\n')));
  });

export const runUnitImport = async (opts: CommonOptions & { file: string }) =>
  withContext(opts, (ctx) =>
    withRowErrorsAsJson(ctx, async () => {
      const { rows } = await readUnitSheet(opts.file);
      const r = await importUnits(ctx, await actingAs(ctx, undefined), rows, opts.file);
      ctx.print({ imported: r.created.length, created: r.created, moved: r.moved, unchanged: r.unchanged, file: opts.file }, () => {
        const rest = [r.moved.length > 0 ? `调整上级 ${r.moved.length} 个（${r.moved.join('、')}）` : '', r.unchanged > 0 ? `已有且未变 ${r.unchanged} 个` : ''].filter((t) => t !== '');
        return `已从 ${fileLabel(opts.file)} 导入 ${r.created.length} 个单位${rest.length > 0 ? `；${rest.join('，')}` : ''}`;
      });
    }),
  );

export const runUnitRename = async (opts: CommonOptions & { name: string; to: string }) =>
  withContext(opts, async (ctx) => {
    const { unit: u, chats } = await renameUnit(ctx, await actingAs(ctx, undefined), opts);
    ctx.print({ from: opts.name.trim(), to: u.name, chats }, () => `「${opts.name.trim()}」已改名为「${u.name}」${chats > 0 ? `（${chats} 个订阅群随之更新）` : ''}`);
  });

export const runUnitMove = async (opts: CommonOptions & { name: string; parent: string }) =>
  withContext(opts, async (ctx) => {
    const r = await moveUnit(ctx, await actingAs(ctx, undefined), opts);
    ctx.print({ name: r.unit.name, from: r.from, to: r.to }, () => `「${r.unit.name}」的上级已从「${r.from ?? '无'}」改为「${r.to}」`);
  });

export const runUnitRemove = async (opts: CommonOptions & { name: string; archive?: boolean }) =>
  withContext(opts, async (ctx) => {
    const r = await removeUnit(ctx, await actingAs(ctx, undefined), { name: opts.name, archive: opts.archive === true });
    ctx.print(r, () =>
      r.outcome === 'deleted'
        ? `已删除单位「${r.name}」`
        : `已归档单位「${r.name}」${r.alsoArchived.length > 0 ? `及其下级 ${r.alsoArchived.length} 个单位（${r.alsoArchived.join('、')}）` : ''}；评分历史保留，不再参加等级和排名`,
    );
  });
