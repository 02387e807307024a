/**
 * The roster (members) and chat subscriptions. Every change is office only and audited. Members
 * are created or updated by name; a removed member keeps their row (the audit names them).
 */
import { OFFICE_LEAD_UNIT, type Actor } from '../auth/actor.js';
import { requireOffice } from '../auth/policy.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { audit } from '../db/audit.repository.js';
import { bindChat as bindChatRow, findChat, unbindChatRow } from '../db/chat.repository.js';
import { chatTargetKey, type ChatTarget } from '../domain/chat-target.js';
import { parseRoleWord, ROLE_CHOICES_ZH } from '../domain/option-words.js';
import { ROLES, type Role } from '../domain/roles.js';
import {
  bindMemberOpenId,
  findMemberByName,
  findMemberByOpenId,
  insertMember,
  listMembers,
  markMemberRemoved,
  updateMember,
  type MemberFields,
} from '../db/member.repository.js';
import type { MemberRow } from '../db/schema.js';
import { REMINDERS_START_SETTING, setSettingIfAbsent } from '../db/setting.repository.js';
import { findUnitByName, listUnits } from '../db/unit.repository.js';
import { UserError } from '../errors.js';
import { RowErrors } from '../io/row-errors.js';
import { normalizePhone, type RosterRow } from '../io/roster-sheet.js';
import type { Plan } from '../plan/schema.js';
import { localDate } from '../time.js';

const OPEN_ID_PATTERN = /^ou_[A-Za-z0-9_-]{1,61}$/;
/** What a chat id looks like where a person types it (the CLI); chats reached from Feishu carry theirs. */
const CHAT_ID_PATTERN = /^oc_[A-Za-z0-9_-]{1,61}$/;
const LOOSE_CHAT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_NAME = 40;

type Deps = { db: Db; plan: Plan; clock: Clock };

function validatePersonName(name: string, field = '--name'): string {
  const n = name.trim();
  if (n === '' || n.length > MAX_NAME || /\p{Cc}/u.test(n)) throw new UserError('bad_argument', `花名册姓名应为 1–${MAX_NAME} 个可打印字符（收到「${n}」）`, field);
  return n;
}

function validateOpenId(id: string, field = '--open-id'): string {
  const t = id.trim();
  if (!OPEN_ID_PATTERN.test(t)) throw new UserError('bad_argument', `应为飞书 open_id，以 ou_ 开头，例如 ou_1a2b3c（收到「${t}」）`, field);
  return t;
}

function validateMobile(text: string, field = '--mobile'): string {
  const checked = normalizePhone(text.trim());
  if ('error' in checked) throw new UserError('bad_argument', checked.error, field);
  return checked.phone;
}

function validateEmail(text: string, field = '--email'): string {
  const t = text.trim();
  if (!EMAIL_PATTERN.test(t)) throw new UserError('bad_argument', `邮箱「${t}」格式不对`, field);
  return t;
}

/** A chat id typed by a person: `oc_…`. */
export function validateChatId(id: string, field = '--chat'): string {
  const t = id.trim();
  if (!CHAT_ID_PATTERN.test(t)) throw new UserError('bad_argument', `应为飞书群的 chat_id，以 oc_ 开头，例如 oc_1a2b3c（收到「${t}」）`, field);
  return t;
}

/** Where a role belongs: a lead unit of the plan (lead_unit), a unit (secretary), nothing (others). */
async function placeOf(db: Db, plan: Plan, role: Role, unitText: string | undefined): Promise<{ leadUnit: string | null; unitId: number | null }> {
  const unitArg = unitText?.trim();
  if (role === 'lead_unit') {
    if (!unitArg) throw new UserError('bad_argument', `牵头单位成员需要 --unit，可填：${plan.leadUnits.join('、')}`, '--unit');
    const leadUnit = plan.leadUnits.find((u) => u === unitArg || u.replace(/\(.*\)$/, '') === unitArg);
    if (!leadUnit) throw new UserError('bad_argument', `「${unitArg}」不是牵头单位，可填：${plan.leadUnits.join('、')}`, '--unit');
    return { leadUnit, unitId: null };
  }
  if (role === 'secretary') {
    if (!unitArg) throw new UserError('bad_argument', '书记需要 --unit：所在的社区（或其他单位）', '--unit');
    const unit = await findUnitByName(db, unitArg);
    if (!unit || unit.archived_at !== null) throw new UserError('not_found', `没有名为「${unitArg}」的单位`, '--unit');
    return { leadUnit: null, unitId: unit.id };
  }
  if (unitArg && !(role === 'office' && plan.leadUnits.find((u) => u === unitArg || u.replace(/\(.*\)$/, '') === unitArg) === OFFICE_LEAD_UNIT)) throw new UserError('bad_argument', `只有牵头单位成员和书记需要 --unit（这里的角色是${ROLE_CHOICES_ZH[ROLES.indexOf(role)]}）`, '--unit');
  // The office is the 党建办: as `init` seeds it, it answers for 党建办(组织)'s tasks too.
  return { leadUnit: role === 'office' ? OFFICE_LEAD_UNIT : null, unitId: null };
}

async function refuseTakenOpenId(db: Db, openId: string | null, selfId: number | null, field = '--open-id'): Promise<void> {
  if (openId === null) return;
  const other = await findMemberByOpenId(db, openId);
  if (other && other.id !== selfId) throw new UserError('conflict', `open_id ${openId} 已绑定给「${other.name}」`, field);
}

export type MemberOutcome = 'created' | 'updated' | 'restored';
export type SavedMember = MemberRow & { outcome: MemberOutcome };

const fieldsOf = (m: MemberRow): MemberFields => ({ name: m.name, openId: m.open_id, role: m.role, leadUnit: m.lead_unit, unitId: m.unit_id, mobile: m.mobile, email: m.email });

/**
 * Adds a roster member, or updates the member of that name (a removed one comes back): the role
 * and unit given replace theirs; open_id, 手机号 and 邮箱 only when given. Office only.
 */
export async function addMember(
  deps: Deps,
  actor: Actor,
  input: { name: string; openId?: string | undefined; role: string; unit?: string | undefined; mobile?: string | undefined; email?: string | undefined },
): Promise<SavedMember> {
  const { db, plan, clock } = deps;
  await requireOffice(deps, actor, '添加花名册成员', { action: 'member.add', subject: input.name });
  const name = validatePersonName(input.name);
  const role = parseRoleWord(input.role);
  const place = await placeOf(db, plan, role, input.unit);
  const existing = await findMemberByName(db, name, { includeRemoved: true });
  const openId = input.openId === undefined ? (existing?.open_id ?? null) : validateOpenId(input.openId);
  await refuseTakenOpenId(db, openId, existing?.id ?? null);
  const fields: MemberFields = {
    name,
    openId,
    role,
    ...place,
    mobile: input.mobile === undefined ? (existing?.mobile ?? null) : validateMobile(input.mobile),
    email: input.email === undefined ? (existing?.email ?? null) : validateEmail(input.email),
  };
  const at = clock.now().getTime();
  const outcome: MemberOutcome = !existing ? 'created' : existing.removed_at !== null ? 'restored' : 'updated';
  return db.transaction().execute(async (trx) => {
    const row = existing ? await updateMember(trx, existing.id, fields) : await insertMember(trx, { ...fields, at });
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'member.add', subject: name, outcome: 'ok', detail: { outcome, role, leadUnit: place.leadUnit, unit: input.unit?.trim() ?? null } });
    return { ...row, outcome };
  });
}

/** Changes what is given of a member (office only); `rename` gives them a new name. */
export async function editMember(
  deps: Deps,
  actor: Actor,
  input: { name: string; rename?: string | undefined; role?: string | undefined; unit?: string | undefined; openId?: string | undefined; mobile?: string | undefined; email?: string | undefined },
): Promise<{ member: MemberRow; changed: string[] }> {
  const { db, plan, clock } = deps;
  await requireOffice(deps, actor, '修改花名册成员', { action: 'member.edit', subject: input.name });
  const member = await activeMember(db, input.name);
  const next = fieldsOf(member);
  if (input.rename !== undefined) {
    next.name = validatePersonName(input.rename, '--rename');
    const clash = next.name === member.name ? undefined : await findMemberByName(db, next.name, { includeRemoved: true });
    if (clash) throw new UserError('conflict', `花名册中已有「${next.name}」${clash.removed_at === null ? '' : '（已移除）'}`, '--rename');
  }
  if (input.role !== undefined || input.unit !== undefined) {
    next.role = input.role === undefined ? member.role : parseRoleWord(input.role);
    const unitText = input.unit ?? (next.role === member.role ? (member.lead_unit ?? (member.unit_id === null ? undefined : (await listUnits(db)).find((u) => u.id === member.unit_id)?.name)) : undefined);
    Object.assign(next, await placeOf(db, plan, next.role, unitText));
  }
  if (input.openId !== undefined) next.openId = validateOpenId(input.openId);
  if (input.mobile !== undefined) next.mobile = validateMobile(input.mobile);
  if (input.email !== undefined) next.email = validateEmail(input.email);
  await refuseTakenOpenId(db, next.openId, member.id);
  const before = fieldsOf(member);
  const changed = (Object.keys(next) as Array<keyof MemberFields>).filter((k) => next[k] !== before[k]);
  if (changed.length === 0) throw new UserError('bad_argument', `「${member.name}」没有变化：给出要修改的内容（--rename、--role、--unit、--open-id、--mobile、--email）`, '--name');
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    const row = await updateMember(trx, member.id, next);
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'member.edit', subject: member.name, outcome: 'ok', detail: Object.fromEntries(changed.map((k) => [k, next[k]])) });
    return { member: row, changed };
  });
}

async function activeMember(db: Db, name: string, field = '--name'): Promise<MemberRow> {
  const n = validatePersonName(name, field);
  const member = await findMemberByName(db, n);
  if (!member) throw new UserError('not_found', `花名册中没有「${n}」（dangjian member list 查看花名册）`, field);
  return member;
}

/** Removes a member (office only): they can no longer act; their row stays for the audit, their open_id is freed. */
export async function removeMember(deps: Deps, actor: Actor, input: { name: string }): Promise<MemberRow> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '移除花名册成员', { action: 'member.remove', subject: input.name });
  const member = await activeMember(db, input.name);
  const at = clock.now().getTime();
  await db.transaction().execute(async (trx) => {
    await markMemberRemoved(trx, member.id, at);
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'member.remove', subject: member.name, outcome: 'ok', detail: { role: member.role, openId: member.open_id } });
  });
  return member;
}

/** Binds a roster name to a Feishu user (the bot's 绑定 and `member bind`). Office only. */
export async function bindMember(
  deps: { db: Db; clock: Clock },
  actor: Actor,
  input: { name: string; openId: string },
  fields: { name: string; openId: string } = { name: '姓名', openId: '@某人' },
): Promise<MemberRow> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '绑定花名册', { action: 'member.bind', subject: input.name });
  const at = clock.now().getTime();
  const member = await activeMember(db, input.name, fields.name);
  const openId = validateOpenId(input.openId, fields.openId);
  const other = await findMemberByOpenId(db, openId);
  if (other && other.id !== member.id) throw new UserError('conflict', `该飞书用户已绑定为「${other.name}」`, fields.openId);
  await db.transaction().execute(async (trx) => {
    await bindMemberOpenId(trx, member.id, openId);
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'member.bind', subject: member.name, outcome: 'ok', detail: { openId } });
  });
  return { ...member, open_id: openId };
}

export interface MemberImportResult {
  created: string[];
  updated: string[];
  restored: string[];
}

/**
 * Creates or updates members by name from a checked roster sheet (office only): all rows or none.
 * open_id, 手机号, 邮箱 left empty keep what the member has. An open_id bound to another member,
 * or a secretary's unit that does not exist, is a row error.
 */
export async function importMembers(deps: Deps, actor: Actor, rows: readonly RosterRow[], errors: RowErrors, file: string): Promise<MemberImportResult> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '导入花名册', { action: 'member.import', subject: file });
  const units = new Map((await listUnits(db)).map((u) => [u.name, u.id]));
  const planned: Array<{ existing: MemberRow | undefined; fields: MemberFields }> = [];
  const sheetNames = new Set(rows.map((r) => r.name));
  for (const r of rows) {
    const existing = await findMemberByName(db, r.name, { includeRemoved: true });
    let unitId: number | null = null;
    if (r.unit !== null) {
      unitId = units.get(r.unit) ?? null;
      if (unitId === null) errors.add(r, `单位「${r.unit}」不存在`, 'unit');
    }
    if (r.openId !== null) {
      const other = await findMemberByOpenId(db, r.openId);
      // Someone else's open_id, unless that member is on the sheet too (and will be given another one).
      if (other && other.name !== r.name && !sheetNames.has(other.name)) errors.add(r, `open_id ${r.openId} 已绑定给「${other.name}」`, 'openId');
    }
    planned.push({
      existing,
      fields: { name: r.name, role: r.role, leadUnit: r.role === 'office' ? OFFICE_LEAD_UNIT : r.leadUnit, unitId, openId: r.openId ?? existing?.open_id ?? null, mobile: r.phone ?? existing?.mobile ?? null, email: r.email ?? existing?.email ?? null },
    });
  }
  errors.throwIfAny(file);
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    const result: MemberImportResult = { created: [], updated: [], restored: [] };
    // Open ids move between members on the sheet: free them first so the unique index holds.
    for (const p of planned) if (p.existing && p.existing.open_id !== null && p.existing.open_id !== p.fields.openId) await updateMember(trx, p.existing.id, { ...fieldsOf(p.existing), openId: null });
    for (const p of planned) {
      if (!p.existing) {
        await insertMember(trx, { ...p.fields, at });
        result.created.push(p.fields.name);
      } else {
        await updateMember(trx, p.existing.id, p.fields);
        (p.existing.removed_at === null ? result.updated : result.restored).push(p.fields.name);
      }
    }
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'member.import', subject: file, outcome: 'ok', detail: { created: result.created.length, updated: result.updated.length, restored: result.restored.length } });
    return result;
  });
}

/** One answer of Lark's contact look-up: the open_id of a mobile number or e-mail, absent when unknown. */
export interface ContactMatch {
  mobile?: string | undefined;
  email?: string | undefined;
  userId?: string | undefined;
}

/** Looks up open_ids for at most 50 mobiles and 50 e-mails (contact/v3/users/batch_get_id through the sender). */
export type ContactLookup = (query: { mobiles: string[]; emails: string[] }) => Promise<ContactMatch[]>;

export interface SyncResult {
  bound: Array<{ name: string; openId: string; via: string }>;
  notFound: Array<{ name: string; mobile: string | null; email: string | null }>;
  /** Found, but that Feishu user is bound to another member already. */
  conflicts: Array<{ name: string; openId: string; boundTo: string }>;
  /** Unbound members with neither 手机号 nor 邮箱. */
  noContact: string[];
  alreadyBound: number;
}

const SYNC_BATCH = 50;

/**
 * Binds unbound members to Feishu users found by their 手机号 or 邮箱 (office only); reports who
 * could not be found. Members already bound are left as they are.
 */
export async function syncMembers(deps: { db: Db; clock: Clock }, actor: Actor, lookup: ContactLookup): Promise<SyncResult> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '同步飞书账号', { action: 'member.sync', subject: null });
  const members = await listMembers(db);
  const result: SyncResult = { bound: [], notFound: [], conflicts: [], noContact: [], alreadyBound: 0 };
  const pending = members.filter((m) => {
    if (m.open_id !== null) result.alreadyBound += 1;
    else if (m.mobile === null && m.email === null) result.noContact.push(m.name);
    else return true;
    return false;
  });
  const byMobile = new Map<string, string>();
  const byEmail = new Map<string, string>();
  for (let i = 0; i < pending.length; i += SYNC_BATCH) {
    const batch = pending.slice(i, i + SYNC_BATCH);
    const mobiles = batch.flatMap((m) => (m.mobile === null ? [] : [m.mobile]));
    const emails = batch.flatMap((m) => (m.mobile === null && m.email !== null ? [m.email] : []));
    for (const match of await lookup({ mobiles, emails })) {
      if (match.userId === undefined || match.userId === '') continue;
      if (match.mobile !== undefined) byMobile.set(match.mobile.replace(/^\+86/, ''), match.userId);
      if (match.email !== undefined) byEmail.set(match.email.toLowerCase(), match.userId);
    }
  }
  // Members without a mobile match but with an e-mail: a second round by e-mail.
  const retry = pending.filter((m) => m.mobile !== null && m.email !== null && !byMobile.has(m.mobile));
  for (let i = 0; i < retry.length; i += SYNC_BATCH) {
    for (const match of await lookup({ mobiles: [], emails: retry.slice(i, i + SYNC_BATCH).map((m) => m.email!) })) {
      if (match.userId && match.email !== undefined) byEmail.set(match.email.toLowerCase(), match.userId);
    }
  }
  const at = clock.now().getTime();
  const claimed = new Map<string, string>();
  for (const m of members) if (m.open_id !== null) claimed.set(m.open_id, m.name);
  await db.transaction().execute(async (trx) => {
    for (const m of pending) {
      const viaMobile = m.mobile === null ? undefined : byMobile.get(m.mobile);
      const openId = viaMobile ?? (m.email === null ? undefined : byEmail.get(m.email.toLowerCase()));
      if (openId === undefined) {
        result.notFound.push({ name: m.name, mobile: m.mobile, email: m.email });
        continue;
      }
      const owner = claimed.get(openId);
      if (owner !== undefined) {
        result.conflicts.push({ name: m.name, openId, boundTo: owner });
        continue;
      }
      claimed.set(openId, m.name);
      await bindMemberOpenId(trx, m.id, openId);
      result.bound.push({ name: m.name, openId, via: viaMobile !== undefined ? '手机号' : '邮箱' });
    }
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'member.sync', subject: null, outcome: 'ok', detail: { bound: result.bound.length, notFound: result.notFound.map((n) => n.name), conflicts: result.conflicts.length } });
  });
  return result;
}

/** Checks that what a target names exists: a lead unit of the plan, or an active unit. */
export async function checkChatTarget(db: Db, plan: Plan, t: ChatTarget, field = '--to'): Promise<ChatTarget> {
  if (t.kind === 'lead' && !plan.leadUnits.includes(t.leadUnit)) throw new UserError('bad_argument', `「${t.leadUnit}」不是牵头单位，可填：${plan.leadUnits.join('、')}`, field);
  if (t.kind === 'unit') {
    const unit = await findUnitByName(db, t.unitName);
    if (!unit || unit.archived_at !== null) throw new UserError('not_found', `没有名为「${t.unitName}」的单位`, field);
  }
  return t;
}

/**
 * Binds a chat to a target (office only). The first binding also records the go-live date
 * (REMINDERS_START, today in `tz`) unless one is recorded: reminders do not reach back before it.
 */
export async function bindChat(deps: { db: Db; clock: Clock; tz: string }, actor: Actor, chatId: string, target: ChatTarget): Promise<void> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '设置群订阅', { action: 'chat.bind', subject: chatId });
  const at = clock.now().getTime();
  const id = chatId.trim();
  if (!LOOSE_CHAT_ID_PATTERN.test(id)) throw new UserError('bad_argument', `应为飞书群的 chat_id，例如 oc_1a2b3c（收到「${id}」）`, '--chat');
  await db.transaction().execute(async (trx) => {
    await bindChatRow(trx, { chatId: id, target, by: actor.name, at });
    await setSettingIfAbsent(trx, REMINDERS_START_SETTING, localDate(at, deps.tz));
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'chat.bind', subject: id, outcome: 'ok', detail: { target: chatTargetKey(target) } });
  });
}

/** Ends a chat's subscription (office only; `dangjian chat unbind`, 「取消订阅」). What it was subscribed to is returned. */
export async function unbindChat(deps: { db: Db; clock: Clock }, actor: Actor, chatId: string, field = '--chat'): Promise<ChatTarget> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '取消群订阅', { action: 'chat.unbind', subject: chatId });
  const id = chatId.trim();
  const chat = await findChat(db, id);
  if (!chat) throw new UserError('not_found', `群 ${id} 没有订阅任何内容${field === '--chat' ? '（dangjian chat list 查看已订阅的群）' : ''}`, field);
  const at = clock.now().getTime();
  await db.transaction().execute(async (trx) => {
    await unbindChatRow(trx, id);
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'chat.unbind', subject: id, outcome: 'ok', detail: { target: chatTargetKey(chat.target) } });
  });
  return chat.target;
}
