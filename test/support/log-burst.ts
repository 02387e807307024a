/**
 * Child process for the logging test: logs a burst through the service's root logger, then
 * exits at once (as main.ts does after SIGTERM) while lines are still queued. pino's own stderr
 * destination hangs here for ever when the pipe has gone (its exit-time flushSync retries EPIPE).
 */
import { createLogger } from '../../src/log.js';

const log = createLogger('info');
// Wait until the parent says whether it has closed its end of the pipe.
process.stdin.once('data', () => {
  for (let i = 0; i < 20_000; i++) log.info({ i, pad: 'x'.repeat(200) }, 'burst');
  log.info('stopped');
  log.flush();
  process.exit(0);
});
process.stdout.write('ready\n');
