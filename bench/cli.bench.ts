/**
 * Admin CLI speed on the generated city (bench/city.ts: 50 streets, 1,000 communities, 15,000
 * compounds, every sub-item scored): `dangjian --help`, `tasks`, `score show` and `task done`,
 * each run as a child process of the real bin (`node bin/dangjian.js`, as `npm run dangjian`
 * and ./node_modules/.bin/dangjian run it), as a ratio to a floor measured in the same run: a
 * child `node` that opens the same database with better-sqlite3 and runs one query. Medians of
 * interleaved runs after a warm-up (the first run also builds the bundle). Goal: ≤ 3× each.
 * Two ratios are reported: wall time, and the CPU time each child used (user + system, written
 * by a preloaded hook at exit). The goal is checked on CPU time: on a machine shared by other
 * work, wall time mostly measures how long a process waited for a core, and a longer process
 * waits more often; CPU time is what the command itself costs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchResult, BenchMeasure } from './index.js';
import { generateCity } from './city.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/dangjian.js');
const RUNS = 9;
const GOAL = 3;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const env = { ...process.env, LOG_LEVEL: 'warn', DANGJIAN_TZ: 'Asia/Shanghai', LARK_APP_ID: '', LARK_APP_SECRET: '' };

interface Timing {
  ms: number;
  cpuMs: number;
  stdout: string;
}

/** Runs a child process to completion with the CPU hook preloaded; its wall and CPU time in ms (throws when it fails). */
function timedWith(hook: string, cpuFile: string): (args: string[]) => Timing {
  return (args) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, ['--require', hook, ...args], { cwd: ROOT, env: { ...env, CLI_BENCH_CPU_FILE: cpuFile }, encoding: 'utf8' });
    const ms = performance.now() - t;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return { ms, cpuMs: Number(readFileSync(cpuFile, 'utf8')), stdout: r.stdout };
  };
}

export default async function cliBench(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dangjian-bench-cli-'));
  const file = join(dir, 'city.db');
  const hook = join(dir, 'cpu-hook.cjs');
  writeFileSync(hook, "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeFileSync(process.env.CLI_BENCH_CPU_FILE, String((u.user + u.system) / 1000)); });\n");
  const timed = timedWith(hook, join(dir, 'cpu.txt'));
  try {
    const city = await generateCity(file, { streets: 50, communities: 1000, compounds: 15000, others: 2000, seed: 20231231 });
    const year = city.years[0]!;
    const cli = (...args: string[]) => [BIN, ...args, '--db', file];
    // The city has scores but no task list: the office's first step (not timed).
    timed(cli('task', 'instantiate', '--year', String(year)));
    const board = JSON.parse(timed(cli('tasks', '--year', String(year), '--json')).stdout) as Array<{ seq: number; cadence: string | null }>;
    const monthly = board.find((t) => t.cadence === 'monthly');
    if (!monthly) throw new Error('no monthly task in the city');
    const unit = `${city.streetNames[7]}`;
    const floorScript = `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)}); db.prepare('select count(*) as n from unit').get(); db.close();`;

    let month = 0;
    const commands: Record<string, () => string[]> = {
      'dangjian --help': () => [BIN, '--help'],
      'dangjian tasks': () => cli('tasks', '--year', String(year), '--at', `${year}-06-15T10:00:00+08:00`),
      'dangjian score show': () => cli('score', 'show', '--unit', unit, '--year', String(year)),
      // A different month each run: every run records a real completion.
      'dangjian task done': () => cli('task', 'done', '--seq', String(monthly.seq), '--period', `${year}-${String((month++ % 12) + 1).padStart(2, '0')}`, '--year', String(year), '--at', `${year}-12-20T10:00:00+08:00`),
    };
    const names = Object.keys(commands);
    // Warm-up: the bundle is built, the file cache holds the database.
    timed(['-e', floorScript]);
    timed(commands['dangjian --help']!());
    const floor: Timing[] = [];
    const runs: Record<string, Timing[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let i = 0; i < RUNS; i++) {
      floor.push(timed(['-e', floorScript]));
      for (const name of names) runs[name]!.push(timed(commands[name]!()));
    }
    const floorCpu = median(floor.map((t) => t.cpuMs));
    const floorWall = median(floor.map((t) => t.ms));
    const measures: BenchMeasure[] = [{ name: 'floor: node + better-sqlite3 opening the city database + one query (CPU)', value: floorCpu, unit: 'ms', detail: { wallMs: Math.round(floorWall) } }];
    for (const name of names) {
      const cpu = median(runs[name]!.map((t) => t.cpuMs));
      const wall = median(runs[name]!.map((t) => t.ms));
      measures.push({ name: `${name} (CPU)`, value: cpu, unit: 'ms', ratio: cpu / floorCpu, goal: GOAL, detail: { wallMs: Math.round(wall), wallRatio: Number((wall / floorWall).toFixed(2)) } });
    }
    measures.push({ name: 'city', detail: { units: city.units, scoreRows: city.scoreRows, runs: RUNS } });
    return { bench: 'cli (child processes of the real bin on the city database)', measures, peakRssMb: process.memoryUsage().rss / 1024 / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
