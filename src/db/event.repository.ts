import { sql, type QueryCreator } from 'kysely';
import { dialectOf, type Db } from './database.js';
import type { Database } from './schema.js';
import { durableCommitsOf } from './durable-commits.js';
import { markInboxDone } from './inbox.repository.js';
import { insertOutboxMessageId, outboxMessageRow, type OutboxMessage } from './outbox.repository.js';
import { inOneTransaction } from './unit-of-work.js';

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

/**
 * A message handled without a transaction (a read-only command) settles in one write: its
 * dedup marks, its inbox row marked done, and its answer recorded unless one is recorded already
 * — on PostgreSQL one statement, on SQLite one transaction. Returns the marks that were new and
 * the answer's row id when this call recorded it.
 */
export async function settleMessage(
  db: Db,
  m: { eventIds: readonly string[]; at: number; inboxDone?: string | undefined; answer?: OutboxMessage | undefined },
): Promise<{ newMarks: Set<string>; answerId: number | undefined }> {
  const { answer } = m;
  if (dialectOf(db) !== 'postgres') {
    return inOneTransaction(db, async (trx) => {
      const newMarks = await markEventsProcessed(trx, m.eventIds, m.at, { inboxDone: m.inboxDone });
      return { newMarks, answerId: answer === undefined ? undefined : await insertOutboxMessageId(trx, answer) };
    });
  }
  // Settling an inbox row outside a transaction, its commit waits for the WAL flush (a few bytes
  // of WAL are written even when the rest turns out a repeat): the event's acknowledgement, which
  // waits for its record to be durable, takes this commit instead of a flush of its own.
  const flushes = m.inboxDone !== undefined && !db.isTransaction;
  const statement = () => db
    .with('marks', (q) =>
      q
        .insertInto('processed_event')
        .values(m.eventIds.map((id) => ({ event_id: id, received_at: m.at })))
        .onConflict((oc) => oc.column('event_id').doNothing())
        .returning('event_id'),
    )
    .with('inbox_done', (q) =>
      m.inboxDone === undefined
        ? q.selectFrom('inbox').select('id').where(sql<boolean>`false`)
        : q.updateTable('inbox').set({ status: 'done', done_at: m.at }).where('event_id', '=', m.inboxDone).where('status', '=', 'pending').returning('id'),
    )
    .with('answer', (q) =>
      answer === undefined
        ? q.selectFrom('outbox').select('id').where(sql<boolean>`false`)
        : q.insertInto('outbox').values(outboxMessageRow(answer)).onConflict((oc) => oc.column('key').doNothing()).returning('id'),
    )
    .selectNoFrom([
      sql<string[] | null>`(SELECT array_agg(event_id) FROM marks)`.as('marked'),
      sql<number | null>`(SELECT min(id) FROM answer)`.as('answer_id'),
      ...(flushes ? [sql<string>`set_config('synchronous_commit', 'on', true)`.as('sync'), sql<string>`pg_logical_emit_message(true, 'dangjian', 'durable')`.as('wal')] : []),
    ])
    .executeTakeFirstOrThrow();
  const row = flushes ? await durableCommitsOf(db).flushing(statement) : await statement();
  return { newMarks: new Set(row.marked ?? []), answerId: row.answer_id ?? undefined };
}
