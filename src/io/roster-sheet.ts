/**
 * The roster sheet (花名册): 姓名, 角色, 单位 (or 牵头单位), 手机号, 邮箱, open_id. Parses and
 * checks rows into members ready for `member import`; writes nothing. Roles may be written the
 * way the office says them (组长, 副组长, 成员, 党建办, 牵头单位, 书记 …).
 */
import { findRoleWord, ROLE_CHOICES_ZH } from '../domain/option-words.js';
import type { Role } from '../domain/roles.js';
import { flagDuplicates, RowErrors, type RowRef } from './row-errors.js';
import { readSheet, type ColumnSpec, type SheetData } from './spreadsheet.js';
import { requireRows } from './unit-sheet.js';

export const ROSTER_COLUMNS = [
  { key: 'name', aliases: ['姓名', '名字', 'name'], required: true },
  { key: 'role', aliases: ['角色', '职务', '身份', 'role'], required: true },
  { key: 'unit', aliases: ['单位', '牵头单位', '所在单位', 'unit'], required: false },
  { key: 'phone', aliases: ['手机号', '手机', '手机号码', '联系电话', '电话', 'phone', 'mobile'], required: false },
  { key: 'email', aliases: ['邮箱', '电子邮箱', 'email', 'e-mail'], required: false },
  { key: 'openId', aliases: ['open_id', 'openid', '飞书open_id', '飞书id'], required: false },
] as const satisfies readonly ColumnSpec[];

export interface RosterRow extends RowRef {
  name: string;
  role: Role;
  /** For lead_unit: the lead unit as the plan names it. */
  leadUnit: string | null;
  /** For secretary: the unit they lead, as written (checked against `unitNames` when given). */
  unit: string | null;
  /** 11-digit mainland mobile number, separators and +86 removed. */
  phone: string | null;
  email: string | null;
  openId: string | null;
}

export interface RosterContext {
  /** The plan's lead units (plan.leadUnits). */
  leadUnits: readonly string[];
  /** Existing unit names; when given, a secretary's unit must be one of them. */
  unitNames?: ReadonlySet<string>;
}

export interface RosterSheet {
  data: SheetData;
  /** Rows that passed every check (empty when any row failed: imports are all or nothing). */
  rows: RosterRow[];
  /** Add database-level problems here too, then `errors.throwIfAny(file)`. */
  errors: RowErrors;
}

const MAX_NAME = 40;
const OPEN_ID = /^ou_[A-Za-z0-9_-]{1,61}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A mainland mobile number from what people type (spaces, dashes, +86 allowed), or why it is not one. */
export function normalizePhone(text: string): { phone: string } | { error: string } {
  if (/^\d(\.\d+)?e\+?\d+$/i.test(text)) return { error: `手机号「${text}」被 Excel 显示成了科学计数法，请把手机号这一列设为文本格式后重新填写` };
  const digits = text.normalize('NFKC').replace(/[\s\-—()]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '');
  if (!/^1[3-9]\d{9}$/.test(digits)) return { error: `手机号「${text}」不是 11 位手机号` };
  return { phone: digits };
}

const foldWord = (text: string): string => text.normalize('NFKC').replace(/\s/g, '').toLowerCase();

function leadUnitOf(text: string, leadUnits: readonly string[]): string | undefined {
  const t = foldWord(text);
  // 党建办 stands for 党建办(组织): the bracketed part may be left out.
  return leadUnits.find((u) => foldWord(u) === t || foldWord(u).replace(/\(.*\)$/, '') === t);
}

export async function readRosterSheet(file: string, context: RosterContext): Promise<RosterSheet> {
  const data = await readSheet(file, ROSTER_COLUMNS);
  requireRows(data);
  return rosterFromSheet(data, context);
}

/** Checks every row; duplicates (name, 手机号, 邮箱, open_id) are refused with their rows. */
function rosterFromSheet(data: SheetData, context: RosterContext): RosterSheet {
  const errors = new RowErrors();
  // Every row's readable fields, so that duplicates are found even among rows with other errors.
  const seen: Array<RowRef & { name: string; phone: string | null; email: string | null; openId: string | null }> = [];
  const parsed: RosterRow[] = [];
  for (const r of data.rows) {
    const ref = { sheet: r.sheet, row: r.row };
    const v = (key: string): string => r.values[key] ?? '';
    const bad = (message: string, column: string): void => errors.add(ref, message, column);
    const before = errors.size;
    const name = v('name');
    if (name === '') bad('缺少姓名', 'name');
    else if (name.length > MAX_NAME || /\p{Cc}/u.test(name)) bad(`姓名「${name.slice(0, MAX_NAME)}」应为 1 到 ${MAX_NAME} 个字，且不含控制字符`, 'name');
    const role = v('role') === '' ? undefined : findRoleWord(v('role'));
    if (v('role') === '') bad('缺少角色', 'role');
    else if (!role) {
      const asLeadUnit = leadUnitOf(v('role'), context.leadUnits);
      if (asLeadUnit !== undefined) bad(`「${asLeadUnit}」是牵头单位，不是角色：角色填「牵头单位」，单位填「${asLeadUnit}」（领导小组办公室的人填「领导小组办公室」）`, 'role');
      else bad(`不认识的角色「${v('role')}」，可填：${ROLE_CHOICES_ZH.join('、')}`, 'role');
    }
    let leadUnit: string | null = null;
    let unit: string | null = null;
    if (role === 'lead_unit') {
      if (v('unit') === '') bad(`牵头单位成员需要填写单位（${context.leadUnits.join('、')} 之一）`, 'unit');
      else {
        leadUnit = leadUnitOf(v('unit'), context.leadUnits) ?? null;
        if (leadUnit === null) bad(`「${v('unit')}」不是牵头单位，可填：${context.leadUnits.join('、')}`, 'unit');
      }
    } else if (role === 'secretary') {
      if (v('unit') === '') bad('书记需要填写所在的社区（或其他单位）', 'unit');
      else if (context.unitNames && !context.unitNames.has(v('unit'))) bad(`单位「${v('unit')}」不存在`, 'unit');
      else unit = v('unit');
    }
    let phone: string | null = null;
    if (v('phone') !== '') {
      const checked = normalizePhone(v('phone'));
      if ('error' in checked) bad(checked.error, 'phone');
      else phone = checked.phone;
    }
    const email = v('email') === '' ? null : v('email');
    if (email !== null && !EMAIL.test(email)) bad(`邮箱「${email}」格式不对`, 'email');
    const openId = v('openId') === '' ? null : v('openId');
    if (openId !== null && !OPEN_ID.test(openId)) bad(`open_id「${openId}」格式不对，应以 ou_ 开头（on_ 开头的是 union_id，不能用）`, 'openId');
    seen.push({ ...ref, name, phone, email: email !== null && EMAIL.test(email) ? email : null, openId: openId !== null && OPEN_ID.test(openId) ? openId : null });
    if (errors.size === before && role) parsed.push({ ...ref, name, role, leadUnit, unit, phone, email, openId });
  }
  flagDuplicates(errors, seen, (m) => m.name || undefined, (m, n) => `姓名「${m.name}」在表中出现了 ${n} 次`, 'name');
  flagDuplicates(errors, seen, (m) => m.phone ?? undefined, (m, n) => `手机号 ${m.phone} 在表中出现了 ${n} 次`, 'phone');
  flagDuplicates(errors, seen, (m) => m.email?.toLowerCase(), (m, n) => `邮箱 ${m.email} 在表中出现了 ${n} 次`, 'email');
  flagDuplicates(errors, seen, (m) => m.openId ?? undefined, (m, n) => `open_id ${m.openId} 在表中出现了 ${n} 次`, 'openId');
  return { data, rows: errors.size === 0 ? parsed : [], errors };
}
