/**
 * Who may do what — the one place permissions are decided (the README's permission table
 * says the same). A refusal is audited (outcome `denied`, with the reason) and thrown as a
 * UserError('forbidden') whose Chinese message says why.
 *
 *   office powers        role `office` (领导小组办公室 / 党建办) and the shell operator only; a
 *                        lead-unit member of 党建办(组织) is a lead unit, not the office
 *   complete / undo      members of one of the task's lead units, the office, the leadership group
 *   every unit's scores  (评分表, 排名 and 年度通报 exports) the office and the leadership group; other
 *                        exports (任务台账, 目标进度) every bound member
 *   a unit's own side    自查清单 and its items: the unit's secretary, a community's secretary also
 *                        for the compounds under it, the office for any unit; 申报: the unit's own
 *                        secretary and the office (only the office reviews)
 *   read                 anyone bound to the roster, or anyone in a subscribed group (src/bot/access.ts)
 */
import { audit } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { UserError } from '../errors.js';
import { OFFICE_LEAD_UNIT, type Actor } from './actor.js';

/** The office: role office, or the operator at the shell. */
const isOffice = (a: Actor): boolean => a.role === 'office' || a.role === 'admin';

const isLeadership = (a: Actor): boolean => a.role === 'leader' || a.role === 'deputy' || a.role === 'member';

/** The lead unit an actor belongs to, if any (the office belongs to 党建办(组织)). */
export function actorLeadUnit(a: Actor): string | null {
  if (a.role === 'office') return OFFICE_LEAD_UNIT;
  return a.role === 'lead_unit' ? a.leadUnit : null;
}

/** Lead-unit members of the task, the office and the leadership group may complete / undo it. */
export function mayCompleteTask(actor: Actor, leadUnits: readonly string[]): boolean {
  const unit = actorLeadUnit(actor);
  return (unit !== null && leadUnits.includes(unit)) || isOffice(actor) || isLeadership(actor);
}

/** Every unit's scores at once (the 评分表, 排名 and 年度通报 exports): the office and the leadership group. */
export function mayExportAllScores(actor: Actor): boolean {
  return isOffice(actor) || isLeadership(actor);
}

/** A unit's own forms (自查清单, 申报): its secretary, its community's secretary for a compound, the office. */
export function mayFillForUnit(actor: Actor, unit: { id: number; level: string; parentId: number | null }): boolean {
  if (isOffice(actor)) return true;
  if (actor.role !== 'secretary' || actor.unitId === null) return false;
  return actor.unitId === unit.id || (unit.level === 'compound' && actor.unitId === unit.parentId);
}

/** A unit's 申报: its own secretary or the office (a community secretary only reads its compounds' applications). */
export function mayApplyForUnit(actor: Actor, unit: { id: number }): boolean {
  return isOffice(actor) || (actor.role === 'secretary' && actor.unitId === unit.id);
}

/** Who reviews applications (approve / return): the office. */
export const mayReviewApplications = (actor: Actor): boolean => isOffice(actor);

export interface Refusal {
  /** Audit action, e.g. `score.set`. */
  action: string;
  subject: string | null;
  detail?: Record<string, unknown>;
}

/** Audits the refusal and returns the error to throw. */
async function refuse(deps: { db: Db; clock: { now(): Date } }, actor: Actor, r: Refusal & { reason: string }): Promise<UserError> {
  await audit(deps.db, { at: deps.clock.now().getTime(), actor: actor.name, source: actor.source, action: r.action, subject: r.subject, outcome: 'denied', detail: { ...r.detail, reason: r.reason } });
  return new UserError('forbidden', r.reason);
}

/** The message of an office-only refusal: 「只有党建办可以录入分数（王某 不是党建办成员）」. */
const officeOnlyReason = (actor: Actor, what: string) => `只有党建办可以${what}（${actor.name} 不是党建办成员）`;

/** Throws (audited) unless the actor is the office. `what` completes 「只有党建办可以…」. */
export async function requireOffice(deps: { db: Db; clock: { now(): Date } }, actor: Actor, what: string, r: Refusal): Promise<void> {
  if (isOffice(actor)) return;
  throw await refuse(deps, actor, { ...r, reason: officeOnlyReason(actor, what) });
}

/** Throws (audited) unless `allowed(actor)`; `reason` says why not. */
export async function requireRole(deps: { db: Db; clock: { now(): Date } }, actor: Actor, allowed: (a: Actor) => boolean, r: Refusal & { reason: string }): Promise<void> {
  if (allowed(actor)) return;
  throw await refuse(deps, actor, r);
}

/** As requireRole for one item of a batch: audits a refusal and returns its reason (null when allowed), so the batch goes on. */
export async function checkRole(deps: { db: Db; clock: { now(): Date } }, actor: Actor, allowed: (a: Actor) => boolean, r: Refusal & { reason: string }): Promise<string | null> {
  if (allowed(actor)) return null;
  return (await refuse(deps, actor, r)).message;
}
