/**
 * Entering scores and vetoes: the one validation for `score set`, `score import`, 录分 and 否决
 * (messages in Chinese, naming the field); office only (src/auth/policy.ts), refusals audited.
 */
import type { Actor } from '../auth/actor.js';
import { requireOffice } from '../auth/policy.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { audit } from '../db/audit.repository.js';
import type { ScoreEntryRow, UnitRow, VetoRow } from '../db/schema.js';
import { findOpenRound } from '../db/round.repository.js';
import { clearVetoes, insertScoreEntry, insertVeto } from '../db/score.repository.js';
import { UserError } from '../errors.js';
import { fileLabel } from '../io/import-file.js';
import { flagDuplicates, RowErrors, type RowProblem, type RowRef } from '../io/row-errors.js';
import { getProgramme } from '../db/setting.repository.js';
import { findSubItem } from '../plan/load-plan.js';
import { programmeYearProblem } from '../plan/programme.js';
import { LEVEL_NAMES_ZH, type Plan, type SubItem } from '../plan/schema.js';
import { fmtPoints } from '../scoring/format.js';
import { localDate } from '../time.js';
import { resolveUnit } from './units.service.js';

const MIN_YEAR = 2000;
const MAX_YEAR = 2100;
const MAX_NOTE_LENGTH = 500;

export interface ScoreInput {
  unit: string;
  item: string;
  points: string | number;
  year?: string | number | undefined;
  note?: string | null | undefined;
}

export interface ResolvedScore {
  unit: UnitRow;
  subItem: SubItem;
  points: number;
  year: number;
  note: string | null;
}

/** The assessment year an instant falls in (calendar year in the configured zone). */
export function assessmentYear(clock: Clock, tz: string): number {
  return Number(localDate(clock.now(), tz).slice(0, 4));
}

export function parseYear(value: string | number, field = '--year'): number {
  const text = String(value).trim();
  if (!/^\d{4}$/.test(text)) throw new UserError('bad_argument', `年份应为四位数字，例如 2026（收到「${text}」）`, field);
  const year = Number(text);
  if (year < MIN_YEAR || year > MAX_YEAR) throw new UserError('bad_argument', `年份应在 ${MIN_YEAR}–${MAX_YEAR} 之间（收到 ${year}）`, field);
  return year;
}

/**
 * A year someone typed (`--year`, a sheet's year column, 得分 〈单位〉〈年〉 …): four digits and,
 * once the programme is initialised, one of its years (规划部署, the three years, 长效提升 as
 * configured); otherwise refused with the programme's years (issue 16 #7). The current year is
 * the default wherever a year may be left out, so it is accepted typed too.
 */
export async function parseProgrammeYear(deps: { db: Db; plan: Plan; clock: Clock; tz: string }, value: string | number, field = '--year'): Promise<number> {
  const year = parseYear(value, field);
  if (year === assessmentYear(deps.clock, deps.tz)) return year;
  const programme = await getProgramme(deps.db);
  const problem = programme === undefined ? null : programmeYearProblem(deps.plan, programme.firstYear, year);
  if (problem !== null) throw new UserError('bad_argument', problem, field);
  return year;
}

/** Points: a number from 0 to the sub-item's maximum in steps of 0.5. */
export function parsePoints(value: string | number, max: number, code: string, field = '--points'): number {
  const text = String(value).trim();
  const rule = `指标 ${code} 的分数应在 0 到 ${fmtPoints(max)} 之间，以 0.5 分为单位`;
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UserError('bad_argument', `${rule}（收到「${text}」）`, field);
  const points = Number(text);
  if (!Number.isFinite(points) || points > max || !Number.isInteger(points * 2)) throw new UserError('bad_argument', `${rule}（收到 ${text}）`, field);
  return points;
}

/**
 * Characters a note or reason may not carry: control characters (NUL, BEL, …; tab and line
 * breaks are text) and the bidi overrides and isolates that make shown text read otherwise
 * than it is stored (U+202A–202E, U+2066–2069), and the noncharacters U+FFFE/U+FFFF (no spreadsheet takes them).
 */
const FORBIDDEN_IN_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]/u;

/** Notes and reasons (completions, scores, vetoes): trimmed, capped, no control or bidi characters. */
export function parseNote(note: string | null | undefined, field = '--note'): string | null {
  if (note === undefined || note === null || note.trim() === '') return null;
  if (note.length > MAX_NOTE_LENGTH) throw new UserError('bad_argument', `不能超过 ${MAX_NOTE_LENGTH} 个字`, field);
  const bad = FORBIDDEN_IN_TEXT.exec(note);
  if (bad) {
    const code = `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new UserError('bad_argument', `不能包含控制字符或文字方向控制符（第 ${bad.index + 1} 个字符是 ${code}），请删去后重发`, field);
  }
  return note.trim();
}

/** Which argument each value came from, for the messages (CLI options, sheet columns or chat parameters). */
export interface ScoreFields {
  unit: string;
  item: string;
  points: string;
  year: string;
  note: string;
}

const CLI_SCORE_FIELDS: ScoreFields = { unit: '--unit', item: '--item', points: '--points', year: '--year', note: '--note' };

/** Validates one score entry against the plan and the units; throws UserError naming the field. */
async function resolveScore(deps: ScoreDeps, input: ScoreInput, defaultYear: number, fields: ScoreFields = CLI_SCORE_FIELDS): Promise<ResolvedScore> {
  const { db, plan } = deps;
  const unit = await resolveUnit(db, input.unit, fields.unit);
  const code = input.item.normalize('NFKC').trim();
  const found = findSubItem(plan, code);
  if (!found) throw new UserError('not_found', code === '' ? '缺少指标编号（例如 4.2）' : `方案中没有指标「${code}」（指标编号写作「指标序号.子项序号」，例如 4.2）`, fields.item);
  if (found.level !== unit.level) {
    throw new UserError('bad_argument', `指标 ${code} 属于${LEVEL_NAMES_ZH[found.level]}层面，而「${unit.name}」是${LEVEL_NAMES_ZH[unit.level]}`, fields.item);
  }
  const points = parsePoints(input.points, found.subItem.points, code, fields.points);
  const year = input.year === undefined || String(input.year).trim() === '' ? defaultYear : await parseProgrammeYear(deps, input.year, fields.year);
  const note = parseNote(input.note, fields.note);
  return { unit, subItem: found.subItem, points, year, note };
}

/** The assessment round an entry of `year` made now belongs to: the open round of that year, if any. */
async function roundOfEntry(db: Db, year: number): Promise<number | null> {
  const open = await findOpenRound(db);
  return open !== undefined && open.year === year ? open.id : null;
}

export interface ScoreDeps {
  db: Db;
  plan: Plan;
  clock: Clock;
  tz: string;
}

export async function setScore(deps: ScoreDeps, actor: Actor, input: ScoreInput, fields: ScoreFields = CLI_SCORE_FIELDS): Promise<{ entry: ScoreEntryRow; resolved: ResolvedScore }> {
  const { db, plan, clock, tz } = deps;
  const at = clock.now().getTime();
  await requireOffice(deps, actor, '录入分数', { action: 'score.set', subject: input.unit, detail: { item: input.item } });
  const resolved = await resolveScore(deps, input, assessmentYear(clock, tz), fields);
  const entry = await db.transaction().execute(async (trx) => {
    const roundId = await roundOfEntry(trx, resolved.year);
    const row = await insertScoreEntry(trx, { unitId: resolved.unit.id, year: resolved.year, itemCode: resolved.subItem.code, points: resolved.points, by: actor.name, at, note: resolved.note, roundId });
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'score.set', subject: resolved.unit.name, outcome: 'ok', detail: { item: resolved.subItem.code, points: resolved.points, year: resolved.year } });
    return row;
  });
  return { entry, resolved };
}

/** One entry of a score sheet: where it is (row; column in the wide layout) and what it says. */
export interface ScoreImportRow extends RowRef {
  column?: string | null;
  input: ScoreInput;
}

/**
 * Imports many entries: all validated first (every bad row reported, grouped by cause; the same
 * unit, item and year twice is refused), then one transaction. `readProblems` are the rows the
 * sheet reader already refused, reported together with these.
 */
export async function importScores(deps: ScoreDeps, actor: Actor, rows: readonly ScoreImportRow[], file: string, readProblems: readonly RowProblem[] = []): Promise<number> {
  const { db, plan, clock, tz } = deps;
  await requireOffice(deps, actor, '导入分数', { action: 'score.import', subject: file });
  const defaultYear = assessmentYear(clock, tz);
  const resolved: Array<ResolvedScore & RowRef> = [];
  const errors = new RowErrors();
  for (const p of readProblems) errors.add(p, p.message, p.column);
  const fields = { unit: 'unit', item: 'item', points: 'points', year: 'year', note: 'note' };
  for (const r of rows) {
    try {
      resolved.push({ ...(await resolveScore(deps, r.input, defaultYear, fields)), sheet: r.sheet, row: r.row });
    } catch (err) {
      errors.record(r, err, r.column ?? undefined);
    }
  }
  flagDuplicates(
    errors,
    resolved,
    (s) => `${s.unit.id}|${s.subItem.code}|${s.year}`,
    (s) => `「${s.unit.name}」${s.subItem.code}（${s.year} 年）重复填写`,
  );
  errors.throwIfAny(file);
  if (resolved.length === 0) throw new UserError('bad_argument', `${fileLabel(file)} 中没有填写任何分数，没有导入`, '--file');
  const at = clock.now().getTime();
  await db.transaction().execute(async (trx) => {
    for (const s of resolved) {
      await insertScoreEntry(trx, { unitId: s.unit.id, year: s.year, itemCode: s.subItem.code, points: s.points, by: actor.name, at, note: s.note, roundId: await roundOfEntry(trx, s.year) });
    }
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'score.import', subject: file, outcome: 'ok', detail: { rows: resolved.length } });
  });
  return resolved.length;
}

export async function setVeto(deps: ScoreDeps, actor: Actor, input: { unit: string; reason: string; year?: string | number | undefined }): Promise<VetoRow> {
  const { db, plan, clock, tz } = deps;
  const at = clock.now().getTime();
  await requireOffice(deps, actor, '设置一票否决', { action: 'veto.set', subject: input.unit });
  const unit = await resolveUnit(db, input.unit, '--unit');
  const reason = parseNote(input.reason, '--reason');
  if (reason === null) throw new UserError('bad_argument', '一票否决需要写明原因', '--reason');
  const year = input.year === undefined ? assessmentYear(clock, tz) : await parseProgrammeYear(deps, input.year);
  return db.transaction().execute(async (trx) => {
    const row = await insertVeto(trx, { unitId: unit.id, year, reason, by: actor.name, at });
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'veto.set', subject: unit.name, outcome: 'ok', detail: { year, reason } });
    return row;
  });
}

export async function clearVeto(deps: ScoreDeps, actor: Actor, input: { unit: string; reason: string; year?: string | number | undefined }): Promise<number> {
  const { db, plan, clock, tz } = deps;
  const at = clock.now().getTime();
  await requireOffice(deps, actor, '撤销一票否决', { action: 'veto.clear', subject: input.unit });
  const unit = await resolveUnit(db, input.unit, '--unit');
  const reason = parseNote(input.reason, '--reason');
  if (reason === null) throw new UserError('bad_argument', '撤销一票否决需要写明原因', '--reason');
  const year = input.year === undefined ? assessmentYear(clock, tz) : await parseProgrammeYear(deps, input.year);
  return db.transaction().execute(async (trx) => {
    const cleared = await clearVetoes(trx, { unitId: unit.id, year, reason, by: actor.name, at });
    if (cleared === 0) throw new UserError('not_found', `「${unit.name}」${year} 年没有生效的一票否决`, '--unit');
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'veto.clear', subject: unit.name, outcome: 'ok', detail: { year, reason } });
    return cleared;
  });
}
