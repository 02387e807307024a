/**
 * `dangjian template units|scores|roster`: workbooks the office fills and the importers accept
 * unchanged. Each has an instruction sheet 「填表说明」 first, a data sheet with a title row,
 * the header the reader looks for, drop-down lists (levels, units, roles, sub-item codes) and
 * number checks (0 to each sub-item's maximum), and a hidden 「选项」 sheet holding the lists.
 * exceljs loads only here and when a workbook is read.
 */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type ExcelJS from 'exceljs';
import { ROLE_NAMES_ZH } from '../cards/labels.js';
import { ROLES } from '../domain/roles.js';
import { UserError } from '../errors.js';
import { LEVEL_NAMES_ZH, LEVELS, type Level, type Plan, type SubItem } from '../plan/schema.js';
import { fileLabel } from './import-file.js';
import { ROSTER_COLUMNS } from './roster-sheet.js';
import { SCORE_LONG_COLUMNS, type ScoreLayout } from './score-sheet.js';
import { columnLetter } from './spreadsheet.js';
import { UNIT_SHEET_COLUMNS } from './unit-sheet.js';

export const TEMPLATE_KINDS = ['units', 'scores', 'roster'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

const KIND_WORDS: Record<TemplateKind, readonly string[]> = {
  units: ['units', '单位', '单位表'],
  scores: ['scores', '分数', '评分', '评分表', '分数表'],
  roster: ['roster', '花名册', '成员', '人员'],
};

const LAYOUT_WORDS: Record<ScoreLayout, readonly string[]> = {
  wide: ['wide', '宽表', '宽'],
  long: ['long', '长表', '长'],
};

export function parseTemplateKind(text: string): TemplateKind {
  const t = text.trim().toLowerCase();
  const kind = TEMPLATE_KINDS.find((k) => KIND_WORDS[k].includes(t));
  if (!kind) throw new UserError('bad_argument', `不认识的模板「${text}」，可选：单位表、评分表、花名册（或 units、scores、roster）`, '〈种类〉');
  return kind;
}

export function parseScoreLayout(text: string): ScoreLayout {
  const t = text.trim().toLowerCase();
  const layout = (['wide', 'long'] as const).find((l) => LAYOUT_WORDS[l].includes(t));
  if (!layout) throw new UserError('bad_argument', `不认识的格式「${text}」，可选：wide（宽表，每个单位一行）、long（长表，每条分数一行）`, '--layout');
  return layout;
}

export interface TemplateUnit {
  name: string;
  level: Level;
  parent: string | null;
}

export interface TemplateInput {
  plan: Plan;
  /** Units already in the database (drop-down lists; pre-filled rows of the wide score sheet). */
  units: readonly TemplateUnit[];
  /** The assessment year written into score templates. */
  year: number;
  layout?: ScoreLayout;
}

const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
const INFO_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F2F2' } };
const OPTIONS_SHEET = '选项';

interface Validations {
  add(address: string, validation: ExcelJS.DataValidation): void;
}
// exceljs has worksheet.dataValidations (ranges allowed) but leaves it out of its typings.
const validations = (ws: ExcelJS.Worksheet): Validations => (ws as unknown as { dataValidations: Validations }).dataValidations;

function title(ws: ExcelJS.Worksheet, text: string, width: number): void {
  ws.getCell(1, 1).value = text;
  ws.getCell(1, 1).font = { bold: true, size: 14 };
  if (width > 1) ws.mergeCells(1, 1, 1, width);
  ws.getRow(1).height = 24;
}

function header(ws: ExcelJS.Worksheet, rowNumber: number, labels: readonly string[], notes: ReadonlyArray<string | undefined>): void {
  const row = ws.getRow(rowNumber);
  labels.forEach((label, i) => {
    const cell = row.getCell(i + 1);
    cell.value = label;
    cell.numFmt = '@';
    cell.font = { bold: true };
    cell.fill = HEADER_FILL;
    cell.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
    const note = notes[i];
    if (note) cell.note = note;
  });
  ws.views = [{ state: 'frozen', ySplit: rowNumber, xSplit: 0 }];
}

function instructions(wb: ExcelJS.Workbook, heading: string, lines: readonly string[]): void {
  const ws = wb.addWorksheet('填表说明');
  ws.getColumn(1).width = 110;
  ws.getCell(1, 1).value = heading;
  ws.getCell(1, 1).font = { bold: true, size: 14 };
  lines.forEach((line, i) => {
    const cell = ws.getCell(i + 3, 1);
    cell.value = line;
    cell.alignment = { wrapText: true, vertical: 'top' };
  });
}

type Lists = Record<string, readonly string[]>;

/** Where each non-empty list will sit on the hidden 「选项」 sheet (one column per list). */
function listRanges(lists: Lists): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(lists).map(([key, values], i) => {
      const letter = columnLetter(i);
      return [key, values.length === 0 ? undefined : `'${OPTIONS_SHEET}'!$${letter}$2:$${letter}$${values.length + 1}`];
    }),
  );
}

/** The hidden sheet with the lists, added last so the data sheets follow the instructions. */
function addOptionsSheet(wb: ExcelJS.Workbook, lists: Lists): void {
  const ws = wb.addWorksheet(OPTIONS_SHEET, { state: 'hidden' });
  Object.entries(lists).forEach(([key, values], i) => {
    ws.getCell(1, i + 1).value = key;
    values.forEach((v, r) => (ws.getCell(r + 2, i + 1).value = v));
  });
}

function listValidation(formula: string, errorStyle: 'stop' | 'warning', prompt: string, error: string): ExcelJS.DataValidation {
  return { type: 'list', allowBlank: true, formulae: [formula], showErrorMessage: true, errorStyle, errorTitle: '请检查', error, showInputMessage: true, prompt };
}

const inlineList = (values: readonly string[]): string => `"${values.join(',')}"`;

function unitsWorkbook(wb: ExcelJS.Workbook, input: TemplateInput): void {
  const hasStreet = input.units.some((u) => u.level === 'street');
  const levels = LEVELS.filter((l) => !(hasStreet && l === 'street')).map((l) => LEVEL_NAMES_ZH[l]);
  const parents = input.units.filter((u) => u.level === 'street' || u.level === 'community').map((u) => u.name);
  instructions(wb, '单位表 · 填表说明', [
    '1. 在「单位」工作表中每行填写一个单位，从第 3 行开始往下填；第 2 行是表头，请不要修改、删除或移动。',
    '2. 名称：单位全称（最多 60 个字），全表不能重复。系统中已有的单位不必再填。',
    `3. 层级：从下拉列表中选择：${levels.join('、')}。${hasStreet ? '街道已在系统中，每个数据库只有一个街道。' : ''}`,
    '4. 上级：小区填所属的社区；社区、楼宇、商圈、社会组织填街道，也可以不填（默认就是本街道）。上级可以是系统中已有的单位，也可以是本表中新填的单位（下拉列表中只有已有单位，填新单位时会提示，选「是」即可）。',
    '5. 可以保留本说明页；导入时只读取「单位」表。也可以另存为 CSV（UTF-8 或 Excel 默认的 GBK 都可以）。',
    '6. 填好后由管理员导入：dangjian unit import --file 文件名.xlsx。有任何一行出错时整表都不导入，并按行号列出错误，改正后重新导入即可。',
  ]);
  const ws = wb.addWorksheet('单位');
  const labels = UNIT_SHEET_COLUMNS.map((c) => c.aliases[0]);
  title(ws, '单位表', labels.length);
  header(ws, 2, labels, ['必填：单位全称，全表不能重复', `必填：${levels.join('、')}`, '小区填所属社区；其他可不填（默认本街道）']);
  ws.getColumn(1).width = 28;
  ws.getColumn(2).width = 12;
  ws.getColumn(3).width = 28;
  const listData = { 上级候选: parents };
  const lists = listRanges(listData);
  validations(ws).add('B3:B502', listValidation(inlineList(levels), 'stop', '从列表中选择层级', `层级只能是：${levels.join('、')}`));
  if (lists.上级候选) validations(ws).add('C3:C502', listValidation(lists.上级候选, 'warning', '选择已有的上级单位，或填本表中新加的单位', '这个上级不在系统中；如果它是本表中新填的单位，请选「是」继续'));
  addOptionsSheet(wb, listData);
}

function itemNote(item: SubItem): string {
  return `${item.code}（满分 ${item.points} 分）\n${item.text}`;
}

function wideScoreSheets(wb: ExcelJS.Workbook, input: TemplateInput, unitRange: (level: Level) => string | undefined): string[] {
  const withUnits = input.plan.levels.filter((spec) => input.units.some((u) => u.level === spec.level));
  const specs = withUnits.length > 0 ? withUnits : input.plan.levels;
  const names: string[] = [];
  for (const spec of specs) {
    const items = spec.indicators.flatMap((i) => i.subItems);
    const ws = wb.addWorksheet(LEVEL_NAMES_ZH[spec.level]);
    names.push(ws.name);
    const fixed = [SCORE_LONG_COLUMNS[0].aliases[0], SCORE_LONG_COLUMNS[3].aliases[0]];
    const labels = [...fixed, ...items.map((i) => i.code), SCORE_LONG_COLUMNS[4].aliases[0]];
    const firstItemCol = fixed.length + 1;
    const noteCol = labels.length;
    title(ws, `${input.year}年 ${spec.title}评分表（每格填 0 到满分，以 0.5 分为单位；不评的留空）`, labels.length);
    // Row 2: each sub-item's text; row 3: its maximum; row 4: the header the importer reads.
    ws.getCell(2, 1).value = '子项内容';
    ws.getCell(3, 1).value = '满分';
    items.forEach((item, i) => {
      const name = ws.getCell(2, firstItemCol + i);
      name.value = item.text;
      name.alignment = { wrapText: true, vertical: 'top' };
      name.font = { size: 9 };
      name.fill = INFO_FILL;
      const max = ws.getCell(3, firstItemCol + i);
      max.value = item.points;
      max.alignment = { horizontal: 'center' };
      max.fill = INFO_FILL;
    });
    ws.getRow(2).height = 96;
    header(ws, 4, labels, ['单位名称（已按系统中的单位填好）', `评分年度，四位数字（${input.year}）`, ...items.map(itemNote), '可不填；填写时用于这一行的每条分数']);
    ws.views = [{ state: 'frozen', ySplit: 4, xSplit: 1 }];
    ws.getColumn(1).width = 24;
    ws.getColumn(2).width = 8;
    items.forEach((_, i) => (ws.getColumn(firstItemCol + i).width = 11));
    ws.getColumn(noteCol).width = 24;
    const units = input.units.filter((u) => u.level === spec.level);
    units.forEach((u, i) => {
      ws.getCell(5 + i, 1).value = u.name;
      ws.getCell(5 + i, 2).value = input.year;
    });
    const lastRow = 5 + units.length + 49;
    const range = unitRange(spec.level);
    if (range) validations(ws).add(`A5:A${lastRow}`, listValidation(range, 'warning', `选择${LEVEL_NAMES_ZH[spec.level]}`, '这个单位不在系统中，导入时会被拒绝'));
    validations(ws).add(`B5:B${lastRow}`, { type: 'whole', operator: 'between', allowBlank: true, formulae: [2000, 2100], showErrorMessage: true, errorTitle: '请检查', error: '年份填四位数字，例如 2026' });
    items.forEach((item, i) => {
      const letter = columnLetter(firstItemCol - 1 + i);
      const first = `${letter}5`;
      validations(ws).add(`${first}:${letter}${lastRow}`, {
        type: 'custom',
        allowBlank: true,
        formulae: [`AND(ISNUMBER(${first}),${first}>=0,${first}<=${item.points},MOD(${first}*2,1)=0)`],
        showErrorMessage: true,
        errorTitle: '分值超出范围',
        error: `${item.code} 满分 ${item.points} 分：请填 0 到 ${item.points} 之间的数，以 0.5 分为单位`,
        showInputMessage: true,
        promptTitle: `${item.code}（满分 ${item.points}）`,
        prompt: item.text.slice(0, 250),
      });
    });
  }
  return names;
}

function longScoreSheet(wb: ExcelJS.Workbook, input: TemplateInput, lists: Record<string, string | undefined>): void {
  const ws = wb.addWorksheet('分数');
  const labels = SCORE_LONG_COLUMNS.map((c) => c.aliases[0]);
  title(ws, `${input.year}年 评分表（每行一条分数）`, labels.length);
  header(ws, 2, labels, ['必填：单位名称', '必填：子项编号，如 6.1（见「子项一览」）', '必填：0 到该子项满分，以 0.5 分为单位（满分见「子项一览」）', `评分年度（不填则为当年）`, '可不填']);
  [24, 10, 8, 8, 30].forEach((w, i) => (ws.getColumn(i + 1).width = w));
  // Text, so that 6.10 stays 6.10.
  ws.getColumn(2).numFmt = '@';
  if (lists.单位) validations(ws).add('A3:A1002', listValidation(lists.单位, 'warning', '选择单位', '这个单位不在系统中，导入时会被拒绝'));
  if (lists.子项编号) validations(ws).add('B3:B1002', listValidation(lists.子项编号, 'stop', '选择子项编号', '没有这个子项编号，请从列表中选择（见「子项一览」）'));
  validations(ws).add('C3:C1002', { type: 'decimal', operator: 'between', allowBlank: true, formulae: [0, 100], showErrorMessage: true, errorTitle: '请检查', error: '分值是 0 到该子项满分之间的数' });
  validations(ws).add('D3:D1002', { type: 'whole', operator: 'between', allowBlank: true, formulae: [2000, 2100], showErrorMessage: true, errorTitle: '请检查', error: '年份填四位数字，例如 2026' });
  const ref = wb.addWorksheet('子项一览');
  ref.addRow(['所属层级', '编码', '子项内容', '满分']).font = { bold: true };
  for (const spec of input.plan.levels) {
    for (const item of spec.indicators.flatMap((i) => i.subItems)) ref.addRow([LEVEL_NAMES_ZH[spec.level], item.code, item.text, item.points]);
  }
  [10, 8, 90, 8].forEach((w, i) => (ref.getColumn(i + 1).width = w));
  ref.getColumn(2).numFmt = '@';
}

function scoresWorkbook(wb: ExcelJS.Workbook, input: TemplateInput): void {
  const layout = input.layout ?? 'wide';
  const wideLines = [
    '1. 每个层级一张工作表（如「社区」「小区」），每行一个单位，每个子项一列。第 4 行是表头（单位、年份、子项编号、备注），请不要修改、删除或移动；第 2 行是子项内容，第 3 行是满分，鼠标停在编号上也能看到。',
    '2. 单位已按系统中的单位填好，也可以从下拉列表中选择；同一单位同一年只写一行。',
    '3. 分值：0 到该子项满分，以 0.5 分为单位（如 9.5）。不评的子项留空：留空的格子不会录入，也不会清除以前录入的分数。',
    `4. 年份：评分年度，已填 ${input.year}；评往年时改成对应年份。`,
    '5. 可以删去不用的层级工作表或不用的子项列，也可以保留本说明页；导入时只读取有表头的工作表。',
  ];
  const longLines = [
    '1. 在「分数」工作表中每行填写一条分数：单位、指标（子项编号，如 6.1）、分值、年份、备注。第 2 行是表头，请不要修改。',
    '2. 子项编号、所属层级和满分见「子项一览」；子项必须属于该单位的层级（如社区只能填 6.1–10.3）。',
    '3. 分值：0 到该子项满分，以 0.5 分为单位。同一单位、同一子项、同一年只能写一行。',
    `4. 年份不填时按当年（${input.year}）计。`,
  ];
  instructions(wb, `评分表（${layout === 'wide' ? '宽表' : '长表'}）· 填表说明`, [
    ...(layout === 'wide' ? wideLines : longLines),
    `${layout === 'wide' ? 6 : 5}. 填好后由管理员导入：dangjian score import --file 文件名.xlsx（宽表、长表都能识别）。有任何一行出错时整表都不导入，并按行号列出错误；同一子项再次导入时以最后一次为准。`,
  ]);
  const allItems = input.plan.levels.flatMap((l) => l.indicators.flatMap((i) => i.subItems));
  const listData: Lists = {
    单位: input.units.map((u) => u.name),
    子项编号: allItems.map((i) => i.code),
    ...Object.fromEntries(LEVELS.map((l) => [LEVEL_NAMES_ZH[l], input.units.filter((u) => u.level === l).map((u) => u.name)])),
  };
  const lists = listRanges(listData);
  if (layout === 'wide') wideScoreSheets(wb, input, (level) => lists[LEVEL_NAMES_ZH[level]]);
  else longScoreSheet(wb, input, lists);
  addOptionsSheet(wb, listData);
}

function rosterWorkbook(wb: ExcelJS.Workbook, input: TemplateInput): void {
  const roles = ROLES.map((r) => ROLE_NAMES_ZH[r]);
  instructions(wb, '花名册 · 填表说明', [
    '1. 在「花名册」工作表中每行填写一个人，从第 3 行开始；第 2 行是表头，请不要修改。',
    '2. 姓名：全表不能重复。',
    `3. 角色：从下拉列表中选择：${roles.join('、')}（也可以写 组长、副组长、成员、书记）。`,
    `4. 单位：牵头单位的人填所在牵头单位（${input.plan.leadUnits.join('、')}）；书记填所领导的单位（社区、小区、楼宇、商圈、社会组织或街道）；其他角色可不填。`,
    '5. 手机号：11 位手机号，用于自动绑定飞书账号（与飞书通讯录中的手机号一致）；没有手机号时填邮箱。open_id 知道时再填，以 ou_ 开头。',
    '6. 填好后由管理员导入：dangjian member import --file 文件名.xlsx。有任何一行出错时整表都不导入，并按行号列出错误。',
  ]);
  const ws = wb.addWorksheet('花名册');
  const labels = ROSTER_COLUMNS.map((c) => c.aliases[0]);
  title(ws, '花名册', labels.length);
  header(ws, 2, labels, ['必填，全表不能重复', `必填：${roles.join('、')}`, '牵头单位成员填牵头单位；书记填所在社区；其他可不填', '11 位手机号（用于绑定飞书）', '没有手机号时填写', '可不填']);
  [12, 16, 20, 16, 26, 24].forEach((w, i) => (ws.getColumn(i + 1).width = w));
  ws.getColumn(4).numFmt = '@';
  ws.getColumn(6).numFmt = '@';
  const listData = { 单位: [...input.plan.leadUnits, ...input.units.filter((u) => u.level !== 'street').map((u) => u.name)] };
  const lists = listRanges(listData);
  validations(ws).add('B3:B302', listValidation(inlineList(roles), 'stop', '选择角色', `角色只能是：${roles.join('、')}`));
  if (lists.单位) validations(ws).add('C3:C302', listValidation(lists.单位, 'warning', '牵头单位或所在社区', '这个单位不在列表中，导入时可能被拒绝'));
  validations(ws).add('D3:D302', { type: 'textLength', operator: 'equal', allowBlank: true, formulae: [11], showErrorMessage: true, errorStyle: 'warning', errorTitle: '请检查', error: '手机号应为 11 位' });
  addOptionsSheet(wb, listData);
}

/** Writes the template to `file` (.xlsx, must not exist yet); returns its sheet names. */
export async function writeTemplate(file: string, kind: TemplateKind, input: TemplateInput): Promise<string[]> {
  if (extname(file).toLowerCase() !== '.xlsx') throw new UserError('bad_argument', `模板是 Excel 工作簿，文件名应以 .xlsx 结尾（收到 ${fileLabel(file)}）`, '--out');
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  wb.creator = 'dangjian';
  if (kind === 'units') unitsWorkbook(wb, input);
  else if (kind === 'scores') scoresWorkbook(wb, input);
  else rosterWorkbook(wb, input);
  const buffer = Buffer.from(await wb.xlsx.writeBuffer());
  try {
    // 'wx': never overwrite a file (it may be a sheet the office already filled).
    await writeFile(file, buffer, { flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UserError('conflict', `${file} 已存在；为免覆盖已填好的表，请换一个文件名`, '--out');
    if (code === 'ENOENT') throw new UserError('bad_argument', `无法写入 ${file}：所在文件夹不存在`, '--out');
    throw new UserError('bad_argument', `无法写入 ${file}（${code ?? String(err)}）`, '--out');
  }
  return wb.worksheets.filter((w) => w.state === 'visible').map((w) => w.name);
}
