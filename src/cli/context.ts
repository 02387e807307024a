/**
 * What every CLI subcommand gets: the opened (and migrated) database, the plan, config,
 * clock, logger, and an output helper that prints JSON with --json and text otherwise.
 */
import type { Command } from 'commander';
import { systemClock, type Clock } from '../clock.js';
import { readConfig, type Config } from '../config/config.js';
import { openDatabase, type Db, type OpenedDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { createLogger, type Logger } from '../log.js';
import { loadPlan, loadPlanFile } from '../plan/load-plan.js';
import type { Plan } from '../plan/schema.js';

export interface CommonOptions {
  db?: string;
  json?: boolean;
}

export interface CliContext {
  config: Config;
  db: Db;
  opened: OpenedDatabase;
  plan: Plan;
  clock: Clock;
  log: Logger;
  json: boolean;
  /** Prints `data` as JSON with --json, else the human text. */
  print(data: unknown, human: () => string): void;
}

/** Adds the options every subcommand takes. */
export function withCommonOptions(cmd: Command): Command {
  return cmd.option('--db <file>', 'SQLite database file (default: DB_FILE or ./data/dangjian.db)').option('--json', 'print machine-readable JSON');
}

/** Runs an action with a context, closing the database afterwards (also on error). */
export async function withContext<T>(options: CommonOptions, action: (ctx: CliContext) => Promise<T>): Promise<T> {
  const config = readConfig();
  const plan = config.planFile ? loadPlanFile(config.planFile) : loadPlan();
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const opened = openDatabase(options.db ?? config.dbFile);
  try {
    await migrateToLatest(opened.db);
    const json = options.json === true;
    const ctx: CliContext = {
      config,
      db: opened.db,
      opened,
      plan,
      clock: systemClock,
      log,
      json,
      print(data, human) {
        process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
      },
    };
    return await action(ctx);
  } finally {
    await opened.close();
  }
}
