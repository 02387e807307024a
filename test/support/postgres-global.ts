/**
 * vitest globalSetup of the `postgres` project: names this run (its test schemas are
 * t_<run>_…) and, when the run ends, drops the schemas it made on the TEST_DATABASE_URL server.
 */
import { randomBytes } from 'node:crypto';
import { CompiledQuery } from 'kysely';
import { openPostgres } from '../../src/db/database.js';

export default function setup(): () => Promise<void> {
  const run = randomBytes(4).toString('hex');
  process.env.DANGJIAN_TEST_RUN = run;
  return async () => {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) return;
    const admin = await openPostgres(url, { max: 1 });
    try {
      const schemas = await admin.db.executeQuery<{ nspname: string }>(CompiledQuery.raw(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_${run}\\_%'`));
      for (const { nspname } of schemas.rows) await admin.db.executeQuery(CompiledQuery.raw(`DROP SCHEMA IF EXISTS ${nspname} CASCADE`));
    } finally {
      await admin.close();
    }
  };
}
