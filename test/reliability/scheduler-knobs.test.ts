/** The scheduler's drill knobs the reliability tests rely on (src/scheduler/settings.ts, cron.ts). */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startIntervalTicker } from '../../src/scheduler/cron.js';
import { DEFAULT_SCHEDULER_SETTINGS, schedulerSettingsFromEnv } from '../../src/config/scheduler-settings.js';

describe('scheduler drill knobs', () => {
  it('reads SCHEDULER_TICK_SECONDS, REMINDER_CLAIM_LEASE_MINUTES and REMINDER_RETRY_DELAY_MINUTES; unset keeps the defaults', () => {
    expect(schedulerSettingsFromEnv({ SCHEDULER_TICK_SECONDS: '0.5', REMINDER_CLAIM_LEASE_MINUTES: '0.05', REMINDER_RETRY_DELAY_MINUTES: '0.01' })).toMatchObject({ tickSeconds: 0.5, claimLeaseMinutes: 0.05, retryDelayMinutes: 0.01 });
    const defaults = schedulerSettingsFromEnv({});
    expect(defaults.tickSeconds).toBeUndefined();
    expect(defaults).toMatchObject({ claimLeaseMinutes: DEFAULT_SCHEDULER_SETTINGS.claimLeaseMinutes, retryDelayMinutes: DEFAULT_SCHEDULER_SETTINGS.retryDelayMinutes });
    expect(() => schedulerSettingsFromEnv({ SCHEDULER_TICK_SECONDS: 'fast' })).toThrow(/^invalid SCHEDULER_TICK_SECONDS="fast": expected a non-negative number/);
    expect(() => schedulerSettingsFromEnv({ REMINDER_CLAIM_LEASE_MINUTES: '0' })).toThrow(/^invalid REMINDER_CLAIM_LEASE_MINUTES="0"/);
  });

  it('reads REMINDER_CLAIM_BATCH (rows claimed per round, default 500); not a whole number ≥ 1 is refused', () => {
    expect(schedulerSettingsFromEnv({ REMINDER_CLAIM_BATCH: '100' }).claimBatch).toBe(100);
    expect(schedulerSettingsFromEnv({}).claimBatch).toBe(500);
    expect(() => schedulerSettingsFromEnv({ REMINDER_CLAIM_BATCH: '0' })).toThrow(/^invalid REMINDER_CLAIM_BATCH="0"/);
    expect(() => schedulerSettingsFromEnv({ REMINDER_CLAIM_BATCH: '1.5' })).toThrow(/^invalid REMINDER_CLAIM_BATCH="1.5": expected a whole number/);
  });

  it('the interval ticker ticks every interval, never two at once, and stops', async () => {
    let running = 0;
    let overlapped = false;
    let ticks = 0;
    const ticker = startIntervalTicker({
      intervalMs: 10,
      log: silentLogger,
      tick: async () => {
        running++;
        if (running > 1) overlapped = true;
        ticks++;
        await new Promise((r) => setTimeout(r, 25));
        running--;
      },
    });
    await new Promise((r) => setTimeout(r, 200));
    await ticker.stop();
    const atStop = ticks;
    await new Promise((r) => setTimeout(r, 60));
    expect(atStop).toBeGreaterThanOrEqual(3);
    expect(ticks).toBe(atStop);
    expect(overlapped).toBe(false);
  });
});
