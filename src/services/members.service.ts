/** The roster (members) and chat subscriptions. Binding members and chats is office only. */
import type { Actor } from '../auth/actor.js';
import { requireOffice } from '../auth/policy.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { audit } from '../db/audit.repository.js';
import { bindChat as bindChatRow } from '../db/chat.repository.js';
import { chatTargetKey, type ChatTarget } from '../domain/chat-target.js';
import { ROLES, type Role } from '../domain/roles.js';
import { bindMemberOpenId, findMemberByName, findMemberByOpenId, insertMember } from '../db/member.repository.js';
import type { MemberRow } from '../db/schema.js';
import { REMINDERS_START_SETTING, setSettingIfAbsent } from '../db/setting.repository.js';
import { findUnitByName } from '../db/unit.repository.js';
import { UserError } from '../errors.js';
import type { Plan } from '../plan/schema.js';
import { localDate } from '../time.js';

const OPEN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const CHAT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_NAME = 40;

function parseRole(text: string): Role {
  const role = ROLES.find((r) => r === text.trim());
  if (!role) throw new UserError('bad_argument', `unknown role "${text}"; expected one of ${ROLES.join(', ')}`, '--role');
  return role;
}

function validatePersonName(name: string, field = '--name'): string {
  const n = name.trim();
  if (n === '' || n.length > MAX_NAME || /\p{Cc}/u.test(n)) throw new UserError('bad_argument', `花名册姓名应为 1–${MAX_NAME} 个可打印字符（收到「${n}」）`, field);
  return n;
}

function validateOpenId(id: string, field = '--open-id'): string {
  const t = id.trim();
  if (!OPEN_ID_PATTERN.test(t)) throw new UserError('bad_argument', `应为飞书 open_id，例如 ou_1a2b3c（字母、数字、_ 或 -；收到「${t}」）`, field);
  return t;
}

/** Adds a roster member (office only). */
export async function addMember(
  deps: { db: Db; plan: Plan; clock: Clock },
  actor: Actor,
  input: { name: string; openId?: string | undefined; role: string; unit?: string | undefined },
): Promise<MemberRow> {
  const { db, plan, clock } = deps;
  await requireOffice(deps, actor, '添加花名册成员', { action: 'member.add', subject: input.name });
  const name = validatePersonName(input.name);
  const role = parseRole(input.role);
  const openId = input.openId === undefined ? null : validateOpenId(input.openId);
  if (await findMemberByName(db, name)) throw new UserError('conflict', `a member named "${name}" already exists`, '--name');
  if (openId !== null && (await findMemberByOpenId(db, openId))) throw new UserError('conflict', `open_id ${openId} is already bound to another member`, '--open-id');
  let leadUnit: string | null = null;
  let unitId: number | null = null;
  const unitArg = input.unit?.trim();
  if (role === 'lead_unit') {
    if (!unitArg) throw new UserError('bad_argument', `role lead_unit needs --unit, one of ${plan.leadUnits.join(', ')}`, '--unit');
    if (!plan.leadUnits.includes(unitArg)) throw new UserError('bad_argument', `unknown lead unit "${unitArg}"; expected one of ${plan.leadUnits.join(', ')}`, '--unit');
    leadUnit = unitArg;
  } else if (role === 'secretary') {
    if (!unitArg) throw new UserError('bad_argument', 'role secretary needs --unit, the community (or other unit) they lead', '--unit');
    const unit = await findUnitByName(db, unitArg);
    if (!unit) throw new UserError('not_found', `no unit named "${unitArg}"`, '--unit');
    unitId = unit.id;
  } else if (unitArg) {
    throw new UserError('bad_argument', `--unit applies only to roles lead_unit and secretary (role is ${role})`, '--unit');
  }
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    const row = await insertMember(trx, { name, openId, role, leadUnit, unitId, at });
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'member.add', subject: name, outcome: 'ok', detail: { role, leadUnit, unit: unitArg ?? null } });
    return row;
  });
}

/** Binds a roster name to a Feishu user (the bot's 绑定 and the CLI). Office only. */
export async function bindMember(deps: { db: Db; clock: Clock }, actor: Actor, input: { name: string; openId: string }): Promise<MemberRow> {
  const { db, clock } = deps;
  await requireOffice(deps, actor, '绑定花名册', { action: 'member.bind', subject: input.name });
  const at = clock.now().getTime();
  const name = validatePersonName(input.name, '姓名');
  const openId = validateOpenId(input.openId, '@某人');
  const member = await findMemberByName(db, name);
  if (!member) throw new UserError('not_found', `花名册中没有「${name}」`, '姓名');
  const other = await findMemberByOpenId(db, openId);
  if (other && other.id !== member.id) throw new UserError('conflict', `该飞书用户已绑定为「${other.name}」`, '@某人');
  await db.transaction().execute(async (trx) => {
    await bindMemberOpenId(trx, member.id, openId);
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'member.bind', subject: name, outcome: 'ok', detail: { openId } });
  });
  return { ...member, open_id: openId };
}

/** Checks that what a target names exists: a lead unit of the plan, or a unit. */
export async function checkChatTarget(db: Db, plan: Plan, t: ChatTarget, field = '--to'): Promise<ChatTarget> {
  if (t.kind === 'lead' && !plan.leadUnits.includes(t.leadUnit)) throw new UserError('bad_argument', `unknown lead unit "${t.leadUnit}"; expected one of ${plan.leadUnits.join(', ')}`, field);
  if (t.kind === 'unit' && !(await findUnitByName(db, t.unitName))) throw new UserError('not_found', `no unit named "${t.unitName}"`, field);
  return t;
}

function validateChatId(id: string, field = '--chat'): string {
  const t = id.trim();
  if (!CHAT_ID_PATTERN.test(t)) throw new UserError('bad_argument', `应为飞书群 chat_id，例如 oc_1a2b3c（收到「${t}」）`, field);
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
  const id = validateChatId(chatId);
  await db.transaction().execute(async (trx) => {
    await bindChatRow(trx, { chatId: id, target, by: actor.name, at });
    await setSettingIfAbsent(trx, REMINDERS_START_SETTING, localDate(at, deps.tz));
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'chat.bind', subject: id, outcome: 'ok', detail: { target: chatTargetKey(target) } });
  });
}
