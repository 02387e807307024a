/**
 * 自查清单 (issue 13): a unit's self-assessment against its level's sub-items, apart from the
 * official scores (its own tables; self-scores never change a grade). Saved in parts (the card
 * form page by page, a text command, a spreadsheet), submitted once complete. Who may fill:
 * src/auth/policy.ts `mayFillForUnit`; refusals audited.
 */
import type { Actor } from '../auth/actor.js';
import { mayFillForUnit, requireOffice, requireRole } from '../auth/policy.js';
import type { Clock } from '../clock.js';
import { audit } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import type { SelfCheckEntryRow, SelfCheckStatus, Transaction, UnitRow } from '../db/schema.js';
import { syncUnitItems } from '../db/unit-item.repository.js';
import { ensureSelfCheck, findSelfCheck, insertSelfEntries, latestSelfEntries, markSelfCheckSubmitted, selfChecksOfYear, type NewSelfEntry } from '../db/self-check.repository.js';
import { listUnits } from '../db/unit.repository.js';
import { UserError } from '../errors.js';
import { RowErrors, type RowRef } from '../io/row-errors.js';
import { readSheet, type ColumnSpec } from '../io/spreadsheet.js';
import { LEVEL_NAMES_ZH, LEVELS, type Level, type Plan, type SubItem } from '../plan/schema.js';
import { compareNames } from '../scoring/index.js';
import { assessSelfCheck, submitProblems, type SelfCheckResult, type SelfEntry } from '../scoring/self-check.js';
import { parseIsoDate } from '../time.js';
import { officialStanding } from './grading.service.js';
import { requireProgramme } from './programme.service.js';
import { assessmentYear, parsePoints, parseYear } from './scores.service.js';
import { resolveUnit } from './units.service.js';

export interface SelfCheckDeps {
  db: Db;
  plan: Plan;
  clock: Clock;
  tz: string;
}

const MAX_TEXT = 200;

/**
 * One sub-item as a person filled it. For the three texts, `undefined` keeps what was saved
 * before (a text command that only changes the score), '' or null clears it.
 */
export interface SelfScoreInput {
  item: string;
  points: string | number;
  shortfall?: string | null | undefined;
  measure?: string | null | undefined;
  targetDate?: string | null | undefined;
}

/** The sub-items of a level's rubric, in plan order. */
function rubricOf(plan: Plan, level: Level): SubItem[] {
  const spec = plan.levels.find((l) => l.level === level);
  return spec ? spec.indicators.flatMap((i) => i.subItems) : [];
}

function resolveYear(deps: SelfCheckDeps, year: number | string | undefined): number {
  return year === undefined || String(year).trim() === '' ? assessmentYear(deps.clock, deps.tz) : parseYear(year, '年份');
}

const unitRef = (u: UnitRow) => ({ id: u.id, level: u.level, parentId: u.parent_id });

async function requireFiller(deps: SelfCheckDeps, actor: Actor, unit: UnitRow, action: string, what: string): Promise<void> {
  await requireRole(deps, actor, (a) => mayFillForUnit(a, unitRef(unit)), {
    action,
    subject: unit.name,
    reason: `只有「${unit.name}」的书记${unit.level === 'compound' ? '、所属社区的书记' : ''}或党建办可以${what}（${actor.name} 不是）`,
  });
}

/** 「2026-06-30」, 「2026/6/30」, 「2026.6.30」 or 「2026年6月30日」 → YYYY-MM-DD. */
function normaliseDate(text: string): string | undefined {
  // A form's date picker sends 「2026-06-30 +0800」.
  const t = text.normalize('NFKC').trim().replace(/\s+[+-]\d{4}$/, '');
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(t);
  if (!m) return undefined;
  return parseIsoDate(`${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`);
}

function cleanText(value: string | null | undefined, previous: string | null, what: string, code: string): string | null {
  if (value === undefined) return previous;
  const t = (value ?? '').trim();
  if (t === '') return null;
  if (t.length > MAX_TEXT) throw new UserError('bad_argument', `${code} 的${what}不能超过 ${MAX_TEXT} 个字（收到 ${t.length} 个字）`, what);
  return t;
}

/** Validates one filled sub-item against the unit's rubric; `previous` supplies kept texts. */
function resolveSelfEntry(plan: Plan, unit: UnitRow, year: number, input: SelfScoreInput, previous: SelfCheckEntryRow | undefined): NewSelfEntry {
  const code = input.item.normalize('NFKC').trim();
  if (code === '') throw new UserError('bad_argument', '缺少指标编号（例如 6.1）', '编号');
  const subItem = rubricOf(plan, unit.level).find((s) => s.code === code);
  if (!subItem) throw new UserError('not_found', `「${unit.name}」是${LEVEL_NAMES_ZH[unit.level]}，${LEVEL_NAMES_ZH[unit.level]}层面没有指标「${code}」`, '编号');
  const points = parsePoints(input.points, subItem.points, code, '自评分');
  const halfPoints = Math.round(points * 2);
  if (points >= subItem.points) return { itemCode: code, halfPoints, shortfall: null, measure: null, targetDate: null };
  const shortfall = cleanText(input.shortfall, previous?.shortfall ?? null, '短板', code);
  const measure = cleanText(input.measure, previous?.measure ?? null, '措施', code);
  let targetDate = previous?.target_date ?? null;
  if (input.targetDate !== undefined) {
    const t = (input.targetDate ?? '').trim();
    if (t === '') targetDate = null;
    else {
      const d = normaliseDate(t);
      if (!d) throw new UserError('bad_argument', `${code} 的完成时限应为日期，例如 ${year}-06-30（收到「${t}」）`, '完成时限');
      const y = Number(d.slice(0, 4));
      if (y < year || y > year + 1) throw new UserError('bad_argument', `${code} 的完成时限应在 ${year} 年或 ${year + 1} 年内（收到 ${d}）`, '完成时限');
      targetDate = d;
    }
  }
  return { itemCode: code, halfPoints, shortfall, measure, targetDate };
}

/**
 * A submitted self-check's measures with a target date are the unit's own tracked items
 * (its board 「事项」, its chat's daily card): kept in step with every later save.
 */
async function syncMeasureItems(trx: Transaction, unitId: number, year: number, checkId: number, at: number): Promise<void> {
  const entries = await latestSelfEntries(trx, checkId);
  const desired = entries
    .filter((e) => e.measure !== null && e.target_date !== null)
    .map((e) => ({ ref: `self_check:${year}:${e.item_code}`, title: `自查 ${e.item_code}：${e.measure}`, dueDate: e.target_date! }));
  await syncUnitItems(trx, { unitId, year, source: 'self_check', refPrefix: `self_check:${year}:`, desired, at });
}

export interface SavedSelfCheck {
  unit: string;
  year: number;
  saved: string[];
}

/**
 * Saves some sub-items of a unit's self-check (a partial save: the rest stays as it was). Every
 * entry is validated before anything is written; a submitted self-check stays submitted (its
 * measures are a living list), the audit records every change.
 */
export async function saveSelfScores(deps: SelfCheckDeps, actor: Actor, input: { unit: string; year?: number | string | undefined; entries: readonly SelfScoreInput[] }): Promise<SavedSelfCheck> {
  await requireProgramme(deps.db);
  const unit = await resolveUnit(deps.db, input.unit, '单位');
  await requireFiller(deps, actor, unit, 'self_check.save', '填写自查清单');
  const year = resolveYear(deps, input.year);
  if (input.entries.length === 0) throw new UserError('bad_argument', '没有要保存的自评项', '编号');
  const existing = await findSelfCheck(deps.db, unit.id, year);
  const previous = new Map((existing ? await latestSelfEntries(deps.db, existing.id) : []).map((e) => [e.item_code, e]));
  const seen = new Set<string>();
  const entries = input.entries.map((e) => {
    const resolved = resolveSelfEntry(deps.plan, unit, year, e, previous.get(e.item.normalize('NFKC').trim()));
    if (seen.has(resolved.itemCode)) throw new UserError('bad_argument', `指标 ${resolved.itemCode} 填了两次`, '编号');
    seen.add(resolved.itemCode);
    return resolved;
  });
  const at = deps.clock.now().getTime();
  await deps.db.transaction().execute(async (trx) => {
    const check = await ensureSelfCheck(trx, unit.id, year, at);
    await insertSelfEntries(trx, check.id, entries, actor.name, at);
    if (check.status === 'submitted') await syncMeasureItems(trx, unit.id, year, check.id, at);
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'self_check.save', subject: unit.name, outcome: 'ok', detail: { year, items: entries.map((e) => ({ code: e.itemCode, points: e.halfPoints / 2 })) } });
  });
  return { unit: unit.name, year, saved: entries.map((e) => e.itemCode) };
}

export interface SelfCheckReport {
  unit: string;
  level: Level;
  levelName: string;
  year: number;
  status: SelfCheckStatus | 'none';
  submittedAt: number | null;
  submittedBy: string | null;
  result: SelfCheckResult;
  /** The latest entry per sub-item (what a form shows filled in). */
  entries: SelfEntry[];
  /** What keeps it from being submitted (empty: complete). */
  problems: string[];
}

async function reportFor(deps: SelfCheckDeps, unit: UnitRow, year: number): Promise<SelfCheckReport> {
  const check = await findSelfCheck(deps.db, unit.id, year);
  const entries = check ? await latestSelfEntries(deps.db, check.id) : [];
  const standing = await officialStanding(deps, unit, year);
  const selfEntries = entries.map((e) => ({ itemCode: e.item_code, points: e.half_points / 2, shortfall: e.shortfall, measure: e.measure, targetDate: e.target_date }));
  const result = assessSelfCheck(deps.plan, {
    name: unit.name,
    level: unit.level,
    entries: selfEntries,
    official: standing.grade,
    vetoReasons: standing.vetoReasons,
    subUnits: standing.subUnits,
  });
  return {
    unit: unit.name,
    level: unit.level,
    levelName: LEVEL_NAMES_ZH[unit.level],
    year,
    status: check?.status ?? 'none',
    submittedAt: check?.submitted_at ?? null,
    submittedBy: check?.submitted_by ?? null,
    result,
    entries: selfEntries,
    problems: submitProblems(result),
  };
}

/** The 自查清单 of a unit for a year (default: the current assessment year). */
export async function selfCheckReport(deps: SelfCheckDeps, unitName: string, year?: number | string): Promise<SelfCheckReport> {
  await requireProgramme(deps.db);
  const unit = await resolveUnit(deps.db, unitName, '单位');
  return reportFor(deps, unit, resolveYear(deps, year));
}

/** Submits a complete self-check; an incomplete one is refused with every missing piece named. */
export async function submitSelfCheck(deps: SelfCheckDeps, actor: Actor, input: { unit: string; year?: number | string | undefined }): Promise<SelfCheckReport> {
  await requireProgramme(deps.db);
  const unit = await resolveUnit(deps.db, input.unit, '单位');
  await requireFiller(deps, actor, unit, 'self_check.submit', '提交自查清单');
  const year = resolveYear(deps, input.year);
  const report = await reportFor(deps, unit, year);
  if (report.problems.length > 0) {
    const shown = report.problems.slice(0, 12);
    throw new UserError('bad_argument', `「${unit.name}」的自查清单还不能提交：\n${shown.map((p) => `· ${p}`).join('\n')}${report.problems.length > shown.length ? `\n……另有 ${report.problems.length - shown.length} 项` : ''}`, '自查清单');
  }
  const at = deps.clock.now().getTime();
  await deps.db.transaction().execute(async (trx) => {
    const check = await ensureSelfCheck(trx, unit.id, year, at);
    await markSelfCheckSubmitted(trx, check.id, actor.name, at);
    await syncMeasureItems(trx, unit.id, year, check.id, at);
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'self_check.submit', subject: unit.name, outcome: 'ok', detail: { year, total: report.result.self.total, grade: report.result.self.grade } });
  });
  return reportFor(deps, unit, year);
}

export interface SelfCheckProgressUnit {
  name: string;
  status: SelfCheckStatus | 'none';
  submittedAt: number | null;
}

export interface SelfCheckProgress {
  year: number;
  submitted: number;
  total: number;
  /** By level (plan order); compounds grouped by their community, other levels in one group (community null). */
  levels: Array<{ level: Level; levelName: string; submitted: number; total: number; groups: Array<{ community: string | null; units: SelfCheckProgressUnit[] }> }>;
}

/** Which units have submitted their self-check: office only. */
export async function selfCheckProgress(deps: SelfCheckDeps, actor: Actor, year?: number | string): Promise<SelfCheckProgress> {
  await requireOffice(deps, actor, '查看自查进度', { action: 'self_check.progress', subject: null });
  await requireProgramme(deps.db);
  const y = resolveYear(deps, year);
  return progressOf(deps.db, y);
}

/** The progress without a permission check (the digest shows it to the leadership chat). */
export async function progressOf(db: Db, year: number): Promise<SelfCheckProgress> {
  const [units, checks] = await Promise.all([listUnits(db), selfChecksOfYear(db, year)]);
  const byUnit = new Map(checks.map((c) => [c.unit_id, c]));
  const names = new Map(units.map((u) => [u.id, u.name]));
  const levels: SelfCheckProgress['levels'] = [];
  for (const level of LEVELS) {
    const of = units.filter((u) => u.level === level);
    if (of.length === 0) continue;
    const groups = new Map<string | null, SelfCheckProgressUnit[]>();
    for (const u of of) {
      const community = level === 'compound' && u.parent_id !== null ? (names.get(u.parent_id) ?? null) : null;
      const c = byUnit.get(u.id);
      const list = groups.get(community) ?? [];
      list.push({ name: u.name, status: c?.status ?? 'none', submittedAt: c?.submitted_at ?? null });
      groups.set(community, list);
    }
    const grouped = [...groups.entries()]
      .sort(([a], [b]) => compareNames(a ?? '', b ?? ''))
      .map(([community, list]) => ({ community, units: list.sort((a, b) => compareNames(a.name, b.name)) }));
    const submitted = of.filter((u) => byUnit.get(u.id)?.status === 'submitted').length;
    levels.push({ level, levelName: LEVEL_NAMES_ZH[level], submitted, total: of.length, groups: grouped });
  }
  return { year, submitted: levels.reduce((a, l) => a + l.submitted, 0), total: levels.reduce((a, l) => a + l.total, 0), levels };
}


// ---------------------------------------------------------------- the spreadsheet (自查表)

/** One row of the unit's pre-filled 自查表. */
export interface SelfCheckSheetRow {
  unit: string;
  code: string;
  text: string;
  max: number;
  /** Last year's official points (null: not assessed then). */
  lastYear: number | null;
  points: number | null;
  shortfall: string | null;
  measure: string | null;
  targetDate: string | null;
}

/** The rows of a unit's 自查表: its sub-items, maxima, last year's official points and what was saved. */
export async function selfCheckSheet(deps: SelfCheckDeps, unitName: string, year?: number | string): Promise<{ unit: string; year: number; rows: SelfCheckSheetRow[] }> {
  await requireProgramme(deps.db);
  const unit = await resolveUnit(deps.db, unitName, '单位');
  const y = resolveYear(deps, year);
  const report = await reportFor(deps, unit, y);
  const last = (await officialStanding(deps, unit, y - 1)).grade;
  const lastPoints = new Map((last?.items ?? []).filter((i) => i.assessed).map((i) => [i.code, i.points]));
  const saved = new Map(report.entries.map((e) => [e.itemCode, e]));
  const rows = rubricOf(deps.plan, unit.level).map((s) => {
    const e = saved.get(s.code);
    return { unit: unit.name, code: s.code, text: s.text, max: s.points, lastYear: lastPoints.get(s.code) ?? null, points: e?.points ?? null, shortfall: e?.shortfall ?? null, measure: e?.measure ?? null, targetDate: e?.targetDate ?? null };
  });
  return { unit: unit.name, year: y, rows };
}

/** The columns read back (the other columns of the sheet are for reading only). */
const SELF_CHECK_COLUMNS: readonly ColumnSpec[] = [
  { key: 'unit', aliases: ['单位', '单位名称'], required: true },
  { key: 'item', aliases: ['指标编号', '编号'], required: true },
  { key: 'points', aliases: ['自评分', '自评'], required: true },
  { key: 'shortfall', aliases: ['短板'], required: false },
  { key: 'measure', aliases: ['措施'], required: false },
  { key: 'targetDate', aliases: ['完成时限', '时限'], required: false },
];

export interface SelfCheckImport {
  /** Per unit, the sub-items saved. */
  saved: Array<{ unit: string; items: string[] }>;
  /** Rows without a self-score (left as they were). */
  blank: number;
}

/**
 * A filled 自查表 read back (the same reading and row checks as every import): every row is
 * checked first — a refused row is named with its reason and nothing is saved — then all rows
 * are saved, one partial save per unit. Rows without a 自评分 are left as they were.
 */
export async function importSelfCheckFile(deps: SelfCheckDeps, actor: Actor, file: { path: string; label: string }, year?: number | string): Promise<SelfCheckImport> {
  await requireProgramme(deps.db);
  const y = resolveYear(deps, year);
  let data;
  try {
    data = await readSheet(file.path, SELF_CHECK_COLUMNS);
  } catch (err) {
    // The messages name the temporary path: name the file as sent instead.
    if (err instanceof UserError) throw new UserError(err.code, err.message.split(file.path).join(file.label), err.field);
    throw err;
  }
  const errors = new RowErrors();
  const units = new Map<string, UnitRow>();
  const byUnit = new Map<number, Array<{ input: SelfScoreInput; at: RowRef }>>();
  let blank = 0;
  for (const r of data.rows) {
    if ((r.values.points ?? '').trim() === '') {
      blank++;
      continue;
    }
    try {
      const name = (r.values.unit ?? '').trim();
      const unit = units.get(name) ?? (await resolveUnit(deps.db, name, 'unit'));
      units.set(name, unit);
      const list = byUnit.get(unit.id) ?? [];
      list.push({ input: { item: r.values.item ?? '', points: r.values.points ?? '', shortfall: r.values.shortfall ?? '', measure: r.values.measure ?? '', targetDate: r.values.targetDate ?? '' }, at: r });
      byUnit.set(unit.id, list);
    } catch (err) {
      errors.record(r, err);
    }
  }
  const resolved = new Map<number, NewSelfEntry[]>();
  for (const [unitId, rows] of byUnit) {
    const unit = [...units.values()].find((u) => u.id === unitId)!;
    await requireFiller(deps, actor, unit, 'self_check.import', '填写自查清单');
    const seen = new Map<string, RowRef>();
    const list: NewSelfEntry[] = [];
    for (const { input, at } of rows) {
      try {
        const e = resolveSelfEntry(deps.plan, unit, y, input, undefined);
        const first = seen.get(e.itemCode);
        if (first) throw new UserError('bad_argument', `「${unit.name}」的指标 ${e.itemCode} 填了两次（另见第 ${first.row} 行）`, 'item');
        seen.set(e.itemCode, at);
        list.push(e);
      } catch (err) {
        errors.record(at, err);
      }
    }
    resolved.set(unitId, list);
  }
  errors.throwIfAny(file.label);
  if (resolved.size === 0) throw new UserError('bad_argument', `「${file.label}」里没有填写自评分的行（${blank} 行自评分为空）`, '--file');
  const at = deps.clock.now().getTime();
  const saved: SelfCheckImport['saved'] = [];
  await deps.db.transaction().execute(async (trx) => {
    for (const [unitId, entries] of resolved) {
      const unit = [...units.values()].find((u) => u.id === unitId)!;
      const check = await ensureSelfCheck(trx, unitId, y, at);
      await insertSelfEntries(trx, check.id, entries, actor.name, at);
      if (check.status === 'submitted') await syncMeasureItems(trx, unitId, y, check.id, at);
      await audit(trx, { at, actor: actor.name, source: actor.source, action: 'self_check.import', subject: unit.name, outcome: 'ok', detail: { year: y, file: file.label, items: entries.map((e) => e.itemCode) } });
      saved.push({ unit: unit.name, items: entries.map((e) => e.itemCode) });
    }
  });
  return { saved, blank };
}
