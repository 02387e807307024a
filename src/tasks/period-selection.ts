/**
 * The [期次] people write for 完成 / 撤销 (chat) and `task done --period` (CLI): one period, a
 * range of them, or 「全部逾期」. Pure: the caller gives today's date.
 */
import { normalisePeriod, periodDays } from './occurrences.js';

/** Which occurrences a batch covers. */
export type PeriodSelection =
  /** Every occurrence overdue now (deadline passed, not done). */
  | { kind: 'overdue' }
  /** Every occurrence due within [first, last] ('YYYY-MM-DD'). */
  | { kind: 'due_between'; first: string; last: string };

const nfkc = (s: string) => s.normalize('NFKC').trim();
const yearOf = (today: string) => Number(today.slice(0, 4));

/**
 * A period as people type it: 2026-03, 2026-03-上, 2026-Q1, 2026-B1, 2026 — or, in the task's
 * year, 3月, 3月上, 3月下半月, Q1, 一季度, 第一季度. Returns undefined when the token is not a period.
 */
function parsePeriodToken(token: string, year: number): string | undefined {
  const s = nfkc(token);
  const m = /^(\d{4})-(\d{1,2})(-?[上下abAB])?$/.exec(s);
  if (m) return normalisePeriod(`${m[1]}-${m[2]!.padStart(2, '0')}${m[3] ? `-${m[3].replace(/^-/, '')}` : ''}`);
  if (/^\d{4}(-[QqBb]\d)?$/.test(s)) return normalisePeriod(s);
  const month = /^(\d{1,2})月(?:份)?([上下])?(?:半月|旬)?$/.exec(s);
  if (month && Number(month[1]) >= 1 && Number(month[1]) <= 12) return `${year}-${month[1]!.padStart(2, '0')}${month[2] ? `-${month[2]}` : ''}`;
  const q = /^(?:[Qq]([1-4])|第?([一二三四1-4])季度)$/.exec(s);
  if (q) {
    const n = q[1] ?? String('一二三四'.indexOf(q[2]!) + 1 || q[2]);
    return `${year}-Q${n}`;
  }
  return undefined;
}

const OVERDUE_WORDS = new Set(['全部逾期', '所有逾期', '逾期', '全部逾期期次']);
const RANGE_SEPARATOR = /\.\.|~|～|至|到/;

/** What the [期次] of 完成 / 撤销 means: one period (or none: the default one), or a batch. */
export type Selection = { kind: 'single'; year: number; period: string | undefined } | { kind: 'batch'; year: number; select: PeriodSelection; label: string };

/**
 * 「全部逾期」; a month range 「1-11月」 / 「2026年1-11月」; a period range 「2026-01..2026-11」
 * (also ~, 至, 到; quarters and half months too); else one period as before. Undefined when the
 * token is none of these.
 */
export function parseSelection(token: string | undefined, today: string): Selection | undefined {
  const current = yearOf(today);
  if (token === undefined) return { kind: 'single', year: current, period: undefined };
  const s = nfkc(token);
  if (OVERDUE_WORDS.has(s)) return { kind: 'batch', year: current, select: { kind: 'overdue' }, label: '全部逾期' };
  const months = /^(?:(\d{4})年?)?(\d{1,2})月?\s*(?:-|~|～|至|到|—)\s*(\d{1,2})月$/.exec(s);
  if (months) {
    const year = months[1] ? Number(months[1]) : current;
    const [lo, hi] = [Number(months[2]), Number(months[3])];
    if (lo < 1 || hi > 12 || lo > hi) return undefined;
    return { kind: 'batch', year, select: { kind: 'due_between', first: periodDays(`${year}-${String(lo).padStart(2, '0')}`)!.first, last: periodDays(`${year}-${String(hi).padStart(2, '0')}`)!.last }, label: s };
  }
  const parts = s.split(RANGE_SEPARATOR);
  if (parts.length === 2) {
    const year = /^\d{4}/.test(parts[0]!) ? Number(parts[0]!.slice(0, 4)) : current;
    const [a, b] = parts.map((p) => parsePeriodToken(p, year));
    const [da, db] = [a === undefined ? undefined : periodDays(a), b === undefined ? undefined : periodDays(b)];
    if (!da || !db || da.first > db.last) return undefined;
    return { kind: 'batch', year, select: { kind: 'due_between', first: da.first, last: db.last }, label: s };
  }
  const explicitYear = /^\d{4}/.test(s) ? Number(s.slice(0, 4)) : current;
  const period = parsePeriodToken(s, explicitYear);
  return period === undefined ? undefined : { kind: 'single', year: explicitYear, period };
}

