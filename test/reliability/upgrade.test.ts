/**
 * Migrations run forward from every earlier schema version with data kept. For each
 * migration in migrations/, a database is migrated up to exactly that version, seeded with
 * rows valid at that version, then migrated to latest; every seeded row must survive.
 * A new migration without a seed below fails this test on purpose.
 */
import { readdirSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDatabase } from '../../src/db/database.js';
import { join } from 'node:path';
import { migrateToLatest, migrationNames as listedMigrations, migrator } from '../../src/db/migrate.js';
import { REPO_ROOT } from '../support/cli.js';
import { tempDbFile } from '../support/cli.js';
import { recordChecked } from '../support/evidence.js';

const MIGRATIONS_DIR = join(REPO_ROOT, 'migrations');

type Seed = (db: Kysely<any>) => Promise<Record<string, number>>;

/** Rows valid at each schema version; returns table → row count expected afterwards. */
const seeds: Record<string, Seed> = {
  '2026_11_28_00_00_00_initial_schema': async (db) => {
    const at = 1_780_000_000_000;
    await db.insertInto('setting').values([{ key: 'programme_first_year', value: '2026' }, { key: 'street_name', value: '城东街道' }]).execute();
    await db.insertInto('unit').values({ id: 1, name: '城东街道', level: 'street', parent_id: null, created_at: at }).execute();
    await db.insertInto('unit').values({ id: 2, name: '城东社区', level: 'community', parent_id: 1, created_at: at }).execute();
    await db.insertInto('member').values({ name: '王博文', open_id: 'ou_w', role: 'office', lead_unit: '党建办(组织)', unit_id: null, created_at: at }).execute();
    await db.insertInto('chat').values({ chat_id: 'oc_1', target: 'leadership', bound_by: 'cli', bound_at: at }).execute();
    await db.insertInto('score_entry').values({ unit_id: 2, year: 2026, item_code: '6.1', points: 9.5, entered_by: 'cli', entered_at: at, note: null }).execute();
    await db.insertInto('veto').values({ unit_id: 2, year: 2026, reason: 'r', set_by: 'cli', set_at: at }).execute();
    await db
      .insertInto('task')
      .values({ id: 1, year: 2026, seq: 1, category: 'c', content: 'x', deadline_text: '2月底', lead_units: '["社管中心"]', cadence: null, target: null, source: 'plan', created_at: at, updated_at: at, retired_at: null })
      .execute();
    await db.insertInto('task_completion').values({ task_id: 1, period: '2026', done_at: at, done_by: '王博文', note: null, progress: null }).execute();
    await db.insertInto('outbox').values({ key: 'k1', kind: 'digest', chat_id: 'oc_1', task_seq: null, period: null, payload: '{}', due_at: at, not_before: at, status: 'sent', created_at: at }).execute();
    await db.insertInto('processed_event').values({ event_id: 'ev1', received_at: at }).execute();
    await db.insertInto('audit_log').values({ at, actor: 'cli', source: 'cli', action: 'unit.add', subject: '城东社区', outcome: 'ok', detail: null }).execute();
    return { setting: 2, unit: 2, member: 1, chat: 1, score_entry: 1, veto: 1, task: 1, task_completion: 1, outbox: 1, processed_event: 1, audit_log: 1 };
  },
  // Before the one-active-completion index: history with an undone completion and a redo.
  '2026_11_28_01_00_00_one_active_completion': async (db) => {
    const counts = await seeds['2026_11_28_00_00_00_initial_schema']!(db);
    const at = 1_780_000_100_000;
    await db.updateTable('task_completion').set({ undone_at: at, undone_by: '王博文' }).execute();
    await db.insertInto('task_completion').values({ task_id: 1, period: '2026', done_at: at + 1, done_by: '王博文', note: 'redo', progress: null }).execute();
    return { ...counts, task_completion: 2 };
  },
  // Before cards carried items: an outbox row and the item it carried.
  '2026_12_01_00_00_00_outbox_items': async (db) => {
    const counts = await seeds['2026_11_28_01_00_00_one_active_completion']!(db);
    const at = 1_780_000_200_000;
    const card = await db.selectFrom('outbox').select('id').where('key', '=', 'k1').executeTakeFirstOrThrow();
    await db
      .insertInto('outbox_item')
      .values({ key: 'digest:2026-05-25:oc_1', kind: 'digest', chat_id: 'oc_1', task_year: null, task_seq: null, period: null, date: '2026-05-25', due_at: at, not_before: at, status: 'carried', outbox_id: card.id, reason: null, payload: '{}', created_at: at })
      .execute();
    return { ...counts, outbox_item: 1 };
  },
  // Before the street's own target numbers were stored: nothing to carry over, the table is new.
  '2026_12_02_20_00_00_target_overrides': async (db) => {
    const counts = await seeds['2026_12_01_00_00_00_outbox_items']!(db);
    await db.insertInto('target_override').values({ milestone: 'y2-12', level: 'community', grade: null, count: 8, set_by: '王博文', set_at: 1_780_000_300_000 }).execute();
    return { ...counts, target_override: 1 };
  },
  // The durable inbox: a handled message and a pending card press.
  '2026_12_02_30_00_00_inbox': async (db) => {
    const counts = await seeds['2026_12_02_20_00_00_target_overrides']!(db);
    const at = 1_780_000_300_000;
    await db
      .insertInto('inbox')
      .values([
        { event_id: 'ev_1', kind: 'message', chat_id: 'oc_1', payload: '{}', status: 'done', received_at: at, done_at: at + 5 },
        { event_id: 'ev_2', kind: 'card', chat_id: 'oc_1', payload: '{}', status: 'pending', received_at: at + 10, done_at: null },
      ])
      .execute();
    return { ...counts, inbox: 2 };
  },
  // Before correctable master data: a member and units without mobile / removed_at / archived_at.
  '2026_12_02_40_00_00_master_data': async (db) => {
    const counts = await seeds['2026_12_02_30_00_00_inbox']!(db);
    const at = 1_780_000_300_000;
    await db.insertInto('member').values({ name: '李书记', open_id: 'ou_li', role: 'secretary', lead_unit: null, unit_id: 2, created_at: at }).execute();
    return { ...counts, member: counts.member! + 1 };
  },
  // Before self-checks (issue 13).
  '2026_12_02_10_00_00_self_check': async (db) => {
    const counts = await seeds['2026_12_01_00_00_00_outbox_items']!(db);
    const at = 1_780_000_300_000;
    const check = await db.insertInto('self_check').values({ unit_id: 2, year: 2026, status: 'draft', created_at: at, updated_at: at }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('self_check_entry').values({ self_check_id: check.id, item_code: '6.1', half_points: 15, shortfall: 's', measure: 'm', target_date: '2026-06-30', entered_by: '王博文', entered_at: at }).execute();
    return { ...counts, self_check: 1, self_check_entry: 1 };
  },
  // Before a unit's own tracked items (issue 13).
  '2026_12_02_10_10_00_unit_items': async (db) => {
    const counts = await seeds['2026_12_02_10_00_00_self_check']!(db);
    const at = 1_780_000_400_000;
    const item = await db
      .insertInto('unit_item')
      .values({ unit_id: 2, year: 2026, source: 'self_check', source_ref: 'self_check:2026:6.1', title: 'm', due_date: '2026-06-30', created_at: at, updated_at: at, retired_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('unit_item_completion').values({ unit_item_id: item.id, done_at: at, done_by: '钱书记', undone_at: null, undone_by: null }).execute();
    return { ...counts, unit_item: 1, unit_item_completion: 1 };
  },
  // Before applications (issue 13).
  '2026_12_02_10_20_00_applications': async (db) => {
    const counts = await seeds['2026_12_02_10_10_00_unit_items']!(db);
    const at = 1_780_000_500_000;
    const app = await db.insertInto('application').values({ unit_id: 2, year: 2026, status: 'submitted', fields: '{}', created_at: at, updated_at: at, submitted_at: at, submitted_by: '钱书记' }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('application_event').values({ application_id: app.id, action: 'submit', actor: '钱书记', at, comment: null }).execute();
    return { ...counts, application: 1, application_event: 1 };
  },
  // Before assessment rounds (issue 14): a closed round with its frozen grades, an entry that belongs to it.
  '2026_12_02_50_00_00_assessment_rounds': async (db) => {
    const counts = await seeds['2026_12_01_00_00_00_outbox_items']!(db);
    const at = 1_780_000_400_000;
    const round = await db.insertInto('assessment_round').values({ year: 2026, kind: 'annual', opened_at: at, opened_by: '王博文', closed_at: at + 10, closed_by: '王博文' }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('assessment_round_event').values({ round_id: round.id, action: 'open', at, by: '王博文', reason: null }).execute();
    await db.insertInto('assessment_round_grade').values({ round_id: round.id, unit_id: 2, grade: 'none', total: 9.5, veto: 1, assessed: 1, detail: '{}' }).execute();
    await db.insertInto('score_entry').values({ unit_id: 2, year: 2026, item_code: '6.2', points: 5, entered_by: 'cli', entered_at: at + 5, note: null, round_id: round.id }).execute();
    return { ...counts, score_entry: 2, assessment_round: 1, assessment_round_event: 1, assessment_round_grade: 1 };
  },
  // Before 整改 and 推选 (issue 14): an item done once and undone, a chosen candidate.
  '2026_12_02_50_01_00_rectification': async (db) => {
    const counts = await seeds['2026_12_02_50_00_00_assessment_rounds']!(db);
    const at = 1_780_000_500_000;
    const item = await db.insertInto('rectification_item').values({ round_id: 1, unit_id: 2, title: '6.1 补齐党建项目清单', item_code: '6.1', responsible: '钱书记', due_date: '2026-12-31', created_by: '王博文', created_at: at }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('rectification_completion').values({ item_id: item.id, done_at: at + 1, done_by: '钱书记', note: '已补', undone_at: at + 2, undone_by: '钱书记' }).execute();
    await db.insertInto('round_candidate').values({ round_id: 1, unit_id: 2, chosen_by: '王博文', chosen_at: at }).execute();
    return { ...counts, rectification_item: 1, rectification_completion: 1, round_candidate: 1 };
  },
  // Before the shared rate limiter's table (issue 17): nothing new to keep.
  '2026_12_03_10_00_00_rate_bucket': async (db) => seeds['2026_12_02_50_01_00_rectification']!(db),
  // Before the indexes on when entries and vetoes were made: a veto set and cleared.
  '2026_12_03_20_00_00_change_window_indexes': async (db) => {
    const counts = await seeds['2026_12_03_10_00_00_rate_bucket']!(db);
    await db.updateTable('veto').set({ cleared_at: 1_780_000_900_000, cleared_by: 'cli' }).execute();
    return counts;
  },
  // The unit table's change counter: its one row, written by the migration; units written after it count.
  '2026_12_03_30_00_00_unit_version': async (db) => {
    const counts = await seeds['2026_12_03_20_00_00_change_window_indexes']!(db);
    const before = Number((await db.selectFrom('unit_version').select('n').executeTakeFirstOrThrow()).n);
    await db.updateTable('unit').set({ name: sql`name || '（改）'` }).execute();
    const after = Number((await db.selectFrom('unit_version').select('n').executeTakeFirstOrThrow()).n);
    if (!(after > before)) throw new Error(`a unit write did not move the counter (${before} → ${after})`);
    return { ...counts, unit_version: 1 };
  },
};

const migrationNames = readdirSync(MIGRATIONS_DIR)
  .filter((f) => /^\d{4}_.*\.ts$/.test(f))
  .map((f) => f.replace(/\.(ts|js)$/, ''))
  .sort();

/** What each upgrade run measured (for the evidence). */
const runs: Array<{ version: string; seeded: number; kept: number; integrity: string; foreignKeyProblems: number }> = [];

describe('schema upgrades', () => {
  let opened: OpenedDatabase | undefined;
  afterEach(async () => opened?.close());

  it('lists every migration file in migrations/index.ts and has a seed for each', () => {
    expect(migrationNames.length).toBeGreaterThan(0);
    expect(listedMigrations()).toEqual(migrationNames);
    for (const name of migrationNames) expect(Object.keys(seeds)).toContain(name);
  });

  it.each(migrationNames)('migrates forward from version %s with every row kept', async (version) => {
    opened = openDatabase(tempDbFile('upgrade-'));
    const { error } = await migrator(opened.db).migrateTo(version);
    expect(error).toBeUndefined();
    // The seed written for exactly this version's schema.
    const expected = await seeds[version]!(opened.db as Kysely<any>);
    await migrateToLatest(opened.db);
    let kept = 0;
    for (const [table, count] of Object.entries(expected)) {
      const row = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(opened.db);
      expect(row.rows[0]?.n, table).toBe(count);
      kept += Number(row.rows[0]?.n);
    }
    const integrity = String(opened.sqlite.pragma('integrity_check', { simple: true }));
    const foreignKeyProblems = (opened.sqlite.pragma('foreign_key_check') as unknown[]).length;
    expect(integrity).toBe('ok');
    expect(foreignKeyProblems).toBe(0);
    runs.push({ version, seeded: Object.values(expected).reduce((a, b) => a + b, 0), kept, integrity, foreignKeyProblems });
  });

  it('records the evidence: every earlier version upgraded with every row kept', async () => {
    const latest = migrationNames[migrationNames.length - 1];
    await recordChecked(
      {
        id: 'schema-upgrades',
        test: 'Schema upgrades from every earlier version',
        load: `${migrationNames.length} schema version(s) of the project's history (migrations/), each seeded with rows valid at that version (${runs.map((r) => r.seeded).join(' / ')} rows)`,
        injected: `migrateToLatest from each version up to ${latest}`,
        result: `${runs.filter((r) => r.kept === r.seeded && r.integrity === 'ok' && r.foreignKeyProblems === 0).length}/${migrationNames.length} versions upgraded with every row kept (${runs.map((r) => `${r.kept}/${r.seeded}`).join(', ')}), integrity_check ${[...new Set(runs.map((r) => r.integrity))].join('/')}, ${runs.reduce((a, r) => a + r.foreignKeyProblems, 0)} foreign-key problems`,
        method: 'Each version is reached with the migrator (migrateTo), seeded for exactly that schema, then migrated to the latest; row counts of every table are compared. A migration without a seed fails the test on purpose.',
        metrics: { versions: migrationNames.length, upgraded: runs.length },
      },
      () => {
        expect(runs.map((r) => r.version)).toEqual(migrationNames);
        for (const r of runs) expect(r.kept).toBe(r.seeded);
      },
    );
  });
});
