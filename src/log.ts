import { write as fsWrite, writeSync } from 'node:fs';
import pino, { type Logger } from 'pino';

export type { Logger };

/** How long a busy pipe (EAGAIN) is retried before the rest of the log is dropped. */
const BUSY_GIVE_UP_MS = 5000;
/** At exit, how long a full pipe is waited for. */
const EXIT_WRITE_MS = 2000;

/**
 * stderr for the root logger: lines written in order, off the event loop. A pipe that has gone
 * (EPIPE, EBADF) ends logging quietly, and a pipe nobody reads is given up after a while: pino's
 * own destination retries EPIPE for ever in its exit-time flushSync, so SIGTERM never exited.
 * At exit what is still queued is written once, synchronously; any error drops it (never a retry loop).
 */
class StderrDestination {
  private queue: string[] = [];
  /** The chunk being written and how much of it is confirmed written. */
  private inFlight: { buf: Buffer; done: number } | null = null;
  private writing = false;
  private broken = false;
  private drained: Array<() => void> = [];

  constructor(private readonly fd = 2) {
    process.once('exit', () => this.writeQueuedOnce());
  }

  write(line: string): void {
    if (this.broken) return;
    this.queue.push(line);
    if (!this.writing) this.next();
  }

  /** Calls back once everything written so far is out (or dropped). */
  flush(cb: (err?: Error) => void): void {
    if (!this.writing) cb();
    else this.drained.push(() => cb());
  }

  /** At exit: the unconfirmed rest of the chunk in flight (it may come out twice, never lost) and the queue. */
  private writeQueuedOnce(): void {
    if (this.broken) return;
    const pending = this.inFlight ? this.inFlight.buf.subarray(this.inFlight.done).toString('utf8') : '';
    const rest = pending + this.queue.splice(0).join('');
    if (rest === '') return;
    const buf = Buffer.from(rest, 'utf8');
    const until = Date.now() + EXIT_WRITE_MS;
    let offset = 0;
    while (offset < buf.length) {
      try {
        offset += writeSync(this.fd, buf, offset);
      } catch (err) {
        // A full pipe is waited for briefly; anything else (EPIPE) ends it: no one is left to tell.
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > until) return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
  }

  private next(): void {
    const chunk = this.queue.splice(0).join('');
    if (chunk === '') {
      this.inFlight = null;
      this.writing = false;
      for (const done of this.drained.splice(0)) done();
      return;
    }
    this.writing = true;
    this.inFlight = { buf: Buffer.from(chunk, 'utf8'), done: 0 };
    this.send(this.inFlight.buf, 0, 0);
  }

  private send(buf: Buffer, offset: number, busySince: number): void {
    fsWrite(this.fd, buf, offset, buf.length - offset, null, (err, n) => {
      if (err) {
        const busy = err.code === 'EAGAIN' || err.code === 'EBUSY';
        const since = busySince || Date.now();
        if (busy && Date.now() - since < BUSY_GIVE_UP_MS) {
          setTimeout(() => this.send(buf, offset, since), 20).unref();
          return;
        }
        // The reader has gone (or never reads): stop logging rather than block or spin.
        this.broken = true;
        this.queue = [];
        this.inFlight = null;
        this.writing = false;
        for (const done of this.drained.splice(0)) done();
        return;
      }
      if (this.inFlight) this.inFlight.done = offset + n;
      if (offset + n < buf.length) this.send(buf, offset + n, 0);
      else this.next();
    });
  }
}

let stderr: StderrDestination | undefined;

/** The root logger. Secrets never reach it: redact the fields that could carry them. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'dangjian-bot' },
      redact: { paths: ['appSecret', '*.appSecret', 'app_secret', '*.app_secret', 'tenant_access_token', '*.tenant_access_token', 'headers.authorization', '*.headers.authorization', 'encryptKey'], censor: '[redacted]' },
    },
    destination ?? (stderr ??= new StderrDestination()),
  );
}

export const silentLogger: Logger = pino({ enabled: false });
