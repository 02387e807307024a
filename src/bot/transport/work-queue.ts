/**
 * In-process queue for work done after an event has been acknowledged. Jobs with the same key
 * (a chat) run one after another, in arrival order, so 「完成 5」 then 「任务 5」 answer in order;
 * different keys run concurrently up to `concurrency`. Beyond `capacity` waiting jobs, `push`
 * refuses (the receiver answers 503 and Lark redelivers later).
 */
import type { Logger } from '../../log.js';

export interface WorkQueueOptions {
  /** Jobs running at once across keys. Default 8. */
  concurrency?: number;
  /** Jobs accepted but not finished. Default 5000. */
  capacity?: number;
  log: Logger;
  /** Called as each job starts (the bench times the work after the acknowledgement). */
  onStart?: ((key: string) => void) | undefined;
}

export class WorkQueue {
  private readonly concurrency: number;
  private readonly capacity: number;
  private readonly log: Logger;
  private readonly onStart: ((key: string) => void) | undefined;
  private readonly tails = new Map<string, Promise<void>>();
  private readonly waiters: Array<() => void> = [];
  private active = 0;
  private pending = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(o: WorkQueueOptions) {
    this.concurrency = Math.max(1, o.concurrency ?? 8);
    this.capacity = Math.max(1, o.capacity ?? 5000);
    this.log = o.log;
    this.onStart = o.onStart;
  }

  /** Whether `push` would accept a job now. */
  get accepting(): boolean {
    return !this.closed && this.pending < this.capacity;
  }

  /** Jobs accepted and not yet finished. */
  get size(): number {
    return this.pending;
  }

  /** Accepts a job; false when the queue is full or closed. The job's errors are logged, never thrown. */
  push(key: string, job: () => Promise<unknown>): boolean {
    if (this.closed || this.pending >= this.capacity) return false;
    this.pending++;
    const prev = this.tails.get(key) ?? Promise.resolve();
    const run = prev
      .then(() => this.acquire())
      .then(async () => {
        try {
          // Start each job in a macrotask of its own: the database and grading work is
          // synchronous, and chained microtasks would keep incoming requests (acknowledgements)
          // waiting until the whole queue has run.
          await new Promise<void>((resolve) => setImmediate(resolve));
          this.onStart?.(key);
          await job();
        } catch (err) {
          this.log.error({ err, key }, 'queued job failed');
        } finally {
          this.release();
        }
      })
      .finally(() => {
        this.pending--;
        if (this.tails.get(key) === run) this.tails.delete(key);
        if (this.pending === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    this.tails.set(key, run);
    return true;
  }

  /** Resolves once every accepted job has finished (at once when none is pending). Tests wait on it instead of sleeping. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuses new jobs and waits (at most `timeoutMs`) for the accepted ones; true when all finished. */
  async close(timeoutMs = 10_000): Promise<boolean> {
    this.closed = true;
    if (this.pending === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) this.log.warn({ pending: this.pending }, 'work queue closed with jobs still running');
    return finished;
  }

  private acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active--;
  }
}
