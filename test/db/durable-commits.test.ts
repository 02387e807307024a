/**
 * The acknowledgement's wait for durability (src/db/durable-commits.ts): a caller is covered by
 * a flushing statement (a settle that commits durably) only when it began after the call, since
 * only then does its commit follow the caller's record in the WAL; when none comes within the
 * grace, by a flush of its own, shared with every caller registered before it began.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { durableCommits } from '../../src/db/durable-commits.js';

function controlled() {
  const runs: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const start = () => new Promise<void>((resolve, reject) => runs.push({ resolve, reject }));
  return { start, runs };
}

/** The state of a promise once the microtasks queued so far have run. */
async function stateOf(p: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(() => (state = 'resolved'), () => (state = 'rejected'));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return state;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('durable commits', () => {
  it('a flushing statement that began after the call covers it; one that began before does not, whenever it ends', async () => {
    const flush = controlled();
    const watch = durableCommits(flush.start);
    const statements = controlled();
    const early = watch.flushing(statements.start);
    const caller = watch.awaitDurable(50);
    statements.runs[0]!.resolve();
    await early;
    expect(await stateOf(caller)).toBe('pending');
    const late = watch.flushing(statements.start);
    statements.runs[1]!.resolve();
    await late;
    expect(await stateOf(caller)).toBe('resolved');
    // Covered before its grace ended: no flush of its own, then or later.
    await vi.advanceTimersByTimeAsync(100);
    expect(flush.runs).toHaveLength(0);
  });

  it('with no flushing statement within the grace, a flush of its own, shared by the callers registered before it began', async () => {
    const flush = controlled();
    const watch = durableCommits(flush.start);
    const a = watch.awaitDurable(50);
    await vi.advanceTimersByTimeAsync(20);
    const b = watch.awaitDurable(50);
    await vi.advanceTimersByTimeAsync(30);
    expect(flush.runs).toHaveLength(1);
    expect(await stateOf(a)).toBe('pending');
    // b's grace ends while a's flush runs: that flush began after b's call, so b joins it.
    await vi.advanceTimersByTimeAsync(20);
    expect(flush.runs).toHaveLength(1);
    const c = watch.awaitDurable(50);
    flush.runs[0]!.resolve();
    expect(await stateOf(a)).toBe('resolved');
    expect(await stateOf(b)).toBe('resolved');
    // c came after that flush began: it waits for one of its own.
    expect(await stateOf(c)).toBe('pending');
    await vi.advanceTimersByTimeAsync(50);
    expect(flush.runs).toHaveLength(2);
    flush.runs[1]!.resolve();
    expect(await stateOf(c)).toBe('resolved');
  });

  it('a caller whose grace ends while an earlier flush runs starts another: that flush may precede its record', async () => {
    const flush = controlled();
    const watch = durableCommits(flush.start);
    const a = watch.awaitDurable(0);
    expect(flush.runs).toHaveLength(1);
    const b = watch.awaitDurable(0);
    expect(flush.runs).toHaveLength(2);
    flush.runs[0]!.resolve();
    expect(await stateOf(a)).toBe('resolved');
    expect(await stateOf(b)).toBe('pending');
    flush.runs[1]!.resolve();
    expect(await stateOf(b)).toBe('resolved');
  });

  it('a failed flush fails the callers it covered; a failed flushing statement settles no one, and their own flush follows', async () => {
    const flush = controlled();
    const watch = durableCommits(flush.start);
    const statements = controlled();
    const caller = watch.awaitDurable(50);
    const statement = watch.flushing(statements.start);
    statements.runs[0]!.reject(new Error('connection lost'));
    await expect(statement).rejects.toThrow('connection lost');
    expect(await stateOf(caller)).toBe('pending');
    await vi.advanceTimersByTimeAsync(50);
    expect(flush.runs).toHaveLength(1);
    flush.runs[0]!.reject(new Error('server shut down'));
    await expect(caller).rejects.toThrow('server shut down');
    // The next caller is not failed by it.
    const next = watch.awaitDurable(0);
    expect(flush.runs).toHaveLength(2);
    flush.runs[1]!.resolve();
    expect(await stateOf(next)).toBe('resolved');
  });
});
