// Service entry (`npm start`): reads .env and the environment, opens and migrates the
// database, starts the configured receiver, and stops cleanly on SIGINT / SIGTERM or when the
// console's input ends. In console mode (the default without credentials) logs go to stderr at
// `warn` unless LOG_LEVEL says otherwise, so that the chat on stdout stays readable.
import './runtime/memory-flags.js';
import { readConfig } from './config/config.js';
import { loadDotEnv } from './config/dotenv.js';
import { isUserError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { startService, type RunningService } from './runtime/service.js';

/** The longest wait for the log before exiting (a stderr nobody reads must not keep the process alive). */
const EXIT_FLUSH_MS = 1000;

/** Exits once the log is written out, or after EXIT_FLUSH_MS whatever the log does. */
function exitAfterFlush(log: Logger, code: number): void {
  setTimeout(() => process.exit(code), EXIT_FLUSH_MS);
  log.flush(() => process.exit(code));
}

/** The one mapping of a start-up failure: a person's to fix (config, plan) → one line, exit 2; else a bug → logged, exit 1. */
function startupFailure(err: unknown, log: Logger | undefined): never {
  if (isUserError(err)) {
    process.stderr.write(`错误：${err.message}\n`);
    process.exit(2);
  }
  // The fatal line is written out by the log's exit hook (src/log.ts).
  log?.fatal({ err }, 'failed to start');
  if (!log) process.stderr.write(`错误：${err instanceof Error ? (err.stack ?? err.message) : String(err)}
`);
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
      exitAfterFlush(log, 0);
    })
    .catch((err: unknown) => {
      log.error({ err }, 'error while stopping');
      exitAfterFlush(log, 1);
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
