/** Units (street → communities → compounds; buildings, districts, social orgs under the street). */
import type { Actor } from '../auth/actor.js';
import { requireOffice } from '../auth/policy.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { audit } from '../db/audit.repository.js';
import type { UnitRow } from '../db/schema.js';
import { findUnitByName, findUnitsNamed, insertUnit, listUnits, searchUnits } from '../db/unit.repository.js';
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
  if (await findUnitByName(db, name)) throw new UserError('conflict', `a unit named "${name}" already exists`, '--name');
  let parent: UnitRow | undefined;
  if (input.parent !== undefined && input.parent.trim() !== '') {
    parent = await findUnitByName(db, input.parent.trim());
    if (!parent) throw new UserError('not_found', `no unit named "${input.parent.trim()}"`, '--parent');
  } else if (requiredParentLevel(level) === 'street') {
    parent = await defaultStreet(db);
  }
  checkParent(level, parent?.level ?? null, parent?.name ?? null);
  const at = clock.now().getTime();
  const row = await insertUnit(db, { name, level, parentId: parent?.id ?? null, at });
  await audit(db, { at, actor: actor.name, source: actor.source, action: 'unit.add', subject: name, outcome: 'ok', detail: { level, parent: parent?.name ?? null } });
  return row;
}

export interface UnitImportRow extends RowRef {
  name: string;
  level: string;
  parent: string;
}

/**
 * Validates a whole sheet (parents may come before or after children, or already exist)
 * and inserts all rows in one transaction; any bad row aborts the import (ImportRowsError,
 * rows grouped by cause).
 */
export async function importUnits(deps: { db: Db; clock: Clock }, actor: Actor, rows: readonly UnitImportRow[], file: string): Promise<UnitRow[]> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '导入单位', { action: 'unit.import', subject: file });
  const errors = new RowErrors();
  const named: Array<RowRef & { name: string }> = [];
  const parsed: Array<RowRef & { name: string; level: Level; parent: string | null }> = [];
  for (const r of rows) {
    try {
      const name = validateUnitName(r.name, 'name');
      named.push({ sheet: r.sheet, row: r.row, name });
      const level = parseLevel(r.level, 'level');
      parsed.push({ sheet: r.sheet, row: r.row, name, level, parent: r.parent.trim() === '' ? null : r.parent.trim() });
    } catch (err) {
      errors.record(r, err);
    }
  }
  const repeated = new Set([...flagDuplicates(errors, named, (p) => p.name, (p, n) => `单位名称「${p.name}」在表中出现了 ${n} 次`, 'name')].map((p) => p.name));
  for (const p of parsed) {
    if (!repeated.has(p.name) && (await findUnitByName(db, p.name))) errors.add(p, `单位「${p.name}」已存在`, 'name');
  }
  const inSheet = new Map(parsed.map((p) => [p.name, p]));
  const street = await defaultStreet(db);
  for (const p of parsed) {
    let parentLevel: Level | null = null;
    let parentName = p.parent;
    if (parentName === null && requiredParentLevel(p.level) === 'street' && street) parentName = street.name;
    if (parentName !== null) {
      const fromSheet = inSheet.get(parentName);
      const existing = fromSheet ? undefined : await findUnitByName(db, parentName);
      if (!fromSheet && !existing) {
        errors.add(p, `上级「${parentName}」既不在表中，也不是已有单位`, 'parent');
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
  const sorted = [...parsed].sort((a, b) => order.indexOf(a.level) - order.indexOf(b.level));
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    const inserted: UnitRow[] = [];
    const ids = new Map<string, number>();
    for (const p of sorted) {
      let parentId: number | null = null;
      if (p.parent !== null) parentId = ids.get(p.parent) ?? (await findUnitByName(trx, p.parent))!.id;
      const row = await insertUnit(trx, { name: p.name, level: p.level, parentId, at });
      ids.set(p.name, row.id);
      inserted.push(row);
    }
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'unit.import', subject: file, outcome: 'ok', detail: { count: inserted.length } });
    return inserted;
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
  if (exact) return { kind: 'one', unit: exact };
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
