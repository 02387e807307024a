/** Runs the real `dangjian` bin in a child process (tsx, no build step). */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** node's own options in `npm start` (package.json), so that the drills and benches run the service as deployed. */
export const SERVICE_NODE_FLAGS: string[] = (() => {
  const start = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const m = /^node((?: --[\w-]+(?:=\S+)?)*) bin\/start\.js$/.exec(start);
  if (!m) throw new Error(`package.json's start script is not "node [--flag …] bin/start.js": ${start}`);
  return m[1]!.trim().split(' ').filter(Boolean);
})();

export const BIN = join(REPO_ROOT, 'bin/dangjian.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment for child processes: no Lark credentials, no proxies, quiet logs. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LARK_') || k === 'DB_FILE' || k === 'PLAN_FILE' || k === 'HOLIDAY_FILE') delete env[k];
  return { ...env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', LOG_LEVEL: 'warn', DANGJIAN_TZ: 'Asia/Shanghai', ...extra };
}

export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, env: childEnv(options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Runs the same CLI program in this process (same argv parsing, same code, a real database
 * file), capturing stdout/stderr. Much faster than a child process; every CLI test file
 * still keeps some real child-process runs of the bin.
 */
export async function runCliInProcess(args: string[], options: { env?: Record<string, string> } = {}): Promise<CliResult> {
  const { runCli: run } = await import('../../src/cli/program.js');
  let stdout = '';
  let stderr = '';
  const code = await run(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t), env: childEnv(options.env) });
  return { code, stdout, stderr };
}

/** In-process variant of cliOk. */
export async function cliOkInProcess(db: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runCliInProcess([...args, '--db', db], { env });
  if (r.code !== 0) throw new Error(`dangjian ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** A fresh temporary directory with a database path inside it. */
export function tempDbFile(prefix = 'dangjian-'): string {
  return join(mkdtempSync(join(tmpdir(), prefix)), 'test.db');
}

/** Runs the CLI against `db`, failing loudly when the command does not succeed. */
export async function cliOk(db: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runCli([...args, '--db', db], { env });
  if (r.code !== 0) throw new Error(`dangjian ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
