/**
 * 整改 (四(五) 「对未能长效保持的，责令整改提升」): for a unit the last closed round named (降级,
 * 一票否决 or 未达成申报目标), the office issues items —
 * pre-filled from the sub-items where it lost the most points, or its own text — each with a
 * responsible secretary (a roster member) and a deadline. The responsible secretary, a secretary
 * of the unit or the office marks one done with a note, or undoes it. A unit's 整改 is closed when
 * all its items are done: on time when every item was done by its deadline, else late. The next
 * round's 通报 names the 整改 closed late or not closed by the time it closed.
 */
import type { Actor } from '../auth/actor.js';
import { requireOffice, requireRole } from '../auth/policy.js';
import { audit } from '../db/audit.repository.js';
import { findMemberByName } from '../db/member.repository.js';
import { insertRectificationCompletion, insertRectificationItem, listRectificationItems, undoRectificationCompletion, updateRectificationTitle, type RectificationRecord } from '../db/rectification.repository.js';
import { lossLine } from '../cards/labels.js';
import { UserError } from '../errors.js';
import { rectificationByUnit, type UnitRectificationState } from '../tasks/rectification.js';
import { localDate, parseIsoDate } from '../time.js';
import { roundBulletinReport } from './bulletin.service.js';
import type { GradingDeps } from './grading.service.js';
import { parseNote } from './scores.service.js';
import { resolveUnit } from './units.service.js';

const MAX_ITEMS = 10;
const MAX_TITLE = 200;

export interface IssueInput {
  unit: string;
  /** Roster name of the responsible secretary. */
  responsible: string;
  /** YYYY-MM-DD. */
  due: string;
  /** The items' texts; none: pre-filled from the sub-items where the unit lost the most points. */
  items?: readonly string[] | undefined;
}

/** Issues 整改 items to a unit named by the last closed round (office only, audited). */
export async function issueRectification(deps: GradingDeps, actor: Actor, input: IssueInput): Promise<RectificationRecord[]> {
  const { db, clock, tz } = deps;
  await requireOffice(deps, actor, '下达整改', { action: 'rectification.issue', subject: input.unit });
  const unit = await resolveUnit(db, input.unit, '〈单位〉');
  const report = await roundBulletinReport(deps);
  const concern = report.concerns.find((c) => c.unit === unit.name);
  if (!concern) throw new UserError('bad_argument', `「${unit.name}」在${report.currentLabel}中没有降级、一票否决或未达成申报目标，不需要整改`, '〈单位〉');
  const responsible = await findMemberByName(db, input.responsible.trim());
  if (!responsible) throw new UserError('not_found', `花名册中没有「${input.responsible.trim()}」（负责整改的书记须在花名册中）`, '〈负责人〉');
  const due = parseIsoDate(input.due.normalize('NFKC').trim());
  if (!due) throw new UserError('bad_argument', `整改期限应为 YYYY-MM-DD，例如 2028-03-31（收到「${input.due}」）`, '〈期限〉');
  const today = localDate(clock.now(), tz);
  if (due < today) throw new UserError('bad_argument', `整改期限 ${due} 已经过去（今天是 ${today}）`, '〈期限〉');
  const given = (input.items ?? []).map((t) => t.trim()).filter((t) => t !== '');
  if (given.some((t) => t.length > MAX_TITLE)) throw new UserError('bad_argument', `每条整改事项不能超过 ${MAX_TITLE} 个字`, '〈事项〉');
  const items = given.length > 0 ? given.map((title) => ({ title, itemCode: null })) : concern.losses.map((l) => ({ title: `整改 ${lossLine(l)}`, itemCode: l.code }));
  if (items.length === 0) throw new UserError('bad_argument', `「${unit.name}」没有失分的子项可预填，请写明整改事项（用「；」分隔）`, '〈事项〉');
  if (items.length > MAX_ITEMS) throw new UserError('bad_argument', `一次至多下达 ${MAX_ITEMS} 条整改事项`, '〈事项〉');
  const at = clock.now().getTime();
  const roundId = report.round!.id;
  const ids = await db.transaction().execute(async (trx) => {
    const out: number[] = [];
    for (const i of items) out.push(await insertRectificationItem(trx, { roundId, unitId: unit.id, title: i.title, itemCode: i.itemCode, responsible: responsible.name, dueDate: due, by: actor.name, at }));
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'rectification.issue', subject: unit.name, outcome: 'ok', detail: { round: report.currentLabel, items: items.length, responsible: responsible.name, due } });
    return out;
  });
  return (await listRectificationItems(db, { roundId, unitId: unit.id })).filter((r) => ids.includes(r.id));
}

async function itemFor(deps: GradingDeps, id: number): Promise<RectificationRecord> {
  const [item] = await listRectificationItems(deps.db, { id });
  if (!item) throw new UserError('not_found', `没有编号为 ${id} 的整改事项（「整改」列出本单位的整改事项）`, '〈编号〉');
  return item;
}

/** The office rewrites a pre-filled item (not once it is done); audited with the old text. */
export async function editRectification(deps: GradingDeps, actor: Actor, input: { id: number; title: string }): Promise<RectificationRecord> {
  await requireOffice(deps, actor, '修改整改事项', { action: 'rectification.edit', subject: String(input.id) });
  const item = await itemFor(deps, input.id);
  const title = input.title.trim();
  if (title === '') throw new UserError('bad_argument', '请写出整改事项的新内容', '〈事项〉');
  if (title.length > MAX_TITLE) throw new UserError('bad_argument', `每条整改事项不能超过 ${MAX_TITLE} 个字`, '〈事项〉');
  if (item.doneAt !== null) throw new UserError('conflict', `整改事项 ${item.id} 已完成，不能修改（先撤销完成）`, '〈编号〉');
  const at = deps.clock.now().getTime();
  await deps.db.transaction().execute(async (trx) => {
    await updateRectificationTitle(trx, item.id, title);
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'rectification.edit', subject: item.unit, outcome: 'ok', detail: { id: item.id, before: item.title, after: title } });
  });
  return itemFor(deps, item.id);
}

/** The responsible secretary, a member of the unit, or the office. */
const mayMark = (item: RectificationRecord) => (a: Actor) => a.role === 'office' || a.role === 'admin' || a.name === item.responsible || (a.unitId !== null && a.unitId === item.unitId);

export async function completeRectification(deps: GradingDeps, actor: Actor, input: { id: number; note?: string | undefined }): Promise<RectificationRecord> {
  const item = await itemFor(deps, input.id);
  await requireRole(deps, actor, mayMark(item), { action: 'rectification.done', subject: item.unit, reason: `整改事项 ${item.id} 由负责人 ${item.responsible}、「${item.unit}」的书记或党建办标记完成（${actor.name} 不是）` });
  if (item.doneAt !== null) throw new UserError('conflict', `整改事项 ${item.id} 已由 ${item.doneBy} 标记完成`, '〈编号〉');
  const note = parseNote(input.note, '〈说明〉');
  const at = deps.clock.now().getTime();
  const recorded = await deps.db.transaction().execute(async (trx) => {
    if (!(await insertRectificationCompletion(trx, { itemId: item.id, at, by: actor.name, note }))) return false;
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'rectification.done', subject: item.unit, outcome: 'ok', detail: { id: item.id, note } });
    return true;
  });
  const now = await itemFor(deps, item.id);
  if (!recorded) throw new UserError('conflict', `整改事项 ${item.id} 已由 ${now.doneBy ?? '他人'} 标记完成`, '〈编号〉');
  return now;
}

export async function undoRectification(deps: GradingDeps, actor: Actor, input: { id: number }): Promise<RectificationRecord> {
  const item = await itemFor(deps, input.id);
  await requireRole(deps, actor, mayMark(item), { action: 'rectification.undo', subject: item.unit, reason: `整改事项 ${item.id} 由负责人 ${item.responsible}、「${item.unit}」的书记或党建办撤销（${actor.name} 不是）` });
  const at = deps.clock.now().getTime();
  await deps.db.transaction().execute(async (trx) => {
    if ((await undoRectificationCompletion(trx, { itemId: item.id, at, by: actor.name })) === 0) throw new UserError('conflict', `整改事项 ${item.id} 还没有标记完成`, '〈编号〉');
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'rectification.undo', subject: item.unit, outcome: 'ok', detail: { id: item.id } });
  });
  return itemFor(deps, item.id);
}

export type UnitRectification = UnitRectificationState<RectificationRecord>;

/** 「整改 进度」: every unit's 整改 items (of one unit, when given) and where they stand now. */
export async function rectificationProgress(deps: GradingDeps, options: { unit?: string | undefined } = {}): Promise<UnitRectification[]> {
  const unit = options.unit === undefined ? undefined : await resolveUnit(deps.db, options.unit, '〈单位〉');
  const items = await listRectificationItems(deps.db, unit === undefined ? {} : { unitId: unit.id });
  return rectificationByUnit(items, deps.clock.now().getTime(), deps.tz);
}
