/**
 * The inbox's durable() shares WAL flushes among concurrent callers (src/bot/inbox.ts,
 * `coalesced`): a caller never joins a flush already running, since that flush's commit may
 * precede the caller's record.
 */
import { describe, expect, it } from 'vitest';
import { coalesced } from '../../src/bot/inbox.js';

function controlledFlush() {
  const runs: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const flush = () => new Promise<void>((resolve, reject) => runs.push({ resolve, reject }));
  return { flush, runs };
}

const settled = async <T>(p: Promise<T>) => {
  let state = 'pending';
  p.then(() => (state = 'resolved'), () => (state = 'rejected'));
  await new Promise((r) => setImmediate(r));
  return state;
};

describe('coalesced flushes', () => {
  it('a caller arriving while a flush runs waits for the next one, which all such callers share', async () => {
    const { flush, runs } = controlledFlush();
    const durable = coalesced(flush);
    const a = durable();
    expect(runs).toHaveLength(1);
    const b = durable();
    const c = durable();
    expect(runs).toHaveLength(1);
    runs[0]!.resolve();
    expect(await settled(a)).toBe('resolved');
    expect(await settled(b)).toBe('pending');
    expect(runs).toHaveLength(2);
    runs[1]!.resolve();
    expect(await settled(b)).toBe('resolved');
    expect(await settled(c)).toBe('resolved');
    // Idle again: the next caller starts a flush of its own at once.
    const d = durable();
    expect(runs).toHaveLength(3);
    runs[2]!.resolve();
    expect(await settled(d)).toBe('resolved');
  });

  it('a failed flush fails its own callers only; those waiting get the next flush', async () => {
    const { flush, runs } = controlledFlush();
    const durable = coalesced(flush);
    const a = durable();
    const b = durable();
    runs[0]!.reject(new Error('connection lost'));
    await expect(a).rejects.toThrow('connection lost');
    expect(await settled(b)).toBe('pending');
    expect(runs).toHaveLength(2);
    runs[1]!.resolve();
    expect(await settled(b)).toBe('resolved');
  });
});
