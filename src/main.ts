// Service entry (`npm start`): reads .env and the environment, opens and migrates the
// database, starts the configured receiver, and stops cleanly on SIGINT / SIGTERM or when the
// console's input ends. In console mode (the default without credentials) logs go to stderr at
// `warn` unless LOG_LEVEL says otherwise, so that the chat on stdout stays readable.
import { loadDotEnv, readConfig } from './config/config.js';
import { isUserError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { startService, type RunningService } from './runtime/service.js';

/** The one mapping of a start-up failure: a person's to fix (config, plan) → one line, exit 2; else a bug → logged, exit 1. */
function startupFailure(err: unknown, log: Logger | undefined): never {
  if (isUserError(err)) {
    process.stderr.write(`错误：${err.message}\n`);
    process.exit(2);
  }
  log?.fatal({ err }, 'failed to start');
  log?.flush();
  if (!log) process.stderr.write(`错误：${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

loadDotEnv();
let config;
try {
  config = readConfig();
} catch (err) {
  startupFailure(err, undefined);
}
const log = createLogger(config.mode === 'console' && !process.env.LOG_LEVEL ? 'warn' : config.logLevel);

// Signals are handled from the start: a SIGTERM during start-up stops the service as soon as it
// is up instead of killing the process half-way.
let service: RunningService | undefined;
let stopRequested: string | undefined;
let stopping = false;
const stop = (reason: string) => {
  if (!service) {
    stopRequested ??= reason;
    return;
  }
  if (stopping) return;
  stopping = true;
  log.info({ reason }, 'stopping');
  service
    .stop()
    .then(() => {
      log.info('stopped');
      log.flush();
      process.exit(0);
    })
    .catch((err: unknown) => {
      log.error({ err }, 'error while stopping');
      log.flush();
      process.exit(1);
    });
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

try {
  service = await startService(config, log);
} catch (err) {
  startupFailure(err, log);
}
void service.ended.then(() => stop('input closed'));
if (stopRequested) stop(stopRequested);
