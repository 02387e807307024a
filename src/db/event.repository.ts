import type { QueryCreator } from 'kysely';
import { dialectOf, type Db } from './database.js';
import type { Database } from './schema.js';
import { markInboxDone } from './inbox.repository.js';

/**
 * Records an event id; returns false when it was already processed (Feishu redelivers
 * for ~7 hours, so ids are kept well beyond that and pruned by age: pruneProcessedEvents).
 */
export async function markEventProcessed(db: Db, eventId: string, at: number): Promise<boolean> {
  const result = await db
    .insertInto('processed_event')
    .values({ event_id: eventId, received_at: at })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/**
 * Records several ids in one statement; returns those that were new (the others were processed
 * before). With `inboxDone`, that inbox row is marked done too (the handling that records the
 * ids settles it in the same transaction): on PostgreSQL in the same statement, one round trip
 * fewer per message.
 */
export async function markEventsProcessed(db: Db, eventIds: readonly string[], at: number, options: { inboxDone?: string } = {}): Promise<Set<string>> {
  const record = (q: QueryCreator<Database>) =>
    q
      .insertInto('processed_event')
      .values(eventIds.map((id) => ({ event_id: id, received_at: at })))
      .onConflict((oc) => oc.column('event_id').doNothing())
      .returning('event_id')
      .execute();
  const inboxEventId = options.inboxDone;
  let rows: Array<{ event_id: string }>;
  if (inboxEventId === undefined) rows = await record(db);
  else if (dialectOf(db) === 'postgres') {
    const withInboxDone = db.with('inbox_done', (q) => q.updateTable('inbox').set({ status: 'done', done_at: at }).where('event_id', '=', inboxEventId).where('status', '=', 'pending').returning('id'));
    // The CTE only adds a name to the statement's scope, which the insert does not use.
    rows = await record(withInboxDone as unknown as QueryCreator<Database>);
  } else {
    // SQLite has no data-modifying CTEs; its statements are calls, not round trips.
    await markInboxDone(db, inboxEventId, at);
    rows = await record(db);
  }
  return new Set(rows.map((r) => r.event_id));
}

/** Deletes the ids recorded before `olderThan`; returns how many. */
export async function pruneProcessedEvents(db: Db, olderThan: number): Promise<number> {
  const result = await db.deleteFrom('processed_event').where('received_at', '<', olderThan).executeTakeFirst();
  return Number(result.numDeletedRows);
}
