import { sql } from 'kysely';
import { dialectOf, type Db } from './database.js';
import type { InboxKind } from './schema.js';

export interface InboxRecord {
  id: number;
  eventId: string;
  kind: InboxKind;
  chatId: string;
  /** Parsed JSON payload (the handlers' ChatMessage or CardAction). */
  payload: unknown;
}

/**
 * Records a verified event, pending; one statement (its own short transaction). Returns false
 * when the event id was recorded before (a redelivery). Throws when it cannot be written.
 */
export async function recordInboxEvent(db: Db, e: { eventId: string; kind: InboxKind; chatId: string; payload: unknown; at: number }): Promise<boolean> {
  // PostgreSQL connections commit asynchronously (openPostgres); this record is what Lark is
  // acknowledged for, so its commit waits for the WAL flush. Its flush also carries every earlier
  // asynchronous commit: a server crash can only lose later work, which the pending row redoes.
  // One statement, one round trip: set_config(…, true) applies to the statement's own implicit
  // transaction, whose commit reads synchronous_commit before the setting is undone.
  if (dialectOf(db) === 'postgres') {
    const result = await sql`INSERT INTO inbox (event_id, kind, chat_id, payload, status, received_at, done_at)
      SELECT ${e.eventId}, ${e.kind}, ${e.chatId}, ${JSON.stringify(e.payload)}, 'pending', ${e.at}, NULL
      FROM (SELECT set_config('synchronous_commit', 'on', true)) AS durable_commit
      ON CONFLICT (event_id) DO NOTHING`.execute(db);
    return Number(result.numAffectedRows ?? 0n) > 0;
  }
  return insertInboxRow(db, e);
}

async function insertInboxRow(db: Db, e: { eventId: string; kind: InboxKind; chatId: string; payload: unknown; at: number }): Promise<boolean> {
  const result = await db
    .insertInto('inbox')
    .values({ event_id: e.eventId, kind: e.kind, chat_id: e.chatId, payload: JSON.stringify(e.payload), status: 'pending', received_at: e.at, done_at: null })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Pending events in the order they were recorded. */
export async function pendingInboxEvents(db: Db): Promise<InboxRecord[]> {
  const rows = await db.selectFrom('inbox').select(['id', 'event_id', 'kind', 'chat_id', 'payload']).where('status', '=', 'pending').orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, eventId: r.event_id, kind: r.kind, chatId: r.chat_id, payload: JSON.parse(r.payload) as unknown }));
}

export async function markInboxDone(db: Db, eventId: string, at: number): Promise<void> {
  await db.updateTable('inbox').set({ status: 'done', done_at: at }).where('event_id', '=', eventId).where('status', '=', 'pending').execute();
}

/** Deletes handled events recorded before `olderThan`; returns how many. */
export async function pruneInbox(db: Db, olderThan: number): Promise<number> {
  const result = await db.deleteFrom('inbox').where('status', '=', 'done').where('received_at', '<', olderThan).executeTakeFirst();
  return Number(result.numDeletedRows);
}
