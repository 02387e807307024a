/**
 * The assessors' score sheet, in either layout, told apart by its header:
 * - long: one row per entry — 单位, 指标, 分值, 年份, 备注 (or unit, item, points, year, note);
 * - wide: one row per unit — 单位, optional 年份 and 备注, then one column per sub-item, headed by
 *   its code (6.1), its name as the plan writes it (a unique beginning is enough, 「整合成员单位…」),
 *   or both (「6.1 整合成员单位…」, 「6.1（满分10分）」). An empty cell is no entry.
 *
 * Excel turns a typed 6.10 into the number 6.1. A header cell that is a number formatted with
 * fixed decimals (0.00) reads as Excel shows it; two columns resolving to the same code, or a
 * numeric 6.1 where the plan also has 6.10, are refused with a hint to type the header as text
 * or add the name. Our templates write code headers as text.
 */
import { UserError } from '../errors.js';
import type { Plan, SubItem } from '../plan/schema.js';
import { fileLabel } from './import-file.js';
import { RowErrors, type RowProblem, type RowRef } from './row-errors.js';
import { columnLetter, locateHeaders, mapHeader, normalizeHeader, sheetPrefix, type ColumnSpec } from './spreadsheet.js';
import { readTable, type Table, type TableFormat, type TableRow } from './table.js';

export const SCORE_LONG_COLUMNS = [
  { key: 'unit', aliases: ['单位', '单位名称', 'unit'], required: true },
  { key: 'item', aliases: ['指标', '指标编号', '子项', '子项编号', 'item'], required: true },
  { key: 'points', aliases: ['分值', '得分', '分数', 'points'], required: true },
  { key: 'year', aliases: ['年份', '年度', 'year'], required: false },
  { key: 'note', aliases: ['备注', 'note'], required: false },
] as const satisfies readonly ColumnSpec[];

const WIDE_FIXED_COLUMNS = SCORE_LONG_COLUMNS.filter((c) => c.key === 'unit' || c.key === 'year' || c.key === 'note');

/** Columns a wide sheet may carry besides scores (ignored): numbering, totals, grades, signatures. */
const WIDE_IGNORED_HEADERS = ['序号', '编号', '层级', '类型', '上级', '上级单位', '所属社区', '所属单位', '合计', '得分', '总分', '总计', '小计', '得分合计', '等级', '评定等级', '排名', '评分人', '打分人', '审核人', '联系人', '说明'];

export type ScoreLayout = 'long' | 'wide';

export interface ScoreSheetEntry extends RowRef {
  /** The column the points came from: the code in the wide layout, null in the long one. */
  column: string | null;
  unit: string;
  /** A sub-item code when recognised, else the text as written (the importer reports it). */
  item: string;
  points: string;
  year: string;
  note: string;
}

export interface ScoreSheet {
  file: string;
  format: TableFormat;
  /** One layout per data sheet, in order. */
  layouts: Array<{ sheet: string | null; layout: ScoreLayout }>;
  entries: ScoreSheetEntry[];
  /** Row problems found while reading (a row without a unit, a repeated unit row …). */
  problems: readonly RowProblem[];
  /** Wide layout: header cells skipped as not scores (序号, 合计 …). */
  ignoredColumns: string[];
}

/** Text compared loosely: full-width folded, spaces and punctuation (，、“”…) dropped. */
function loose(text: string): string {
  return text.normalize('NFKC').replace(/[\s\p{P}\p{S}]/gu, '');
}

function allSubItems(plan: Plan): SubItem[] {
  return plan.levels.flatMap((l) => l.indicators.flatMap((i) => i.subItems));
}

export type ItemLabelMatch = { code: string } | { error: string } | undefined;

const CODE_PREFIX = /^(\d+)\s*\.\s*(\d+)(?!\d)(.*)$/s;

/**
 * A sub-item from a header or a cell: a code, a code and (the start of) its name, or (a unique
 * start of) its name. undefined: not a sub-item label at all; { error }: looks like one but is wrong.
 */
export function matchSubItemLabel(plan: Plan, label: string, options: { numeric?: boolean } = {}): ItemLabelMatch {
  const text = label.normalize('NFKC').trim();
  const shown = label.trim();
  const items = allSubItems(plan);
  const m = CODE_PREFIX.exec(text);
  if (m) {
    const code = `${Number(m[1])}.${m[2]}`;
    const item = items.find((s) => s.code === code);
    if (!item) return { error: `方案中没有子项 ${code}` };
    if (options.numeric && items.some((s) => s.code === `${code}0`)) {
      return { error: `「${shown}」是数字，分不清是 ${code} 还是 ${code}0（Excel 会把 ${code}0 变成 ${code}）：请把该单元格设为文本格式后重新输入，或在编号后写上子项名称` };
    }
    const rest = loose(
      m[3]!
        .replace(/[（(［[【][^）)\]］】]*[）)\]］】]/g, '')
        .replace(/满分\s*\d+(\.\d+)?\s*分?/g, '')
        .replace(/\d+(\.\d+)?\s*分/g, '')
        .replace(/分值|得分|分数/g, ''),
    );
    if (rest !== '' && !loose(item.text).startsWith(rest)) return { error: `「${shown}」的编号 ${code} 与名称对不上：${code} 是「${item.text}」` };
    return { code };
  }
  const key = loose(text);
  if (key.length < 4) return undefined;
  const exact = items.filter((s) => loose(s.text) === key);
  if (exact.length === 1) return { code: exact[0]!.code };
  const starts = items.filter((s) => loose(s.text).startsWith(key));
  if (starts.length === 1) return { code: starts[0]!.code };
  if (starts.length > 1) return { error: `「${shown}」可能是 ${starts.map((s) => s.code).join('、')} 中的任何一个，请写上子项编号` };
  return undefined;
}

interface WideHeader {
  unit: number;
  year: number | undefined;
  note: number | undefined;
  items: Array<{ col: number; code: string; label: string }>;
  ignored: string[];
}

type HeaderRead = { layout: 'long'; index: Map<string, number> } | { layout: 'wide'; wide: WideHeader };

function refuse(message: string): UserError {
  return new UserError('bad_argument', message, '--file');
}

/** The wide layout's header, or undefined when the row is not one (no unit column or no sub-item column). Throws on a header that is one but is wrong. */
function readWideHeader(file: string, plan: Plan, sheet: string | null, row: TableRow): WideHeader | undefined {
  const { index } = mapHeader(sheet, row, WIDE_FIXED_COLUMNS);
  const unit = index.get('unit');
  if (unit === undefined) return undefined;
  const ignoredNames = new Set(WIDE_IGNORED_HEADERS.map(normalizeHeader));
  const items: WideHeader['items'] = [];
  const problems: string[] = [];
  const unknown: string[] = [];
  const ignored: string[] = [];
  row.cells.forEach((text, col) => {
    if (text === '' || [...index.values()].includes(col)) return;
    if (ignoredNames.has(normalizeHeader(text))) {
      ignored.push(text);
      return;
    }
    const match = matchSubItemLabel(plan, text, { numeric: row.numeric?.[col] === true });
    if (match === undefined) unknown.push(`${columnLetter(col)} 列「${text}」`);
    else if ('error' in match) problems.push(`${columnLetter(col)} 列：${match.error}`);
    else items.push({ col, code: match.code, label: text });
  });
  if (items.length === 0 && problems.length === 0) return undefined;
  const where = `${fileLabel(file)} ${sheetPrefix(sheet)}第 ${row.row} 行的表头`;
  for (const code of new Set(items.map((i) => i.code))) {
    const same = items.filter((i) => i.code === code);
    if (same.length > 1) {
      problems.push(
        `${same.map((i) => `${columnLetter(i.col)} 列「${i.label}」`).join(' 和 ')} 都是子项 ${code}（如果其中一列原本是 ${code}0，是 Excel 把它变成了数字 ${code}：请把表头单元格设为文本格式后重新输入，或在编号后写上子项名称）`,
      );
    }
  }
  if (problems.length > 0) throw refuse(`${where}有误：${problems.join('；')}`);
  if (unknown.length > 0) {
    throw refuse(`${where}中有认不出的列：${unknown.join('、')}。宽表每列应是子项编号（如 6.1）或子项名称，或者 单位、年份、备注；不是分数的列请删去或改名为「${WIDE_IGNORED_HEADERS.slice(0, 4).join('」「')}」等`);
  }
  return { unit, year: index.get('year'), note: index.get('note'), items, ignored };
}

/** Cells meaning "not filled in": empty, or a dash or slash standing for 不适用. */
const NO_ENTRY = /^[-—–/／\\]*$/;

/** Points as typed, a trailing 分 dropped (「9.5分」). */
function pointsText(text: string): string {
  return text.replace(/\s*分$/, '');
}

/** A year as typed, a trailing 年 dropped (「2026年」). */
function yearText(text: string): string {
  return text.replace(/^(\d{4})\s*年(度)?$/, '$1');
}

export async function readScoreSheet(file: string, plan: Plan): Promise<ScoreSheet> {
  return scoreSheetFromTable(await readTable(file), plan);
}

function scoreSheetFromTable(table: Table, plan: Plan): ScoreSheet {
  const located = locateHeaders<HeaderRead>(
    table,
    (row, sheet) => {
      const { index, duplicate } = mapHeader(sheet.name, row, SCORE_LONG_COLUMNS);
      if (index.has('unit') && index.has('item') && index.has('points')) {
        if (duplicate !== undefined) throw refuse(`${fileLabel(table.file)} ${duplicate}`);
        return { layout: 'long', index };
      }
      const wide = readWideHeader(table.file, plan, sheet.name, row);
      return wide ? { layout: 'wide', wide } : undefined;
    },
    () => '长表需要「单位」「指标」「分值」列（可选「年份」「备注」）；宽表需要「单位」列和以子项编号（如 6.1）或子项名称为表头的列',
  );
  const multiSheet = table.sheets.length > 1;
  const errors = new RowErrors();
  const entries: ScoreSheetEntry[] = [];
  const ignoredColumns: string[] = [];
  for (const { sheet, body, match } of located) {
    const sheetName = multiSheet ? sheet.name : null;
    if (match.layout === 'long') {
      const at = (key: string): number | undefined => match.index.get(key);
      for (const r of body) {
        const cell = (key: string): string => {
          const i = at(key);
          return i === undefined ? '' : (r.cells[i] ?? '');
        };
        const [unit, item, points, year, note] = [cell('unit'), cell('item'), cell('points'), cell('year'), cell('note')];
        if (unit === '' && item === '' && points === '' && year === '' && note === '') continue;
        const ref = { sheet: sheetName, row: r.row };
        const itemMatch = item === '' ? undefined : matchSubItemLabel(plan, item, { numeric: r.numeric?.[at('item')!] === true });
        if (itemMatch && 'error' in itemMatch) {
          errors.add(ref, itemMatch.error, 'item');
          continue;
        }
        entries.push({ ...ref, column: null, unit, item: itemMatch?.code ?? item, points: pointsText(points), year: yearText(year), note });
      }
      continue;
    }
    const { wide } = match;
    ignoredColumns.push(...wide.ignored);
    const rowsByUnit = new Map<string, RowRef[]>();
    for (const r of body) {
      const ref = { sheet: sheetName, row: r.row };
      const unit = r.cells[wide.unit] ?? '';
      const year = wide.year === undefined ? '' : yearText(r.cells[wide.year] ?? '');
      const note = wide.note === undefined ? '' : (r.cells[wide.note] ?? '');
      const filled = wide.items.filter((i) => !NO_ENTRY.test(r.cells[i.col] ?? ''));
      if (filled.length === 0) continue;
      if (unit === '') {
        errors.add(ref, '填了分数，但没有填单位', 'unit');
        continue;
      }
      const key = `${unit}\u0000${year}`;
      rowsByUnit.set(key, [...(rowsByUnit.get(key) ?? []), ref]);
      for (const i of filled) entries.push({ ...ref, column: i.code, unit, item: i.code, points: pointsText(r.cells[i.col]!), year, note });
    }
    // A unit's row given twice: one message for the pair, not one per sub-item.
    for (const [key, refs] of rowsByUnit) {
      if (refs.length < 2) continue;
      const [unit, year] = key.split('\u0000');
      for (const ref of refs) errors.add(ref, `单位「${unit}」${year ? `（${year} 年）` : ''}有 ${refs.length} 行，请合并成一行`, 'unit');
    }
  }
  const flagged = new Set(errors.problems.map((p) => `${p.sheet ?? ''}\u0000${p.row}`));
  return {
    file: table.file,
    format: table.format,
    layouts: located.map((l) => ({ sheet: l.sheet.name, layout: l.match.layout })),
    // Rows already refused are not checked again by the importer.
    entries: entries.filter((e) => !flagged.has(`${e.sheet ?? ''}\u0000${e.row}`)),
    problems: errors.problems,
    ignoredColumns,
  };
}
