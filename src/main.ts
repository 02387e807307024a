// Service entry (`npm start`): reads .env and the environment, opens and migrates the
// database, starts the configured transport, and stops cleanly on SIGINT / SIGTERM.
// In console mode (the default without credentials) logs go to stderr at `warn` unless
// LOG_LEVEL says otherwise, so that the chat on stdout stays readable.
import { ConfigError, loadDotEnv, readConfig } from './config/config.js';
import { createLogger } from './log.js';
import { isUserError } from './errors.js';
import { PlanError } from './plan/load-plan.js';
import { startService } from './service.js';

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
try {
  const service = await startService(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    service
      .stop()
      .then(() => {
        log.info('stopped');
        log.flush();
        process.exit(0);
      })
      .catch((err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  service.onExit(() => stop('transport closed'));
} catch (err) {
  if (err instanceof PlanError || err instanceof ConfigError || (isUserError(err) && err.code === 'config')) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(2);
  }
  log.fatal({ err }, 'failed to start');
  log.flush();
  process.exit(1);
}
