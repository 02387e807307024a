/**
 * One zod schema reads the environment. A bad value stops start-up with one line naming
 * the variable and what is expected (ConfigError.message).
 */
import { existsSync } from 'node:fs';
import dotenv from 'dotenv';
import { z } from 'zod';
import { isUserError } from '../errors.js';
import { schedulerSettingsFromEnv, type SchedulerSettings } from '../scheduler/settings.js';

/** Reads ./.env into process.env when the file exists (never overriding real variables). */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) dotenv.config({ path, quiet: true });
}

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const envSchema = z
  .object({
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
    DANGJIAN_TZ: optionalString.pipe(z.string().refine(isValidTimeZone, 'an IANA time zone such as Asia/Shanghai').optional()),
    LOG_LEVEL: optionalString.pipe(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'one of fatal, error, warn, info, debug, trace, silent').optional(),
    ),
    PLAN_FILE: optionalString.pipe(z.string().refine((f) => existsSync(f), 'an existing JSON plan file').optional()),
    HOLIDAY_FILE: optionalString.pipe(z.string().refine((f) => existsSync(f), 'an existing JSON holiday override file').optional()),
  })
  .transform((e) => {
    const hasCredentials = e.LARK_APP_ID !== undefined && e.LARK_APP_SECRET !== undefined;
    return {
      lark: {
        appId: e.LARK_APP_ID,
        appSecret: e.LARK_APP_SECRET,
        encryptKey: e.LARK_ENCRYPT_KEY,
        verificationToken: e.LARK_VERIFICATION_TOKEN,
        domain: (e.LARK_DOMAIN ?? 'https://open.feishu.cn').replace(/\/+$/, ''),
      },
      mode: e.LARK_MODE ?? (hasCredentials ? 'ws' : 'console'),
      port: e.PORT ?? 3000,
      dbFile: e.DB_FILE ?? './data/dangjian.db',
      timeZone: e.DANGJIAN_TZ ?? 'Asia/Shanghai',
      logLevel: e.LOG_LEVEL ?? 'info',
      planFile: e.PLAN_FILE,
      holidayFile: e.HOLIDAY_FILE,
    } as const;
  });

/** The scheduler's knobs (REMINDER_*, PUSH_*, … see src/scheduler/settings.ts) are part of the config. */
export type Config = z.output<typeof envSchema> & { scheduler: SchedulerSettings };

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError whose message is one line naming the variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = envSchema.safeParse(env);
  if (result.success) {
    const config = result.data;
    if ((config.mode === 'ws' || config.mode === 'webhook') && (!config.lark.appId || !config.lark.appSecret)) {
      throw new ConfigError(`LARK_MODE=${config.mode} needs LARK_APP_ID and LARK_APP_SECRET to be set`);
    }
    try {
      return { ...config, scheduler: schedulerSettingsFromEnv(env) };
    } catch (err) {
      if (isUserError(err)) throw new ConfigError(err.message);
      throw err;
    }
  }
  const issue = result.error.issues[0];
  const variable = String(issue?.path[0] ?? 'environment');
  const got = env[variable];
  throw new ConfigError(`invalid ${variable}=${JSON.stringify(got ?? '')}: expected ${issue?.message ?? 'a valid value'}`);
}
