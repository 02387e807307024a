/** inOneTransaction on a real SQLite file: all or nothing, nested transactions as savepoints, the connection released on every path. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { inOneTransaction, readOnlyView, rootOf } from '../../src/db/unit-of-work.js';
import type { Db } from '../../src/db/database.js';

let opened: OpenedDatabase;
beforeEach(async () => {
  opened = openDatabase(join(mkdtempSync(join(tmpdir(), 'dangjian-uow-')), 'uow.db'));
  await migrateToLatest(opened.db);
});
afterEach(() => opened.close());

const put = (db: Db, key: string) => db.insertInto('setting').values({ key, value: 'v' }).execute();
const keys = async () => (await opened.db.selectFrom('setting').select('key').where('key', 'like', 'uow_%').orderBy('key').execute()).map((r) => r.key);

describe('inOneTransaction', () => {
  it('commits what the work wrote, its nested transactions included', async () => {
    await inOneTransaction(opened.db, async (db) => {
      await put(db, 'uow_a');
      await db.transaction().execute((trx) => put(trx, 'uow_b'));
    });
    expect(await keys()).toEqual(['uow_a', 'uow_b']);
  });

  it('a nested transaction that fails rolls back its own writes only', async () => {
    await inOneTransaction(opened.db, async (db) => {
      await put(db, 'uow_a');
      await db
        .transaction()
        .execute(async (trx) => {
          await put(trx, 'uow_b');
          throw new Error('refused');
        })
        .catch(() => undefined);
      await put(db, 'uow_c');
    });
    expect(await keys()).toEqual(['uow_a', 'uow_c']);
  });

  it('writes nothing when the work fails, and leaves the database usable', async () => {
    await expect(
      inOneTransaction(opened.db, async (db) => {
        await put(db, 'uow_a');
        await db.transaction().execute((trx) => put(trx, 'uow_b'));
        throw new Error('crash');
      }),
    ).rejects.toThrow('crash');
    expect(await keys()).toEqual([]);
    await put(opened.db, 'uow_after');
    expect(await keys()).toEqual(['uow_after']);
  });

  it('a full disk: SQLITE_FULL thrown, nothing written, the connection released', async () => {
    const pages = opened.sqlite.pragma('page_count', { simple: true }) as number;
    opened.sqlite.pragma(`max_page_count = ${pages}`);
    const big = 'x'.repeat(64 * 1024);
    const err = await inOneTransaction(opened.db, async (db) => {
      await put(db, 'uow_a');
      await db.insertInto('setting').values({ key: 'uow_big', value: big }).execute();
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('SQLITE_FULL');
    opened.sqlite.pragma('max_page_count = 1073741823');
    expect(await keys()).toEqual([]);
    await put(opened.db, 'uow_after');
    expect(await keys()).toEqual(['uow_after']);
  });

  it('rootOf names the database a transaction belongs to', async () => {
    await inOneTransaction(opened.db, async (db) => {
      expect(db).not.toBe(opened.db);
      expect(rootOf(db)).toBe(opened.db);
    });
    expect(rootOf(opened.db)).toBe(opened.db);
  });
});

describe('readOnlyView', () => {
  it("reads, refuses the query builder's inserts, updates and deletes, and belongs to the same database", async () => {
    await put(opened.db, 'uow_a');
    const view = readOnlyView(opened.db);
    expect(readOnlyView(opened.db)).toBe(view);
    expect(rootOf(view)).toBe(opened.db);
    expect((await view.selectFrom('setting').select('key').where('key', '=', 'uow_a').execute()).map((r) => r.key)).toEqual(['uow_a']);
    await expect(put(view, 'uow_b')).rejects.toThrow('a read-only command tried to write (InsertQueryNode)');
    await expect(view.updateTable('setting').set({ value: 'w' }).where('key', '=', 'uow_a').execute()).rejects.toThrow('(UpdateQueryNode)');
    await expect(view.deleteFrom('setting').where('key', '=', 'uow_a').execute()).rejects.toThrow('(DeleteQueryNode)');
    expect(await keys()).toEqual(['uow_a']);
    expect((await opened.db.selectFrom('setting').select('value').where('key', '=', 'uow_a').executeTakeFirst())?.value).toBe('v');
  });
});
