/**
 * vitest globalSetup (npm test and npm run soak): once every test file has finished,
 * docs/reliability.md is regenerated from the evidence files, but only when this run recorded
 * evidence (running other tests alone leaves the report as it is).
 */
import { readEvidence, writeReliabilityReport } from '../../scripts/reliability-report-lib.js';

export default function setup(): () => void {
  const started = Date.now();
  return () => {
    if (readEvidence().some((r) => Date.parse(r.recordedAt) >= started)) writeReliabilityReport();
  };
}
