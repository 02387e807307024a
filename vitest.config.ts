import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.soak.test.ts', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Many files mostly wait on child processes and loopback HTTP: two workers on CI's two
    // cores cut the suite from ~3 min to ~2 min (vitest's default would be one).
    maxWorkers: 2,
    // Tests write their evidence to test/.evidence/ (ignored); docs/reliability.md is regenerated
    // from it by `npm run reliability-report`, never by the tests: npm test changes no tracked file.
    // Lark's SDK caches tenant tokens process-wide and axios honours proxy variables:
    // keep every test file in its own process and never proxy loopback.
    env: { NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
  },
});
