/**
 * 评分表: one sheet per level; a row per unit with its parent, a column per sub-item of the
 * level's rubric (code in header row 1, the sub-item's text in row 2, its maximum in row 3),
 * then total, sub-items assessed, grade (coloured), 一票否决 and what stands between the unit
 * and the next grade. Sub-items without an entry are blank and grey (未评, counted as 0).
 */
import type { ScoreReport, ScoreSheetReport, ScoreSheetLevel } from '../services/grading.service.js';
import { displayWidth } from '../cards/text-width.js';
import { applyTone, cellValue, fitColumns, freezePanes, GRADE_TONE, SheetNames, styleHeaderRows, type Workbook, type Worksheet } from './style.js';

const HEADER_ROWS = 3;
const ITEM_WIDTH = 18;
const FIXED_BEFORE = ['单位', '所属上级'] as const;
const FIXED_AFTER = ['总分', '已评项目', '等级', '一票否决', '距下一等级'] as const;

function writeLevel(ws: Worksheet, level: ScoreSheetLevel): void {
  const items = level.items;
  const first = FIXED_BEFORE.length + 1;
  const after = first + items.length;
  const columns = after + FIXED_AFTER.length - 1;
  const codes = ws.getRow(1);
  const titles = ws.getRow(2);
  const maxima = ws.getRow(3);
  FIXED_BEFORE.forEach((h, i) => (codes.getCell(i + 1).value = h));
  FIXED_AFTER.forEach((h, i) => (codes.getCell(after + i).value = h));
  items.forEach((it, i) => {
    codes.getCell(first + i).value = it.code;
    titles.getCell(first + i).value = cellValue(it.title);
    maxima.getCell(first + i).value = it.max;
  });
  maxima.getCell(1).value = '满分';
  maxima.getCell(after).value = items.reduce((sum, it) => sum + it.max, 0);
  // Fixed columns span the code and title rows.
  for (const col of [1, 2, ...FIXED_AFTER.map((_, i) => after + i)]) ws.mergeCells(1, col, 2, col);
  styleHeaderRows(ws, HEADER_ROWS, columns);
  const longest = Math.max(0, ...items.map((it) => displayWidth(it.title)));
  titles.height = Math.min(150, 15 * Math.ceil(longest / (ITEM_WIDTH - 2)) + 4);

  level.reports.forEach((r: ScoreReport, i) => {
    const row = ws.getRow(HEADER_ROWS + 1 + i);
    row.getCell(1).value = cellValue(r.unit);
    row.getCell(2).value = cellValue(r.parent);
    const byCode = new Map(r.items.map((it) => [it.code, it]));
    items.forEach((it, k) => {
      const cell = row.getCell(first + k);
      const got = byCode.get(it.code);
      if (got?.assessed) cell.value = got.points;
      else applyTone(cell, 'grey');
    });
    row.getCell(after).value = r.total;
    row.getCell(after + 1).value = `${r.assessed}/${r.itemCount}`;
    const grade = row.getCell(after + 2);
    grade.value = r.gradeName;
    applyTone(grade, GRADE_TONE[r.grade]);
    row.getCell(after + 3).value = r.veto ? cellValue(`是：${r.vetoReasons.join('；')}`) : null;
    row.getCell(after + 4).value = cellValue(r.blockers.join('；'));
    row.getCell(after + 4).alignment = { vertical: 'top', wrapText: true };
  });

  freezePanes(ws, HEADER_ROWS, FIXED_BEFORE.length);
  fitColumns(ws, { skipRows: 2, max: 30 });
  for (let k = 0; k < items.length; k++) ws.getColumn(first + k).width = ITEM_WIDTH;
  ws.getColumn(after + 4).width = 50;
}

/** Adds the 评分表 sheets (one per level with units) to `wb`. */
export function writeScoreSheet(wb: Workbook, report: ScoreSheetReport, names = new SheetNames()): void {
  for (const level of report.levels) writeLevel(wb.addWorksheet(names.take(level.levelName)), level);
}
