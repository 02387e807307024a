/**
 * Row errors of an import, collected for every row first (the import then applies all rows or
 * none), grouped by cause and capped for people: 「第 3–14 行：单位「城东街道2」不存在（12 行）」,
 * at most MAX_ERROR_GROUPS_SHOWN groups, then 「另有 N 类错误」. The full per-row list stays
 * available as data (ImportRowsError.toJSON) for --json. Used by every sheet import.
 */
import { isUserError, UserError } from '../errors.js';
import { fileLabel } from './import-file.js';

/** A row as the office sees it: its sheet (null for CSV or a one-sheet workbook) and its Excel row number. */
export interface RowRef {
  sheet: string | null;
  row: number;
}

export interface RowProblem extends RowRef {
  /** The column at fault when known: its key (unit, item, points, name, phone …), or the sub-item code in a wide score sheet. */
  column: string | null;
  message: string;
}

export interface ErrorGroup {
  /** The cause, shared by every row of the group. */
  message: string;
  /** Distinct rows with this cause, in sheet order. */
  rows: RowRef[];
  count: number;
  /** The rows in words: 「第 3–14、20 行」. */
  where: string;
}

export const MAX_ERROR_GROUPS_SHOWN = 10;
/** Row ranges listed per sheet in one group before 「等」. */
const MAX_RANGES_SHOWN = 8;

/** Accumulates row problems while an import checks its rows. */
export class RowErrors {
  private readonly list: RowProblem[] = [];

  add(at: RowRef, message: string, column: string | null = null): void {
    this.list.push({ sheet: at.sheet, row: at.row, column, message });
  }

  /** Records a UserError thrown while checking a row (its field names the column); rethrows anything else. */
  record(at: RowRef, err: unknown, column?: string | null): void {
    if (!isUserError(err)) throw err;
    this.add(at, err.message, column ?? (err.field && !err.field.startsWith('--') ? err.field : null));
  }

  get size(): number {
    return this.list.length;
  }

  get problems(): readonly RowProblem[] {
    return this.list;
  }

  /** Throws an ImportRowsError if any row had a problem. */
  throwIfAny(file: string): void {
    if (this.list.length > 0) throw new ImportRowsError(file, this.list);
  }
}

/**
 * Refuses rows that say the same thing twice (same unit name in a unit sheet; same unit, item
 * and year in a score sheet): every row of a repeated key gets one shared message, so the group
 * lists them together — 「第 3、9 行：…重复（2 行）」. Rows whose key is undefined are not compared.
 * Returns the repeated rows.
 */
export function flagDuplicates<R extends RowRef>(errors: RowErrors, rows: readonly R[], key: (r: R) => string | undefined, message: (r: R, count: number) => string, column: string | null = null): Set<R> {
  const byKey = new Map<string, R[]>();
  for (const r of rows) {
    const k = key(r);
    if (k === undefined) continue;
    const list = byKey.get(k);
    if (list) list.push(r);
    else byKey.set(k, [r]);
  }
  const repeated = new Set<R>();
  for (const list of byKey.values()) {
    if (list.length < 2) continue;
    const text = message(list[0]!, list.length);
    for (const r of list) {
      errors.add(r, text, column);
      repeated.add(r);
    }
  }
  return repeated;
}

const refKey = (r: RowRef): string => `${r.sheet ?? ''}\u0000${r.row}`;

/** Row numbers compressed into ranges: [3,4,5,9] → 「3–5、9」. */
function ranges(rows: number[]): string[] {
  const sorted = [...new Set(rows)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return out;
}

/** Rows in words: 「第 3–5、9 行」, 「工作表「社区」第 3 行，工作表「小区」第 5–6 行」. */
export function describeRows(rows: readonly RowRef[]): string {
  const bySheet = new Map<string | null, number[]>();
  for (const r of rows) {
    const list = bySheet.get(r.sheet) ?? [];
    list.push(r.row);
    bySheet.set(r.sheet, list);
  }
  return [...bySheet]
    .map(([sheet, nums]) => {
      const rs = ranges(nums);
      const shown = rs.length > MAX_RANGES_SHOWN ? `${rs.slice(0, MAX_RANGES_SHOWN).join('、')} 行等` : `${rs.join('、')} 行`;
      return `${sheet === null ? '' : `工作表「${sheet}」`}第 ${shown}`;
    })
    .join('，');
}

/** Problems in sheet order (sheets as first met), then by row; stable otherwise. */
function sortRowProblems(problems: readonly RowProblem[]): RowProblem[] {
  const sheetOrder = new Map<string | null, number>();
  for (const p of problems) if (!sheetOrder.has(p.sheet)) sheetOrder.set(p.sheet, sheetOrder.size);
  return [...problems].sort((a, b) => sheetOrder.get(a.sheet)! - sheetOrder.get(b.sheet)! || a.row - b.row);
}

/** Problems grouped by message, in the order their first row appears. */
export function groupRowProblems(problems: readonly RowProblem[]): ErrorGroup[] {
  const groups = new Map<string, { rows: RowRef[]; seen: Set<string> }>();
  for (const p of sortRowProblems(problems)) {
    let g = groups.get(p.message);
    if (!g) groups.set(p.message, (g = { rows: [], seen: new Set() }));
    const key = refKey(p);
    if (!g.seen.has(key)) {
      g.seen.add(key);
      g.rows.push({ sheet: p.sheet, row: p.row });
    }
  }
  return [...groups].map(([message, g]) => ({ message, rows: g.rows, count: g.rows.length, where: describeRows(g.rows) }));
}

/** Distinct rows with at least one problem. */
function countProblemRows(problems: readonly RowProblem[]): number {
  return new Set(problems.map(refKey)).size;
}

/** The human summary: one head line, one line per cause (at most `maxGroups`), then what was left out. */
function summarizeRowProblems(file: string, problems: readonly RowProblem[], maxGroups = MAX_ERROR_GROUPS_SHOWN): string {
  const groups = groupRowProblems(problems);
  const lines = [`${fileLabel(file)}：${countProblemRows(problems)} 行有错误，没有导入任何数据。`];
  for (const g of groups.slice(0, maxGroups)) lines.push(`  ${g.where}：${g.message}${g.count > 1 ? `（${g.count} 行）` : ''}`);
  const rest = groups.slice(maxGroups);
  if (rest.length > 0) {
    const restRows = new Set(rest.flatMap((g) => g.rows.map(refKey))).size;
    lines.push(`  另有 ${rest.length} 类错误（${restRows} 行）未列出；加 --json 可查看每一行的错误。`);
  }
  return lines.join('\n');
}

/** An import refused because of bad rows; nothing was written. */
export class ImportRowsError extends UserError {
  readonly groups: ErrorGroup[];

  readonly problems: readonly RowProblem[];

  constructor(
    readonly file: string,
    problems: readonly RowProblem[],
  ) {
    super('bad_argument', summarizeRowProblems(file, problems), '--file');
    this.name = 'ImportRowsError';
    this.problems = sortRowProblems(problems);
    this.groups = groupRowProblems(problems);
  }

  /** Everything, uncapped, for --json. */
  toJSON(): { error: string; file: string; errorRows: number; groups: ErrorGroup[]; problems: readonly RowProblem[] } {
    return { error: this.message, file: this.file, errorRows: countProblemRows(this.problems), groups: this.groups, problems: this.problems };
  }
}

const isImportRowsError = (e: unknown): e is ImportRowsError => e instanceof ImportRowsError;

/**
 * Runs an import action; with --json, a refused import also prints its full row list as JSON
 * (stdout) before the error goes its usual way (one summary on stderr, exit 2).
 */
export async function withRowErrorsAsJson<T>(out: { json: boolean; print(data: unknown, human: () => string): void }, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (out.json && isImportRowsError(err)) out.print(err.toJSON(), () => err.message);
    throw err;
  }
}
