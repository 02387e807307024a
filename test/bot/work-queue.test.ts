import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../src/bot/transport/work-queue.js';
import { silentLogger } from '../../src/log.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('runs one chat’s jobs in arrival order while other chats proceed', async () => {
    const q = new WorkQueue({ log: silentLogger, concurrency: 4 });
    const log: string[] = [];
    q.push('a', async () => {
      await tick(30);
      log.push('a1');
    });
    q.push('a', async () => log.push('a2'));
    q.push('b', async () => log.push('b1'));
    await q.close(1000);
    expect(log).toEqual(['b1', 'a1', 'a2']);
  });

  it('never runs more than `concurrency` jobs at once', async () => {
    const q = new WorkQueue({ log: silentLogger, concurrency: 2 });
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 6; i++) {
      q.push(`chat${i}`, async () => {
        running++;
        peak = Math.max(peak, running);
        await tick(5);
        running--;
      });
    }
    await q.close(1000);
    expect(peak).toBe(2);
  });

  it('refuses beyond its capacity and after close, and survives a failing job', async () => {
    const q = new WorkQueue({ log: silentLogger, capacity: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    expect(q.push('a', () => gate)).toBe(true);
    expect(q.push('b', async () => Promise.reject(new Error('boom')))).toBe(true);
    expect(q.push('c', async () => undefined)).toBe(false);
    expect(q.size).toBe(2);
    const closing = q.close(1000);
    expect(q.push('d', async () => undefined)).toBe(false);
    await tick(5);
    release();
    expect(await closing).toBe(true);
    expect(q.size).toBe(0);
  });

  it('lets other events (an incoming request) run between jobs that block the thread', async () => {
    const q = new WorkQueue({ log: silentLogger, concurrency: 1 });
    const log: string[] = [];
    const busy = (name: string) => async () => {
      const until = performance.now() + 15;
      while (performance.now() < until) {
        // synchronous work, like a SQLite query
      }
      log.push(name);
    };
    q.push('a', busy('job1'));
    q.push('b', busy('job2'));
    q.push('c', busy('job3'));
    setTimeout(() => log.push('timer'), 0);
    await q.close(1000);
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toHaveLength(4);
    expect(log.indexOf('timer')).toBeLessThan(log.indexOf('job3'));
  });

  it('gives up waiting at the close timeout', async () => {
    const q = new WorkQueue({ log: silentLogger });
    q.push('a', () => new Promise<void>(() => undefined));
    expect(await q.close(20)).toBe(false);
  });
});
