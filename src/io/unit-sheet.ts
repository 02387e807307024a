/** The unit sheet (名称, 层级, 上级): its columns, shared by the importer and the template. */
import { UserError } from '../errors.js';
import { fileLabel } from './import-file.js';
import type { RowRef } from './row-errors.js';
import { readSheet, type ColumnSpec, type SheetData } from './spreadsheet.js';

export const UNIT_SHEET_COLUMNS = [
  { key: 'name', aliases: ['名称', '单位名称', '单位', 'name'], required: true },
  { key: 'level', aliases: ['层级', '类型', '级别', 'level'], required: true },
  { key: 'parent', aliases: ['上级', '上级单位', '所属单位', '所属社区', 'parent'], required: false },
] as const satisfies readonly ColumnSpec[];

export interface UnitSheetRow extends RowRef {
  name: string;
  level: string;
  parent: string;
}

/** Refuses a sheet with a header but no data rows. */
export function requireRows(data: SheetData): void {
  if (data.rows.length === 0) throw new UserError('bad_argument', `${fileLabel(data.file)} 的表头下面没有数据行，没有导入任何内容`, '--file');
}

export async function readUnitSheet(file: string): Promise<{ data: SheetData; rows: UnitSheetRow[] }> {
  const data = await readSheet(file, UNIT_SHEET_COLUMNS);
  requireRows(data);
  return { data, rows: data.rows.map((r) => ({ sheet: r.sheet, row: r.row, name: r.values.name ?? '', level: r.values.level ?? '', parent: r.values.parent ?? '' })) };
}
