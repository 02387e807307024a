/**
 * Crash points for the reliability drills (test/reliability/exactly-once-drill.ts): with
 * DANGJIAN_TEST_CRASH_AT=<point> (or <point>:<n>, the n-th time it is reached) the process
 * kills itself with SIGKILL right there — a crash at an exact moment of the handling. Unset
 * (always, outside the drills) it does nothing.
 */
const setting = process.env.DANGJIAN_TEST_CRASH_AT ?? '';
const [point, nth] = setting.split(':');
let reached = 0;

export type CrashPoint = 'message-before-commit' | 'message-after-commit' | 'message-after-reply' | 'card-after-commit';

export function crashPoint(at: CrashPoint): void {
  if (point !== at || ++reached < Number(nth ?? 1)) return;
  process.kill(process.pid, 'SIGKILL');
  // The signal is delivered at once; never run past this point meanwhile.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
}
