/**
 * The bot's link to the scheduler (src/scheduler, another module): the 周报 command's digest
 * builder, the 「明天再提醒」 button's snooze, and the minute ticker (startScheduler) started
 * with the same Outbound as the bot, so that pushes in console mode print in the console.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/database.js';
import { getProgramme } from '../db/setting.repository.js';
import type { Logger } from '../log.js';
import type { Outbound } from '../messaging/outbound.js';
import type { Plan } from '../plan/schema.js';
import { buildDigest, digestCard, snoozeReminder, startScheduler } from '../scheduler/index.js';
import { createWorkCalendar, loadHolidayOverrideFile } from '../tasks/work-calendar.js';
import { inZone } from '../time.js';
import type { DigestBuilder, SnoozeHandler } from './types.js';

export interface SchedulerHandle {
  /** Whether the minute ticker runs in this process. */
  running: boolean;
  digest: DigestBuilder;
  snooze: SnoozeHandler;
  stop(): Promise<void>;
}

export interface SchedulerLinkInput {
  config: Config;
  db: Db;
  plan: Plan;
  clock: Clock;
  log: Logger;
  outbound: Outbound;
  /** Start the ticker (false: digest and snooze only). */
  start: boolean;
  /** How often to look for `init` when the programme is not initialised yet (default 30 s). */
  initCheckMs?: number;
}

export async function startSchedulerLink(i: SchedulerLinkInput): Promise<SchedulerHandle> {
  const { calendar, warnings } = createWorkCalendar({
    ...(i.config.holidayFile ? { override: loadHolidayOverrideFile(i.config.holidayFile) } : {}),
    years: [Number(inZone(i.clock.now(), i.config.timeZone).format('YYYY'))],
  });
  for (const w of warnings) i.log.warn({ warning: w }, 'work calendar');
  const settings = i.config.scheduler;
  const base = { db: i.db, plan: i.plan, clock: i.clock, config: { timeZone: i.config.timeZone }, calendar, settings };
  const digest: DigestBuilder = async (at) => digestCard(await buildDigest(base, { at: at.getTime() }));
  const snooze: SnoozeHandler = async ({ key, actor }) => {
    const r = await snoozeReminder(base, key, actor);
    const when = inZone(Date.parse(r.notBefore), i.config.timeZone).format('M月D日 HH:mm');
    return { message: r.alreadySnoozed ? `已经设置过，将于 ${when} 再提醒` : `好的，将于 ${when} 再提醒` };
  };
  if (!i.start) return { running: false, digest, snooze, stop: async () => undefined };
  const start = () => startScheduler({ ...base, log: i.log, outbound: i.outbound });
  if (await getProgramme(i.db)) {
    const running = start();
    return { running: true, digest, snooze, stop: () => running.stop() };
  }
  // Not initialised yet (a fresh console): a pass would only fail every minute. Start once
  // `dangjian init` (or the console's 初始化) has run.
  i.log.info('scheduler waits until the programme is initialised');
  let running: ReturnType<typeof startScheduler> | undefined;
  let stopped = false;
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void getProgramme(i.db)
      .then((p) => {
        if (p && !running && !stopped) {
          clearInterval(timer);
          running = start();
        }
      })
      .catch((err: unknown) => i.log.warn({ err }, 'scheduler start check failed'))
      .finally(() => {
        checking = false;
      });
  }, i.initCheckMs ?? 30_000);
  timer.unref();
  return {
    running: false,
    digest,
    snooze,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.stop();
    },
  };
}
