import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

describe('migrations', () => {
  let opened: OpenedDatabase | undefined;
  afterEach(async () => opened?.close());

  it('create every table on an empty database and are idempotent', async () => {
    opened = openDatabase(':memory:');
    const applied = await migrateToLatest(opened.db);
    expect(applied.length).toBeGreaterThan(0);
    const tables = (await opened.db.introspection.getTables()).map((t) => t.name);
    for (const t of ['setting', 'unit', 'member', 'chat', 'score_entry', 'veto', 'task', 'task_completion', 'outbox', 'processed_event', 'audit_log']) {
      expect(tables).toContain(t);
    }
    expect(await migrateToLatest(opened.db)).toEqual([]);
  });

  it('turns on foreign keys, WAL and a busy timeout; keeps the 2 MB page cache SQLite defaults to (better-sqlite3 builds it with 16 MB)', async () => {
    const { tempDbFile } = await import('../support/cli.js');
    opened = openDatabase(tempDbFile());
    expect(opened.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(opened.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(Number(opened.sqlite.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
    expect(opened.sqlite.pragma('cache_size', { simple: true })).toBe(-2000);
  });

  it('six processes migrating one fresh file at once: one applies every migration, the others find nothing to do', async () => {
    const { runCli, tempDbFile } = await import('../support/cli.js');
    const file = tempDbFile();
    const runs = await Promise.all([0, 1, 2, 3, 4, 5].map(() => runCli(['migrate', '--json', '--db', file])));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    const applied = runs.map((r) => (JSON.parse(r.stdout) as { applied: string[] }).applied);
    const { migrationNames } = await import('../../src/db/migrate.js');
    expect(applied.flat().sort()).toEqual(migrationNames());
  }, 60_000);
});
