/** Chat subscriptions: which chat receives what (a ChatTarget, stored as its key). */
import { chatTargetKey, parseChatTargetKey, type ChatTarget } from '../domain/chat-target.js';
import type { Db } from './database.js';
import { sql } from 'kysely';
import type { ChatRow, MemberRow } from './schema.js';

export interface ChatRecord {
  chatId: string;
  target: ChatTarget;
  boundBy: string;
  boundAt: number;
}

function toChatRecord(row: ChatRow): ChatRecord {
  const target = parseChatTargetKey(row.target);
  // Only bindChat writes the column, always from a ChatTarget.
  if (!target) throw new Error(`chat ${row.chat_id} has an unknown target "${row.target}"`);
  return { chatId: row.chat_id, target, boundBy: row.bound_by, boundAt: row.bound_at };
}

export async function bindChat(db: Db, chat: { chatId: string; target: ChatTarget; by: string; at: number }): Promise<void> {
  const target = chatTargetKey(chat.target);
  await db
    .insertInto('chat')
    .values({ chat_id: chat.chatId, target, bound_by: chat.by, bound_at: chat.at })
    .onConflict((oc) => oc.column('chat_id').doUpdateSet({ target, bound_by: chat.by, bound_at: chat.at }))
    .execute();
}

export async function findChat(db: Db, chatId: string): Promise<ChatRecord | undefined> {
  const row = await db.selectFrom('chat').selectAll().where('chat_id', '=', chatId).executeTakeFirst();
  return row ? toChatRecord(row) : undefined;
}

const MEMBER_COLUMNS = ['id', 'name', 'open_id', 'role', 'lead_unit', 'unit_id', 'created_at', 'mobile', 'email', 'removed_at'] as const satisfies ReadonlyArray<keyof MemberRow>;
const CHAT_COLUMNS = ['chat_id', 'target', 'bound_by', 'bound_at'] as const satisfies ReadonlyArray<keyof ChatRow>;
// Every column of both rows is read (a column added to either table must be added here).
const everyColumn: [Exclude<keyof MemberRow, (typeof MEMBER_COLUMNS)[number]> | Exclude<keyof ChatRow, (typeof CHAT_COLUMNS)[number]>] extends [never] ? true : never = true;
void everyColumn;

/**
 * Who is writing and where, in one read (a message's first two look-ups; one round trip on
 * PostgreSQL): the active member with `openId`, and the chat's subscription (`chatId` null:
 * none looked up, a one-to-one chat).
 */
export async function findMemberAndChat(db: Db, openId: string, chatId: string | null): Promise<{ member: MemberRow | undefined; chat: ChatRecord | undefined }> {
  const columns = sql.join([...MEMBER_COLUMNS.map((c) => sql.raw(`m.${c} AS m_${c}`)), ...CHAT_COLUMNS.map((c) => sql.raw(`c.${c} AS c_${c}`))]);
  const { rows } = await sql<Record<string, unknown>>`SELECT ${columns} FROM (SELECT 1 AS one) AS x
    LEFT JOIN member m ON m.open_id = ${openId} AND m.removed_at IS NULL
    LEFT JOIN chat c ON c.chat_id = ${chatId}`.execute(db);
  const row = rows[0] ?? {};
  const pick = <K extends string>(prefix: string, keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, row[`${prefix}${k}`]])) as Record<K, unknown>;
  const member = row.m_id === null || row.m_id === undefined ? undefined : (pick('m_', MEMBER_COLUMNS) as MemberRow);
  const chat = row.c_chat_id === null || row.c_chat_id === undefined ? undefined : toChatRecord(pick('c_', CHAT_COLUMNS) as ChatRow);
  return { member, chat };
}

/** Every subscription, oldest binding first (ties by chat id): the order reminders are routed in. */
export async function listChats(db: Db): Promise<ChatRecord[]> {
  const rows = await db.selectFrom('chat').selectAll().orderBy('bound_at').orderBy('chat_id').execute();
  return rows.map(toChatRecord);
}

/** Removes a chat's subscription; false when the chat was not bound. */
export async function unbindChatRow(db: Db, chatId: string): Promise<boolean> {
  const r = await db.deleteFrom('chat').where('chat_id', '=', chatId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** A renamed unit's chats follow it (`unit:OLD` → `unit:NEW`). */
export async function retargetUnitChats(db: Db, oldName: string, newName: string): Promise<number> {
  const r = await db
    .updateTable('chat')
    .set({ target: chatTargetKey({ kind: 'unit', unitName: newName }) })
    .where('target', '=', chatTargetKey({ kind: 'unit', unitName: oldName }))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
