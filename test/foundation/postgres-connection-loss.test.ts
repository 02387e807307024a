/**
 * A PostgreSQL connection that drops while the service holds it (a transaction in progress, a
 * server restart, pg_terminate_backend) must fail that work only, never end the process: pg's
 * Pool listens for errors on idle clients only, and a checked-out client's 'error' event with no
 * listener was an uncaught exception (found by the replica drills, replicas.test.ts). Needs the
 * real server: it terminates its own backend.
 */
import { CompiledQuery, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/database.js';

const url = process.env.TEST_DATABASE_URL;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('PostgreSQL connection loss', () => {
  it.skipIf(!url)(`${url ? '' : 'skipped: needs a PostgreSQL server (TEST_DATABASE_URL): '}a connection terminated inside a transaction fails that transaction, the process lives on and the pool reconnects`, async () => {
    const opened = await openPostgres(url!, { max: 2, applicationName: 'dangjian-connection-loss-test' });
    const admin = await openPostgres(url!, { max: 1 });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const outcome = await opened.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          await admin.db.executeQuery(CompiledQuery.raw(`select pg_terminate_backend(${Number(rows[0]!.pid)})`));
          // The server's FATAL message and the socket's end arrive while the client is checked out.
          await sleep(300);
          await sql`select 1`.execute(trx);
          return 'committed';
        })
        .catch((err: unknown) => `failed: ${String((err as Error).message)}`);
      await sleep(100);
      const again = await sql<{ one: number }>`select 1 as one`.execute(opened.db);
      expect(uncaught).toEqual([]);
      expect(outcome).toMatch(/^failed: /);
      expect(again.rows).toEqual([{ one: 1 }]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await opened.close();
      await admin.close();
    }
  });
});
