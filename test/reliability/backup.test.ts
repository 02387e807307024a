/**
 * `dangjian backup --out FILE` while another process keeps writing: the copy opens, passes
 * the integrity check, and holds every row committed before the backup started, with no
 * torn state (ids contiguous from 1).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cliOk, REPO_ROOT, runCli, tempDbFile } from '../support/cli.js';

const WRITER = `
const SQLite = require('better-sqlite3');
const db = new SQLite(process.argv[1]);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 10000');
const insert = db.prepare("insert into audit_log (at, actor, source, action, subject, outcome, detail) values (?, 'writer', 'system', 'load', ?, 'ok', null)");
let n = 0;
const tick = () => {
  const tx = db.transaction(() => { for (let i = 0; i < 20; i++) insert.run(Date.now(), String(++n)); });
  tx();
  process.stdout.write(n + '\\n');
  setTimeout(tick, 2);
};
tick();
`;

describe('backup', () => {
  it('makes a consistent online copy while another process writes', async () => {
    const db = tempDbFile('backup-');
    await cliOk(db, ['init', '--year', '2026']);
    const writer = spawn(process.execPath, ['-e', WRITER, db], { cwd: REPO_ROOT });
    let committed = 0;
    writer.stdout.on('data', (d: Buffer) => {
      const last = d.toString().trim().split('\n').pop();
      if (last) committed = Number(last);
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const committedBefore = committed;
      expect(committedBefore).toBeGreaterThan(0);
      const out = join(dirname(db), 'copy.db');
      const result = await runCli(['backup', '--out', out, '--db', db, '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ out });
      const copy = new SQLite(out, { readonly: true });
      try {
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        const rows = copy.prepare("select cast(subject as integer) as n from audit_log where action = 'load' order by id").all() as Array<{ n: number }>;
        expect(rows.length).toBeGreaterThanOrEqual(committedBefore);
        rows.forEach((r, i) => expect(r.n).toBe(i + 1));
        expect(rows.length % 20).toBe(0); // whole transactions only
        const street = copy.prepare("select name from unit where level = 'street'").get() as { name: string };
        expect(street.name).toBe('XX街道');
      } finally {
        copy.close();
      }
      // Refuses to overwrite an existing file.
      const again = await runCli(['backup', '--out', out, '--db', db]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/--out.*already exists/);
      expect(existsSync(out)).toBe(true);
    } finally {
      writer.kill('SIGKILL');
    }
  });
});
