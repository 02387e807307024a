/**
 * The minute ticker. The only module that imports node-cron: it runs `tick` every minute in the
 * configured zone, never two at once. node-cron keeps no state and does not catch up; the pass
 * itself works out what is due from the database. SCHEDULER_TICK_SECONDS replaces it with a
 * plain interval (drills and tests).
 */
import cron from 'node-cron';
import type { Logger } from '../log.js';

export interface Ticker {
  stop(): Promise<void>;
}

/** Runs `tick` every `intervalMs` (SCHEDULER_TICK_SECONDS), never two at once. */
export function startIntervalTicker(opts: { intervalMs: number; log: Logger; tick: () => Promise<unknown> }): Ticker {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    opts
      .tick()
      .catch((err: unknown) => opts.log.error({ err }, 'scheduler pass failed'))
      .finally(() => {
        busy = false;
      });
  }, opts.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
    },
  };
}

export function startMinuteTicker(opts: { timeZone: string; log: Logger; tick: () => Promise<unknown> }): Ticker {
  const task = cron.schedule(
    '* * * * *',
    async () => {
      try {
        await opts.tick();
      } catch (err) {
        opts.log.error({ err }, 'scheduler pass failed');
      }
    },
    { timezone: opts.timeZone, noOverlap: true, name: 'dangjian-scheduler' },
  );
  return {
    async stop() {
      await task.stop();
      await task.destroy();
    },
  };
}
