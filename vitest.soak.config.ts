import { defineConfig } from 'vitest/config';

// `npm run soak`: the long versions of the reliability tests (test/**/*.soak.test.ts), one file
// at a time so that their timings do not disturb each other. Evidence is recorded as run "soak"
// and docs/reliability.md regenerated at the end (test/reliability/global-setup.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.soak.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['test/reliability/global-setup.ts'],
    env: { NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', DANGJIAN_EVIDENCE_RUN: 'soak' },
  },
});
