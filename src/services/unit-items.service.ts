/**
 * A unit's own tracked items (issue 13): its self-check measures and its approved application's
 * 任务节点. 「事项」 lists them; done / undo by the unit's secretary (a community's also for its
 * compounds) or the office — src/auth/policy.ts `mayFillForUnit`; refusals audited.
 */
import type { Actor } from '../auth/actor.js';
import { mayFillForUnit, requireRole } from '../auth/policy.js';
import type { Clock } from '../clock.js';
import { audit } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { listRectificationItems, type RectificationRecord } from '../db/rectification.repository.js';
import { findUnitById } from '../db/unit.repository.js';
import { insertUnitItemCompletion, openUnitItems, undoUnitItemCompletion, type UnitItemRecord } from '../db/unit-item.repository.js';
import { UserError } from '../errors.js';
import { resolveUnit } from './units.service.js';

export interface UnitItemDeps {
  db: Db;
  clock: Clock;
}

/** The open items of a unit, oldest due first, and its 整改 items (issue 14): the unit's own board. */
export async function unitItemsOf(deps: UnitItemDeps, unitName: string): Promise<{ unit: string; items: UnitItemRecord[]; rectifications: RectificationRecord[] }> {
  const unit = await resolveUnit(deps.db, unitName, '单位');
  const [items, rectifications] = await Promise.all([openUnitItems(deps.db, { unitId: unit.id }), listRectificationItems(deps.db, { unitId: unit.id })]);
  return { unit: unit.name, items, rectifications };
}

async function itemFor(deps: UnitItemDeps, actor: Actor, id: number, action: string, what: string): Promise<UnitItemRecord> {
  const [item] = await openUnitItems(deps.db, { ids: [id] });
  if (!item) throw new UserError('not_found', `没有编号为 ${id} 的事项（发送「事项」查看编号）`, '〈事项编号〉');
  const unit = await findUnitById(deps.db, item.unitId);
  if (!unit) throw new Error(`unit ${item.unitId} of item ${id} missing`);
  await requireRole(deps, actor, (a) => mayFillForUnit(a, { id: unit.id, level: unit.level, parentId: unit.parent_id }), {
    action,
    subject: `unit_item:${id}`,
    reason: `只有「${unit.name}」的书记或党建办可以${what}（${actor.name} 不是）`,
  });
  return item;
}

export async function completeUnitItem(deps: UnitItemDeps, actor: Actor, id: number): Promise<{ item: UnitItemRecord; already: boolean }> {
  const item = await itemFor(deps, actor, id, 'unit_item.done', '完成这个事项');
  if (item.doneAt !== null) return { item, already: true };
  const at = deps.clock.now().getTime();
  const recorded = await deps.db.transaction().execute(async (trx) => {
    if (!(await insertUnitItemCompletion(trx, id, actor.name, at))) return false;
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'unit_item.done', subject: `unit_item:${id}`, outcome: 'ok', detail: { unit: item.unitName, title: item.title } });
    return true;
  });
  // Completed by someone else a moment ago (another connection): the same answer as when it was done before.
  if (!recorded) return { item: await itemFor(deps, actor, id, 'unit_item.done', '完成这个事项'), already: true };
  return { item: { ...item, doneAt: at, doneBy: actor.name }, already: false };
}

export async function undoUnitItem(deps: UnitItemDeps, actor: Actor, id: number): Promise<UnitItemRecord> {
  const item = await itemFor(deps, actor, id, 'unit_item.undo', '撤销这个事项的完成');
  if (item.doneAt === null) throw new UserError('conflict', `事项 ${id} 还没有完成，无需撤销`, '〈事项编号〉');
  const at = deps.clock.now().getTime();
  await deps.db.transaction().execute(async (trx) => {
    await undoUnitItemCompletion(trx, id, actor.name, at);
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'unit_item.undo', subject: `unit_item:${id}`, outcome: 'ok', detail: { unit: item.unitName, title: item.title } });
  });
  return { ...item, doneAt: null, doneBy: null };
}
