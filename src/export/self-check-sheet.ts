/**
 * A unit's 自查表 as .xlsx (issue 13): its sub-items, maxima and last year's official points to
 * read, and 自评分 / 短板 / 措施 / 完成时限 to fill — sent back to the bot in the chat, it is read
 * by the same import as every sheet (src/services/self-check.service.ts `importSelfCheckFile`).
 */
import type { SelfCheckSheetRow } from '../services/self-check.service.js';
import { addTableSheet, newWorkbook, SheetNames, workbookBytes } from './style.js';

export async function writeSelfCheckSheet(data: { unit: string; year: number; rows: readonly SelfCheckSheetRow[] }, at: Date): Promise<Buffer> {
  const wb = await newWorkbook(`${data.unit} ${data.year} 自查表`, at);
  const names = new SheetNames();
  addTableSheet(wb, names, {
    name: `${data.year}自查表`,
    freezeColumns: 2,
    rows: data.rows,
    columns: [
      { header: '单位', value: (r) => r.unit },
      { header: '指标编号', value: (r) => r.code },
      { header: '指标内容', value: (r) => r.text, format: 'wrap' },
      { header: '满分', value: (r) => r.max, format: 'points' },
      { header: `${data.year - 1}年评定`, value: (r) => r.lastYear, format: 'points' },
      { header: '自评分', value: (r) => r.points, format: 'points' },
      { header: '短板', value: (r) => r.shortfall, format: 'wrap' },
      { header: '措施', value: (r) => r.measure, format: 'wrap' },
      // Text, not a date cell: what is typed comes back as typed (2026-06-30, 2026/6/30 …).
      { header: '完成时限', value: (r) => r.targetDate },
    ],
  });
  const help = wb.addWorksheet(names.take('填表说明'));
  [
    '填表说明',
    '1. 每行一个子项：填写「自评分」（0 到满分，以 0.5 分为单位）。',
    '2. 低于满分的子项，写明「短板」「措施」和「完成时限」（例如 2026-06-30）。',
    '3. 自评分留空的行不导入（保持原样）。其他列只供参考，改动不影响导入。',
    '4. 填好后把文件直接发给党建助手（单聊），助手会回复导入结果；有错误的行会逐行列出，整表不导入。',
  ].forEach((line, i) => (help.getRow(i + 1).getCell(1).value = line));
  return workbookBytes(wb);
}
