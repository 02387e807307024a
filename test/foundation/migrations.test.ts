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

  it('turns on foreign keys, WAL and a busy timeout', async () => {
    const { tempDbFile } = await import('../support/cli.js');
    opened = openDatabase(tempDbFile());
    expect(opened.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(opened.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(Number(opened.sqlite.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
  });
});
