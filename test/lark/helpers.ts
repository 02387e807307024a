import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../src/log.js';

/** A manual clock + sleep for the rate limiter: time only moves when the test says so. */
export function manualTime(start = 0) {
  let t = start;
  let seq = 0;
  const timers: Array<{ at: number; seq: number; resolve: () => void }> = [];
  const flush = () => new Promise<void>((r) => setImmediate(r));
  return {
    now: () => t,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        timers.push({ at: t + ms, seq: seq++, resolve });
      }),
    pendingTimers: () => timers.length,
    /** Fires due timers in time order (letting promise chains run after each), ends at `target`. */
    async advanceTo(target: number, lateMs = 0) {
      await flush();
      for (;;) {
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers[0];
        if (!next || next.at + lateMs > target) break;
        timers.shift();
        t = Math.max(t, next.at + lateMs);
        next.resolve();
        await flush();
      }
      t = Math.max(t, target);
      await flush();
    },
    async advanceBy(ms: number) {
      await this.advanceTo(t + ms);
    },
  };
}

/** A pino logger (all levels) whose output the test can read. */
export function captureLogger(): { log: Logger; text: () => string; entries: () => Array<Record<string, unknown>> } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString('utf8');
      cb();
    },
  });
  const log = pino({ level: 'trace' }, stream);
  return {
    log,
    text: () => out,
    entries: () =>
      out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** Sleep that records what was asked but waits at most `capMs` (backoff assertions without waiting). */
export function recordingSleep(capMs = 5) {
  const asked: number[] = [];
  return {
    asked,
    sleep: (ms: number) => {
      asked.push(ms);
      return new Promise<void>((r) => setTimeout(r, Math.min(ms, capMs)));
    },
  };
}
