/**
 * vitest globalSetup of the `postgres` project: names this run (its test databases are
 * t_<run>_…), and on the TEST_DATABASE_URL server creates the run's template database, migrated
 * once, that each test database is copied from. When the run ends it drops what the run made.
 */
import { randomBytes } from 'node:crypto';
import { CompiledQuery } from 'kysely';
import { openPostgres } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export default async function setup(): Promise<() => Promise<void>> {
  const run = randomBytes(4).toString('hex');
  process.env.DANGJIAN_TEST_RUN = run;
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return async () => {};
  const { serverUrl, templateDatabaseName } = await import('./database.js');
  const template = templateDatabaseName();
  const admin = await openPostgres(url, { max: 1 });
  try {
    await admin.db.executeQuery(CompiledQuery.raw(`CREATE DATABASE ${template} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`));
  } finally {
    await admin.close();
  }
  const migrated = await openPostgres(serverUrl(url, template), { max: 1 });
  try {
    await migrateToLatest(migrated.db);
  } finally {
    await migrated.close();
  }
  return async () => {
    const again = await openPostgres(url, { max: 1 });
    try {
      const made = await again.db.executeQuery<{ datname: string }>(CompiledQuery.raw(`SELECT datname FROM pg_database WHERE datname LIKE 't\\_${run}\\_%' OR datname = '${template}'`));
      for (const { datname } of made.rows) await again.db.executeQuery(CompiledQuery.raw(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`));
    } finally {
      await again.close();
    }
  };
}
