/** Chat subscriptions: which chat receives what (a ChatTarget, stored as its key). */
import { chatTargetKey, parseChatTargetKey, type ChatTarget } from '../domain/chat-target.js';
import type { Db } from './database.js';
import type { ChatRow } from './schema.js';

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
