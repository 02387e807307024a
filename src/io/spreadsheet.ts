/**
 * Reads the office's spreadsheets into rows keyed by canonical column names. The header row is
 * found by its column names (English or Chinese aliases) below any title rows, on every visible
 * sheet that has one (instruction sheets such as 「填表说明」 have none and are skipped).
 * Row numbers are the ones Excel shows, so messages point at the row the office sees.
 */
import { UserError } from '../errors.js';
import { fileLabel } from './import-file.js';
import { readTable, type Table, type TableFormat, type TableRow, type TableSheet, type TextEncoding } from './table.js';
import type { RowRef } from './row-errors.js';

export interface ColumnSpec {
  key: string;
  /** Header texts accepted for this column (compared after normalizeHeader). */
  aliases: readonly string[];
  required: boolean;
}

export interface SheetRow extends RowRef {
  values: Record<string, string>;
}

export interface SheetData {
  file: string;
  format: TableFormat;
  encoding: TextEncoding | null;
  /** Names of the sheets the rows came from (null entries for CSV). */
  sheets: Array<string | null>;
  /** Column key → the header text as the sheet writes it (first data sheet). */
  labels: Record<string, string>;
  rows: SheetRow[];
}

/** How far down a sheet the header row may be (titles, dates and notes above it). */
const HEADER_SEARCH_ROWS = 20;

/**
 * Header text made comparable: full-width forms folded (NFKC), case and spaces ignored,
 * required-markers (*) and bracketed remarks such as （必填） or (11位) dropped.
 */
export function normalizeHeader(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[([【［][^)\]】］]*[)\]】］]/g, '')
    .replace(/[\s*＊:：]/g, '');
}

/** Spreadsheet column letter of a 0-based index: 0 → A, 26 → AA. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** Where a row is, in words: 「第 3 行」 or 「工作表「社区」第 3 行」. */
export function sheetPrefix(sheet: string | null): string {
  return sheet === null ? '' : `工作表「${sheet}」`;
}

function refuse(message: string): UserError {
  return new UserError('bad_argument', message, '--file');
}

/**
 * Columns of a header row mapped to specs. `duplicate` describes a column given twice (a row
 * like that is not taken as the header: it may be a merged group heading above the real one).
 */
export function mapHeader(sheet: string | null, header: TableRow, columns: readonly ColumnSpec[]): { index: Map<string, number>; duplicate?: string } {
  const index = new Map<string, number>();
  let duplicate: string | undefined;
  header.cells.forEach((text, i) => {
    const name = normalizeHeader(text);
    if (name === '') return;
    const col = columns.find((c) => normalizeHeader(c.key) === name || c.aliases.some((a) => normalizeHeader(a) === name));
    if (!col) return;
    const prior = index.get(col.key);
    if (prior !== undefined) {
      duplicate ??= `${sheetPrefix(sheet)}第 ${header.row} 行的表头有两列都表示「${col.aliases[0] ?? col.key}」（${columnLetter(prior)} 列「${header.cells[prior]}」和 ${columnLetter(i)} 列「${text}」），请删去或改名其中一列`;
      return;
    }
    index.set(col.key, i);
  });
  return duplicate === undefined ? { index } : { index, duplicate };
}

export interface HeaderMatch<T> {
  sheet: TableSheet;
  /** The header row. */
  header: TableRow;
  /** Rows below the header. */
  body: TableRow[];
  match: T;
}

/**
 * On every sheet, the first row among the first HEADER_SEARCH_ROWS for which `accept` returns a
 * match. Sheets without one (instructions, notes) are skipped; none at all → a message built by
 * `describeMissing` from the closest row seen.
 */
export function locateHeaders<T>(
  table: Table,
  accept: (row: TableRow, sheet: TableSheet) => T | undefined,
  describeMissing: () => string,
): Array<HeaderMatch<T>> {
  const found: Array<HeaderMatch<T>> = [];
  for (const sheet of table.sheets) {
    for (let i = 0; i < sheet.rows.length; i++) {
      const row = sheet.rows[i]!;
      if (row.row > HEADER_SEARCH_ROWS && i >= HEADER_SEARCH_ROWS) break;
      const match = accept(row, sheet);
      if (match !== undefined) {
        found.push({ sheet, header: row, body: sheet.rows.slice(i + 1), match });
        break;
      }
    }
  }
  if (found.length === 0) {
    const where = table.format === 'xlsx' ? `（查看了工作表：${table.sheets.map((s) => `「${s.name}」`).join('、')}）` : '';
    throw refuse(`在 ${fileLabel(table.file)} 中找不到表头${where}：${describeMissing()}`);
  }
  return found;
}

function aliasList(col: ColumnSpec): string {
  return col.aliases.map((a) => `「${a}」`).join('或');
}

/** Reads the sheet(s), maps headers to column keys, and drops rows whose mapped cells are all blank. */
export async function readSheet(file: string, columns: readonly ColumnSpec[]): Promise<SheetData> {
  return sheetRows(await readTable(file), columns);
}

/** readSheet over an already read Table. */
function sheetRows(table: Table, columns: readonly ColumnSpec[]): SheetData {
  const required = columns.filter((c) => c.required);
  // The closest miss, to say which column is missing (or doubled) rather than "no header".
  let best: { found: number; message: string } | undefined;
  const located = locateHeaders(
    table,
    (row, sheet) => {
      const { index, duplicate } = mapHeader(sheet.name, row, columns);
      const missing = required.filter((c) => !index.has(c.key));
      if (missing.length === 0 && duplicate === undefined) return index;
      const message = missing.length === 0 ? duplicate! : `${sheetPrefix(sheet.name)}第 ${row.row} 行像是表头，但缺少 ${missing.map(aliasList).join('、')} 列`;
      // A complete header with a doubled column beats any incomplete one.
      const found = missing.length === 0 ? Number.MAX_SAFE_INTEGER : index.size;
      if (index.size > 0 && (!best || found > best.found)) best = { found, message };
      return undefined;
    },
    () => best?.message ?? `需要一行表头，包含 ${required.map(aliasList).join('、')} 列`,
  );
  const multiSheet = table.sheets.length > 1;
  const rows: SheetRow[] = [];
  const labels: Record<string, string> = {};
  for (const { sheet, header, body, match: index } of located) {
    for (const [key, at] of index) labels[key] ??= header.cells[at] ?? key;
    for (const r of body) {
      const values: Record<string, string> = {};
      let blank = true;
      for (const [key, at] of index) {
        const v = r.cells[at] ?? '';
        values[key] = v;
        if (v !== '') blank = false;
      }
      // A row with only a 序号 or other unmapped cells filled is an unused template row.
      if (!blank) rows.push({ sheet: multiSheet ? sheet.name : null, row: r.row, values });
    }
  }
  return { file: table.file, format: table.format, encoding: table.encoding, sheets: located.map((l) => l.sheet.name), labels, rows };
}
