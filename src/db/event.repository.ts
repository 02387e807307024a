import type { Db } from './database.js';

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
 * before).
 */
export async function markEventsProcessed(db: Db, eventIds: readonly string[], at: number): Promise<Set<string>> {
  const rows = await db
    .insertInto('processed_event')
    .values(eventIds.map((id) => ({ event_id: id, received_at: at })))
    .onConflict((oc) => oc.column('event_id').doNothing())
    .returning('event_id')
    .execute();
  return new Set(rows.map((r) => r.event_id));
}

/** Deletes the ids recorded before `olderThan`; returns how many. */
export async function pruneProcessedEvents(db: Db, olderThan: number): Promise<number> {
  const result = await db.deleteFrom('processed_event').where('received_at', '<', olderThan).executeTakeFirst();
  return Number(result.numDeletedRows);
}
