/**
 * What every workbook shares: exceljs loaded lazily (it is large; the CLI starts without it),
 * valid and unique sheet names, the header and tone styles (grade and traffic-light colours),
 * column widths that fit Chinese text, frozen headers, and `addTableSheet`, the generic
 * one-header-row sheet that most exports (the 年度通报 among them) are made of.
 *
 * Cells hold numbers as numbers and dates as dates, so that the office can sort, filter and sum.
 */
import type ExcelJS from 'exceljs';
import { GRADE_TEMPLATE } from '../cards/labels.js';
import type { Grade } from '../plan/schema.js';
import { displayWidth } from '../cards/text-width.js';

export type Workbook = ExcelJS.Workbook;
export type Worksheet = ExcelJS.Worksheet;
export type CellValue = string | number | Date | null;

/** A new workbook (exceljs imported on first use). `at` is stamped as its creation time. */
export async function newWorkbook(title: string, at: Date): Promise<Workbook> {
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  wb.creator = '党建助手';
  wb.title = title;
  wb.created = at;
  wb.modified = at;
  return wb;
}

/** The .xlsx bytes (shared strings, styles: what Excel and WPS open without a repair prompt). */
export async function workbookBytes(wb: Workbook): Promise<Buffer> {
  const data = await wb.xlsx.writeBuffer({ useSharedStrings: true, useStyles: true });
  return Buffer.from(data as ArrayBuffer);
}

// ---------------------------------------------------------------- text

/**
 * Characters XML 1.0 forbids: one in a cell makes Excel "repair" the file. exceljs drops control
 * characters itself but writes U+FFFE, U+FFFF and lone surrogates as they are.
 */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text as a cell may hold it (notes and reasons typed in chat may carry control characters). */
function cellText(text: string): string {
  return text.replace(NOT_XML, '');
}

/** A value as a cell may hold it: text cleaned, '' as an empty cell. */
export function cellValue(value: CellValue): CellValue {
  if (typeof value !== 'string') return value;
  const clean = cellText(value);
  return clean === '' ? null : clean;
}

// ---------------------------------------------------------------- sheet names

/** Excel's own rule: at most 31 characters, none of []:*?/\, not starting or ending with an apostrophe. */
const MAX_SHEET_NAME = 31;

/**
 * Hands out sheet names that Excel accepts: forbidden characters replaced, cut to 31 characters,
 * and made unique (case-insensitively, as Excel compares them) with 「(2)」, 「(3)」 ….
 */
export class SheetNames {
  private readonly used = new Set<string>();

  take(wanted: string): string {
    let base = cellText(wanted).replace(/[[\]:*?/\\]/g, '_').replace(/^'+|'+$/g, '').trim();
    if (base === '' || base.toLowerCase() === 'history') base = `Sheet${this.used.size + 1}`;
    base = [...base].slice(0, MAX_SHEET_NAME).join('');
    let name = base;
    for (let n = 2; this.used.has(name.toLowerCase()); n++) {
      const suffix = `(${n})`;
      name = [...base].slice(0, MAX_SHEET_NAME - suffix.length).join('') + suffix;
    }
    this.used.add(name.toLowerCase());
    return name;
  }
}

// ---------------------------------------------------------------- styles

/** Cell colours: fill and font of Excel's own 「好 / 中性 / 差」 styles, plus blue and grey. */
export type Tone = 'green' | 'blue' | 'red' | 'yellow' | 'grey';

const TONES: Record<Tone, { fill: string; font: string }> = {
  green: { fill: 'FFC6EFCE', font: 'FF006100' },
  blue: { fill: 'FFDDEBF7', font: 'FF1F4E79' },
  red: { fill: 'FFFFC7CE', font: 'FF9C0006' },
  yellow: { fill: 'FFFFEB9C', font: 'FF9C5700' },
  grey: { fill: 'FFEDEDED', font: 'FF595959' },
};

/** A grade's cell colour: the grade colour of src/cards/labels.ts (示范型 green, 标准型 blue, 未达标 red). */
export const GRADE_TONE: Record<Grade, Tone> = GRADE_TEMPLATE;

export function applyTone(cell: ExcelJS.Cell, tone: Tone): void {
  cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: TONES[tone].fill } };
  cell.font = { ...(cell.font ?? {}), color: { argb: TONES[tone].font } };
}

const THIN = { style: 'thin' as const, color: { argb: 'FFBFBFBF' } };

/** Bold, grey, bordered, centred and wrapped: the header rows 1..`rows`. */
export function styleHeaderRows(ws: Worksheet, rows: number, columns: number): void {
  for (let r = 1; r <= rows; r++) {
    const row = ws.getRow(r);
    for (let c = 1; c <= columns; c++) {
      const cell = row.getCell(c);
      cell.font = { bold: true };
      cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F2F2' } };
      cell.border = { top: THIN, left: THIN, bottom: THIN, right: THIN };
      cell.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
    }
  }
}

/** Header rows and the first `columns` columns stay in view while scrolling. */
export function freezePanes(ws: Worksheet, rows: number, columns = 0): void {
  ws.views = [{ state: 'frozen', xSplit: columns, ySplit: rows, topLeftCell: ws.getCell(rows + 1, columns + 1).address, activeCell: ws.getCell(rows + 1, columns + 1).address }];
}

/** Text of a value as Excel shows it, for width measurement. */
function shownText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return '2026-01-01 00:00';
  if (typeof value === 'object' && 'richText' in (value as object)) return (value as { richText: Array<{ text: string }> }).richText.map((t) => t.text).join('');
  return String(value);
}

/**
 * Sets each column's width to its widest cell (Chinese characters count double), within
 * [min, max] Excel character units; `skipRows` header rows that wrap are not measured.
 */
export function fitColumns(ws: Worksheet, options: { min?: number; max?: number; skipRows?: number; only?: readonly number[] } = {}): void {
  const min = options.min ?? 6;
  const max = options.max ?? 50;
  const widths = new Map<number, number>();
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    if (rowNumber <= (options.skipRows ?? 0)) return;
    row.eachCell({ includeEmpty: false }, (cell, col) => {
      if (options.only && !options.only.includes(col)) return;
      const longest = Math.max(0, ...shownText(cell.value).split('\n').map(displayWidth));
      widths.set(col, Math.max(widths.get(col) ?? 0, longest));
    });
  });
  for (const [col, width] of widths) ws.getColumn(col).width = Math.min(max, Math.max(min, width + 2));
}

// ---------------------------------------------------------------- the generic table sheet

export type ColumnFormat = 'text' | 'number' | 'points' | 'change' | 'pointsChange' | 'date' | 'datetime' | 'wrap';

export interface TableColumn<R> {
  header: string;
  value: (row: R) => CellValue;
  /**
   * number: integers; points: 87.5; change: +2 / -1 / 0; pointsChange: +2.5 / -4.0 / 0;
   * date: yyyy-mm-dd; datetime: yyyy-mm-dd hh:mm; wrap: long text, fixed width.
   */
  format?: ColumnFormat;
  /** Colours the cell (a grade, a traffic light …). */
  tone?: (row: R) => Tone | null;
}

export interface TableSheetSpec<R> {
  name: string;
  columns: ReadonlyArray<TableColumn<R>>;
  rows: readonly R[];
  /** Columns kept in view when scrolling right (default 0). */
  freezeColumns?: number;
}

// points keep Excel's General format: 87.5 and 90, never 90.0.
const NUM_FORMATS: Partial<Record<ColumnFormat, string>> = { number: '0', change: '+0;-0;0', pointsChange: '+0.0;-0.0;0', date: 'yyyy-mm-dd', datetime: 'yyyy-mm-dd hh:mm' };
const WRAP_WIDTH = 40;

/** Writes values into a row's cells with their column's number format, alignment and tone. */
function writeCells<R>(ws: Worksheet, rowNumber: number, columns: ReadonlyArray<TableColumn<R>>, row: R): void {
  const r = ws.getRow(rowNumber);
  columns.forEach((c, i) => {
    const cell = r.getCell(i + 1);
    cell.value = cellValue(c.value(row));
    const numFmt = NUM_FORMATS[c.format ?? 'text'];
    if (numFmt) cell.numFmt = numFmt;
    cell.alignment = { vertical: 'top', wrapText: c.format === 'wrap' };
    const tone = c.tone?.(row);
    if (tone) applyTone(cell, tone);
  });
}

/**
 * One sheet: a bold frozen header row, one row per item, widths fitted to Chinese text (long
 * text columns wrap at a fixed width), an auto-filter over the table.
 */
export function addTableSheet<R>(wb: Workbook, names: SheetNames, spec: TableSheetSpec<R>): Worksheet {
  const ws = wb.addWorksheet(names.take(spec.name));
  ws.getRow(1).values = spec.columns.map((c) => cellText(c.header));
  styleHeaderRows(ws, 1, spec.columns.length);
  spec.rows.forEach((row, i) => writeCells(ws, i + 2, spec.columns, row));
  freezePanes(ws, 1, spec.freezeColumns ?? 0);
  fitColumns(ws, { only: spec.columns.flatMap((c, i) => (c.format === 'wrap' ? [] : [i + 1])) });
  spec.columns.forEach((c, i) => {
    if (c.format === 'wrap') ws.getColumn(i + 1).width = WRAP_WIDTH;
  });
  if (spec.rows.length > 0) ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1 + spec.rows.length, column: spec.columns.length } };
  return ws;
}

/** A local wall-clock time ('2026-03-10T10:00:00+08:00') as the Date whose UTC fields show it: Excel has no time zones. */
export function localDateTimeCell(iso: string | null): Date | null {
  if (iso === null) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(iso);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0))) : null;
}

/** A calendar date ('2026-03-31') as a date cell. */
export function dateCell(date: string | null): Date | null {
  if (date === null) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
}
