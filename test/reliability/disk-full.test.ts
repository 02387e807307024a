/**
 * Disk full under the real service, in a child process (disk-full-drill.ts). Needs a tmpfs in a
 * user + mount namespace (`unshare -rm`); where the system forbids that, the in-process drill
 * (test/bot/inbox.test.ts, SQLite's max_page_count) is what remains.
 */
import { describe, it } from 'vitest';
import { privateTmpfsAvailable, runDiskFullDrill } from './disk-full-drill.js';

describe('disk full', () => {
  it.skipIf(!privateTmpfsAvailable())('the service filesystem full while 20 commands arrive: each refused (Lark delivers again) or recorded, SQLITE_FULL logged, every command answered exactly once when the space returns', { timeout: 120_000 }, async () => {
    await runDiskFullDrill({ evidenceId: 'disk-full-service', commands: 20, fullForMs: 6000 });
  });
});
