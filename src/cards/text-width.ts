/**
 * Display width of text in terminal / spreadsheet columns: CJK ideographs, kana, hangul,
 * full-width forms and emoji take two columns, everything else one. Used to align the console's
 * text charts and to size spreadsheet columns for Chinese text.
 */

const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

function isWide(codePoint: number): boolean {
  for (const [from, to] of WIDE_RANGES) {
    if (codePoint < from) return false;
    if (codePoint <= to) return true;
  }
  return false;
}

/** Columns `text` occupies (combining marks and variation selectors count zero). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0x200d) continue;
    width += isWide(cp) ? 2 : 1;
  }
  return width;
}

/** Cuts `text` to at most `columns` display columns, marking a cut with 「…」 (one column). */
export function clipToWidth(text: string, columns: number): string {
  if (displayWidth(text) <= columns) return text;
  let out = '';
  let width = 0;
  for (const ch of text) {
    const w = displayWidth(ch);
    if (width + w > columns - 1) break;
    out += ch;
    width += w;
  }
  return `${out}…`;
}

/** `text` clipped and right-padded with spaces to exactly `columns` display columns. */
export function padToWidth(text: string, columns: number): string {
  const clipped = clipToWidth(text, columns);
  return clipped + ' '.repeat(Math.max(0, columns - displayWidth(clipped)));
}
