/** Units (street → communities → compounds; buildings, districts, social orgs under the street). */
import type { Actor } from '../auth/actor.js';
import { requireOffice } from '../auth/policy.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { audit } from '../db/audit.repository.js';
import { listChats, retargetUnitChats } from '../db/chat.repository.js';
import type { UnitRow } from '../db/schema.js';
import { getProgramme, saveProgramme } from '../db/setting.repository.js';
import {
  archiveUnits,
  deleteUnitRow,
  findUnitByName,
  findUnitsNamed,
  insertUnit,
  listUnits,
  renameUnitRow,
  searchUnits,
  setUnitParent,
  unitReferences,
  unitSubtree,
} from '../db/unit.repository.js';
import { parseLevel } from '../domain/option-words.js';
import { UserError } from '../errors.js';
import { flagDuplicates, RowErrors, type RowRef } from '../io/row-errors.js';
import { LEVEL_NAMES_ZH, LEVELS, type Level } from '../plan/schema.js';

// The level words are parsed in src/domain/option-words.ts; re-exported for the callers of this service.
export { parseLevel };

const MAX_UNIT_NAME_LENGTH = 60;

/** The level a unit's parent must have (null: no parent). */
export function requiredParentLevel(level: Level): Level | null {
  switch (level) {
    case 'street':
      return null;
    case 'compound':
      return 'community';
    default:
      return 'street';
  }
}

export function validateUnitName(name: string, field = '--name'): string {
  const n = name.trim();
  if (n === '') throw new UserError('bad_argument', '缺少单位名称', field);
  if (n.length > MAX_UNIT_NAME_LENGTH) throw new UserError('bad_argument', `单位名称超过 ${MAX_UNIT_NAME_LENGTH} 个字`, field);
  // Control characters would break cards and CSV exports.
  if (/\p{Cc}/u.test(n)) throw new UserError('bad_argument', '单位名称含有控制字符', field);
  return n;
}

/** Checks a parent against the hierarchy rules; `parent` undefined means "not given". */
function checkParent(level: Level, parentLevel: Level | null, parentName: string | null, field = '--parent'): void {
  const required = requiredParentLevel(level);
  if (required === null) {
    if (parentName !== null) throw new UserError('bad_argument', `街道没有上级（填了「${parentName}」）`, field);
    return;
  }
  if (parentName === null) throw new UserError('bad_argument', `${LEVEL_NAMES_ZH[level]}需要填写上级${LEVEL_NAMES_ZH[required]}`, field);
  if (parentLevel !== required) {
    throw new UserError('bad_argument', `${LEVEL_NAMES_ZH[level]}的上级必须是${LEVEL_NAMES_ZH[required]}，「${parentName}」是${parentLevel ? LEVEL_NAMES_ZH[parentLevel] : '未知单位'}`, field);
  }
}

/** The street to hang a unit under when no parent is given: the only street, if there is exactly one. */
async function defaultStreet(db: Db): Promise<UnitRow | undefined> {
  const streets = await listUnits(db, { level: 'street' });
  return streets.length === 1 ? streets[0] : undefined;
}

export async function addUnit(
  deps: { db: Db; clock: Clock },
  actor: Actor,
  input: { name: string; level: string; parent?: string | undefined },
): Promise<UnitRow> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '添加单位', { action: 'unit.add', subject: input.name });
  const name = validateUnitName(input.name);
  const level = parseLevel(input.level);
  await refuseExisting(db, name, '--name');
  if (level === 'street') await refuseSecondStreet(db, name, '--level');
  let parent: UnitRow | undefined;
  if (input.parent !== undefined && input.parent.trim() !== '') {
    parent = await activeUnit(db, input.parent, '--parent');
  } else if (requiredParentLevel(level) === 'street') {
    parent = await defaultStreet(db);
  }
  checkParent(level, parent?.level ?? null, parent?.name ?? null);
  const at = clock.now().getTime();
  const row = await insertUnit(db, { name, level, parentId: parent?.id ?? null, at });
  await audit(db, { at, actor: actor.name, source: actor.source, action: 'unit.add', subject: name, outcome: 'ok', detail: { level, parent: parent?.name ?? null } });
  return row;
}

/** Refuses a name that a unit (archived ones included: names stay unique) already has. */
async function refuseExisting(db: Db, name: string, field: string): Promise<void> {
  const existing = await findUnitByName(db, name);
  if (!existing) return;
  const archived = existing.archived_at === null ? '' : '（已归档）';
  throw new UserError('conflict', `单位「${name}」已存在${archived}，换一个名称，或用 dangjian unit rename 改名`, field);
}

/** One street per database: a second one is refused, naming the first. */
async function refuseSecondStreet(db: Db, name: string, field: string): Promise<void> {
  const streets = (await listUnits(db, { level: 'street', includeArchived: true })).filter((s) => s.name !== name);
  if (streets.length > 0) {
    throw new UserError('conflict', `一个数据库只管理一个街道，这里已有「${streets[0]!.name}」；另一个街道请用另一个数据库文件（--db）`, field);
  }
}

/** An active unit by its exact name, or a Chinese refusal. */
async function activeUnit(db: Db, name: string, field: string): Promise<UnitRow> {
  const n = name.trim();
  if (n === '') throw new UserError('bad_argument', '缺少单位名称', field);
  const unit = await findUnitByName(db, n);
  if (!unit) throw new UserError('not_found', `没有名为「${n}」的单位（dangjian unit list 查看全部单位）`, field);
  if (unit.archived_at !== null) throw new UserError('conflict', `单位「${n}」已归档`, field);
  return unit;
}

const audited = (actor: Actor, at: number, action: string, subject: string, detail: Record<string, unknown>) =>
  ({ at, actor: actor.name, source: actor.source, action, subject, outcome: 'ok' as const, detail });

/** Renames a unit (office only); chats subscribed to it follow, and so does the programme's street name. */
export async function renameUnit(deps: { db: Db; clock: Clock }, actor: Actor, input: { name: string; to: string }): Promise<{ unit: UnitRow; chats: number }> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '修改单位名称', { action: 'unit.rename', subject: input.name });
  const unit = await activeUnit(db, input.name, '--name');
  const to = validateUnitName(input.to, '--to');
  if (to === unit.name) throw new UserError('bad_argument', `新名称与原名称相同（「${to}」）`, '--to');
  await refuseExisting(db, to, '--to');
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    await renameUnitRow(trx, unit.id, to);
    const chats = await retargetUnitChats(trx, unit.name, to);
    const programme = await getProgramme(trx);
    if (programme && programme.streetName === unit.name) await saveProgramme(trx, { ...programme, streetName: to });
    await audit(trx, audited(actor, at, 'unit.rename', unit.name, { to, chats }));
    return { unit: { ...unit, name: to }, chats };
  });
}

/** Moves a unit under another parent (office only), by the hierarchy's rules. */
export async function moveUnit(deps: { db: Db; clock: Clock }, actor: Actor, input: { name: string; parent: string }): Promise<{ unit: UnitRow; from: string | null; to: string }> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '调整上级单位', { action: 'unit.move', subject: input.name });
  const unit = await activeUnit(db, input.name, '--name');
  const parent = await activeUnit(db, input.parent, '--parent');
  checkParent(unit.level, parent.level, parent.name);
  if (unit.parent_id === parent.id) throw new UserError('bad_argument', `「${unit.name}」已经在「${parent.name}」下面`, '--parent');
  const from = unit.parent_id === null ? null : ((await listUnits(db, { includeArchived: true })).find((u) => u.id === unit.parent_id)?.name ?? null);
  const at = clock.now().getTime();
  await db.transaction().execute(async (trx) => {
    await setUnitParent(trx, unit.id, parent.id);
    await audit(trx, audited(actor, at, 'unit.move', unit.name, { from, to: parent.name }));
  });
  return { unit: { ...unit, parent_id: parent.id }, from, to: parent.name };
}

export interface UnitRemoval {
  name: string;
  /** deleted: the row is gone; archived: hidden from grades and ranks, history kept. */
  outcome: 'deleted' | 'archived';
  /** Units archived with it (its sub-units), by name. */
  alsoArchived: string[];
}

/**
 * Removes a unit (office only). A unit without history is deleted; one with scores, vetoes,
 * sub-units or secretaries is refused unless `archive`, which hides it and its sub-units from
 * grades, ranks and lists and keeps every record. The street and a unit a chat is subscribed to are refused.
 */
export async function removeUnit(deps: { db: Db; clock: Clock }, actor: Actor, input: { name: string; archive: boolean }): Promise<UnitRemoval> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '删除单位', { action: 'unit.remove', subject: input.name });
  const unit = await activeUnit(db, input.name, '--name');
  if (unit.level === 'street') throw new UserError('conflict', `「${unit.name}」是本数据库的街道，不能删除（改名用 dangjian unit rename）`, '--name');
  const subtree = (await unitSubtree(db, unit.id)).filter((u) => u.archived_at === null);
  const names = new Set(subtree.map((u) => u.name));
  const bound = (await listChats(db)).filter((c) => c.target.kind === 'unit' && names.has(c.target.unitName));
  if (bound.length > 0) {
    const list = bound.map((c) => `${c.chatId}（${c.target.kind === 'unit' ? c.target.unitName : ''}）`).join('、');
    throw new UserError('conflict', `群 ${list}订阅了「${unit.name}」${subtree.length > 1 ? '或其下级单位' : ''}，先用 dangjian chat unbind --chat … 取消订阅`, '--name');
  }
  const refs = await unitReferences(db, unit.id);
  const children = subtree.length - 1;
  const at = clock.now().getTime();
  if (!input.archive) {
    const ties = [
      refs.scores > 0 ? `${refs.scores} 条评分记录` : '',
      refs.vetoes > 0 ? `${refs.vetoes} 条一票否决记录` : '',
      children > 0 ? `${children} 个下级单位` : '',
      refs.members > 0 ? `${refs.members} 名花名册成员` : '',
    ].filter((t) => t !== '');
    if (ties.length > 0) {
      throw new UserError('conflict', `「${unit.name}」有 ${ties.join('、')}，不能删除；不再参加评级请加 --archive 归档（隐藏于等级和排名，历史保留）`, '--name');
    }
    await db.transaction().execute(async (trx) => {
      await deleteUnitRow(trx, unit.id);
      await audit(trx, audited(actor, at, 'unit.remove', unit.name, { level: unit.level, parentId: unit.parent_id }));
    });
    return { name: unit.name, outcome: 'deleted', alsoArchived: [] };
  }
  const alsoArchived = subtree.slice(1).map((u) => u.name);
  await db.transaction().execute(async (trx) => {
    await archiveUnits(trx, subtree.map((u) => u.id), at);
    await audit(trx, audited(actor, at, 'unit.archive', unit.name, { ...refs, alsoArchived }));
  });
  return { name: unit.name, outcome: 'archived', alsoArchived };
}

export interface UnitImportRow extends RowRef {
  name: string;
  level: string;
  parent: string;
}

export interface UnitImportResult {
  /** Names of the units created, parents first. */
  created: string[];
  /** Existing units whose parent the sheet changed. */
  moved: string[];
  /** Rows that name an existing unit exactly as it is (the street's own row among them). */
  unchanged: number;
}

/**
 * Creates or updates units by name from a sheet (office only). Parents may come before or after
 * their children, or already exist; a row naming an existing unit moves it when its parent differs
 * and otherwise changes nothing (the street's own row is recognised). Every row is checked first:
 * any bad row aborts the import (ImportRowsError, rows grouped by cause); then one transaction.
 */
export async function importUnits(deps: { db: Db; clock: Clock }, actor: Actor, rows: readonly UnitImportRow[], file: string): Promise<UnitImportResult> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '导入单位', { action: 'unit.import', subject: file });
  const errors = new RowErrors();
  const named: Array<RowRef & { name: string }> = [];
  const parsed: Array<RowRef & { name: string; level: Level; parent: string | null; existing: UnitRow | undefined }> = [];
  for (const r of rows) {
    try {
      const name = validateUnitName(r.name, 'name');
      named.push({ sheet: r.sheet, row: r.row, name });
      const level = parseLevel(r.level, 'level');
      parsed.push({ sheet: r.sheet, row: r.row, name, level, parent: r.parent.trim() === '' ? null : r.parent.trim(), existing: await findUnitByName(db, name) });
    } catch (err) {
      errors.record(r, err);
    }
  }
  const repeated = new Set([...flagDuplicates(errors, named, (p) => p.name, (p, n) => `单位名称「${p.name}」在表中出现了 ${n} 次`, 'name')].map((p) => p.name));
  const street = await defaultStreet(db);
  const allStreets = await listUnits(db, { level: 'street', includeArchived: true });
  const newStreets = parsed.filter((p) => p.level === 'street' && !p.existing);
  const valid = parsed.filter((p) => {
    if (repeated.has(p.name)) return false;
    const e = p.existing;
    if (e && e.archived_at !== null) errors.add(p, `单位「${p.name}」已归档，不能再导入`, 'name');
    else if (e && e.level !== p.level) errors.add(p, `单位「${p.name}」已是${LEVEL_NAMES_ZH[e.level]}，表中写的是${LEVEL_NAMES_ZH[p.level]}（层级不能通过导入修改）`, 'level');
    else if (!e && p.level === 'street' && (allStreets.length > 0 || newStreets.length > 1)) {
      const first = allStreets[0]?.name ?? newStreets[0]!.name;
      errors.add(p, `一个数据库只管理一个街道，已有「${first}」；另一个街道请用另一个数据库文件`, 'level');
    } else return true;
    return false;
  });
  const inSheet = new Map(valid.map((p) => [p.name, p]));
  for (const p of valid) {
    let parentLevel: Level | null = null;
    let parentName = p.parent;
    if (parentName === null && requiredParentLevel(p.level) === 'street' && street) parentName = street.name;
    if (parentName !== null) {
      const fromSheet = inSheet.get(parentName);
      const existing = fromSheet ? undefined : await findUnitByName(db, parentName);
      if (!fromSheet && (!existing || existing.archived_at !== null)) {
        errors.add(p, existing ? `上级「${parentName}」已归档` : `上级「${parentName}」既不在表中，也不是已有单位`, 'parent');
        continue;
      }
      parentLevel = fromSheet ? fromSheet.level : existing!.level;
    }
    try {
      checkParent(p.level, parentLevel, parentName, 'parent');
    } catch (err) {
      errors.record(p, err);
    }
    p.parent = parentName;
  }
  errors.throwIfAny(file);
  // Parents first: streets, then street children, then compounds.
  const order: Level[] = ['street', 'community', 'building', 'district', 'social_org', 'compound'];
  const sorted = [...valid].sort((a, b) => order.indexOf(a.level) - order.indexOf(b.level));
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    const result: UnitImportResult = { created: [], moved: [], unchanged: 0 };
    const ids = new Map<string, number>();
    for (const p of sorted) {
      const parentId = p.parent === null ? null : (ids.get(p.parent) ?? (await findUnitByName(trx, p.parent))!.id);
      if (p.existing) {
        ids.set(p.name, p.existing.id);
        if (p.existing.parent_id === parentId) result.unchanged += 1;
        else {
          await setUnitParent(trx, p.existing.id, parentId);
          result.moved.push(p.name);
        }
        continue;
      }
      const row = await insertUnit(trx, { name: p.name, level: p.level, parentId, at });
      ids.set(p.name, row.id);
      result.created.push(row.name);
    }
    await audit(trx, audited(actor, at, 'unit.import', file, { created: result.created.length, moved: result.moved, unchanged: result.unchanged }));
    return result;
  });
}

export type UnitMatch = { kind: 'one'; unit: UnitRow } | { kind: 'many'; units: UnitRow[] } | { kind: 'none' };

/**
 * The one loose lookup of a unit name, for the chat and the CLI alike: the exact name; else the
 * one name containing the fragment; else, when several do, the one name that is the fragment
 * plus a level word (「城东」 → 「城东社区」 although 「城东花园小区」 also contains it).
 */
export async function matchUnit(db: Db, fragment: string): Promise<UnitMatch> {
  const text = fragment.normalize('NFKC').trim();
  if (text === '') return { kind: 'none' };
  const exact = await findUnitByName(db, text);
  if (exact && exact.archived_at === null) return { kind: 'one', unit: exact };
  const found = await searchUnits(db, text);
  if (found.length === 1) return { kind: 'one', unit: found[0]! };
  if (found.length === 0) return { kind: 'none' };
  // Looked up by name: the candidate list is capped and may not contain it.
  const suffixed = await findUnitsNamed(db, LEVELS.map((l) => `${text}${LEVEL_NAMES_ZH[l]}`));
  if (suffixed.length === 1) return { kind: 'one', unit: suffixed[0]! };
  return { kind: 'many', units: found };
}

/** matchUnit, or a UserError: not_found, or ambiguous listing the candidates. */
export async function resolveUnit(db: Db, name: string, field: string): Promise<UnitRow> {
  const text = name.trim();
  if (text === '') throw new UserError('bad_argument', '需要单位名称', field);
  const match = await matchUnit(db, text);
  if (match.kind === 'one') return match.unit;
  if (match.kind === 'none') throw new UserError('not_found', `没有找到名称包含「${text}」的单位`, field);
  const names = match.units.slice(0, 10).map((u) => u.name);
  throw new UserError('ambiguous', `「${text}」对应多个单位：${names.join('、')}${match.units.length > 10 ? '等' : ''}，请写全称`, field);
}
