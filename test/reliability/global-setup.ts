/**
 * vitest globalSetup (npm test and npm run soak): once every test file has finished,
 * docs/reliability.md is regenerated from the evidence files, but only when this run renewed
 * every evidence file of its kind (suite or soak). Running some tests alone leaves the report
 * as it is rather than mixing rows of two runs.
 */
import { readEvidence, writeReliabilityReport } from '../../scripts/reliability-report-lib.js';

export default function setup(): () => void {
  const started = Date.now();
  return () => {
    const records = readEvidence();
    const renewed = (r: (typeof records)[number]) => Date.parse(r.recordedAt) >= started;
    const kinds = new Set(records.filter(renewed).map((r) => r.run));
    if (kinds.size > 0 && records.filter((r) => kinds.has(r.run)).every(renewed)) writeReliabilityReport();
  };
}
