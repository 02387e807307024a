/** `npm run reliability-report`: docs/reliability.md from the evidence files (never written by the tests themselves). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeReliabilityReport } from '../../scripts/reliability-report-lib.js';

describe('reliability report', () => {
  it('renders every evidence file of a directory into the given output, suite before soak', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dangjian-evidence-'));
    const record = (run: 'suite' | 'soak', passed: boolean) => ({
      id: 'crash-safety',
      test: 'Crash safety (SIGKILL)',
      load: '100 reminders',
      injected: `${run === 'soak' ? 20 : 4} × SIGKILL`,
      result: passed ? '100 delivered once' : '99 delivered',
      passed,
      ...(passed ? {} : { failure: 'expected 99 to be 100' }),
      run,
      file: 'test/reliability/crash.test.ts',
      recordedAt: '2026-12-01T10:00:00.000Z',
      node: 'v20.20.2',
      cpus: 2,
    });
    writeFileSync(join(dir, 'soak--crash-safety.json'), JSON.stringify(record('soak', true)));
    writeFileSync(join(dir, 'suite--crash-safety.json'), JSON.stringify(record('suite', false)));
    writeFileSync(join(dir, 'notes.txt'), 'not evidence');
    const out = join(dir, 'reliability.md');
    expect(writeReliabilityReport({ evidenceDir: dir, out })).toBe(out);
    const text = readFileSync(out, 'utf8');
    const rows = text.split('\n').filter((l) => l.startsWith('| Crash safety'));
    expect(rows).toEqual([
      '| Crash safety (SIGKILL) | suite 2026-12-01 | 100 reminders | 4 × SIGKILL | 99 delivered | ❌ no: expected 99 to be 100 |',
      '| Crash safety (SIGKILL) | soak 2026-12-01 | 100 reminders | 20 × SIGKILL | 100 delivered once | ✅ yes |',
    ]);
    expect(text).toContain('npm run reliability-report');
  });
});
