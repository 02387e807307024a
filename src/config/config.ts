/**
 * One zod schema reads the environment into a `Config`, a union on the mode: in `ws` and
 * `webhook` mode the Lark credentials are typed present. A bad value stops start-up with a
 * UserError (code 'config') whose one-line message names the variable and what is expected.
 * The scheduler's knobs (REMINDER_*, PUSH_*, YELLOW_DAYS …) are part of the config
 * (./scheduler-settings.ts).
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { isUserError, UserError } from '../errors.js';
import { DEFAULT_TZ, isKnownTimeZone } from '../time.js';
import { schedulerSettingsFromEnv, type SchedulerSettings } from './scheduler-settings.js';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const envSchema = z.object({
  LARK_APP_ID: optionalString,
  LARK_APP_SECRET: optionalString,
  LARK_ENCRYPT_KEY: optionalString,
  LARK_VERIFICATION_TOKEN: optionalString,
  LARK_DOMAIN: optionalString.pipe(
    z
      .string()
      .url('a base URL such as https://open.feishu.cn')
      .refine((u) => /^https?:\/\//.test(u), 'an http(s) base URL such as https://open.feishu.cn')
      .optional(),
  ),
  LARK_MODE: optionalString.pipe(z.enum(['ws', 'webhook', 'console'], 'one of ws, webhook, console').optional()),
  PORT: optionalString.pipe(
    z
      .string()
      .regex(/^\d{1,5}$/, 'a port number 0-65535')
      .transform(Number)
      .pipe(z.number().max(65535, 'a port number 0-65535'))
      .optional(),
  ),
  DB_FILE: optionalString,
  // Checked by its prefix only: pg reports a bad host or password itself, naming it.
  DATABASE_URL: optionalString.pipe(z.string().regex(/^postgres(ql)?:\/\/\S+$/i, 'a PostgreSQL URL such as postgres://user:password@host:5432/dangjian').optional()),
  DANGJIAN_TZ: optionalString.pipe(z.string().refine(isKnownTimeZone, 'an IANA time zone such as Asia/Shanghai').optional()),
  LOG_LEVEL: optionalString.pipe(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'one of fatal, error, warn, info, debug, trace, silent').optional(),
  ),
  PLAN_FILE: optionalString.pipe(z.string().refine((f) => existsSync(f), 'an existing JSON plan file').optional()),
  HOLIDAY_FILE: optionalString.pipe(z.string().refine((f) => existsSync(f), 'an existing JSON holiday override file').optional()),
});

/** The Lark app the service talks to. */
export interface LarkApp {
  appId: string;
  appSecret: string;
  /** Open API base URL without a trailing slash. */
  domain: string;
}

interface ConfigBase {
  dbFile: string;
  /** DATABASE_URL: PostgreSQL instead of the SQLite file (issue 17). */
  databaseUrl: string | undefined;
  /** DANGJIAN_TZ. */
  timeZone: string;
  logLevel: string;
  planFile: string | undefined;
  holidayFile: string | undefined;
  scheduler: SchedulerSettings;
}

/** The local console (default without credentials). With credentials set, `dangjian tick` still sends through Lark. */
export interface ConsoleConfig extends ConfigBase {
  mode: 'console';
  lark: LarkApp | null;
}

/** The long connection: no public URL needed. */
export interface WsConfig extends ConfigBase {
  mode: 'ws';
  lark: LarkApp;
}

/** The HTTP receiver on `webhook.port`. */
export interface WebhookConfig extends ConfigBase {
  mode: 'webhook';
  lark: LarkApp;
  webhook: { port: number; encryptKey: string | undefined; verificationToken: string | undefined };
}

export type Config = ConsoleConfig | WsConfig | WebhookConfig;

const configError = (message: string, variable: string) => new UserError('config', message, variable);

/** Parses the environment; throws UserError('config') whose message is one line naming the variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    const got = env[variable];
    throw configError(`invalid ${variable}=${JSON.stringify(got ?? '')}: expected ${issue?.message ?? 'a valid value'}`, variable);
  }
  const e = result.data;
  let scheduler: SchedulerSettings;
  try {
    scheduler = schedulerSettingsFromEnv(env);
  } catch (err) {
    if (isUserError(err)) throw configError(err.message, err.field ?? 'scheduler settings');
    throw err;
  }
  const base: ConfigBase = {
    dbFile: e.DB_FILE ?? './data/dangjian.db',
    databaseUrl: e.DATABASE_URL,
    timeZone: e.DANGJIAN_TZ ?? DEFAULT_TZ,
    logLevel: e.LOG_LEVEL ?? 'info',
    planFile: e.PLAN_FILE,
    holidayFile: e.HOLIDAY_FILE,
    scheduler,
  };
  // One credential without the other is a half-done deployment, not console mode: say which is missing.
  if ((e.LARK_APP_ID === undefined) !== (e.LARK_APP_SECRET === undefined)) {
    const [set, missing] = e.LARK_APP_ID === undefined ? ['LARK_APP_SECRET', 'LARK_APP_ID'] : ['LARK_APP_ID', 'LARK_APP_SECRET'];
    throw configError(`已设置 ${set}，但缺少 ${missing}：两者都设置才能连接飞书，都不设置则在终端里运行本地对话`, missing);
  }
  const domain = (e.LARK_DOMAIN ?? 'https://open.feishu.cn').replace(/\/+$/, '');
  const lark: LarkApp | null = e.LARK_APP_ID !== undefined && e.LARK_APP_SECRET !== undefined ? { appId: e.LARK_APP_ID, appSecret: e.LARK_APP_SECRET, domain } : null;
  const mode = e.LARK_MODE ?? (lark ? 'ws' : 'console');
  if (mode === 'console') return { ...base, mode, lark };
  if (!lark) throw configError(`LARK_MODE=${mode} needs LARK_APP_ID and LARK_APP_SECRET to be set`, 'LARK_MODE');
  if (mode === 'ws') return { ...base, mode, lark };
  return { ...base, mode, lark, webhook: { port: e.PORT ?? 3000, encryptKey: e.LARK_ENCRYPT_KEY, verificationToken: e.LARK_VERIFICATION_TOKEN } };
}
