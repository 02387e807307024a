/**
 * Who is talking and whether they may use a command here (before its arguments are read).
 * Reads: in a subscribed group everyone; in a one-to-one chat only bound members.
 * Writes: a bound member (the service decides the rest through src/auth/policy.ts).
 * Office-only commands: src/auth/policy.ts `requireOffice`, the same check the services make.
 * Every refusal is audited (action: the command's audit action, e.g. score.set, or
 * bot.<alias> for reads).
 */
import { actorFromMember, type Actor } from '../auth/actor.js';
import { requireOffice } from '../auth/policy.js';
import { audit } from '../db/audit.repository.js';
import { findChat, findMemberAndChat, type ChatRecord } from '../db/chat.repository.js';
import { findMemberByOpenId } from '../db/member.repository.js';
import type { AuditSource } from '../db/schema.js';
import { noticeCard } from './cards.js';
import { replyForError } from './errors.js';
import type { AnyCommand } from './registry.js';
import { cardReply, type BotDeps, type Reply } from './types.js';

export const CONSOLE_ACTOR_NAME = '控制台';

/** The synthetic office member typing in the local console. */
export function consoleActor(): Actor {
  return { name: CONSOLE_ACTOR_NAME, role: 'office', leadUnit: null, unitId: null, openId: null, source: 'chat' };
}

export const UNBOUND_HINT = '你还没有绑定花名册。请党建办成员在群里发送「@党建助手 绑定 你的姓名 @你」，绑定后即可使用。';
const CHAT_UNBOUND_HINT = '本群还没有订阅。请党建办成员在群里发送「@党建助手 订阅 领导小组」（或牵头单位名、单位名），订阅后群里就能查询和接收提醒。';

export async function resolveActor(deps: BotDeps, openId: string, source: AuditSource): Promise<Actor | null> {
  if (deps.consoleActor) return { ...deps.consoleActor, source };
  const member = await findMemberByOpenId(deps.db, openId);
  return member ? actorFromMember(member, source) : null;
}

/** The sender as an actor and, in a group, the chat's subscription: one read. */
/** Who sent a message (null: not on the roster) and the chat's record (null: one-to-one, or not bound). */
export interface Sender {
  actor: Actor | null;
  chat: ChatRecord | null;
}

export async function resolveSender(deps: BotDeps, openId: string, chat: { type: 'p2p' | 'group'; id: string | null }, source: AuditSource): Promise<Sender> {
  const chatId = chat.type === 'group' ? chat.id : null;
  if (deps.consoleActor) return { actor: { ...deps.consoleActor, source }, chat: chatId === null ? null : ((await findChat(deps.db, chatId)) ?? null) };
  const found = await findMemberAndChat(deps.db, openId, chatId);
  return { actor: found.member ? actorFromMember(found.member, source) : null, chat: found.chat ?? null };
}

/** Audit name for someone not on the roster. */
export const unboundActorName = (openId: string) => `unbound:${openId}`;

export interface AccessInput {
  deps: BotDeps;
  command: AnyCommand;
  actor: Actor | null;
  chat: ChatRecord | null;
  chatType: 'p2p' | 'group';
  senderOpenId: string;
  chatId: string | null;
  source: AuditSource;
  at: number;
}

/** Returns a refusal reply, or null when the command may run. */
export async function checkAccess(a: AccessInput): Promise<Reply | null> {
  const { deps, command, actor, chat } = a;
  if (command.access === 'public' || deps.consoleActor) return null;
  const action = command.auditAction ?? `bot.${command.names[1] ?? command.names[0]}`;
  const subject = a.chatType === 'group' ? (a.chatId ?? null) : null;
  const deny = async (reason: string, who: string) => {
    await audit(deps.db, { at: a.at, actor: who, source: a.source, action, subject, outcome: 'denied', detail: { command: command.names[0], reason } });
  };
  const needsActor = command.access === 'write' || command.access === 'office' || a.chatType === 'p2p';
  if (needsActor && actor === null) {
    await deny('unbound', unboundActorName(a.senderOpenId));
    return cardReply(noticeCard('需要先绑定', 'orange', [UNBOUND_HINT]));
  }
  if (command.access === 'office') {
    try {
      await requireOffice(deps, actor!, `使用「${command.names[0]}」`, { action, subject, detail: { command: command.names[0] } });
    } catch (err) {
      return replyForError(err, command, deps.log);
    }
  }
  if (a.chatType === 'group' && chat === null && !command.allowUnboundChat) {
    await deny('chat not subscribed', actor?.name ?? unboundActorName(a.senderOpenId));
    return cardReply(noticeCard('本群尚未订阅', 'orange', [CHAT_UNBOUND_HINT]));
  }
  return null;
}
