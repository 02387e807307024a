/**
 * What every CLI subcommand gets: the opened (and migrated) database, the plan, config,
 * clock, logger, and an output helper that prints JSON with --json and text otherwise.
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { actorFromMember, operatorActor, type Actor } from '../auth/actor.js';
import { systemClock, type Clock } from '../clock.js';
import { readConfig, type Config } from '../config/config.js';
import { isPostgresUrl, openDatabase, openPostgres, type AnyOpenedDatabase, type Db } from '../db/database.js';
import { findMemberByName } from '../db/member.repository.js';
import { migrateToLatest } from '../db/migrate.js';
import { UserError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { loadPlan, loadPlanFile } from '../plan/load-plan.js';
import type { Plan } from '../plan/schema.js';
import { z } from 'zod';
import { cliIo, type CliIo } from './io.js';

// A CLI command parses the plan and its arguments once: zod's JIT-compiled parsers cost more to
// build than they save here. (Set where a command's action loads: `--help` loads no zod.)
z.config({ jitless: true });

export interface CommonOptions {
  db?: string;
  json?: boolean;
}

export interface CliContext {
  config: Config;
  db: Db;
  opened: AnyOpenedDatabase;
  plan: Plan;
  clock: Clock;
  log: Logger;
  json: boolean;
  /** Prints `data` as JSON with --json, else the human text. */
  print(data: unknown, human: () => string): void;
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

const LEVEL_WORDS: Record<number, string> = { 40: '警告', 50: '错误', 60: '严重错误' };

/**
 * The CLI's logger: nothing below warn reaches the terminal (LOG_LEVEL may only raise the bar),
 * and what does is one readable line on stderr, not pino's JSON.
 */
export function cliLogger(io: CliIo): Logger {
  const requested = io.env.LOG_LEVEL;
  const level = requested === 'error' || requested === 'fatal' || requested === 'silent' ? requested : 'warn';
  return createLogger(level, {
    write(line: string) {
      const record = JSON.parse(line) as { level: number; msg?: string; err?: string | { message?: string } };
      const err = record.err === undefined ? '' : `（${typeof record.err === 'string' ? record.err : (record.err.message ?? '')}）`;
      io.err(`${LEVEL_WORDS[record.level] ?? '日志'}：${record.msg ?? ''}${err}\n`);
    },
  });
}

/** The first folder on the way to `file` that does not exist yet (what opening it would create), or undefined. */
export function firstMissingFolder(file: string): string | undefined {
  let missing: string | undefined;
  for (let dir = dirname(resolve(file)); !existsSync(dir); dir = dirname(dir)) missing = dir;
  return missing;
}

/** Removes a database file that a failed command created, with its journal files and the folders made for it. */
export function removeCreated(file: string, folder: string | undefined): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
  if (folder) rmSync(folder, { recursive: true, force: true });
}

export interface ContextSetup {
  /** Apply pending migrations first (default true). */
  migrate?: boolean;
  /**
   * May create the database file (init, migrate). Any other command refuses a file that does not
   * exist — a typo in --db must not leave a new empty database behind. A creating command that
   * fails removes what it created.
   */
  create?: boolean;
}

/** Runs an action with a context, closing the database afterwards (also on error). The database is migrated first unless `migrate: false`. */
export async function withContext<T>(options: CommonOptions, action: (ctx: CliContext) => Promise<T>, setup: ContextSetup = {}): Promise<T> {
  const io = cliIo();
  const config = readConfig(io.env);
  const plan = config.planFile ? loadPlanFile(config.planFile) : loadPlan();
  const file = options.db ?? config.databaseUrl ?? config.dbFile;
  const onServer = isPostgresUrl(file);
  const isNew = !onServer && file !== ':memory:' && !existsSync(file);
  if (isNew && setup.create !== true) {
    const hint = options.db === undefined ? '第一次使用请先运行 dangjian init --year 〈第一年〉' : '';
    throw new UserError('not_found', `数据库文件不存在：${file}（是否写错了路径？${hint}）`);
  }
  const createdFolder = isNew ? firstMissingFolder(file) : undefined;
  const log = cliLogger(io);
  const opened = onServer ? await openPostgres(file, { max: 2, applicationName: 'dangjian-cli' }) : openDatabase(file);
  let ok = false;
  try {
    if (setup.migrate !== false) await migrateToLatest(opened.db);
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
    const result = await action(ctx);
    ok = true;
    return result;
  } finally {
    await opened.close();
    if (!ok && isNew) removeCreated(file, createdFolder);
  }
}
