/**
 * The reminder scheduler. `startScheduler(deps)` runs a pass at start (catch-up after downtime)
 * and then every minute (node-cron, DANGJIAN_TZ); everything else here is for the bot (周报,
 * 「明天再提醒」) and the CLI (preview, tick, digest, outbox).
 */
import { startIntervalTicker, startMinuteTicker } from './cron.js';
import { defaultWorkerId, runPass, type SchedulerDeps } from './pass.js';
import { isUserError } from '../errors.js';
import { schedulerSettingsFromEnv } from './settings.js';

export { SNOOZE_ACTION, reminderCard, type CardItem } from './cards.js';
export type { ItemLine, PushContent, ReminderPayload, TaskReminderInfo, TargetsSummary } from './content.js';
export { buildDigest, digestCard, digestElements, type Digest, type DigestDeps } from './digest.js';
export { LAST_PASS_SETTING, batchKey, dispatchDue, previewReminders, runPass, streamReminders, type DispatchResult, type PassResult, type RuleDeps, type SchedulerDeps } from './pass.js';
export { REMINDER_KINDS, computeIntents, forEachIntent, inPushWindow, type ReminderIntent, type ReminderKind, type RuleInput, type RuleTask } from './rules.js';
export { DEFAULT_SCHEDULER_SETTINGS, schedulerSettings, schedulerSettingsFromEnv, type SchedulerSettings } from './settings.js';
export { snoozeKeyOf, snoozeReminder, type SnoozeDeps, type SnoozeResult } from './snooze.js';
export { previewFormatter, type PreviewRow } from './preview-format.js';

export interface RunningScheduler {
  /** Stops the ticker and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * Starts the minute ticker. `deps.settings` defaults to `schedulerSettingsFromEnv()` (a bad
 * variable throws here, at start-up). A pass runs immediately, then at every minute. Before the
 * programme is initialised the passes do nothing (logged once) until `dangjian init` has run.
 */
export function startScheduler(deps: SchedulerDeps): RunningScheduler {
  const log = deps.log.child({ name: 'scheduler' });
  const d: SchedulerDeps = { ...deps, settings: deps.settings ?? schedulerSettingsFromEnv(), workerId: deps.workerId ?? defaultWorkerId() };
  let running: Promise<unknown> | null = null;
  let stopped = false;
  let waitingForInit = false;
  const tick = (): Promise<unknown> => {
    if (stopped) return Promise.resolve();
    if (running) return running;
    running = runPass(d)
      .then(() => {
        waitingForInit = false;
      })
      .catch((err: unknown) => {
        // Before `dangjian init` there is nothing to remind of: say so once, keep ticking.
        if (isUserError(err) && err.code === 'not_initialised') {
          if (!waitingForInit) log.info('programme not initialised yet: reminders start after `dangjian init`');
          waitingForInit = true;
          return;
        }
        log.error({ err }, 'scheduler pass failed');
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  void tick();
  const tickSeconds = d.settings?.tickSeconds;
  const ticker = tickSeconds === undefined ? startMinuteTicker({ timeZone: deps.config.timeZone, log, tick }) : startIntervalTicker({ intervalMs: tickSeconds * 1000, log, tick });
  log.info({ tz: deps.config.timeZone, workerId: d.workerId, ...(tickSeconds === undefined ? {} : { tickSeconds }) }, 'scheduler started');
  return {
    async stop() {
      stopped = true;
      await ticker.stop();
      if (running) await running;
    },
  };
}
