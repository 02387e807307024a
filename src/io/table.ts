/**
 * A spreadsheet file as a grid of trimmed strings, whatever its format: CSV or tab-separated
 * text in UTF-8 (BOM or not), GB18030/GBK (Excel on Chinese Windows) or UTF-16 (Excel's
 * 「Unicode 文本」), or an .xlsx workbook (every visible sheet; merged cells carry their value
 * into every cell they cover, formulas give their result, dates read as YYYY-MM-DD).
 * Row numbers are the ones Excel shows. exceljs and csv-parse load only when needed.
 */
import type ExcelJS from 'exceljs';
import { UserError } from '../errors.js';
import { classifyImportFile, fileLabel, MAX_IMPORT_ROWS, readImportFile } from './import-file.js';

export type TableFormat = 'csv' | 'tsv' | 'xlsx';
export type TextEncoding = 'utf-8' | 'gb18030' | 'utf-16le' | 'utf-16be';

export interface TableRow {
  /** The row number Excel shows (CSV: the record's position, blank lines counted). */
  row: number;
  /** Cell texts, trimmed; index 0 is column A. */
  cells: string[];
  /** For .xlsx: which cells held a number (Excel may have turned a typed 6.10 into 6.1). */
  numeric?: boolean[];
}

export interface TableSheet {
  /** Worksheet name; null for CSV. */
  name: string | null;
  /** Non-blank rows only, in order. */
  rows: TableRow[];
}

export interface Table {
  file: string;
  format: TableFormat;
  /** The text encoding detected (null for .xlsx). */
  encoding: TextEncoding | null;
  /** CSV: one sheet. .xlsx: the visible worksheets in workbook order. */
  sheets: TableSheet[];
}

function refuse(message: string): UserError {
  return new UserError('bad_argument', message, '--file');
}

function tooManyRows(file: string): UserError {
  return refuse(`${fileLabel(file)} 超过 ${MAX_IMPORT_ROWS} 行的导入上限，没有导入。请删去无关的行或工作表，或拆成几个文件分别导入。`);
}

/** Reads an import file (size-capped) into a Table. Throws UserError with a Chinese message. */
export async function readTable(file: string): Promise<Table> {
  const buf = await readImportFile(file);
  const kind = classifyImportFile(file, buf);
  if (kind === 'xlsx') return { file, format: 'xlsx', encoding: null, sheets: await readWorkbook(file, buf) };
  const { text, encoding } = decodeText(file, buf);
  const delimiter = sniffDelimiter(file, text);
  return { file, format: delimiter === '\t' ? 'tsv' : 'csv', encoding, sheets: [{ name: null, rows: await parseDelimited(file, text, delimiter) }] };
}

/** Strict UTF-8 first (with or without BOM), then GB18030 (a superset of GBK); UTF-16 by its BOM. */
function decodeText(file: string, buf: Buffer): { text: string; encoding: TextEncoding } {
  if (buf[0] === 0xff && buf[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(buf.subarray(2)), encoding: 'utf-16le' };
  if (buf[0] === 0xfe && buf[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(buf.subarray(2)), encoding: 'utf-16be' };
  try {
    // ignoreBOM: false (the default) drops a leading BOM.
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf), encoding: 'utf-8' };
  } catch {
    // not UTF-8: try the Chinese Windows code page next
  }
  try {
    return { text: new TextDecoder('gb18030', { fatal: true }).decode(buf), encoding: 'gb18030' };
  } catch {
    throw refuse(`无法识别 ${fileLabel(file)} 的文字编码（既不是 UTF-8 也不是 GBK）。请在 Excel 中「另存为」选择「CSV UTF-8（逗号分隔）（*.csv）」后再导入。`);
  }
}

/** Tab if the first lines hold more tabs than commas (Excel's 「文本文件（制表符分隔）」), else comma. */
function sniffDelimiter(file: string, text: string): ',' | '\t' {
  if (file.toLowerCase().endsWith('.tsv')) return '\t';
  const sample = text.slice(0, 16_384).split(/\r\n|\n|\r/).slice(0, 30).join('\n');
  const tabs = sample.split('\t').length - 1;
  const commas = sample.split(',').length - 1;
  return tabs > 0 && tabs >= commas ? '\t' : ',';
}

async function parseDelimited(file: string, text: string, delimiter: ',' | '\t'): Promise<TableRow[]> {
  const { parse } = await import('csv-parse/sync');
  const rows: TableRow[] = [];
  let recordNumber = 0;
  try {
    parse(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      // Keep only non-blank records (with their Excel row number); never build the whole array.
      on_record: (record: string[]) => {
        recordNumber += 1;
        const cells = record.map((c) => c.trim());
        if (cells.every((c) => c === '')) return null;
        if (rows.length >= MAX_IMPORT_ROWS) throw tooManyRows(file);
        rows.push({ row: recordNumber, cells });
        return null;
      },
    });
  } catch (err) {
    if (err instanceof UserError) throw err;
    const { lines, code } = err as { lines?: number; code?: string };
    const why = code === 'CSV_QUOTE_NOT_CLOSED' ? '有一个引号（"）没有配对' : '格式有误';
    throw refuse(`${fileLabel(file)} 不是有效的 CSV 文件${lines ? `（第 ${lines} 行附近）` : ''}：${why}。请用 Excel 打开后重新保存为 CSV，或导入 .xlsx`);
  }
  return rows;
}

async function readWorkbook(file: string, buf: Buffer): Promise<TableSheet[]> {
  // exceljs is large (about 1 s to load): only import files that are workbooks pay for it.
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  try {
    await workbook.xlsx.load(buf as unknown as ArrayBuffer);
  } catch {
    throw refuse(`无法读取 ${fileLabel(file)}：文件已损坏，或不是 Excel 工作簿。请在 Excel 中打开后重新保存为 .xlsx 再导入。`);
  }
  const sheets: TableSheet[] = [];
  let total = 0;
  for (const ws of workbook.worksheets) {
    // Hidden sheets hold lists for drop-downs (our templates do that), not data.
    if (ws.state !== 'visible' && ws.state !== undefined) continue;
    const rows: TableRow[] = [];
    ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
      const cells: string[] = [];
      const numeric: boolean[] = [];
      row.eachCell({ includeEmpty: false }, (cell, col) => {
        const { text, isNumber } = cellText(cell.value, cell.numFmt);
        cells[col - 1] = text;
        numeric[col - 1] = isNumber;
      });
      const filled = Array.from(cells, (c) => c ?? '');
      if (filled.every((c) => c === '')) return;
      if (++total > MAX_IMPORT_ROWS) throw tooManyRows(file);
      rows.push({ row: rowNumber, cells: filled, numeric: Array.from(numeric, (n) => n ?? false) });
    });
    sheets.push({ name: ws.name, rows });
  }
  if (sheets.length === 0) throw refuse(`${fileLabel(file)} 中没有可见的工作表`);
  return sheets;
}

/** A number as Excel shows it: 15 significant digits, and a fixed-decimals format (0.00) applied. */
function numberText(value: number, numFmt?: string): string {
  const fixed = numFmt ? /^0\.(0+)$/.exec(numFmt) : null;
  if (fixed) return value.toFixed(fixed[1]!.length);
  return String(Number(value.toPrecision(15)));
}

function dateText(d: Date): string {
  const iso = d.toISOString();
  // Excel dates carry no zone: exceljs gives them as UTC instants.
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** The text of a cell value: rich text joined, a formula's result, a hyperlink's text, an error code (#N/A). */
function cellText(value: ExcelJS.CellValue, numFmt?: string): { text: string; isNumber: boolean } {
  if (value === null || value === undefined) return { text: '', isNumber: false };
  if (typeof value === 'number') return { text: numberText(value, numFmt), isNumber: true };
  if (typeof value === 'string') return { text: value.trim(), isNumber: false };
  if (typeof value === 'boolean') return { text: value ? 'TRUE' : 'FALSE', isNumber: false };
  if (value instanceof Date) return { text: dateText(value), isNumber: false };
  if ('richText' in value) return { text: value.richText.map((r) => r.text).join('').trim(), isNumber: false };
  if ('error' in value) return { text: String(value.error), isNumber: false };
  if ('formula' in value || 'sharedFormula' in value) {
    const result = (value as { result?: unknown }).result;
    if (result === undefined || result === null) return { text: '', isNumber: false };
    if (typeof result === 'object' && !(result instanceof Date) && 'error' in (result as object)) return { text: String((result as { error: unknown }).error), isNumber: false };
    return cellText(result as ExcelJS.CellValue, numFmt);
  }
  if ('text' in value) return cellText(value.text as ExcelJS.CellValue, numFmt);
  return { text: '', isNumber: false };
}
