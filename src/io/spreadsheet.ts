/**
 * Reads the office's spreadsheets (CSV or .xlsx) into rows keyed by canonical column names.
 * Column headers may be English or Chinese aliases. Row numbers are the sheet's own
 * (header = row 1), so error messages point at the line the office sees.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import type ExcelJS from 'exceljs';
import { UserError } from '../errors.js';

export interface ColumnSpec {
  key: string;
  aliases: readonly string[];
  required: boolean;
}

export interface SheetRow {
  rowNumber: number;
  values: Record<string, string>;
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') {
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    if ('result' in value && value.result !== undefined) return cellText(value.result as ExcelJS.CellValue);
    if ('richText' in value) return value.richText.map((r) => r.text).join('');
    if ('text' in value) return String(value.text);
    return '';
  }
  return String(value);
}

async function readRawRows(file: string): Promise<string[][]> {
  const ext = extname(file).toLowerCase();
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (err) {
    throw new UserError('bad_argument', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, '--file');
  }
  if (ext === '.xlsx') {
    // exceljs is large: load it only for .xlsx files (keeps CLI start-up fast).
    const { default: Excel } = await import('exceljs');
    const workbook = new Excel.Workbook();
    try {
      await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
    } catch {
      throw new UserError('bad_argument', `${file} is not a readable .xlsx workbook`, '--file');
    }
    const sheet = workbook.worksheets[0];
    if (!sheet) throw new UserError('bad_argument', `${file} has no worksheet`, '--file');
    const rows: string[][] = [];
    sheet.eachRow({ includeEmpty: true }, (row, rowNumber) => {
      const cells: string[] = [];
      for (let c = 1; c <= sheet.columnCount; c++) cells.push(cellText(row.getCell(c).value).trim());
      rows[rowNumber - 1] = cells;
    });
    return Array.from(rows, (r) => r ?? []);
  }
  if (ext === '.csv' || ext === '.txt' || ext === '') {
    const text = buffer.toString('utf8').replace(/^\uFEFF/, '');
    try {
      return parse(text, { relax_column_count: true, skip_empty_lines: false, trim: true }) as string[][];
    } catch (err) {
      throw new UserError('bad_argument', `${file} is not valid CSV: ${(err as Error).message}`, '--file');
    }
  }
  throw new UserError('bad_argument', `${file}: expected a .csv or .xlsx file`, '--file');
}

/** Reads the sheet, maps headers to column keys, and drops blank rows. */
export async function readSheet(file: string, columns: readonly ColumnSpec[]): Promise<SheetRow[]> {
  const raw = await readRawRows(file);
  const header = raw[0];
  if (!header || header.every((h) => h === '')) throw new UserError('bad_argument', `${file} has no header row`, '--file');
  const index = new Map<string, number>();
  header.forEach((h, i) => {
    const name = h.trim().toLowerCase();
    const col = columns.find((c) => c.key === name || c.aliases.some((a) => a.toLowerCase() === name));
    if (col && !index.has(col.key)) index.set(col.key, i);
  });
  for (const col of columns) {
    if (col.required && !index.has(col.key)) {
      throw new UserError('bad_argument', `${file}: missing column "${col.key}" (or ${col.aliases.join(' / ')})`, '--file');
    }
  }
  const rows: SheetRow[] = [];
  raw.slice(1).forEach((cells, i) => {
    if (cells.every((c) => c.trim() === '')) return;
    const values: Record<string, string> = {};
    for (const [key, at] of index) values[key] = (cells[at] ?? '').trim();
    rows.push({ rowNumber: i + 2, values });
  });
  return rows;
}
