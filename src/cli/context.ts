/**
 * What every CLI subcommand gets: the opened (and migrated) database, the plan, config,
 * clock, logger, and an output helper that prints JSON with --json and text otherwise.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Command } from 'commander';
import { actorFromMember, operatorActor, type Actor } from '../auth/actor.js';
import { systemClock, type Clock } from '../clock.js';
import { readConfig, type Config } from '../config/config.js';
import { openDatabase, type Db, type OpenedDatabase } from '../db/database.js';
import { findMemberByName } from '../db/member.repository.js';
import { migrateToLatest } from '../db/migrate.js';
import { UserError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { loadPlan, loadPlanFile } from '../plan/load-plan.js';
import type { Plan } from '../plan/schema.js';

/** Where a CLI run reads its environment and writes its output (the process, or a test). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  env: process.env,
};

const ioStore = new AsyncLocalStorage<CliIo>();

/** The I/O of the CLI run in progress. */
export function cliIo(): CliIo {
  return ioStore.getStore() ?? processIo;
}

export function runWithIo<T>(io: CliIo, fn: () => Promise<T>): Promise<T> {
  return ioStore.run(io, fn);
}

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

/**
 * Who a command acts as: `--by NAME` is a roster member, looked up (their permissions apply and
 * the audit names them); without it, the operator at the server's shell (office powers).
 */
export async function actingAs(ctx: CliContext, by: string | undefined): Promise<Actor> {
  if (by === undefined) return operatorActor();
  const name = by.trim();
  const member = name === '' ? undefined : await findMemberByName(ctx.db, name);
  if (!member) throw new UserError('not_found', `花名册中没有「${by}」（先用 dangjian member add 添加）`, '--by');
  return actorFromMember(member, 'cli');
}

/** Runs an action with a context, closing the database afterwards (also on error). The database is migrated first unless `migrate: false`. */
export async function withContext<T>(options: CommonOptions, action: (ctx: CliContext) => Promise<T>, setup: { migrate: boolean } = { migrate: true }): Promise<T> {
  const io = cliIo();
  const config = readConfig(io.env);
  const plan = config.planFile ? loadPlanFile(config.planFile) : loadPlan();
  const log = createLogger(io.env.LOG_LEVEL ?? 'warn');
  const opened = openDatabase(options.db ?? config.dbFile);
  try {
    if (setup.migrate) await migrateToLatest(opened.db);
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
        io.out(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
      },
    };
    return await action(ctx);
  } finally {
    await opened.close();
  }
}
