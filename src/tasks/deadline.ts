/**
 * Deadline phrases → concrete due dates. A due date is a calendar date; the deadline is the
 * end of that day in DANGJIAN_TZ (see status.ts). Pure.
 *
 * Phrases of the plan (Annex 3):
 *   「2月底」「5月底」「6月底」 (also 「X月末」) → last day of that month (29 Feb in a leap year)
 *   「3月」「5月」「6月」 → last day of that month
 *   「3月初」 → the 10th
 *   「6月前」 → last day of the month before (31 May)
 *   「贯穿全年」 → recurring (the cadence is a separate field)
 * Phrases the office types when adding tasks:
 *   「X月X日」「X月X号」, 「X月上旬/中旬/下旬」 (10th / 20th / last day), 「年底」「年末」 (31 Dec),
 *   「上半年」 (30 Jun), 「下半年」 (31 Dec), 「第N季度」「N季度末」「第N季度末」 (quarter end),
 *   an ISO date 'YYYY-MM-DD' (must lie in the task's year).
 * Numbers may be Arabic (full- or half-width) or Chinese (「三月底」「十二月上旬」); a month or day
 * phrase may carry its year (「2026年5月20日」), which must then be the task's year.
 * Anything else is an error naming the phrase — never a silent default.
 */
import { UserError } from '../errors.js';
import { formatDate, daysInMonth, lastDayOfMonth, parseDate } from './dates.js';

const RECURRING_PHRASE = '贯穿全年';

export type Deadline = { kind: 'date'; date: string } | { kind: 'recurring' };

/** Short description of what is accepted, for error messages and help text. */
export const DEADLINE_PHRASE_HELP =
  '「X月底」「X月末」「X月」「X月初」「X月前」「X月X日」「X月上旬/中旬/下旬」「年底」「年末」「上半年」「下半年」「第N季度」「N季度末」、ISO 日期 YYYY-MM-DD 或「贯穿全年」';

const CN_DIGITS: Record<string, number> = { 〇: 0, 零: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** '3', '12', '三', '十二', '二十一', '三十' → number; undefined when not a number word. */
export function parseSmallNumber(text: string): number | undefined {
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const m = /^([一二两三四五六七八九]?)(十?)([一二三四五六七八九]?)$/.exec(text);
  if (!m || text === '') return undefined;
  const [, tens = '', ten = '', units = ''] = m;
  if (ten === '') {
    // A single digit word; '二三' etc. do not match the regex above.
    return tens !== '' && units === '' ? CN_DIGITS[tens] : undefined;
  }
  return (tens === '' ? 1 : (CN_DIGITS[tens] ?? 0)) * 10 + (units === '' ? 0 : (CN_DIGITS[units] ?? 0));
}

/** NFKC folds full-width digits/letters/brackets; whitespace inside a phrase is dropped. */
function normalise(phrase: string): string {
  return phrase.normalize('NFKC').replace(/\s+/g, '');
}

const NUM = '(\\d{1,2}|[〇零一二两三四五六七八九十]{1,3})';

function bad(phrase: string, why?: string): UserError {
  const message = why === undefined ? `无法识别的完成时间「${phrase}」；可用：${DEADLINE_PHRASE_HELP}` : `完成时间「${phrase}」无效：${why}`;
  return new UserError('bad_argument', message, '--deadline');
}

/**
 * The due date of a deadline phrase in a programme year, or `{ kind: 'recurring' }` for
 * 「贯穿全年」. Throws UserError('bad_argument', …) naming the phrase when it is not understood
 * or names an impossible date (「2月30日」, 「13月」, an ISO date of another year).
 */
export function parseDeadline(phrase: string, year: number): Deadline {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) {
    throw new UserError('bad_argument', `年份 ${year} 无效（应为四位数年份）`, '--year');
  }
  const s = normalise(phrase);
  if (s === '') throw bad(phrase, '完成时间不能为空');
  if (s === RECURRING_PHRASE) return { kind: 'recurring' };

  // ISO date.
  if (/^\d{4}-\d{1,2}-\d{1,2}$/.test(s)) {
    const d = parseDate(s);
    if (!d) throw bad(phrase, '不是有效的日期（应为 YYYY-MM-DD，如 2026-05-20）');
    if (d.year !== year) throw bad(phrase, `日期不在 ${year} 年内`);
    return { kind: 'date', date: s };
  }

  const date = (d: string): Deadline => ({ kind: 'date', date: d });

  // Year-level phrases.
  if (s === '年底' || s === '年末') return date(formatDate(year, 12, 31));
  if (s === '上半年') return date(formatDate(year, 6, 30));
  if (s === '下半年') return date(formatDate(year, 12, 31));

  const quarter = new RegExp(`^(?:第${NUM}季度末?|${NUM}季度末|Q([1-4]))$`, 'i').exec(s);
  if (quarter) {
    const q = quarter[3] !== undefined ? Number(quarter[3]) : parseSmallNumber(quarter[1] ?? quarter[2] ?? '');
    if (q === undefined || q < 1 || q > 4) throw bad(phrase, '季度应为 1–4');
    return date(lastDayOfMonth(year, q * 3));
  }

  // Month-level phrases, optionally prefixed by the year (「2026年5月底」).
  const monthPhrase = new RegExp(`^(?:(\\d{4})年)?${NUM}月(.*)$`).exec(s);
  if (monthPhrase) {
    const [, yearText, monthText = '', rest = ''] = monthPhrase;
    if (yearText !== undefined && Number(yearText) !== year) throw bad(phrase, `日期不在 ${year} 年内`);
    const month = parseSmallNumber(monthText);
    if (month === undefined || month < 1 || month > 12) throw bad(phrase, '月份应为 1–12');
    switch (rest) {
      case '':
      case '底':
      case '末':
      case '下旬':
        return date(lastDayOfMonth(year, month));
      case '初':
      case '上旬':
        return date(formatDate(year, month, 10));
      case '中旬':
        return date(formatDate(year, month, 20));
      case '前':
        if (month === 1) throw bad(phrase, '「1月前」在本年度开始之前');
        return date(lastDayOfMonth(year, month - 1));
      default: {
        const day = new RegExp(`^${NUM}[日号]$`).exec(rest);
        if (!day) throw bad(phrase);
        const d = parseSmallNumber(day[1] ?? '');
        if (d === undefined || d < 1 || d > daysInMonth(year, month)) {
          throw bad(phrase, `${year} 年 ${month} 月没有这一天`);
        }
        return date(formatDate(year, month, d));
      }
    }
  }
  throw bad(phrase);
}
