/**
 * `dangjian db copy` (issue 17): a whole street's database copied from one engine to the other
 * (SQLite ↔ PostgreSQL, or file to file), ids kept, history kept. The target is migrated to the
 * latest schema and must hold no data; every table is copied in foreign-key order inside one
 * transaction on the target, read from one snapshot of the source, then read back and compared
 * with the source table by table (row count and a checksum computed the same way on both
 * engines). A difference rolls the whole copy back.
 */
import { createHash } from 'node:crypto';
import { dialectOf, type Db } from '../db/database.js';
import { copyTables, countRows, gatherStatistics, insertRows, moveIdentityPast, readPage, tableHasRows, type CopyTable, type Row, type TableName } from '../db/copy.repository.js';
import { migrateToLatest, pendingMigrations } from '../db/migrate.js';
import type { Transaction } from '../db/schema.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';

export interface TableCopyReport {
  table: TableName;
  sourceRows: number;
  targetRows: number;
  sourceChecksum: string;
  targetChecksum: string;
  match: boolean;
}

export interface CopyReport {
  tables: TableCopyReport[];
  total: { tables: number; rows: number; match: boolean; mismatched: TableName[] };
}

export interface CopyOptions {
  /** How the source is named in messages (a file, or a URL without its password). */
  sourceLabel: string;
  /** Rows per read and per INSERT (default 500). */
  batchSize?: number;
  /** Told when the copy stands but the target's statistics could not be gathered. */
  log?: Logger;
}

/** The copy was made but did not read back the same: rolled back; carries the report. */
export class CopyMismatch extends Error {
  constructor(readonly report: CopyReport) {
    super(`tables differ: ${report.total.mismatched.join(', ')}`);
  }
}

const ROLLED_BACK = Symbol('rolled back');

/**
 * One row as the checksum sees it, the same on both engines: columns by name, numbers as JS
 * numbers (pg's int8 and SQLite's integers alike), text as is, null as null.
 */
function normaliseRow(row: Row): string {
  const out: Record<string, unknown> = {};
  for (const column of Object.keys(row).sort()) {
    const v = row[column];
    out[column] = v === null || v === undefined ? null : typeof v === 'bigint' || typeof v === 'boolean' ? Number(v) : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v;
  }
  return JSON.stringify(out);
}

/** A table's pages in key order. */
async function* pages(db: Db, spec: { table: TableName } & CopyTable, size: number): AsyncGenerator<Row[]> {
  let after: { row: Row; offset: number } | undefined;
  for (;;) {
    const rows = await readPage(db, spec.table, spec, after, size);
    if (rows.length > 0) yield rows;
    if (rows.length < size) return;
    after = { row: rows[rows.length - 1]!, offset: (after?.offset ?? 0) + rows.length };
  }
}

/** Rows count and checksum of a table read in key order. */
async function summarise(db: Db, spec: { table: TableName } & CopyTable, size: number): Promise<{ rows: number; checksum: string }> {
  const hash = createHash('sha256');
  let rows = 0;
  for await (const page of pages(db, spec, size)) {
    for (const row of page) hash.update(`${normaliseRow(row)}\n`);
    rows += page.length;
  }
  return { rows, checksum: hash.digest('hex') };
}

/**
 * Rows of a self-referencing table ordered so that a row's parent comes before it (a unit moved
 * under a later one has a parent with a higher id).
 */
function parentsFirst(rows: Row[], column: string): Row[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: Row[] = [];
  const state = new Map<unknown, 'visiting' | 'done'>();
  const visit = (row: Row): void => {
    const s = state.get(row.id);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`cycle in ${column} at id ${String(row.id)}`);
    state.set(row.id, 'visiting');
    const parent = row[column] === null ? undefined : byId.get(row[column]);
    if (parent) visit(parent);
    state.set(row.id, 'done');
    out.push(row);
  };
  for (const row of rows) visit(row);
  return out;
}

/** Copies one table; returns what was read from the source (count and checksum). */
async function copyTable(source: Db, target: Transaction, spec: { table: TableName } & CopyTable, size: number): Promise<{ rows: number; checksum: string }> {
  const hash = createHash('sha256');
  let rows = 0;
  const held: Row[] = [];
  for await (const page of pages(source, spec, size)) {
    for (const row of page) hash.update(`${normaliseRow(row)}\n`);
    rows += page.length;
    if (spec.selfReference) held.push(...page);
    else await insertRows(target, spec.table, page);
  }
  if (spec.selfReference) {
    const ordered = parentsFirst(held, spec.selfReference);
    for (let i = 0; i < ordered.length; i += size) await insertRows(target, spec.table, ordered.slice(i, i + size));
  }
  if (spec.identity) await moveIdentityPast(target, spec.table);
  return { rows, checksum: hash.digest('hex') };
}

/** The first table of the copy list holding a row (an older schema's missing tables hold none). */
async function firstNonEmpty(db: Db): Promise<TableName | undefined> {
  for (const { table } of copyTables()) if (await tableHasRows(db, table)) return table;
  return undefined;
}

async function refuseNonEmpty(db: Db): Promise<void> {
  const table = await firstNonEmpty(db);
  if (table === undefined) return;
  const rows = await countRows(db, table);
  throw new UserError('conflict', `目标数据库不是空的：表 ${table} 已有 ${rows} 行数据。db copy 只复制到空数据库（一个新文件，或新建的 PostgreSQL 数据库），目标没有任何改动`, '--to');
}

/**
 * Copies every table of `source` into `target` (both opened by the caller; their engines may
 * differ). Throws a UserError (nothing changed) when the source is not at the latest migration or
 * the target holds data, and CopyMismatch (rolled back) when a table does not read back the same.
 */
export async function copyDatabase(source: Db, target: Db, options: CopyOptions): Promise<CopyReport> {
  const size = options.batchSize ?? 500;
  const pending = await pendingMigrations(source);
  if (pending.length > 0) {
    throw new UserError('conflict', `源数据库还有 ${pending.length} 个迁移未执行：先运行 dangjian migrate --db ${options.sourceLabel}`, '--from');
  }
  // Checked before migrating, so a refused target keeps its schema as well as its rows.
  await refuseNonEmpty(target);
  await migrateToLatest(target);

  const tables = copyTables();
  const read = source.transaction();
  let report: CopyReport | undefined;
  // One snapshot of the source (a service may be writing to it meanwhile); on PostgreSQL a
  // read-only repeatable-read transaction, on SQLite a read transaction.
  await (dialectOf(source) === 'postgres' ? read.setIsolationLevel('repeatable read').setAccessMode('read only') : read)
    .execute(async (snapshot) => {
      await target
        .transaction()
        .execute(async (trx) => {
          await refuseNonEmpty(trx);
          const results: TableCopyReport[] = [];
          for (const spec of tables) {
            const from = await copyTable(snapshot, trx, spec, size);
            const to = await summarise(trx, spec, size);
            results.push({ table: spec.table, sourceRows: from.rows, targetRows: to.rows, sourceChecksum: from.checksum, targetChecksum: to.checksum, match: from.rows === to.rows && from.checksum === to.checksum });
          }
          const mismatched = results.filter((r) => !r.match).map((r) => r.table);
          report = { tables: results, total: { tables: results.length, rows: results.reduce((n, r) => n + r.targetRows, 0), match: mismatched.length === 0, mismatched } };
          if (mismatched.length > 0) throw ROLLED_BACK;
        })
        .catch((err: unknown) => {
          if (err !== ROLLED_BACK) throw err;
        });
    });
  if (!report) throw new Error('copy produced no report');
  if (!report.total.match) throw new CopyMismatch(report);
  // The copy stands; statistics are an optimisation that autovacuum also brings, later.
  await gatherStatistics(target, tables.map((t) => t.table)).catch((err: unknown) => {
    options.log?.warn({ err }, '数据已复制并核对一致，但没能为目标库收集统计信息（ANALYZE）；PostgreSQL 的自动清理稍后会补上');
  });
  return report;
}
