import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.soak.test.ts', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['test/reliability/global-setup.ts'], // regenerates docs/reliability.md from the tests' evidence
    // Lark's SDK caches tenant tokens process-wide and axios honours proxy variables:
    // keep every test file in its own process and never proxy loopback.
    env: { NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
  },
});
