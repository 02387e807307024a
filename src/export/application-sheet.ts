/**
 * 申报表 (Annex 4): one application in the form's own layout — its rows, labels and merged
 * cells as the document prints them — and a summary sheet of every application of the year.
 */
import { LEVEL_NAMES_ZH } from '../plan/schema.js';
import { CREATION_TYPE_ZH, STATUS_ZH, type ApplicationReport } from '../services/application.service.js';
import { addTableSheet, newWorkbook, SheetNames, workbookBytes, type Workbook, type Worksheet } from './style.js';

const COLUMNS = 8;
const BORDER = { style: 'thin' as const };

/** Writes `value` into the merged range (1-based rows, columns A=1). */
function put(ws: Worksheet, row: number, col: number, value: string | number, toRow = row, toCol = col): void {
  if (toRow !== row || toCol !== col) ws.mergeCells(row, col, toRow, toCol);
  ws.getCell(row, col).value = value;
}

const nodeLines = (r: ApplicationReport) => (r.fields.nodes ?? []).map((n, k) => `${k + 1}. ${n.date} ${n.content}`).join('\n');
const typeBoxes = (r: ApplicationReport) => `${r.fields.creationType === 'demonstration' ? '☑' : '□'}1.示范型　${r.fields.creationType === 'standard' ? '☑' : '□'}2.标准型`;
const opinionDate = (d: string | null) => (d ? `${Number(d.slice(0, 4))}年${Number(d.slice(5, 7))}月${Number(d.slice(8, 10))}日　盖章` : '　　年　　月　　日　盖章');

function writeForm(wb: Workbook, names: SheetNames, r: ApplicationReport, street: string | null): void {
  const ws = wb.addWorksheet(names.take(`${r.unit}申报表`));
  const community = r.level === 'community';
  const f = r.fields;
  const dash = '—';
  put(ws, 1, 1, `${r.year}年${street ?? 'XX街道'}城市基层党建全域提升申报表`, 1, COLUMNS);
  put(ws, 2, 1, `（${r.levelName}）`, 2, COLUMNS);
  put(ws, 3, 1, community ? '社区概况' : '单位概况', 7, 1);
  put(ws, 3, 2, community ? '社区名称' : '单位名称');
  put(ws, 3, 3, r.unit, 3, COLUMNS);
  put(ws, 4, 2, '户籍户数');
  put(ws, 4, 3, f.registeredHouseholds ?? (community ? '' : dash), 4, 4);
  put(ws, 4, 5, '户籍人数');
  put(ws, 4, 6, f.registeredPopulation ?? (community ? '' : dash), 4, COLUMNS);
  put(ws, 5, 2, '常住户数');
  put(ws, 5, 3, f.residentHouseholds ?? (community ? '' : dash), 5, 4);
  put(ws, 5, 5, '常住人数');
  put(ws, 5, 6, f.residentPopulation ?? (community ? '' : dash), 5, COLUMNS);
  put(ws, 6, 2, '小区数');
  put(ws, 6, 3, community ? r.compounds.length : dash, 6, COLUMNS);
  put(ws, 7, 2, '所辖各小区名称');
  put(ws, 7, 3, community ? r.compounds.join('、') : dash, 7, COLUMNS);
  put(ws, 8, 1, `${r.year}年${r.levelName}创建类型`, 8, 2);
  put(ws, 8, 3, typeBoxes(r), 8, COLUMNS);
  put(ws, 9, 1, `${r.year}年拟创建示范型小区`, 9, 2);
  put(ws, 9, 3, '个数');
  put(ws, 9, 4, community ? (f.plannedDemoCompounds ?? []).length : dash);
  put(ws, 9, 5, '名称');
  put(ws, 9, 6, community ? (f.plannedDemoCompounds ?? []).join('、') : dash, 9, COLUMNS);
  put(ws, 10, 1, '社会组织数', 10, 2);
  put(ws, 10, 3, f.socialOrgCount ?? (community ? '' : dash), 10, COLUMNS);
  put(ws, 11, 1, '创建措施', 11, 2);
  put(ws, 11, 3, f.measures ?? '', 11, COLUMNS);
  put(ws, 12, 1, '特色品牌项目', 14, 1);
  put(ws, 12, 2, '项目名称');
  put(ws, 12, 3, f.brandProjectName ?? '', 12, COLUMNS);
  put(ws, 13, 2, '创建目标');
  put(ws, 13, 3, f.brandProjectGoal ?? '', 13, COLUMNS);
  put(ws, 14, 2, '项目内容及任务节点');
  put(ws, 14, 3, nodeLines(r), 14, COLUMNS);
  put(ws, 15, 1, '街道意见', 16, 2);
  put(ws, 15, 3, r.opinion ?? '', 15, COLUMNS);
  put(ws, 16, 3, opinionDate(r.opinionDate), 16, COLUMNS);
  ws.getRow(1).font = { bold: true, size: 14 };
  ws.getColumn(1).width = 12;
  ws.getColumn(2).width = 16;
  for (let c = 3; c <= COLUMNS; c++) ws.getColumn(c).width = 12;
  for (let row = 1; row <= 16; row++) {
    for (let c = 1; c <= COLUMNS; c++) {
      const cell = ws.getCell(row, c);
      cell.alignment = { vertical: 'middle', horizontal: row <= 2 || c <= 2 ? 'center' : 'left', wrapText: true };
      if (row >= 3) cell.border = { top: BORDER, left: BORDER, bottom: BORDER, right: BORDER };
    }
  }
  for (const row of [11, 13, 14, 15]) ws.getRow(row).height = 60;
  ws.getCell(16, 3).alignment = { vertical: 'middle', horizontal: 'right' };
}

export function writeApplicationSheets(wb: Workbook, data: { year: number; street: string | null; form: ApplicationReport | null; all: readonly ApplicationReport[] }): void {
  const names = new SheetNames();
  if (data.form) writeForm(wb, names, data.form, data.street);
  addTableSheet(wb, names, {
    name: `${data.year}申报汇总`,
    freezeColumns: 1,
    rows: data.all,
    columns: [
      { header: '单位', value: (r) => r.unit },
      { header: '层级', value: (r) => LEVEL_NAMES_ZH[r.level] },
      { header: '状态', value: (r) => STATUS_ZH[r.status], tone: (r) => (r.status === 'approved' ? 'green' : r.status === 'returned' ? 'red' : r.status === 'submitted' ? 'yellow' : null) },
      { header: '创建类型', value: (r) => (r.fields.creationType ? CREATION_TYPE_ZH[r.fields.creationType] : null) },
      { header: '拟创建示范型小区', value: (r) => (r.fields.plannedDemoCompounds ?? []).join('、') || null },
      { header: '特色品牌项目', value: (r) => r.fields.brandProjectName ?? null },
      { header: '任务节点', value: (r) => nodeLines(r) || null, format: 'wrap' },
      { header: '街道意见', value: (r) => r.opinion, format: 'wrap' },
      { header: '意见日期', value: (r) => r.opinionDate },
    ],
  });
}

/** The blank or filled Annex 4 form of one unit, to fill in and send back to the bot (「申报表」). */
export async function writeApplicationForm(r: ApplicationReport, street: string | null, at: Date): Promise<Buffer> {
  const wb = await newWorkbook(`${r.unit} ${r.year} 申报表`, at);
  writeForm(wb, new SheetNames(), r, street);
  return workbookBytes(wb);
}
