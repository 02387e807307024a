// Service entry (`npm start`): reads .env and the environment, opens and migrates the
// database, starts the configured transport, and stops cleanly on SIGINT / SIGTERM.
// In console mode (the default without credentials) logs go to stderr at `warn` unless
// LOG_LEVEL says otherwise, so that the chat on stdout stays readable.
import { ConfigError, loadDotEnv, readConfig } from './config/config.js';
import { createLogger } from './log.js';
import { isUserError } from './errors.js';
import { PlanError } from './plan/load-plan.js';
import { startService, type RunningService } from './service.js';

loadDotEnv();
let config;
try {
  config = readConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
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
  if (err instanceof PlanError || err instanceof ConfigError || (isUserError(err) && err.code === 'config')) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(2);
  }
  log.fatal({ err }, 'failed to start');
  log.flush();
  process.exit(1);
}
service.onExit(() => stop('transport closed'));
if (stopRequested) stop(stopRequested);
