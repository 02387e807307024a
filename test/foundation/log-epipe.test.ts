/** The root logger and a stderr that has gone: the process still exits at once, with its code. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';

async function burst(closeStderr: boolean): Promise<{ code: number | null; lines: number; ms: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/support/log-burst.ts')], { cwd: REPO_ROOT });
  let lines = 0;
  if (closeStderr) child.stderr.destroy();
  else child.stderr.on('data', (d: Buffer) => (lines += d.toString().split('\n').length - 1));
  await new Promise((r) => child.stdout.once('data', r));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const t = Date.now();
  child.stdin.write('go\n');
  const code = await Promise.race([exited, new Promise<'hang'>((r) => setTimeout(() => r('hang'), 10_000))]);
  if (code === 'hang') child.kill('SIGKILL');
  return { code: code === 'hang' ? -1 : code, lines, ms: Date.now() - t };
}

describe('logging to a stderr pipe', () => {
  it('exits at once (code 0) when the pipe has gone with 20,000 lines still queued (EPIPE is not retried)', async () => {
    const r = await burst(true);
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(5000);
  }, 20_000);

  it('writes every line, in full, while someone reads (the exit hook writes what is still queued)', async () => {
    const r = await burst(false);
    expect(r.code).toBe(0);
    expect(r.lines).toBeGreaterThanOrEqual(20_001);
  }, 20_000);
});
