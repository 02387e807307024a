/**
 * Reading an import file safely: a size cap enforced while reading (so `/dev/zero` or a
 * mistaken 2 GB file stops at the cap instead of growing memory), and a look at the first
 * bytes to tell a workbook, a text table and the files people pick by mistake apart, each
 * with a Chinese message saying what to do instead.
 */
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { UserError } from '../errors.js';

/** Largest import file read (bytes). Real sheets are a few hundred KB. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
/** Most non-blank rows read from one file, all sheets together (titles and instructions included). */
export const MAX_IMPORT_ROWS = 10_000;
/**
 * Most bytes an .xlsx may unpack to (declared sizes of its zip entries): exceljs holds the whole
 * workbook in memory, about 10× its unpacked size (a 20 MB, 400,000-cell sheet peaks near 300 MB).
 * Also a guard against zip bombs, as far as declared sizes go.
 */
export const MAX_XLSX_UNPACKED_BYTES = 32 * 1024 * 1024;

const MB = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MB`;

export type ImportFileKind = 'xlsx' | 'text';

/** How messages name the file: as the person typed it. */
export function fileLabel(file: string): string {
  return file;
}

/** 「是 Word 文档」 but 「是压缩包」: a space only before a Latin word. */
const isA = (kind: string): string => (/^[A-Za-z]/.test(kind) ? `是 ${kind}` : `是${kind}`);

function refuse(message: string): UserError {
  return new UserError('bad_argument', message, '--file');
}

const SAVE_AS_HINT = '请在 Excel（或 WPS）中打开，「文件 → 另存为」选择「Excel 工作簿（*.xlsx）」或「CSV UTF-8（逗号分隔）（*.csv）」，再导入另存的文件。';

/** Extensions refused before reading, with what they are. */
const REFUSED_EXTENSIONS: Record<string, string> = {
  '.doc': 'Word 文档',
  '.docx': 'Word 文档',
  '.wps': 'WPS 文字文档',
  '.pdf': 'PDF 文件',
  '.ppt': 'PowerPoint 演示文稿',
  '.pptx': 'PowerPoint 演示文稿',
  '.dps': 'WPS 演示文稿',
  '.xlsb': 'Excel 二进制工作簿（.xlsb）',
  '.ods': 'OpenDocument 表格（.ods）',
  '.numbers': 'Numbers 表格',
  '.zip': '压缩包',
  '.rar': '压缩包',
  '.7z': '压缩包',
  '.png': '图片',
  '.jpg': '图片',
  '.jpeg': '图片',
};

/** Extensions read by content (an exported ".xls" is often really text or HTML; a path such as /dev/stdin has none). */
const READ_EXTENSIONS = new Set(['.csv', '.tsv', '.txt', '.xlsx', '.xlsm', '.xls', '.et', '']);

/**
 * Checks the extension, then reads at most MAX_IMPORT_BYTES (streaming, so a device or a pipe
 * that never ends is cut off at the cap).
 */
export async function readImportFile(file: string, maxBytes = MAX_IMPORT_BYTES): Promise<Buffer> {
  const name = fileLabel(file);
  const ext = extname(file).toLowerCase();
  const refusedKind = REFUSED_EXTENSIONS[ext];
  if (refusedKind) {
    const spreadsheetLike = ext === '.xlsb' || ext === '.ods' || ext === '.numbers';
    throw refuse(`${name} ${isA(refusedKind)}，不是可导入的表格。${spreadsheetLike ? SAVE_AS_HINT : '请导入 Excel 工作簿（.xlsx）或 CSV 文件。'}`);
  }
  if (!READ_EXTENSIONS.has(ext)) throw refuse(`只能导入 Excel 工作簿（.xlsx）或 CSV 文件，${name} 的扩展名是 ${ext}`);

  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw refuse(`找不到文件：${file}（是否写错了路径？）`);
    if (code === 'EACCES' || code === 'EPERM') throw refuse(`没有权限读取文件：${file}`);
    if (code === 'EISDIR') throw refuse(`${file} 是一个文件夹，不是文件`);
    throw refuse(`无法读取文件 ${file}（${code ?? String(err)}）`);
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw refuse(`${file} 是一个文件夹，不是文件`);
    const tooBig = refuse(`${name} 超过导入文件的上限 ${MB(maxBytes)}，没有导入。请删去无关的工作表、图片和空行，或拆成几个文件分别导入。`);
    if (st.isFile() && st.size > maxBytes) throw tooBig;
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(chunk, 0, chunk.length, null));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EISDIR') throw refuse(`${file} 是一个文件夹，不是文件`);
        throw refuse(`读取 ${file} 时出错（${code ?? String(err)}）`);
      }
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooBig;
      chunks.push(Buffer.from(chunk.subarray(0, bytesRead)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

const OLE2_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** Names and declared unpacked sizes of a zip's entries, from its central directory; undefined if not a readable zip. */
function zipEntries(buf: Buffer): Array<{ name: string; size: number }> | undefined {
  // The end-of-central-directory record sits in the last 22 + 65535 bytes.
  const from = Math.max(0, buf.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = buf.length - 22; i >= from; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries: Array<{ name: string; size: number }> = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== 0x02014b50) return undefined;
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    entries.push({ name: buf.toString('utf8', at + 46, at + 46 + nameLength), size });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * What the bytes are: an .xlsx workbook or text (CSV/TSV). Anything else is refused with a
 * message naming what it is and how to get a sheet the importer reads.
 */
export function classifyImportFile(file: string, buf: Buffer): ImportFileKind {
  const name = fileLabel(file);
  const ext = extname(file).toLowerCase();
  if (buf.length === 0) throw refuse(`${name} 是空文件，没有可导入的内容`);
  if (buf.length >= 8 && buf.subarray(0, 8).equals(OLE2_MAGIC)) {
    if (ext === '.et') throw refuse(`${name} 是 WPS 表格专用格式（.et），无法直接导入。${SAVE_AS_HINT}`);
    throw refuse(`${name} 是旧版 Excel 97-2003 格式（.xls），无法直接导入。${SAVE_AS_HINT}`);
  }
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50) {
    const entries = zipEntries(buf);
    if (!entries) throw refuse(`${name} 像是 .xlsx 工作簿，但文件已损坏或不完整（可能没有下载完），请重新保存后再导入`);
    const names = entries.map((e) => e.name);
    if (names.includes('xl/workbook.xml')) {
      const unpacked = entries.reduce((sum, e) => sum + e.size, 0);
      if (unpacked > MAX_XLSX_UNPACKED_BYTES) throw refuse(`${name} 解压后超过 ${MB(MAX_XLSX_UNPACKED_BYTES)}，没有导入。请删去无关的工作表、图片和空行，或拆成几个文件分别导入。`);
      return 'xlsx';
    }
    if (names.includes('xl/workbook.bin')) throw refuse(`${name} 是 Excel 二进制工作簿（.xlsb），无法直接导入。${SAVE_AS_HINT}`);
    if (names.some((n) => n.startsWith('word/'))) throw refuse(`${name} 是 Word 文档，不是表格。请导入 Excel 工作簿（.xlsx）或 CSV 文件。`);
    if (names.some((n) => n.startsWith('ppt/'))) throw refuse(`${name} 是 PowerPoint 演示文稿，不是表格。请导入 Excel 工作簿（.xlsx）或 CSV 文件。`);
    if (names.includes('content.xml')) throw refuse(`${name} 是 OpenDocument 文件（如 .ods），无法直接导入。${SAVE_AS_HINT}`);
    throw refuse(`${name} 是压缩包，不是表格。请导入 Excel 工作簿（.xlsx）或 CSV 文件。`);
  }
  const head = buf.subarray(0, Math.min(buf.length, 8192));
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') throw refuse(`${name} 是 PDF 文件，不是表格。请导入 Excel 工作簿（.xlsx）或 CSV 文件。`);
  const utf16 = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
  if (!utf16 && head.includes(0)) throw refuse(`${name} 不是表格文件（CSV 或 .xlsx），无法导入`);
  const start = head.toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart().slice(0, 200).toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html') || start.startsWith('<table') || (start.startsWith('<?xml') && start.includes('urn:schemas-microsoft-com:office'))) {
    throw refuse(`${name} 实际上是网页（HTML/XML）格式，只是扩展名像表格。${SAVE_AS_HINT}`);
  }
  return 'text';
}
