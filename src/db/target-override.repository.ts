/** The street's own target numbers set from the CLI or the chat (table target_override). */
import type { TargetOverride } from '../plan/schema.js';
import type { Db } from './database.js';
import type { Transaction } from './schema.js';

/** A stored override with who set it and when. */
export interface StoredTargetOverride extends TargetOverride {
  id: number;
  setBy: string;
  setAt: number;
}

/** Every stored override, oldest first (a later one of the same target wins). */
export async function listTargetOverrides(db: Db): Promise<StoredTargetOverride[]> {
  const rows = await db.selectFrom('target_override').selectAll().orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    milestone: r.milestone,
    level: r.level,
    ...(r.grade === null ? {} : { grade: r.grade }),
    count: r.count,
    setBy: r.set_by,
    setAt: r.set_at,
  }));
}

export async function insertTargetOverride(trx: Transaction, o: TargetOverride & { by: string; at: number }): Promise<void> {
  await trx
    .insertInto('target_override')
    .values({ milestone: o.milestone, level: o.level, grade: o.grade ?? null, count: o.count, set_by: o.by, set_at: o.at })
    .execute();
}

export async function deleteTargetOverrides(trx: Transaction, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await trx.deleteFrom('target_override').where('id', 'in', ids).execute();
}
