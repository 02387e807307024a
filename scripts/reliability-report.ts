/**
 * Regenerates docs/reliability.md from the evidence the reliability tests wrote
 * (see scripts/reliability-report-lib.ts):
 *
 *   node bin/run-ts.js scripts/reliability-report.ts [--evidence DIR] [--out FILE]
 */
import { resolve } from 'node:path';
import { writeReliabilityReport } from './reliability-report-lib.js';

const args = process.argv.slice(2);
const opt = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const evidenceDir = opt('--evidence');
const outFile = opt('--out');
const written = writeReliabilityReport({ ...(evidenceDir ? { evidenceDir: resolve(evidenceDir) } : {}), ...(outFile ? { out: resolve(outFile) } : {}) });
process.stdout.write(`wrote ${written}\n`);
