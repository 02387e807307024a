/**
 * Crash points for the reliability drills (test/reliability/exactly-once-drill.ts): with
 * DANGJIAN_TEST_CRASH_AT=<point>@<message id or event id> the process kills itself with SIGKILL
 * right there while handling that message — a crash at an exact moment. Unset (always, outside
 * the drills) it does nothing.
 */
const [point, key] = (process.env.DANGJIAN_TEST_CRASH_AT ?? '').split('@');

export type CrashPoint = 'message-before-commit' | 'message-after-commit' | 'message-after-reply' | 'card-before-commit' | 'card-after-commit';

export function crashPoint(at: CrashPoint, id: string): void {
  if (point !== at || key !== id) return;
  process.kill(process.pid, 'SIGKILL');
  // The signal is delivered at once; never run past this point meanwhile.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
}
