/**
 * Reading back the workbooks the exports write, and checking what Excel and WPS check before
 * they offer a "repair": a zip whose every XML part is well-formed, a content type for every
 * sheet, sheet names Excel accepts (≤ 31 characters, none of []:*?/\, unique case-insensitively),
 * a shared-strings table whose counts match its entries and that every `t="s"` cell indexes, and
 * merged ranges that do not overlap. (A real Excel is not available here; LibreOffice neither.)
 */
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { SaxesParser } from 'saxes';

export async function readWorkbook(bytes: Uint8Array): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  return wb;
}

/** The text a cell shows (numbers as numbers' text, dates as ISO, empty as ''). */
export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && 'richText' in value) return value.richText.map((r) => r.text).join('');
  return String(value);
}

/** Rows of a sheet as arrays of cell values (1-based columns → index 0), `from` the first data row. */
export function sheetRows(ws: ExcelJS.Worksheet, from: number): ExcelJS.CellValue[][] {
  const rows: ExcelJS.CellValue[][] = [];
  for (let r = from; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    const values: ExcelJS.CellValue[] = [];
    for (let c = 1; c <= ws.columnCount; c++) values.push(row.getCell(c).value);
    if (values.some((v) => v !== null && v !== undefined && v !== '')) rows.push(values);
  }
  return rows;
}

/** Parses XML strictly; returns the error or null, and collects elements for the callers. */
function parseXml(xml: string, onOpen?: (name: string, attributes: Record<string, string>) => void, onText?: (text: string) => void): string | null {
  const parser = new SaxesParser({ xmlns: false });
  let error: string | null = null;
  parser.on('error', (e) => {
    error ??= e.message;
  });
  if (onOpen) parser.on('opentag', (tag) => onOpen(tag.name, tag.attributes as Record<string, string>));
  if (onText) parser.on('text', onText);
  parser.write(xml).close();
  return error;
}

const FORBIDDEN_SHEET_CHARS = /[[\]:*?/\\]/;

export async function xlsxProblems(bytes: Uint8Array): Promise<string[]> {
  const problems: string[] = [];
  const zip = await JSZip.loadAsync(bytes);
  const parts = Object.keys(zip.files).filter((p) => !zip.files[p]!.dir);
  const text = async (p: string) => (await zip.file(p)?.async('string')) ?? '';
  for (const p of parts.filter((x) => /\.(xml|rels)$/.test(x))) {
    const err = parseXml(await text(p));
    if (err) problems.push(`${p}: ${err}`);
  }
  for (const required of ['[Content_Types].xml', '_rels/.rels', 'xl/workbook.xml', 'xl/styles.xml']) if (!parts.includes(required)) problems.push(`missing ${required}`);

  const overrides = new Set<string>();
  parseXml(await text('[Content_Types].xml'), (name, a) => {
    if (name === 'Override' && a.PartName) overrides.add(a.PartName.replace(/^\//, ''));
  });
  for (const sheet of parts.filter((p) => /^xl\/worksheets\/sheet\d+\.xml$/.test(p))) if (!overrides.has(sheet)) problems.push(`no content type for ${sheet}`);

  const names: string[] = [];
  parseXml(await text('xl/workbook.xml'), (name, a) => {
    if (name === 'sheet') names.push(a.name ?? '');
  });
  if (names.length === 0) problems.push('a workbook without sheets');
  for (const n of names) {
    if (n.length === 0 || [...n].length > 31 || FORBIDDEN_SHEET_CHARS.test(n) || /^'|'$/.test(n)) problems.push(`sheet name not accepted by Excel: ${JSON.stringify(n)}`);
  }
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) problems.push(`duplicate sheet names: ${names.join(', ')}`);

  let entries = 0;
  let declared: number | null = null;
  if (parts.includes('xl/sharedStrings.xml')) {
    parseXml(await text('xl/sharedStrings.xml'), (name, a) => {
      if (name === 'sst') declared = a.uniqueCount === undefined ? null : Number(a.uniqueCount);
      if (name === 'si') entries++;
    });
    if (declared !== null && declared !== entries) problems.push(`sharedStrings uniqueCount ${declared} but ${entries} entries`);
  }
  for (const sheet of parts.filter((p) => /^xl\/worksheets\/sheet\d+\.xml$/.test(p))) {
    let sharedCell = false;
    const indexes: number[] = [];
    const merges: Array<[number, number, number, number]> = [];
    parseXml(
      await text(sheet),
      (name, a) => {
        sharedCell = name === 'c' ? a.t === 's' : name === 'v' ? sharedCell : false;
        if (name === 'mergeCell' && a.ref) {
          const m = /^([A-Z]+)(\d+):([A-Z]+)(\d+)$/.exec(a.ref);
          const col = (s: string) => [...s].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);
          if (m) merges.push([Number(m[2]), col(m[1]!), Number(m[4]), col(m[3]!)]);
        }
      },
      (t) => {
        if (sharedCell) indexes.push(Number(t));
      },
    );
    for (const i of indexes) if (!(Number.isInteger(i) && i >= 0 && i < entries)) problems.push(`${sheet}: shared string index ${i} outside 0..${entries - 1}`);
    merges.forEach((a, i) =>
      merges.slice(i + 1).forEach((b) => {
        if (a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]) problems.push(`${sheet}: overlapping merged ranges`);
      }),
    );
  }
  return problems;
}
