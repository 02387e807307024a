/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) and
 * prints each result. Speed goals are ratios against a bound measured in the same run.
 */
// First: the benches host the service's own runtime in this process (the bot's and PostgreSQL's
// event → reply), which must run as the service runs: its V8 flags (memory-flags.ts, imported first
// by src/main.ts) and `npm start`'s node options (SERVICE_NODE_FLAGS). With V8's defaults instead,
// this process measured another program: scavenges of a 16 MB young generation pausing 10–14 ms,
// and code optimised for speed (the service's `--optimize-for-size`, which its peak RSS needs,
// costs it about 1.3 ms of CPU per event and doubles its GC time). Without those options this
// process starts itself again with them.
import '../src/runtime/memory-flags.js';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SERVICE_NODE_FLAGS } from '../test/support/cli.js';

export interface BenchMeasure {
  name: string;
  /** Measured value divided by the bound; `goal` is the largest acceptable ratio. */
  ratio?: number;
  goal?: number;
  value?: number;
  unit?: string;
  detail?: Record<string, unknown>;
}

export interface BenchResult {
  bench: string;
  measures: BenchMeasure[];
  peakRssMb: number;
}

const here = dirname(fileURLToPath(import.meta.url));
if (!SERVICE_NODE_FLAGS.every((f) => process.execArgv.includes(f))) {
  const again = spawnSync(process.execPath, [...SERVICE_NODE_FLAGS, ...process.execArgv, join(here, '../bin/run-ts.js'), fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(again.status ?? 1);
}
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

let failed = false;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<BenchResult> };
  const result = await mod.default();
  console.log(`\n## ${result.bench}  (peak RSS ${result.peakRssMb.toFixed(0)} MB)`);
  for (const m of result.measures) {
    const ratio = m.ratio === undefined ? '' : ` ratio ${m.ratio.toFixed(2)}${m.goal === undefined ? '' : ` (goal ≤ ${m.goal})`}`;
    const value = m.value === undefined ? '' : ` ${m.value.toFixed(1)} ${m.unit ?? ''}`;
    const verdict = m.goal !== undefined && m.ratio !== undefined ? (m.ratio <= m.goal ? '  PASS' : '  MISS') : '';
    if (verdict === '  MISS') failed = true;
    console.log(`- ${m.name}:${value}${ratio}${verdict}${m.detail ? ` ${JSON.stringify(m.detail)}` : ''}`);
  }
}
process.exitCode = failed ? 1 : 0;
