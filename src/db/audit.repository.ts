import type { Db } from './database.js';
import type { AuditLogRow, AuditOutcome, AuditSource } from './schema.js';

export interface AuditEntry {
  at: number;
  actor: string;
  source: AuditSource;
  action: string;
  subject?: string | null;
  outcome: AuditOutcome;
  detail?: unknown;
}

export async function audit(db: Db, e: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: e.at,
      actor: e.actor,
      source: e.source,
      action: e.action,
      subject: e.subject ?? null,
      outcome: e.outcome,
      detail: e.detail === undefined ? null : JSON.stringify(e.detail),
    })
    .execute();
}

export async function listAudit(db: Db, filter: { since?: number; action?: string; limit?: number } = {}): Promise<AuditLogRow[]> {
  let q = db.selectFrom('audit_log').selectAll();
  if (filter.since !== undefined) q = q.where('at', '>=', filter.since);
  if (filter.action !== undefined) q = q.where('action', '=', filter.action);
  return q.orderBy('id', 'desc').limit(filter.limit ?? 100).execute();
}
