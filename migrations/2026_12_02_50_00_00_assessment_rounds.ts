// Assessment rounds (issue 14): the office opens a round (预验收 / 年度验收 / 复评) of a year and
// closes it. Score entries made while a round of their year is open carry its id; closing a
// round stores every unit's grade as it stood (the frozen snapshot the bulletin reads), so
// later entries never change it. Each open / close / reopen is an event row (history).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('assessment_round')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull()) // pre_acceptance | annual | review
    .addColumn('opened_at', 'integer', (c) => c.notNull())
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'integer') // null while open
    .addColumn('closed_by', 'text')
    .addUniqueConstraint('assessment_round_year_kind_uq', ['year', 'kind'])
    .execute();
  await db.schema
    .createTable('assessment_round_event')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('round_id', 'integer', (c) => c.notNull().references('assessment_round.id'))
    .addColumn('action', 'text', (c) => c.notNull()) // open | close | reopen
    .addColumn('at', 'integer', (c) => c.notNull())
    .addColumn('by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .execute();
  await db.schema
    .createTable('assessment_round_grade')
    .addColumn('round_id', 'integer', (c) => c.notNull().references('assessment_round.id'))
    .addColumn('unit_id', 'integer', (c) => c.notNull().references('unit.id'))
    .addColumn('grade', 'text', (c) => c.notNull())
    .addColumn('total', 'real', (c) => c.notNull())
    .addColumn('veto', 'integer', (c) => c.notNull())
    .addColumn('assessed', 'integer', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull()) // JSON: the unit's grade explained (sub-item points, blockers)
    .addPrimaryKeyConstraint('assessment_round_grade_pk', ['round_id', 'unit_id'])
    .execute();
  await db.schema.alterTable('score_entry').addColumn('round_id', 'integer', (c) => c.references('assessment_round.id')).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations run forward only');
}
