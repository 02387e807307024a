/**
 * The programme's calendar (issue 16 #4, #7). The document was written for a programme whose
 * first year was 2021; a street running it from another year reads every date the plan prints
 * shifted by the same number of years (the document's 2021 = programme year 1, its 2020 = the
 * planning months before year 1). Pure.
 *
 * Valid programme years run from the year the first phase starts (规划部署阶段, October of
 * year 0) to the year the last bounded phase ends (全面验收阶段, December of year 3), plus
 * `plan.longTermYears` years of the open-ended 长效提升阶段.
 */
import { resolveMonthRef } from './load-plan.js';
import type { Milestone, MonthRef, Phase, Plan } from './schema.js';

export interface ProgrammeYears {
  /** Programme year 1 (the document's `documentFirstYear`). */
  firstYear: number;
  /** The earliest year of any phase (规划部署阶段 starts in year 1 − 1). */
  first: number;
  /** The year the last phase with an end month ends (全面验收阶段: year 1 + 2). */
  lastBounded: number;
  /** `lastBounded + plan.longTermYears`: the last year the programme tracks. */
  last: number;
  longTermYears: number;
}

/** The range of years the programme covers when its year 1 is `firstYear`. */
export function programmeYears(plan: Plan, firstYear: number): ProgrammeYears {
  let first = firstYear;
  let lastBounded = firstYear;
  for (const p of plan.phases) {
    first = Math.min(first, resolveMonthRef(p.start, firstYear).year);
    if (p.end !== null) lastBounded = Math.max(lastBounded, resolveMonthRef(p.end, firstYear).year);
  }
  for (const m of plan.milestones) lastBounded = Math.max(lastBounded, resolveMonthRef(m.due, firstYear).year);
  return { firstYear, first, lastBounded, last: lastBounded + plan.longTermYears, longTermYears: plan.longTermYears };
}

/** 'planning' = before year 1 (规划部署阶段), 'action' = the three years, 'long_term' = 长效提升阶段. */
export type ProgrammeYearKind = 'planning' | 'action' | 'long_term';

/** What part of the programme a year belongs to, or null when it is outside the programme. */
export function programmeYearKind(plan: Plan, firstYear: number, year: number): ProgrammeYearKind | null {
  const r = programmeYears(plan, firstYear);
  if (!Number.isInteger(year) || year < r.first || year > r.last) return null;
  if (year < firstYear) return 'planning';
  return year <= r.lastBounded ? 'action' : 'long_term';
}

/** The programme's years in Chinese, e.g. 「2025–2030 年（2025 年规划部署，2026–2028 年三年行动，2029–2030 年长效提升）」. */
function programmeYearsZh(plan: Plan, firstYear: number): string {
  const r = programmeYears(plan, firstYear);
  const span = (a: number, b: number) => (a === b ? `${a}` : `${a}–${b}`);
  const parts: string[] = [];
  if (r.first < firstYear) parts.push(`${span(r.first, firstYear - 1)} 年规划部署`);
  parts.push(`${span(firstYear, r.lastBounded)} 年三年行动`);
  if (r.last > r.lastBounded) parts.push(`${span(r.lastBounded + 1, r.last)} 年长效提升`);
  return `${span(r.first, r.last)} 年（${parts.join('，')}）`;
}

/**
 * Null when `year` is a programme year; otherwise the Chinese message to refuse it with
 * (for `score set --year`, 得分 …, `task instantiate --year`).
 */
export function programmeYearProblem(plan: Plan, firstYear: number, year: number): string | null {
  if (programmeYearKind(plan, firstYear, year) !== null) return null;
  return `${year} 年不在本轮行动的年份内；本轮行动为 ${programmeYearsZh(plan, firstYear)}`;
}

// ---------------------------------------------------------------- document years

/** The document years the plan's own dates span (phases and milestones), e.g. 2020–2023. */
function documentYearSpan(plan: Plan): { from: number; to: number } {
  const r = programmeYears(plan, plan.documentFirstYear);
  return { from: r.first, to: r.lastBounded };
}

/** The programme year a year printed in the document stands for. */
function programmeYearOfDocumentYear(plan: Plan, firstYear: number, documentYear: number): number {
  return firstYear + (documentYear - plan.documentFirstYear);
}

const DOCUMENT_YEAR = /(?<!\d)(\d{4})(?=\s*年)/g;

/**
 * A text of the plan with every document year it prints (「到2022年12月」, 「2021年6月，街道进行
 * 阶段性预验收」, 「从2023年7月起」, 「2021年社区创建类型」) replaced by the programme's year.
 * Only years within the plan's own span are mapped; other numbers are left alone.
 */
export function programmeText(plan: Plan, firstYear: number, text: string): string {
  if (firstYear === plan.documentFirstYear) return text;
  const { from, to } = documentYearSpan(plan);
  return text.replace(DOCUMENT_YEAR, (whole, y: string) => {
    const year = Number(y);
    return year >= from && year <= to ? String(programmeYearOfDocumentYear(plan, firstYear, year)) : whole;
  });
}

const programmePlans = new WeakMap<Plan, Map<number, Plan>>();

/**
 * The plan as a street running it from `firstYear` reads it: every text with the document's
 * years mapped to the programme's (structure, ids and month offsets unchanged). Memoised
 * and frozen, so engines that cache per plan object compile it once.
 */
export function programmePlan(plan: Plan, firstYear: number): Plan {
  if (firstYear === plan.documentFirstYear) return plan;
  let byYear = programmePlans.get(plan);
  if (!byYear) {
    byYear = new Map();
    programmePlans.set(plan, byYear);
  }
  const cached = byYear.get(firstYear);
  if (cached) return cached;
  const mapped = mapStrings(plan, (s) => programmeText(plan, firstYear, s)) as Plan;
  deepFreeze(mapped);
  byYear.set(firstYear, mapped);
  return mapped;
}

function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
  }
  return value;
}

function deepFreeze(value: unknown): void {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
}

// ---------------------------------------------------------------- labels

/** 「2026年6月」. */
function monthLabel(ref: MonthRef, firstYear: number): string {
  const r = resolveMonthRef(ref, firstYear);
  return `${r.year}年${r.month}月`;
}

/** 'YYYY-MM' of a plan month in the programme's years. */
function monthKey(ref: MonthRef, firstYear: number): string {
  const r = resolveMonthRef(ref, firstYear);
  return `${r.year}-${String(r.month).padStart(2, '0')}`;
}

/**
 * A milestone as the document heads it, in the programme's years: 「到2026年2月」,
 * 「到2026年6月底」, 「到2027年12月」 (the document's wording kept, its year mapped).
 */
export function milestoneLabel(plan: Plan, firstYear: number, m: Milestone): string {
  const head = /^到\d{4}年\d{1,2}月底?/.exec(programmeText(plan, firstYear, m.text));
  return head?.[0] ?? `到${monthLabel(m.due, firstYear)}`;
}

/** A phase's months in the programme's years: 「2025年10月—2026年2月」, 「2029年1月起」. */
export function phaseLabel(p: Phase, firstYear: number): string {
  const start = monthLabel(p.start, firstYear);
  return p.end === null ? `${start}起` : `${start}—${monthLabel(p.end, firstYear)}`;
}

/**
 * The milestone a person means: its id (`y2-12`), its month in the programme's years
 * ('2027-12', '2027年12月', '到2027年12月底'), or undefined.
 */
export function findMilestone(plan: Plan, firstYear: number, text: string): Milestone | undefined {
  const t = text.normalize('NFKC').trim();
  const byId = plan.milestones.find((m) => m.id === t);
  if (byId) return byId;
  const ym = /^(?:到)?(\d{4})(?:-|年)(\d{1,2})(?:月底?)?$/.exec(t);
  if (!ym) return undefined;
  const key = `${ym[1]}-${ym[2]!.padStart(2, '0')}`;
  return plan.milestones.find((m) => monthKey(m.due, firstYear) === key);
}
