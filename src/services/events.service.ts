/** Housekeeping of the received-event log (processed_event: event ids and message ids, for dedup) and of the inbox's handled rows. */
import type { Db } from '../db/database.js';
import { pruneProcessedEvents } from '../db/event.repository.js';
import { pruneInbox } from '../db/inbox.repository.js';

/**
 * How long an event id is remembered. Lark redelivers an unacknowledged event for up to about
 * 7 hours; a week keeps a wide margin (a service down over a weekend still recognises them).
 */
const EVENT_RETENTION_MS = 7 * 86_400_000;

/** Forgets the event ids, and the handled inbox rows, recorded more than EVENT_RETENTION_MS before `now`; returns how many. */
export async function pruneOldEvents(db: Db, now: number): Promise<number> {
  return (await pruneProcessedEvents(db, now - EVENT_RETENTION_MS)) + (await pruneInbox(db, now - EVENT_RETENTION_MS));
}
