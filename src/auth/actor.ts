/**
 * Who is acting. Roles come from the roster (member table); permission rules that depend
 * on a task or a command live with that task/command and use these predicates.
 */
import type { AuditSource, MemberRow } from '../db/schema.js';

export const ROLES = ['leader', 'deputy', 'member', 'office', 'lead_unit', 'secretary'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_NAMES_ZH: Record<Role, string> = {
  leader: '领导小组组长',
  deputy: '领导小组副组长',
  member: '领导小组成员',
  office: '党建办',
  lead_unit: '牵头单位',
  secretary: '社区书记',
};

/** The office is the 党建办; its lead-unit name in the plan. */
export const OFFICE_LEAD_UNIT = '党建办(组织)';

export interface Actor {
  /** Roster name, or a label such as 'cli' for the server operator. */
  name: string;
  /** `admin` is the operator at the server's shell (CLI without --by): trusted like the office. */
  role: Role | 'admin';
  leadUnit: string | null;
  unitId: number | null;
  openId: string | null;
  source: AuditSource;
}

export function actorFromMember(m: MemberRow, source: AuditSource): Actor {
  return { name: m.name, role: m.role as Role, leadUnit: m.lead_unit, unitId: m.unit_id, openId: m.open_id, source };
}

export function adminActor(name = 'cli'): Actor {
  return { name, role: 'admin', leadUnit: null, unitId: null, openId: null, source: 'cli' };
}

export const isLeadership = (a: Actor): boolean => a.role === 'leader' || a.role === 'deputy' || a.role === 'member';

/** The office (党建办): role office, a 党建办(组织) lead-unit member, or the shell operator. */
export const isOffice = (a: Actor): boolean =>
  a.role === 'office' || a.role === 'admin' || (a.role === 'lead_unit' && a.leadUnit === OFFICE_LEAD_UNIT);

/** The lead unit an actor belongs to, if any (the office belongs to 党建办(组织)). */
export function actorLeadUnit(a: Actor): string | null {
  if (a.role === 'office') return OFFICE_LEAD_UNIT;
  return a.role === 'lead_unit' ? a.leadUnit : null;
}
