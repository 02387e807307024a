/**
 * When commits become durable on PostgreSQL, where every connection commits asynchronously
 * (openPostgres) and Lark is acknowledged for an event only once its inbox record is durable.
 *
 * The WAL is flushed in order, so any commit that waits for the flush and *began after* a record
 * was made carries that record with it. An event's own handling usually makes such a commit a few
 * milliseconds later (the read-only settle, `settleMessage`, commits synchronously): the
 * acknowledgement waits for that one instead of a flush statement of its own — one statement and
 * one WAL flush fewer per event. When none comes within the grace the caller allows, it runs a
 * flush of its own, shared by every caller waiting for one that began after them.
 */
import type { Db } from './database.js';
import { awaitDurableCommits } from './inbox.repository.js';
import { rootOf } from './unit-of-work.js';

export interface DurableCommits {
  /**
   * Resolves once every commit made before the call is durable: at the success of the first
   * flushing statement that begins after the call, or of a flush of its own if none has begun
   * within `graceMs` (0: at once). Rejects when that flush fails.
   */
  awaitDurable(graceMs: number): Promise<void>;
  /**
   * Runs `statement`, whose commit the caller makes wait for the WAL flush (outside any
   * transaction, writing WAL); once it succeeds, every call of `awaitDurable` made before it
   * began is durable. Its failure settles nothing: those callers' own flushes follow.
   */
  flushing<T>(statement: () => Promise<T>): Promise<T>;
}

interface Waiter {
  /** The first ticket that covers this caller: tickets are taken by flushing statements as they begin. */
  need: number;
  resolve(): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout | undefined;
}

export function durableCommits(flush: () => Promise<void>): DurableCommits {
  let issued = 0;
  const waiters = new Set<Waiter>();
  /** The newest own flush still running (callers registered before it began join it). */
  let ownFlush: number | undefined;

  const settle = (ticket: number, err?: unknown): void => {
    for (const w of waiters) {
      if (w.need > ticket) continue;
      waiters.delete(w);
      clearTimeout(w.timer);
      if (err === undefined) w.resolve();
      else w.reject(err);
    }
  };
  const flushFor = (w: Waiter): void => {
    if (!waiters.has(w) || (ownFlush !== undefined && ownFlush >= w.need)) return;
    const ticket = ++issued;
    ownFlush = ticket;
    flush().then(
      () => settle(ticket),
      (err: unknown) => settle(ticket, err ?? new Error('flush failed')),
    ).finally(() => {
      if (ownFlush === ticket) ownFlush = undefined;
    });
  };

  return {
    awaitDurable(graceMs) {
      return new Promise<void>((resolve, reject) => {
        const w: Waiter = { need: issued + 1, resolve, reject, timer: undefined };
        waiters.add(w);
        if (graceMs <= 0) flushFor(w);
        else w.timer = setTimeout(() => flushFor(w), graceMs);
      });
    },
    async flushing(statement) {
      const ticket = ++issued;
      const result = await statement();
      settle(ticket);
      return result;
    },
  };
}

const watches = new WeakMap<Db, DurableCommits>();

/** The one watch of a PostgreSQL database's commits (per opened database; its own flush is `awaitDurableCommits`). */
export function durableCommitsOf(db: Db): DurableCommits {
  const root = rootOf(db);
  let watch = watches.get(root);
  if (!watch) {
    watch = durableCommits(() => awaitDurableCommits(root));
    watches.set(root, watch);
  }
  return watch;
}
