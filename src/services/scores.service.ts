/** Entering scores and vetoes: validation shared by `score set`, `score import` and the bot's 录分. */
import { isOffice, type Actor } from '../auth/actor.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { audit } from '../db/audit.repository.js';
import type { ScoreEntryRow, UnitRow, VetoRow } from '../db/schema.js';
import { clearVetoes, insertScoreEntry, insertVeto } from '../db/score.repository.js';
import { findUnitByName } from '../db/unit.repository.js';
import { UserError } from '../errors.js';
import { findSubItem } from '../plan/load-plan.js';
import { LEVEL_NAMES_ZH, type Level, type Plan, type SubItem } from '../plan/schema.js';
import { localDate } from '../time.js';

export const MIN_YEAR = 2000;
export const MAX_YEAR = 2100;
export const MAX_NOTE_LENGTH = 500;

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
  if (!/^\d{4}$/.test(text)) throw new UserError('bad_argument', `year must be a 4-digit year such as 2026 (got "${text}")`, field);
  const year = Number(text);
  if (year < MIN_YEAR || year > MAX_YEAR) throw new UserError('bad_argument', `year must be between ${MIN_YEAR} and ${MAX_YEAR} (got ${year})`, field);
  return year;
}

/** Points: a number from 0 to the sub-item's maximum in steps of 0.5. */
export function parsePoints(value: string | number, max: number, code: string, field = '--points'): number {
  const text = String(value).trim();
  if (!/^\d+(\.\d+)?$/.test(text)) {
    throw new UserError('bad_argument', `points must be a number from 0 to ${max} for item ${code} (got "${text}")`, field);
  }
  const points = Number(text);
  if (!Number.isFinite(points) || points > max) {
    throw new UserError('bad_argument', `points must be between 0 and ${max} for item ${code} (got ${text})`, field);
  }
  if (!Number.isInteger(points * 2)) throw new UserError('bad_argument', `points must be a multiple of 0.5 (got ${text})`, field);
  return points;
}

export function parseNote(note: string | null | undefined, field = '--note'): string | null {
  if (note === undefined || note === null || note.trim() === '') return null;
  if (note.length > MAX_NOTE_LENGTH) throw new UserError('bad_argument', `note longer than ${MAX_NOTE_LENGTH} characters`, field);
  return note.trim();
}

/** Validates one score entry against the plan and the units; throws UserError naming the field. */
export async function resolveScore(db: Db, plan: Plan, input: ScoreInput, defaultYear: number, fields = { unit: '--unit', item: '--item', points: '--points', year: '--year', note: '--note' }): Promise<ResolvedScore> {
  const unitName = input.unit.trim();
  const unit = unitName === '' ? undefined : await findUnitByName(db, unitName);
  if (!unit) throw new UserError('not_found', `no unit named "${unitName}"`, fields.unit);
  const code = input.item.trim();
  const found = findSubItem(plan, code);
  if (!found) throw new UserError('not_found', `unknown item "${code}"; items are coded <indicator>.<n>, e.g. 4.2`, fields.item);
  if (found.level !== unit.level) {
    const unitLevel = unit.level as Level;
    throw new UserError(
      'bad_argument',
      `item ${code} belongs to the ${found.level} (${LEVEL_NAMES_ZH[found.level]}) rubric, but "${unit.name}" is a ${unitLevel} (${LEVEL_NAMES_ZH[unitLevel]})`,
      fields.item,
    );
  }
  const points = parsePoints(input.points, found.subItem.points, code, fields.points);
  const year = input.year === undefined || String(input.year).trim() === '' ? defaultYear : parseYear(input.year, fields.year);
  const note = parseNote(input.note, fields.note);
  return { unit, subItem: found.subItem, points, year, note };
}

function requireOffice(actor: Actor, what: string): void {
  if (!isOffice(actor)) throw new UserError('forbidden', `只有党建办可以${what}（${actor.name} 不是党建办成员）`);
}

export interface ScoreDeps {
  db: Db;
  plan: Plan;
  clock: Clock;
  tz: string;
}

export async function setScore(deps: ScoreDeps, actor: Actor, input: ScoreInput): Promise<{ entry: ScoreEntryRow; resolved: ResolvedScore }> {
  const { db, plan, clock, tz } = deps;
  const at = clock.now().getTime();
  try {
    requireOffice(actor, '录入分数');
  } catch (err) {
    await audit(db, { at, actor: actor.name, source: actor.source, action: 'score.set', subject: input.unit, outcome: 'denied', detail: { item: input.item, reason: (err as Error).message } });
    throw err;
  }
  const resolved = await resolveScore(db, plan, input, assessmentYear(clock, tz));
  const entry = await db.transaction().execute(async (trx) => {
    const row = await insertScoreEntry(trx, { unitId: resolved.unit.id, year: resolved.year, itemCode: resolved.subItem.code, points: resolved.points, by: actor.name, at, note: resolved.note });
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'score.set', subject: resolved.unit.name, outcome: 'ok', detail: { item: resolved.subItem.code, points: resolved.points, year: resolved.year } });
    return row;
  });
  return { entry, resolved };
}

/** Imports many entries: all validated first (every bad row reported), then one transaction. */
export async function importScores(deps: ScoreDeps, actor: Actor, rows: ReadonlyArray<{ rowNumber: number; input: ScoreInput }>, file: string): Promise<number> {
  const { db, plan, clock, tz } = deps;
  requireOffice(actor, '导入分数');
  const defaultYear = assessmentYear(clock, tz);
  const resolved: ResolvedScore[] = [];
  const errors: string[] = [];
  const fields = { unit: 'unit', item: 'item', points: 'points', year: 'year', note: 'note' };
  for (const r of rows) {
    try {
      resolved.push(await resolveScore(db, plan, r.input, defaultYear, fields));
    } catch (err) {
      const e = err as UserError;
      errors.push(`row ${r.rowNumber}: ${e.field ? `${e.field}: ` : ''}${e.message}`);
    }
  }
  if (errors.length > 0) throw new UserError('bad_argument', `${file}: ${errors.length} bad row(s), nothing imported; ${errors.join('; ')}`, '--file');
  if (resolved.length === 0) throw new UserError('bad_argument', `${file}: no data rows`, '--file');
  const at = clock.now().getTime();
  await db.transaction().execute(async (trx) => {
    for (const s of resolved) {
      await insertScoreEntry(trx, { unitId: s.unit.id, year: s.year, itemCode: s.subItem.code, points: s.points, by: actor.name, at, note: s.note });
    }
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'score.import', subject: file, outcome: 'ok', detail: { rows: resolved.length } });
  });
  return resolved.length;
}

export async function setVeto(deps: ScoreDeps, actor: Actor, input: { unit: string; reason: string; year?: string | number | undefined }): Promise<VetoRow> {
  const { db, clock, tz } = deps;
  const at = clock.now().getTime();
  if (!isOffice(actor)) {
    await audit(db, { at, actor: actor.name, source: actor.source, action: 'veto.set', subject: input.unit, outcome: 'denied' });
    requireOffice(actor, '设置一票否决');
  }
  const unit = await findUnitByName(db, input.unit.trim());
  if (!unit) throw new UserError('not_found', `no unit named "${input.unit.trim()}"`, '--unit');
  const reason = parseNote(input.reason, '--reason');
  if (reason === null) throw new UserError('bad_argument', 'a veto needs a reason', '--reason');
  const year = input.year === undefined ? assessmentYear(clock, tz) : parseYear(input.year);
  return db.transaction().execute(async (trx) => {
    const row = await insertVeto(trx, { unitId: unit.id, year, reason, by: actor.name, at });
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'veto.set', subject: unit.name, outcome: 'ok', detail: { year, reason } });
    return row;
  });
}

export async function clearVeto(deps: ScoreDeps, actor: Actor, input: { unit: string; reason: string; year?: string | number | undefined }): Promise<number> {
  const { db, clock, tz } = deps;
  const at = clock.now().getTime();
  if (!isOffice(actor)) {
    await audit(db, { at, actor: actor.name, source: actor.source, action: 'veto.clear', subject: input.unit, outcome: 'denied' });
    requireOffice(actor, '撤销一票否决');
  }
  const unit = await findUnitByName(db, input.unit.trim());
  if (!unit) throw new UserError('not_found', `no unit named "${input.unit.trim()}"`, '--unit');
  const reason = parseNote(input.reason, '--reason');
  if (reason === null) throw new UserError('bad_argument', 'clearing a veto needs a reason', '--reason');
  const year = input.year === undefined ? assessmentYear(clock, tz) : parseYear(input.year);
  return db.transaction().execute(async (trx) => {
    const cleared = await clearVetoes(trx, { unitId: unit.id, year, reason, by: actor.name, at });
    if (cleared === 0) throw new UserError('not_found', `"${unit.name}" has no active veto in ${year}`, '--unit');
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'veto.clear', subject: unit.name, outcome: 'ok', detail: { year, reason } });
    return cleared;
  });
}
