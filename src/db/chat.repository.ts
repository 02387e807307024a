import type { Db } from './database.js';
import type { ChatRow } from './schema.js';

export async function bindChat(db: Db, chat: { chatId: string; target: string; by: string; at: number }): Promise<void> {
  await db
    .insertInto('chat')
    .values({ chat_id: chat.chatId, target: chat.target, bound_by: chat.by, bound_at: chat.at })
    .onConflict((oc) => oc.column('chat_id').doUpdateSet({ target: chat.target, bound_by: chat.by, bound_at: chat.at }))
    .execute();
}

export async function findChat(db: Db, chatId: string): Promise<ChatRow | undefined> {
  return db.selectFrom('chat').selectAll().where('chat_id', '=', chatId).executeTakeFirst();
}

/** Chats bound to a target ('leadership', 'lead:社管中心', 'unit:城东社区'), oldest first. */
export async function chatsForTarget(db: Db, target: string): Promise<ChatRow[]> {
  return db.selectFrom('chat').selectAll().where('target', '=', target).orderBy('bound_at').execute();
}

export async function listChats(db: Db): Promise<ChatRow[]> {
  return db.selectFrom('chat').selectAll().orderBy('target').execute();
}
