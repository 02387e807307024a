/**
 * The occurrences (periods) of a task in its programme year. Pure.
 *
 * A dated task has one occurrence whose period id is the year ('2026'), starting on 1 January
 * and due on the date of its deadline phrase. A recurring task (「贯穿全年」) has one occurrence
 * per period of its cadence, each due at the end of its period:
 *
 *   cadence        period ids                         start … due
 *   monthly        2026-01 … 2026-12                  1st … last day of the month
 *   twice_monthly  2026-01-上, 2026-01-下 … 2026-12-下  1st … 15th, 16th … last day
 *   quarterly      2026-Q1 … 2026-Q4                  1 Jan … 31 Mar, … 1 Oct … 31 Dec
 *   bimonthly      2026-B1 … 2026-B6                  B1 = Jan–Feb … B6 = Nov–Dec
 *   yearly         2026                               1 Jan … 31 Dec
 *   periodic       2026-01 … 2026-12                  as monthly: 「定期」 without a frequency is
 *                                                    checked in monthly until the office sets one
 *
 * On input `normalisePeriod` also accepts '2026-03a' / '2026-03b' for 上/下 and lower-case
 * 'q1' / 'b1'.
 */
import { CADENCES, type Cadence } from '../plan/schema.js';
import { UserError } from '../errors.js';
import { formatDate, lastDayOfMonth } from './dates.js';
import { parseDeadline } from './deadline.js';

export interface Occurrence {
  period: string;
  /** First day of the period, 'YYYY-MM-DD'. */
  start: string;
  /** Due date (deadline at the end of that day), 'YYYY-MM-DD'. */
  dueDate: string;
}

export interface OccurrenceTask {
  deadlineText: string;
  cadence: Cadence | null;
  year: number;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Every occurrence of the task in its year, in chronological order. */
export function occurrencesFor(task: OccurrenceTask): Occurrence[] {
  const { year, cadence } = task;
  const deadline = parseDeadline(task.deadlineText, year);
  if (deadline.kind === 'date') {
    if (cadence !== null) {
      throw new UserError('bad_argument', `完成时间「${task.deadlineText}」是固定日期，不能设置周期 ${cadence}（只有「贯穿全年」的任务才按周期重复）`, '--cadence');
    }
    return [{ period: String(year), start: formatDate(year, 1, 1), dueDate: deadline.date }];
  }
  if (cadence === null) {
    throw new UserError('bad_argument', `「贯穿全年」的任务必须设置周期（${CADENCES.join('、')}）`, '--cadence');
  }
  return cadenceOccurrences(cadence, year);
}

export function cadenceOccurrences(cadence: Cadence, year: number): Occurrence[] {
  const out: Occurrence[] = [];
  switch (cadence) {
    case 'monthly':
    case 'periodic':
      for (let m = 1; m <= 12; m++) out.push({ period: `${year}-${pad2(m)}`, start: formatDate(year, m, 1), dueDate: lastDayOfMonth(year, m) });
      break;
    case 'twice_monthly':
      for (let m = 1; m <= 12; m++) {
        out.push({ period: `${year}-${pad2(m)}-上`, start: formatDate(year, m, 1), dueDate: formatDate(year, m, 15) });
        out.push({ period: `${year}-${pad2(m)}-下`, start: formatDate(year, m, 16), dueDate: lastDayOfMonth(year, m) });
      }
      break;
    case 'quarterly':
      for (let q = 1; q <= 4; q++) {
        out.push({ period: `${year}-Q${q}`, start: formatDate(year, q * 3 - 2, 1), dueDate: lastDayOfMonth(year, q * 3) });
      }
      break;
    case 'bimonthly':
      for (let b = 1; b <= 6; b++) {
        out.push({ period: `${year}-B${b}`, start: formatDate(year, b * 2 - 1, 1), dueDate: lastDayOfMonth(year, b * 2) });
      }
      break;
    case 'yearly':
      out.push({ period: String(year), start: formatDate(year, 1, 1), dueDate: formatDate(year, 12, 31) });
      break;
    default: {
      const never: never = cadence;
      throw new UserError('bad_argument', `未知的周期 ${String(never)}`, '--cadence');
    }
  }
  return out;
}

/** Canonical period id from what a person typed: trims, folds full-width, 'a'/'b' → 上/下, 'q'/'b' upper-cased. */
export function normalisePeriod(input: string): string {
  const s = input.normalize('NFKC').trim();
  const half = /^(\d{4}-\d{2})-?([ab上下])$/i.exec(s);
  if (half) return `${half[1]}-${/^(a|上)$/i.test(half[2] ?? '') ? '上' : '下'}`;
  const qb = /^(\d{4})-([qb])(\d)$/i.exec(s);
  if (qb) return `${qb[1]}-${(qb[2] ?? '').toUpperCase()}${qb[3]}`;
  return s;
}

/** The occurrence with this period id; error listing the valid periods otherwise. */
export function findOccurrence(task: OccurrenceTask & { seq?: number }, period: string): Occurrence {
  const occurrences = occurrencesFor(task);
  const wanted = normalisePeriod(period);
  const found = occurrences.find((o) => o.period === wanted);
  if (!found) {
    const label = task.seq === undefined ? '该任务' : `任务 ${task.seq}`;
    throw new UserError('bad_argument', `${label}没有周期「${period}」；有效周期：${occurrences.map((o) => o.period).join(', ')}`, '--period');
  }
  return found;
}

/**
 * The days a period id names, as [first, last] ('YYYY-MM-DD'): a month, a half month (上/下),
 * a quarter, a two-month period, or a year. Undefined for anything else. Batch completion selects
 * the occurrences whose due date lies between the first day of one period and the last of another.
 */
export function periodDays(period: string): { first: string; last: string } | undefined {
  const p = normalisePeriod(period);
  let m = /^(\d{4})$/.exec(p);
  if (m) return { first: `${m[1]}-01-01`, last: `${m[1]}-12-31` };
  m = /^(\d{4})-(\d{2})$/.exec(p);
  if (m && Number(m[2]) >= 1 && Number(m[2]) <= 12) return { first: `${p}-01`, last: lastDayOfMonth(Number(m[1]), Number(m[2])) };
  m = /^(\d{4})-(\d{2})-(上|下)$/.exec(p);
  if (m && Number(m[2]) >= 1 && Number(m[2]) <= 12) {
    const [y, mo] = [Number(m[1]), Number(m[2])];
    return m[3] === '上' ? { first: formatDate(y, mo, 1), last: formatDate(y, mo, 15) } : { first: formatDate(y, mo, 16), last: lastDayOfMonth(y, mo) };
  }
  m = /^(\d{4})-Q([1-4])$/.exec(p);
  if (m) return { first: formatDate(Number(m[1]), Number(m[2]) * 3 - 2, 1), last: lastDayOfMonth(Number(m[1]), Number(m[2]) * 3) };
  m = /^(\d{4})-B([1-6])$/.exec(p);
  if (m) return { first: formatDate(Number(m[1]), Number(m[2]) * 2 - 1, 1), last: lastDayOfMonth(Number(m[1]), Number(m[2]) * 2) };
  return undefined;
}
