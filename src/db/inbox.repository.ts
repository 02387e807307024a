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
 * On PostgreSQL the commit is asynchronous like every other (openPostgres): Lark is acknowledged
 * only after `awaitDurableCommits`, so the handling can start while the WAL is flushed.
 */
export async function recordInboxEvent(db: Db, e: { eventId: string; kind: InboxKind; chatId: string; payload: unknown; at: number }): Promise<boolean> {
  const result = await db
    .insertInto('inbox')
    .values({ event_id: e.eventId, kind: e.kind, chat_id: e.chatId, payload: JSON.stringify(e.payload), status: 'pending', received_at: e.at, done_at: null })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/**
 * Returns once every commit made before the call survives a crash of the database server.
 * PostgreSQL connections commit asynchronously (openPostgres); this is one statement whose own
 * commit waits for the WAL flush, and the WAL is flushed in order, so the flush carries every
 * earlier commit with it. The statement must write WAL for its commit to wait: a transactional
 * logical message (a few bytes, no table, any role may emit it). set_config(…, true) applies to
 * the statement's own implicit transaction, whose commit reads it before it is undone.
 * SQLite: a commit is as durable as the file is opened (WAL, synchronous = NORMAL); nothing to do.
 */
/** Whether a commit on `db` may still be lost when it returns (awaitDurableCommits does work). */
export const commitsNeedFlush = (db: Db): boolean => dialectOf(db) === 'postgres';

export async function awaitDurableCommits(db: Db): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  await sql`SELECT set_config('synchronous_commit', 'on', true), pg_logical_emit_message(true, 'dangjian', 'durable')`.execute(db);
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
