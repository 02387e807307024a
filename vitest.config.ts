import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Vitest orders files it has no timings for (a fresh clone, CI) by size, largest first: the
 * drills, small files that mostly wait on child processes for 15 s to over a minute, came last
 * and ran after everything else (the suite took 6 min). They go first instead, longest first, so
 * that the other files run beside them.
 */
const SLOW_FIRST = [
  'test/reliability/reply-outage.test.ts',
  'test/reliability/inbox.test.ts',
  'test/reliability/service-drills.test.ts',
  'test/reliability/exactly-once.test.ts',
  'test/reliability/replicas.test.ts',
  'test/reliability/disk-full.test.ts',
  'test/reliability/hostile-input.test.ts',
  'test/scheduler/noise-budget.test.ts',
  'test/bot/permissions.test.ts',
  'test/bot/commands.test.ts',
  'test/tasks/task-service.test.ts',
  'test/bot/dispatch.test.ts',
];
class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((s) => f.moduleId.endsWith(s));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map((x) => x.f);
  }
}

/**
 * The repository, service, scheduler and bot suites that open their database through
 * test/support/database.ts, run a second time on PostgreSQL (issue 17): the real server named by
 * TEST_DATABASE_URL (CI), or an embedded PGlite when it is not set.
 */
const ON_BOTH_DATABASES = [
  'test/db/**/*.test.ts',
  'test/tasks/board.test.ts',
  'test/tasks/task-service.test.ts',
  'test/scheduler/card-press.test.ts',
  'test/scheduler/noise-budget.test.ts',
  'test/scheduler/pass.test.ts',
  'test/scheduler/simulated-year.test.ts',
  'test/bot/*.test.ts',
  'test/services/**/*.test.ts',
  'test/scoring/grading-service.test.ts',
];
/** In those folders but exercising SQLite files, child processes or no database at all. */
const SQLITE_ONLY = [
  'test/bot/console.test.ts',
  'test/bot/issue13-e2e.test.ts',
  'test/bot/webhook-aborted.test.ts',
  'test/bot/work-queue.test.ts',
  'test/bot/held-lock.test.ts',
  'test/bot/ws-e2e.test.ts',
];

export default defineConfig({
  test: {
    exclude: ['test/**/*.soak.test.ts', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    sequence: { sequencer: SlowFirstSequencer },
    // Many files mostly wait on child processes and loopback HTTP: two workers on CI's two
    // cores cut the suite from ~3 min to ~2 min (vitest's default would be one).
    maxWorkers: 2,
    // Tests write their evidence to test/.evidence/ (ignored); docs/reliability.md is regenerated
    // from it by `npm run reliability-report`, never by the tests: npm test changes no tracked file.
    // Lark's SDK caches tenant tokens process-wide and axios honours proxy variables:
    // keep every test file in its own process and never proxy loopback.
    env: { NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ON_BOTH_DATABASES,
          globalSetup: ['test/support/postgres-global.ts'],
          exclude: [...SQLITE_ONLY, 'test/**/*.soak.test.ts', 'node_modules/**'],
          env: { NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', DANGJIAN_TEST_DIALECT: 'postgres' },
        },
      },
    ],
  },
});
