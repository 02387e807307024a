/**
 * The persistent outbox of messages to send, and the reminder items its cards carry.
 *
 * outbox: one row per message (a chat's daily card `daily:<date>:<chat>`; the machinery is
 * generic — key, claim, lease, uuid from the key — for any message that must go out exactly
 * once). Inserting is insert-or-ignore on the unique key. Sending is claimed atomically (one
 * UPDATE … WHERE id IN (SELECT …) RETURNING), which holds across processes sharing the SQLite
 * file; a claim expires so that a crashed sender's rows are taken over and re-sent under the
 * same key (hence the same Lark uuid) with the same payload.
 *
 * outbox_item: each reminder intent once (unique key): carried by exactly one card (recorded in
 * the same transaction as the card), held for the chat's next card (pending), or skipped with
 * the reason. Only this module writes these tables.
 */
import { sql, type CompiledQuery } from 'kysely';
import { dialectOf, sqliteOf, type Db } from './database.js';
import type { NewOutbox, NewOutboxItem, OutboxItemRow, OutboxItemStatus, OutboxRow, OutboxStatus } from './schema.js';

export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'sending', 'sent', 'failed', 'skipped'];

export interface OutboxRecord {
  id: number;
  key: string;
  kind: string;
  chatId: string;
  taskSeq: number | null;
  period: string | null;
  payload: unknown;
  dueAt: number;
  notBefore: number;
  status: OutboxStatus;
  attempts: number;
  claimedBy: string | null;
  claimExpiresAt: number | null;
  sentAt: number | null;
  messageId: string | null;
  lastError: string | null;
  createdAt: number;
}

function toOutboxRecord(row: OutboxRow): OutboxRecord {
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    payload = null;
  }
  return {
    id: row.id,
    key: row.key,
    kind: row.kind,
    chatId: row.chat_id,
    taskSeq: row.task_seq,
    period: row.period,
    payload,
    dueAt: row.due_at,
    notBefore: row.not_before,
    status: row.status,
    attempts: row.attempts,
    claimedBy: row.claimed_by,
    claimExpiresAt: row.claim_expires_at,
    sentAt: row.sent_at,
    messageId: row.message_id,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

const CHUNK = 400;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Which of these keys are already in the outbox. */
export async function existingOutboxKeys(db: Db, keys: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const part of chunks([...new Set(keys)])) {
    const rows = await db.selectFrom('outbox').select('key').where('key', 'in', part).execute();
    for (const r of rows) found.add(r.key);
  }
  return found;
}

export async function findOutboxByKey(db: Db, key: string): Promise<OutboxRecord | undefined> {
  const row = await db.selectFrom('outbox').selectAll().where('key', '=', key).executeTakeFirst();
  return row ? toOutboxRecord(row) : undefined;
}

/**
 * Claims up to `limit` pending rows whose not_before has come, atomically: a row is returned to
 * exactly one caller, whichever process or connection asks. On SQLite one writer at a time
 * makes the UPDATE … WHERE id IN (SELECT …) atomic; on PostgreSQL the inner SELECT takes
 * `FOR UPDATE SKIP LOCKED` and the outer status check re-reads a row another replica took.
 */
export async function claimDueOutbox(db: Db, claim: { now: number; worker: string; leaseMs: number; limit: number; kind?: { only: string } | { except: string } }): Promise<OutboxRecord[]> {
  const kind = claim.kind;
  const postgres = dialectOf(db) === 'postgres';
  const rows = await db
    .updateTable('outbox')
    .set({ status: 'sending', claimed_by: claim.worker, claim_expires_at: claim.now + claim.leaseMs })
    .where('status', '=', 'pending')
    .where('id', 'in', (eb) => {
      let q = eb.selectFrom('outbox').select('id').where('status', '=', 'pending').where('not_before', '<=', claim.now);
      if (kind && 'only' in kind) q = q.where('kind', '=', kind.only);
      if (kind && 'except' in kind) q = q.where('kind', '!=', kind.except);
      q = q.orderBy('not_before').orderBy('id').limit(claim.limit);
      // PostgreSQL: replicas claiming at once each lock different rows instead of queueing on the same ones.
      return postgres ? q.forUpdate().skipLocked() : q;
    })
    .returningAll()
    .execute();
  return rows.map(toOutboxRecord).sort((a, b) => a.notBefore - b.notBefore || a.id - b.id);
}

/** Records a message to send (a reply), pending and due now; false when its key is already there. */
/** A message to send once, as insertOutboxMessage records it. */
export interface OutboxMessage {
  key: string;
  kind: string;
  chatId: string;
  payload: unknown;
  at: number;
  /**
   * Recorded already claimed by the caller for its first attempt (no claim statement of its own):
   * 'sending' until `at + leaseMs`, after which an unsent row is released like any claim.
   */
  claim?: { worker: string; leaseMs: number } | undefined;
  /** Recorded already sent: its first attempt went out before it was recorded and Lark took it. */
  sent?: { messageId: string } | undefined;
}

/** Its row: due now; pending, claimed for the caller's first attempt, or sent by it. */
export const outboxMessageRow = (m: OutboxMessage) => ({
  key: m.key,
  kind: m.kind,
  chat_id: m.chatId,
  task_seq: null,
  period: null,
  payload: JSON.stringify(m.payload),
  due_at: m.at,
  not_before: m.at,
  status: (m.sent ? 'sent' : m.claim ? 'sending' : 'pending') as OutboxStatus,
  attempts: m.sent ? 1 : 0,
  claimed_by: m.sent ? null : (m.claim?.worker ?? null),
  claim_expires_at: m.claim && !m.sent ? m.at + m.claim.leaseMs : null,
  sent_at: m.sent ? m.at : null,
  message_id: m.sent?.messageId ?? null,
  last_error: null,
  created_at: m.at,
});

/** The record of a message the caller has just recorded as row `id` (nothing read back). */
export function recordedOutboxMessage(m: OutboxMessage, id: number): OutboxRecord {
  const row = outboxMessageRow(m);
  return { ...toOutboxRecord({ ...row, id, payload: 'null' }), payload: m.payload };
}

/** Records the message unless its key is there; returns its row id, undefined when it was there. */
export async function insertOutboxMessageId(db: Db, m: OutboxMessage): Promise<number | undefined> {
  const r = await db
    .insertInto('outbox')
    .values(outboxMessageRow(m))
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return r?.id;
}

export async function insertOutboxMessage(db: Db, m: OutboxMessage): Promise<boolean> {
  return (await insertOutboxMessageId(db, m)) !== undefined;
}

const COLUMNS_BUT_PAYLOAD = ['id', 'key', 'kind', 'chat_id', 'task_seq', 'period', 'due_at', 'not_before', 'status', 'attempts', 'claimed_by', 'claim_expires_at', 'sent_at', 'message_id', 'last_error', 'created_at'] as const;

/**
 * Claims one pending row by key (the first attempt right after it was recorded); undefined when
 * it is not pending. `payload`: what the caller just recorded — the row's payload is then not
 * read back (a card is kilobytes of JSON, read, sent over and parsed for nothing).
 */
export async function claimOutboxByKey(db: Db, claim: { key: string; now: number; worker: string; leaseMs: number; payload?: unknown }): Promise<OutboxRecord | undefined> {
  const claiming = db
    .updateTable('outbox')
    .set({ status: 'sending', claimed_by: claim.worker, claim_expires_at: claim.now + claim.leaseMs })
    .where('key', '=', claim.key)
    .where('status', '=', 'pending');
  if (claim.payload === undefined) {
    const row = await claiming.returningAll().executeTakeFirst();
    return row ? toOutboxRecord(row) : undefined;
  }
  const row = await claiming.returning(COLUMNS_BUT_PAYLOAD).executeTakeFirst();
  return row ? { ...toOutboxRecord({ ...row, payload: 'null' }), payload: claim.payload } : undefined;
}

/**
 * Rows whose claim expired (the sender crashed or hung): back to pending so they are sent again
 * with the same idempotency key, unless the claim began more than `uuidWindowMs` ago — Lark's
 * uuid no longer deduplicates then, so they are marked failed ("delivery unknown") instead of
 * risking a duplicate. Returns how many rows went each way.
 */
export async function releaseExpiredClaims(db: Db, opts: { now: number; leaseMs: number; uuidWindowMs: number }): Promise<{ released: number; failed: number }> {
  const claimedBefore = opts.now - opts.uuidWindowMs + opts.leaseMs; // claim_expires_at − lease < now − uuidWindow
  const failed = await db
    .updateTable('outbox')
    .set((eb) => ({
      status: 'failed',
      claimed_by: null,
      claim_expires_at: null,
      last_error: sql<string>`'claim expired more than ' || ${Math.round(opts.uuidWindowMs / 60_000)} || ' min after it began (sender crashed?); delivery unknown, not re-sent to avoid a duplicate' || coalesce('; previous error: ' || ${eb.ref('last_error')}, '')`,
    }))
    .where('status', '=', 'sending')
    .where('claim_expires_at', '<', opts.now)
    .where('claim_expires_at', '<', claimedBefore)
    .executeTakeFirst();
  const released = await db
    .updateTable('outbox')
    .set({ status: 'pending', claimed_by: null, claim_expires_at: null })
    .where('status', '=', 'sending')
    .where('claim_expires_at', '<', opts.now)
    .executeTakeFirst();
  return { released: Number(released.numUpdatedRows), failed: Number(failed.numUpdatedRows) };
}

/** Gives claimed rows back, pending from `retryAt`, attempts unchanged: a pass that could not settle them. */
export async function releaseOutboxClaims(db: Db, ids: readonly number[], o: { worker: string; retryAt: number }): Promise<number> {
  let n = 0;
  for (const part of chunks(ids)) {
    const r = await db
      .updateTable('outbox')
      .set({ status: 'pending', claimed_by: null, claim_expires_at: null, not_before: o.retryAt })
      .where('id', 'in', part)
      .where('status', '=', 'sending')
      .where('claimed_by', '=', o.worker)
      .executeTakeFirst();
    n += Number(r.numUpdatedRows);
  }
  return n;
}

/** Marks rows sent with Lark's message id. */
export async function markOutboxSent(db: Db, ids: readonly number[], sent: { messageId: string; at: number }): Promise<number> {
  let n = 0;
  for (const part of chunks(ids)) {
    const r = await db
      .updateTable('outbox')
      .set((eb) => ({
        status: 'sent',
        sent_at: sent.at,
        message_id: sent.messageId,
        attempts: eb('attempts', '+', 1),
        claimed_by: null,
        claim_expires_at: null,
        last_error: null,
      }))
      .where('id', 'in', part)
      .where('status', 'in', ['sending', 'pending'])
      .executeTakeFirst();
    n += Number(r.numUpdatedRows);
  }
  return n;
}

/**
 * One failed send attempt: attempts + 1 and the error recorded; the row goes back to pending
 * (not before `retryAt`) unless `final` or it has used `maxAttempts`, then it is failed.
 * Returns the rows as they now are.
 */
export async function markOutboxAttemptFailed(
  db: Db,
  ids: readonly number[],
  failure: { error: string; retryAt: number; final: boolean; maxAttempts: number; worker: string },
): Promise<OutboxRecord[]> {
  const out: OutboxRecord[] = [];
  for (const part of chunks(ids)) {
    const rows = await db
      .updateTable('outbox')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: failure.error.slice(0, 1000),
        status: failure.final ? sql<OutboxStatus>`'failed'` : sql<OutboxStatus>`case when attempts + 1 >= ${failure.maxAttempts} then 'failed' else 'pending' end`,
        not_before: sql<number>`case when attempts + 1 >= ${failure.maxAttempts} or ${failure.final ? 1 : 0} = 1 then not_before else ${failure.retryAt} end`,
        claimed_by: null,
        claim_expires_at: null,
      }))
      .where('id', 'in', part)
      .where('status', '=', 'sending')
      .where('claimed_by', '=', failure.worker)
      .returningAll()
      .execute();
    out.push(...rows.map(toOutboxRecord));
  }
  return out;
}

/** Marks rows skipped with the reason (in last_error). Only rows not yet sent change. */
export async function markOutboxSkipped(db: Db, ids: readonly number[], reason: string): Promise<number> {
  let n = 0;
  for (const part of chunks(ids)) {
    const r = await db
      .updateTable('outbox')
      .set({ status: 'skipped', last_error: reason, claimed_by: null, claim_expires_at: null })
      .where('id', 'in', part)
      .where('status', 'in', ['pending', 'sending'])
      .executeTakeFirst();
    n += Number(r.numUpdatedRows);
  }
  return n;
}

export interface OutboxFilter {
  status?: OutboxStatus | undefined;
  /** Only rows due at or after this instant. */
  dueSince?: number | undefined;
  /** Only rows due before this instant. */
  dueBefore?: number | undefined;
  kind?: string | undefined;
  chatId?: string | undefined;
  limit?: number | undefined;
}

/** Rows by due time (oldest first), optionally filtered. */
export async function listOutbox(db: Db, filter: OutboxFilter = {}): Promise<OutboxRecord[]> {
  let q = db.selectFrom('outbox').selectAll();
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  if (filter.dueSince !== undefined) q = q.where('due_at', '>=', filter.dueSince);
  if (filter.dueBefore !== undefined) q = q.where('due_at', '<', filter.dueBefore);
  if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
  if (filter.chatId !== undefined) q = q.where('chat_id', '=', filter.chatId);
  q = q.orderBy('due_at').orderBy('id');
  if (filter.limit !== undefined) q = q.limit(filter.limit);
  return (await q.execute()).map(toOutboxRecord);
}

/** Row counts per status. */
export async function countOutboxByStatus(db: Db): Promise<Record<OutboxStatus, number>> {
  const rows = await db
    .selectFrom('outbox')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const out = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}

// ---------------------------------------------------------------- items

export interface OutboxItemRecord {
  id: number;
  key: string;
  kind: string;
  chatId: string;
  taskYear: number | null;
  taskSeq: number | null;
  period: string | null;
  date: string;
  dueAt: number;
  notBefore: number;
  status: OutboxItemStatus;
  outboxId: number | null;
  reason: string | null;
  payload: unknown;
  createdAt: number;
}

function toItemRecord(row: OutboxItemRow): OutboxItemRecord {
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    payload = null;
  }
  return {
    id: row.id,
    key: row.key,
    kind: row.kind,
    chatId: row.chat_id,
    taskYear: row.task_year,
    taskSeq: row.task_seq,
    period: row.period,
    date: row.date,
    dueAt: row.due_at,
    notBefore: row.not_before,
    status: row.status,
    outboxId: row.outbox_id,
    reason: row.reason,
    payload,
    createdAt: row.created_at,
  };
}

/** Which of these item keys are already recorded (carried, held or skipped). */
export async function existingItemKeys(db: Db, keys: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const part of chunks([...new Set(keys)])) {
    const rows = await db.selectFrom('outbox_item').select('key').where('key', 'in', part).execute();
    for (const r of rows) found.add(r.key);
  }
  return found;
}

/** Insert-or-ignore items (held or skipped ones; carried ones go in with their card). Returns the keys inserted. */
export async function insertItems(db: Db, items: readonly NewOutboxItem[]): Promise<string[]> {
  const inserted: string[] = [];
  for (const part of chunks(items, 200)) {
    const res = await db
      .insertInto('outbox_item')
      .values(part)
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .execute();
    for (const r of res) inserted.push(r.key);
  }
  return inserted;
}

export async function findItemByKey(db: Db, key: string): Promise<OutboxItemRecord | undefined> {
  const row = await db.selectFrom('outbox_item').selectAll().where('key', '=', key).executeTakeFirst();
  return row ? toItemRecord(row) : undefined;
}

export async function findItemsByKeys(db: Db, keys: readonly string[]): Promise<OutboxItemRecord[]> {
  const out: OutboxItemRecord[] = [];
  for (const part of chunks([...new Set(keys)])) out.push(...(await db.selectFrom('outbox_item').selectAll().where('key', 'in', part).execute()).map(toItemRecord));
  return out;
}

/** Items held for a chat's next card (every chat), up to a date. */
export async function listHeldItems(db: Db, untilDate: string): Promise<OutboxItemRecord[]> {
  const rows = await db.selectFrom('outbox_item').selectAll().where('status', '=', 'pending').where('chat_id', '!=', '').where('date', '<=', untilDate).orderBy('due_at').orderBy('id').execute();
  return rows.map(toItemRecord);
}

export interface OutboxItemFilter {
  status?: OutboxItemStatus | undefined;
  chatId?: string | undefined;
  outboxId?: number | undefined;
  /** Only items of dates in [fromDate, toDate]. */
  fromDate?: string | undefined;
  toDate?: string | undefined;
}

export async function listOutboxItems(db: Db, filter: OutboxItemFilter = {}): Promise<OutboxItemRecord[]> {
  let q = db.selectFrom('outbox_item').selectAll();
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  if (filter.chatId !== undefined) q = q.where('chat_id', '=', filter.chatId);
  if (filter.outboxId !== undefined) q = q.where('outbox_id', '=', filter.outboxId);
  if (filter.fromDate !== undefined) q = q.where('date', '>=', filter.fromDate);
  if (filter.toDate !== undefined) q = q.where('date', '<=', filter.toDate);
  return (await q.orderBy('due_at').orderBy('id').execute()).map(toItemRecord);
}

export interface CardRecording {
  card: NewOutbox;
  /** Items seen for the first time, carried by this card. */
  fresh: readonly NewOutboxItem[];
  /** Held items (by id) this card now carries. */
  held: readonly number[];
  /** Items recorded as skipped at the same time (seen first now, or held until now), with their reasons. */
  skipped: readonly NewOutboxItem[];
  skippedHeld: ReadonlyArray<{ id: number; reason: string }>;
}

/** One statement of a transaction written once for both engines: its changed rows and first row back. */
type Step = Generator<CompiledQuery, number, { changes: number; row: { id: number } | undefined }>;

/**
 * Records a card and the items it carries in one transaction: the card by its key
 * (insert-or-ignore), then each item marked carried by it. Returns the card's id, or null when
 * the card was already recorded (another pass or process composed it) or one of its items was
 * carried or skipped meanwhile — then nothing is written and the next pass composes again.
 * An item another process has just held (pending) is taken over. On SQLite one synchronous
 * transaction (BEGIN IMMEDIATE): it never waits on a lock across an await. On PostgreSQL a
 * transaction whose conditional updates wait for (and then see) a replica's concurrent one.
 */
export async function recordCard(db: Db, r: CardRecording): Promise<number | null> {
  const lost = new Error('card lost a race');
  function* steps(): Step {
    const card = (yield db.insertInto('outbox').values(r.card).onConflict((oc) => oc.column('key').doNothing()).returning('id').compile()).row;
    if (!card) throw lost;
    for (const i of r.fresh) {
      const row = { ...i, status: 'carried' as const, outbox_id: card.id };
      if ((yield db.insertInto('outbox_item').values(row).onConflict((oc) => oc.column('key').doNothing()).compile()).changes === 1) continue;
      // Held by another process a moment ago: taken over; carried or skipped already: the race is lost.
      if ((yield db.updateTable('outbox_item').set({ status: 'carried', outbox_id: card.id }).where('key', '=', i.key).where('status', '=', 'pending').compile()).changes !== 1) throw lost;
    }
    for (const id of r.held) {
      if ((yield db.updateTable('outbox_item').set({ status: 'carried', outbox_id: card.id }).where('id', '=', id).where('status', '=', 'pending').compile()).changes !== 1) throw lost;
    }
    for (const i of r.skipped) yield db.insertInto('outbox_item').values({ ...i, status: 'skipped' }).onConflict((oc) => oc.column('key').doNothing()).compile();
    for (const s of r.skippedHeld) yield db.updateTable('outbox_item').set({ status: 'skipped', reason: s.reason }).where('id', '=', s.id).where('status', '=', 'pending').compile();
    return card.id;
  }
  try {
    if (dialectOf(db) === 'postgres') {
      return await db.transaction().execute(async (trx) => {
        const it = steps();
        let next = it.next();
        while (!next.done) {
          const result = await trx.executeQuery<{ id: number }>(next.value);
          next = it.next({ changes: Number(result.numAffectedRows ?? 0n), row: result.rows[0] });
        }
        return next.value;
      });
    }
    const sqlite = sqliteOf(db);
    const tx = sqlite.transaction((): number => {
      const it = steps();
      let next = it.next();
      while (!next.done) {
        const stmt = sqlite.prepare(next.value.sql);
        const params = next.value.parameters as unknown[];
        if (stmt.reader) {
          const row = stmt.get(...params) as { id: number } | undefined;
          next = it.next({ changes: row ? 1 : 0, row });
        } else next = it.next({ changes: stmt.run(...params).changes, row: undefined });
      }
      return next.value;
    });
    return tx.immediate();
  } catch (err) {
    if (err === lost) return null;
    throw err;
  }
}

/** Marks held items skipped with the reason (only those still held). */
export async function skipHeldItems(db: Db, ids: readonly number[], reason: string): Promise<number> {
  let n = 0;
  for (const part of chunks(ids)) {
    const r = await db.updateTable('outbox_item').set({ status: 'skipped', reason }).where('id', 'in', part).where('status', '=', 'pending').executeTakeFirst();
    n += Number(r.numUpdatedRows);
  }
  return n;
}
