/**
 * Who is acting: a roster member (chat, card, or the CLI with --by NAME) or the operator at the
 * server's shell (the CLI without --by). What each may do is decided in ./policy.ts.
 */
import type { AuditSource, MemberRow } from '../db/schema.js';
import type { Role } from '../domain/roles.js';

/** The 党建办's lead-unit name in the plan (the office's own tasks are led by it). */
export const OFFICE_LEAD_UNIT = '党建办(组织)';

/** The name the shell operator is audited under. */
export const OPERATOR_NAME = '服务器操作员';

export interface Actor {
  /** Roster name, or OPERATOR_NAME for the shell operator. */
  name: string;
  /** `admin` is the operator at the server's shell: trusted like the office. */
  role: Role | 'admin';
  leadUnit: string | null;
  unitId: number | null;
  openId: string | null;
  source: AuditSource;
}

export function actorFromMember(m: MemberRow, source: AuditSource): Actor {
  return { name: m.name, role: m.role, leadUnit: m.lead_unit, unitId: m.unit_id, openId: m.open_id, source };
}

/** The operator at the server's shell (the CLI without --by). */
export function operatorActor(name = OPERATOR_NAME): Actor {
  return { name, role: 'admin', leadUnit: null, unitId: null, openId: null, source: 'cli' };
}
