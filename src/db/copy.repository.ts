/**
 * Generic table access for `dangjian db copy` (issue 17): every table of the schema read page by
 * page in primary-key order and written back with its keys, on either engine. The services know
 * nothing of the tables' columns; the list below is the one place naming them for the copy.
 */
import { sql, type RawBuilder } from 'kysely';
import { dialectOf, type Db } from './database.js';
import type { Database, Transaction } from './schema.js';

export type TableName = keyof Database;

export interface CopyTable {
  /** Primary-key columns: the order rows are read in (and checksummed in). */
  key: readonly string[];
  /** The key is text: compared byte by byte on both engines (COLLATE "C" on PostgreSQL). */
  textKey?: true;
  /** A generated integer id: on PostgreSQL its identity sequence is moved past the copied ids. */
  identity?: true;
  /** A column referencing the table itself: rows are written parents first. */
  selfReference?: string;
  /** Runtime state, not the street's data: left out of the copy. */
  transient?: true;
}

const ID = { key: ['id'], identity: true } as const;

/**
 * Every table of src/db/schema.ts's Database, in the order they are copied: a table comes after
 * every table it references (test/cli/db-copy.test.ts checks this against the migrated schema's
 * foreign keys, and that no table is missing). The Record type makes a table added to the
 * Database interface but not here a compile error.
 */
const COPY_TABLES: Record<TableName, CopyTable> = {
  setting: { key: ['key'], textKey: true },
  unit: { ...ID, selfReference: 'parent_id' },
  member: ID,
  chat: { key: ['chat_id'], textKey: true },
  assessment_round: ID,
  assessment_round_event: ID,
  assessment_round_grade: { key: ['round_id', 'unit_id'] },
  round_candidate: { key: ['round_id', 'unit_id'] },
  score_entry: ID,
  veto: ID,
  task: ID,
  task_completion: ID,
  outbox: ID,
  outbox_item: ID,
  target_override: ID,
  self_check: ID,
  self_check_entry: ID,
  unit_item: ID,
  unit_item_completion: ID,
  application: ID,
  application_event: ID,
  rectification_item: ID,
  rectification_completion: ID,
  processed_event: { key: ['event_id'], textKey: true },
  inbox: ID,
  audit_log: ID,
  // The shared Lark quota's in-flight state (PostgreSQL only, an array column): not data of the
  // street, and stale within a minute. Not copied.
  rate_bucket: { key: ['key'], textKey: true, transient: true },
  // The unit table's change counter: the target's own (its triggers count the copied units).
  unit_version: { key: ['id'], transient: true },
};

export const copyTables = (): Array<{ table: TableName } & CopyTable> =>
  (Object.entries(COPY_TABLES) as Array<[TableName, CopyTable]>).filter(([, spec]) => spec.transient !== true).map(([table, spec]) => ({ table, ...spec }));

/** Tables of the schema the copy leaves out (runtime state). */
export const transientTables = (): TableName[] => (Object.entries(COPY_TABLES) as Array<[TableName, CopyTable]>).filter(([, spec]) => spec.transient === true).map(([table]) => table);

export type Row = Record<string, unknown>;

/** A key column in the ORDER BY / keyset comparison: byte order for text on both engines. */
function keyRef(db: Db, spec: CopyTable, column: string): RawBuilder<unknown> {
  return spec.textKey && dialectOf(db) === 'postgres' ? sql`${sql.ref(column)} collate "C"` : sql`${sql.ref(column)}`;
}

/**
 * One page of a table in key order: the rows after `after` (the last row of the previous page;
 * undefined for the first page). A composite key pages by offset (those tables are small).
 */
export async function readPage(db: Db, table: TableName, spec: CopyTable, after: { row: Row; offset: number } | undefined, limit: number): Promise<Row[]> {
  const order = sql.join(spec.key.map((c) => keyRef(db, spec, c)));
  const single = spec.key.length === 1;
  const where = single && after ? sql`where ${keyRef(db, spec, spec.key[0]!)} > ${after.row[spec.key[0]!]}` : sql``;
  const offset = !single && after ? sql`offset ${after.offset}` : sql``;
  const r = await sql<Row>`select * from ${sql.table(table)} ${where} order by ${order} limit ${limit} ${offset}`.execute(db);
  return r.rows;
}

/** Inserts rows with every column as read (ids included). */
export async function insertRows(trx: Transaction, table: TableName, rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  await trx.insertInto(table).values(rows as never).execute();
}

export async function countRows(db: Db, table: TableName): Promise<number> {
  const r = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** Whether a table holds a row; a table that does not exist (an older schema) holds none. */
export async function tableHasRows(db: Db, table: TableName): Promise<boolean> {
  try {
    const r = await sql`select 1 as x from ${sql.table(table)} limit 1`.execute(db);
    return r.rows.length > 0;
  } catch {
    return false;
  }
}

/** PostgreSQL: the table's identity sequence continues after its largest id (an empty table keeps it). */
export async function moveIdentityPast(trx: Transaction, table: TableName): Promise<void> {
  if (dialectOf(trx) !== 'postgres') return; // SQLite's AUTOINCREMENT follows the inserted ids itself
  await sql`select setval(pg_get_serial_sequence(${table}, 'id'), max(id)) from ${sql.table(table)} having max(id) is not null`.execute(trx);
}

/**
 * PostgreSQL: the planner's statistics of the copied tables, gathered at once. Until autovacuum
 * gets to a table its rows are unknown to the planner, and a street's first commands after the
 * move were planned blind (a unit tree walk took 4 ms instead of 0.3). SQLite: nothing (the
 * service plans without sqlite_stat1, as on every file it makes itself).
 */
export async function gatherStatistics(db: Db, tables: readonly TableName[]): Promise<void> {
  if (dialectOf(db) !== 'postgres' || tables.length === 0) return;
  await sql`analyze ${sql.join(tables.map((t) => sql.table(t)))}`.execute(db);
}
