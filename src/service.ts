/**
 * Composition root: wires config, database, plan, clock and the transport.
 * Transports only turn events into calls of the shared command handlers.
 */
import type { Config } from './config/config.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import type { Logger } from './log.js';
import { loadPlan, loadPlanFile } from './plan/load-plan.js';

export interface RunningService {
  stop(): Promise<void>;
  /** Called when the transport ends by itself (e.g. console input closed). */
  onExit(listener: () => void): void;
}

export async function startService(config: Config, log: Logger): Promise<RunningService> {
  const plan = config.planFile ? loadPlanFile(config.planFile) : loadPlan();
  const opened = openDatabase(config.dbFile);
  const applied = await migrateToLatest(opened.db);
  log.info({ dbFile: config.dbFile, migrationsApplied: applied.length, mode: config.mode, tz: config.timeZone, plan: plan.title }, 'database ready');
  const exitListeners: Array<() => void> = [];
  log.info({ mode: config.mode }, 'service started');
  return {
    async stop() {
      await opened.close();
    },
    onExit(listener) {
      exitListeners.push(listener);
    },
  };
}
