/** Reading spreadsheets as offices make them: encodings, title rows, instruction sheets, cell kinds, refusals. */
import { closeSync, openSync, ftruncateSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, MAX_XLSX_UNPACKED_BYTES, readImportFile } from '../../src/io/import-file.js';
import { readSheet, normalizeHeader, columnLetter } from '../../src/io/spreadsheet.js';
import { readTable } from '../../src/io/table.js';
import { UNIT_SHEET_COLUMNS } from '../../src/io/unit-sheet.js';
import { csv, encodeGbk, storedZip, tempDir, userErrorOf, writeTemp, writeWorkbook } from './helpers.js';

const dir = tempDir();
const UNITS = [
  ['名称', '层级', '上级'],
  ['城西社区', '社区', '城东街道'],
  ['幸福小区', '小区', '城西社区'],
];

describe('CSV encodings', () => {
  it('reads a GBK CSV as Excel on Chinese Windows saves it', async () => {
    const bytes = encodeGbk(csv(UNITS));
    // 名称 in GBK: the encoder is checked against known bytes, so the file really is GBK.
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0xc3, 0xfb, 0xb3, 0xc6]));
    const file = writeTemp(dir, 'gbk.csv', bytes);
    const data = await readSheet(file, UNIT_SHEET_COLUMNS);
    expect(data.encoding).toBe('gb18030');
    expect(data.rows).toEqual([
      { sheet: null, row: 2, values: { name: '城西社区', level: '社区', parent: '城东街道' } },
      { sheet: null, row: 3, values: { name: '幸福小区', level: '小区', parent: '城西社区' } },
    ]);
  });

  it('reads UTF-8 with a BOM (Excel 「CSV UTF-8」) and without', async () => {
    const withBom = writeTemp(dir, 'bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv(UNITS))]));
    const plain = writeTemp(dir, 'plain.csv', csv(UNITS, '\n'));
    for (const file of [withBom, plain]) {
      const data = await readSheet(file, UNIT_SHEET_COLUMNS);
      expect(data.encoding).toBe('utf-8');
      expect(data.labels).toEqual({ name: '名称', level: '层级', parent: '上级' });
      expect(data.rows.map((r) => r.values.name)).toEqual(['城西社区', '幸福小区']);
    }
  });

  it('reads tab-separated text, also in UTF-16 (Excel 「Unicode 文本」)', async () => {
    const tsv = UNITS.map((r) => r.join('\t')).join('\r\n');
    const utf16 = writeTemp(dir, 'unicode.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(tsv, 'utf16le')]));
    const table = await readTable(utf16);
    expect(table).toMatchObject({ format: 'tsv', encoding: 'utf-16le' });
    const data = await readSheet(utf16, UNIT_SHEET_COLUMNS);
    expect(data.rows[1]!.values).toEqual({ name: '幸福小区', level: '小区', parent: '城西社区' });
  });

  it('finds the header below a title row and keeps Excel row numbers, blank lines counted', async () => {
    const file = writeTemp(
      dir,
      'titled.csv',
      csv([['2026年城东街道单位名单', '', '', ''], ['', '', '', ''], ['序号', '名称（必填）', '层级*', '上级'], ['1', '城西社区', '社区', ''], ['', '', '', ''], ['2', '幸福小区', '小区', '城西社区'], ['3', '', '', '']]),
    );
    const data = await readSheet(file, UNIT_SHEET_COLUMNS);
    expect(data.rows.map((r) => [r.row, r.values.name])).toEqual([
      [4, '城西社区'],
      [6, '幸福小区'],
    ]);
  });

  it('says which column is missing from the row that looks like the header', async () => {
    const file = writeTemp(dir, 'missing.csv', csv([['单位名单'], ['名称', '上级'], ['城西社区', '城东街道']]));
    const err = await userErrorOf(readSheet(file, UNIT_SHEET_COLUMNS));
    expect(err.message).toContain('第 2 行像是表头，但缺少 「层级」或「类型」或「级别」或「level」 列');
  });

  it('refuses a header with the same column twice, naming both', async () => {
    const file = writeTemp(dir, 'twice.csv', csv([['名称', '层级', '单位名称'], ['城西社区', '社区', '城西社区']]));
    const err = await userErrorOf(readSheet(file, UNIT_SHEET_COLUMNS));
    expect(err.message).toContain('有两列都表示「名称」（A 列「名称」和 C 列「单位名称」）');
  });

  it('refuses a CSV with an unclosed quote, in Chinese', async () => {
    const file = writeTemp(dir, 'quote.csv', '名称,层级\n"城西社区,社区\n');
    expect((await userErrorOf(readTable(file))).message).toContain('不是有效的 CSV 文件（第 2 行附近）：有一个引号（"）没有配对');
  });

  it('refuses bytes that are neither UTF-8 nor GBK', async () => {
    const file = writeTemp(dir, 'latin.csv', Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x0a, 0xff, 0xff, 0xff, 0x0a]));
    expect((await userErrorOf(readTable(file))).message).toContain('既不是 UTF-8 也不是 GBK');
  });
});

describe('.xlsx workbooks', () => {
  it('finds the header under a merged title and a 填表日期 row', async () => {
    const file = await writeWorkbook(dir, 'title.xlsx', (wb) => {
      const ws = wb.addWorksheet('Sheet1');
      ws.getCell('A1').value = '2026年城东街道单位名单';
      ws.mergeCells('A1:C1');
      ws.getCell('A2').value = '填表日期：2026年1月5日';
      ws.addRow(['名称', '层级', '上级']);
      ws.addRow(['城西社区', '社区', '城东街道']);
    });
    const data = await readSheet(file, UNIT_SHEET_COLUMNS);
    expect(data.rows).toEqual([{ sheet: null, row: 4, values: { name: '城西社区', level: '社区', parent: '城东街道' } }]);
  });

  it('skips a first sheet 「填表说明」 and names the data sheet in row references', async () => {
    const file = await writeWorkbook(dir, 'instructions.xlsx', (wb) => {
      const info = wb.addWorksheet('填表说明');
      info.addRow(['1. 名称：单位全称']);
      info.addRow(['2. 层级：社区、小区、楼宇、商圈、社会组织']);
      const ws = wb.addWorksheet('单位');
      ws.addRow(['名称', '层级', '上级']);
      ws.addRow(['城西社区', '社区', '']);
      const hidden = wb.addWorksheet('选项', { state: 'hidden' });
      hidden.addRow(['名称', '层级']);
      hidden.addRow(['不该读到', '社区']);
    });
    const data = await readSheet(file, UNIT_SHEET_COLUMNS);
    expect(data.sheets).toEqual(['单位']);
    expect(data.rows).toEqual([{ sheet: '单位', row: 2, values: { name: '城西社区', level: '社区', parent: '' } }]);
  });

  it('reads merged cells, formulas, rich text, dates and numbers as Excel shows them', async () => {
    const file = await writeWorkbook(dir, 'cells.xlsx', (wb) => {
      const ws = wb.addWorksheet('分数');
      ws.addRow(['单位', '指标', '分值', '年份', '备注']);
      ws.addRow([{ richText: [{ text: '甲' }, { text: '小区', font: { bold: true } }] }, '11.1', 9.5, 2026, new Date(Date.UTC(2026, 2, 5))]);
      ws.addRow([null, '11.2', { formula: '4+4.5', result: 8.5 }, 2026, { text: '复评', hyperlink: 'https://example.cn' }]);
      ws.mergeCells('A2:A3');
      ws.addRow(['乙小区', '11.1', { formula: '0.1+0.2', result: 0.30000000000000004 }, { formula: 'D2', result: 2026 }, { error: '#N/A' }]);
    });
    const data = await readSheet(file, [
      { key: 'unit', aliases: ['单位'], required: true },
      { key: 'item', aliases: ['指标'], required: true },
      { key: 'points', aliases: ['分值'], required: true },
      { key: 'year', aliases: ['年份'], required: false },
      { key: 'note', aliases: ['备注'], required: false },
    ]);
    expect(data.rows.map((r) => r.values)).toEqual([
      { unit: '甲小区', item: '11.1', points: '9.5', year: '2026', note: '2026-03-05' },
      { unit: '甲小区', item: '11.2', points: '8.5', year: '2026', note: '复评' },
      { unit: '乙小区', item: '11.1', points: '0.3', year: '2026', note: '#N/A' },
    ]);
  });

  it('refuses a workbook with no header anywhere, listing the sheets it looked at', async () => {
    const file = await writeWorkbook(dir, 'noheader.xlsx', (wb) => {
      wb.addWorksheet('填表说明').addRow(['请填写']);
      wb.addWorksheet('Sheet2').addRow(['随便', '写写']);
    });
    const err = await userErrorOf(readSheet(file, UNIT_SHEET_COLUMNS));
    expect(err.message).toContain('找不到表头（查看了工作表：「填表说明」、「Sheet2」）');
    expect(err.field).toBe('--file');
  });
});

describe('files that are not sheets, and the caps', () => {
  it('refuses an old .xls with a message saying to save as .xlsx or CSV', async () => {
    // An .xls is an OLE2 compound file: its signature is what the reader recognises.
    const file = writeTemp(dir, 'old.xls', Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(1024)]));
    const err = await userErrorOf(readTable(file));
    expect(err.message).toContain('旧版 Excel 97-2003 格式（.xls）');
    expect(err.message).toContain('另存为');
    expect(err.message).toContain('Excel 工作簿（*.xlsx）');
  });

  it('refuses a .docx by its name, and a Word document renamed to .xlsx by its content', async () => {
    const docx = storedZip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w:document/>' });
    expect((await userErrorOf(readTable(writeTemp(dir, 'notes.docx', docx)))).message).toContain('是 Word 文档，不是可导入的表格');
    expect((await userErrorOf(readTable(writeTemp(dir, 'renamed.xlsx', docx)))).message).toContain('是 Word 文档，不是表格');
  });

  it('refuses a workbook that would unpack beyond the cap (declared sizes, as a zip bomb states them)', async () => {
    const bomb = storedZip({ '[Content_Types].xml': '<Types/>', 'xl/workbook.xml': '<workbook/>', 'xl/worksheets/sheet1.xml': '<worksheet/>' }, { 'xl/worksheets/sheet1.xml': MAX_XLSX_UNPACKED_BYTES });
    expect((await userErrorOf(readTable(writeTemp(dir, 'bomb.xlsx', bomb)))).message).toContain(`解压后超过 ${MAX_XLSX_UNPACKED_BYTES / 1024 / 1024} MB`);
  });

  it('refuses an HTML page saved as .xls, a PDF, an empty file, an unknown extension and a missing file', async () => {
    expect((await userErrorOf(readTable(writeTemp(dir, 'export.xls', '<html><table><tr><td>名称</td></tr></table></html>')))).message).toContain('实际上是网页');
    expect((await userErrorOf(readTable(writeTemp(dir, 'scan.csv', '%PDF-1.7\n')))).message).toContain('是 PDF 文件');
    expect((await userErrorOf(readTable(writeTemp(dir, 'empty.csv', '')))).message).toContain('是空文件');
    expect((await userErrorOf(readTable(writeTemp(dir, 'units.md', '名称,层级\n')))).message).toContain('扩展名是 .md');
    expect((await userErrorOf(readTable(`${dir}/nope.csv`))).message).toContain('找不到文件');
    expect((await userErrorOf(readTable(dir))).message).toContain('是一个文件夹');
  });

  it('stops reading /dev/zero at the size cap with a clear message', async () => {
    const before = process.memoryUsage().rss;
    const err = await userErrorOf(readImportFile('/dev/zero'));
    expect(err.message).toContain(`超过导入文件的上限 ${MAX_IMPORT_BYTES / 1024 / 1024} MB`);
    // It read at most the cap (plus one chunk), not more.
    expect(process.memoryUsage().rss - before).toBeLessThan(4 * MAX_IMPORT_BYTES);
  });

  it('refuses a file over the cap by its size before reading it', async () => {
    const file = `${dir}/big.csv`;
    const fd = openSync(file, 'w');
    ftruncateSync(fd, MAX_IMPORT_BYTES + 1);
    closeSync(fd);
    expect((await userErrorOf(readTable(file))).message).toContain('超过导入文件的上限');
  });

  it(`refuses more than ${MAX_IMPORT_ROWS} non-blank rows`, async () => {
    const rows = ['名称,层级', ...Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => `小区${i},小区`)];
    const file = writeTemp(dir, 'many.csv', rows.join('\n'));
    expect((await userErrorOf(readTable(file))).message).toContain(`超过 ${MAX_IMPORT_ROWS} 行的导入上限`);
    // Blank lines are not counted.
    const blanks = writeTemp(dir, 'blanks.csv', `名称,层级\n${'\n'.repeat(MAX_IMPORT_ROWS * 2)}城西社区,社区\n`);
    expect((await readTable(blanks)).sheets[0]!.rows.map((r) => r.row)).toEqual([1, MAX_IMPORT_ROWS * 2 + 2]);
  });
});

describe('header helpers', () => {
  it('normalises full-width forms, markers and remarks', () => {
    expect(normalizeHeader(' 名称（必填）* ')).toBe('名称');
    expect(normalizeHeader('ＯＰＥＮ_ＩＤ')).toBe('open_id');
    expect(normalizeHeader('手机号 (11位)')).toBe('手机号');
  });

  it('names columns as Excel does', () => {
    expect([0, 25, 26, 27, 701, 702].map(columnLetter)).toEqual(['A', 'Z', 'AA', 'AB', 'ZZ', 'AAA']);
  });
});
