import { defineConfig } from 'vitest/config';

// `npm run soak`: the long versions of the reliability tests (test/**/*.soak.test.ts), one file
// at a time so that their timings do not disturb each other. Evidence is recorded as run "soak";
// `npm run reliability-report` then regenerates docs/reliability.md.
export default defineConfig({
  test: {
    include: ['test/**/*.soak.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    env: { NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', DANGJIAN_EVIDENCE_RUN: 'soak' },
  },
});
