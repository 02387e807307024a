/**
 * Evidence of the reliability tests: each test records what it did and what it measured, one
 * JSON file per test and run mode in test/.evidence/ (gitignored). scripts/reliability-report.ts
 * turns those files into docs/reliability.md, so the report only ever states numbers a test
 * measured and asserted in a real run.
 *
 * Use `recordChecked(evidence, () => { expect(...) })`: the assertions run first and the file
 * says whether they held (a failing run is recorded as failed, with its message, and rethrown).
 * Build `result` from the measured variables, never from literals.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { expect } from 'vitest';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const EVIDENCE_DIR = join(REPO_ROOT, 'test/.evidence');

/** `suite` under `npm test`, `soak` under `npm run soak` (vitest.soak.config.ts sets DANGJIAN_EVIDENCE_RUN). */
export type RunMode = 'suite' | 'soak';

export interface EvidenceInput {
  /** Stable id; one file per id and run mode (a later run overwrites it). */
  id: string;
  /** What is being shown, e.g. "Crash safety (SIGKILL)". */
  test: string;
  /** The load, e.g. "100 reminders to 20 chats". */
  load: string;
  /** What was injected, e.g. "8 × SIGKILL at random moments (seed 7)". */
  injected: string;
  /** The outcome, from measured values, e.g. "100 delivered, 0 duplicates". */
  result: string;
  /** How the test works (one or two sentences: what is real, what is seeded, how it is counted). */
  method?: string;
  /** The raw numbers behind `result`. */
  metrics?: Record<string, number | string | boolean | null>;
}

export interface EvidenceRecord extends EvidenceInput {
  passed: boolean;
  /** The assertion message when `passed` is false. */
  failure?: string;
  run: RunMode;
  /** Test file, relative to the repository. */
  file: string | null;
  recordedAt: string;
  node: string;
  cpus: number;
}

function runMode(): RunMode {
  return process.env.DANGJIAN_EVIDENCE_RUN === 'soak' ? 'soak' : 'suite';
}

function evidenceFile(id: string, run: RunMode = runMode()): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new Error(`evidence id must be kebab-case: ${id}`);
  return join(EVIDENCE_DIR, `${run}--${id}.json`);
}

/** Writes one evidence file (atomically). */
function recordEvidence(e: EvidenceInput & { passed: boolean; failure?: string }): EvidenceRecord {
  let file: string | null = null;
  try {
    const path = expect.getState().testPath;
    file = path ? relative(REPO_ROOT, path) : null;
  } catch {
    file = null;
  }
  const record: EvidenceRecord = { ...e, run: runMode(), file, recordedAt: new Date().toISOString(), node: process.version, cpus: cpus().length };
  mkdirSync(EVIDENCE_DIR, { recursive: true });
  const target = evidenceFile(e.id, record.run);
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, target);
  return record;
}

/** Runs the assertions, records the evidence as passed or failed accordingly, rethrows a failure. */
export async function recordChecked(e: EvidenceInput, assertions: () => void | Promise<void>): Promise<void> {
  try {
    await assertions();
  } catch (err) {
    recordEvidence({ ...e, passed: false, failure: String((err as Error)?.message ?? err).slice(0, 600) });
    throw err;
  }
  recordEvidence({ ...e, passed: true });
}
