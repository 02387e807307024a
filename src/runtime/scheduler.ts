/**
 * The scheduler as the service runs it: a pass at start (catch-up after downtime), then every
 * minute (node-cron in DANGJIAN_TZ, src/scheduler/cron.ts) or every SCHEDULER_TICK_SECONDS.
 * Each tick also does the daily housekeeping (processed event ids older than a week are
 * forgotten). Before the programme is initialised the passes do nothing (logged once) and start
 * by themselves once `dangjian init` or 「初始化」 has run.
 */
import { isUserError } from '../errors.js';
import { startIntervalTicker, startMinuteTicker } from '../scheduler/cron.js';
import { pruneOldEvents } from '../services/events.service.js';
import { isBusy } from '../db/database.js';
import { defaultWorkerId, runPass, type SchedulerDeps } from '../services/reminders.service.js';

export interface RunningScheduler {
  /** Stops the ticker and waits for a pass in progress. */
  stop(): Promise<void>;
}

/** Housekeeping runs at most this often. */
const HOUSEKEEPING_EVERY_MS = 86_400_000;

export function startScheduler(deps: SchedulerDeps): RunningScheduler {
  const log = deps.log.child({ name: 'scheduler' });
  const d: SchedulerDeps = { ...deps, workerId: deps.workerId ?? defaultWorkerId() };
  let running: Promise<unknown> | null = null;
  let stopped = false;
  let waitingForInit = false;
  let housekeptAt = Number.NEGATIVE_INFINITY;

  const housekeeping = async (now: number) => {
    if (now - housekeptAt < HOUSEKEEPING_EVERY_MS) return;
    housekeptAt = now;
    const pruned = await pruneOldEvents(d.db, now);
    if (pruned > 0) log.info({ pruned }, 'forgot processed event ids older than a week');
  };

  const pass = async () => {
    await housekeeping(d.clock.now().getTime()).catch((err: unknown) => log[isBusy(err) ? 'warn' : 'error']({ err }, 'housekeeping failed'));
    try {
      await runPass(d);
      waitingForInit = false;
    } catch (err) {
      // Before `dangjian init` there is nothing to remind of: say so once, keep ticking.
      if (isUserError(err) && err.code === 'not_initialised') {
        if (!waitingForInit) log.info('programme not initialised yet: reminders start after `dangjian init`');
        waitingForInit = true;
        return;
      }
      // Another process held the write lock past the short busy timeout: nothing half-done, the next tick runs the pass again.
      if (isBusy(err)) log.warn({ err }, 'database busy; the pass runs again at the next tick');
      else log.error({ err }, 'scheduler pass failed');
    }
  };

  const tick = (): Promise<unknown> => {
    if (stopped) return Promise.resolve();
    running ??= pass().finally(() => {
      running = null;
    });
    return running;
  };
  void tick();
  const tickSeconds = d.settings.tickSeconds;
  const ticker = tickSeconds === undefined ? startMinuteTicker({ timeZone: d.config.timeZone, log, tick }) : startIntervalTicker({ intervalMs: tickSeconds * 1000, log, tick });
  log.info({ tz: d.config.timeZone, workerId: d.workerId, ...(tickSeconds === undefined ? {} : { tickSeconds }) }, 'scheduler started');
  return {
    async stop() {
      stopped = true;
      await ticker.stop();
      if (running) await running;
    },
  };
}
