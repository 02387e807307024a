/** Issue 15's behaviour bugs as seen from the admin CLI (in process, real database files). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { listAudit } from '../../src/db/audit.repository.js';
import { openDatabase } from '../../src/db/database.js';
import { insertMember } from '../../src/db/member.repository.js';
import { migrationNames } from '../../src/db/migrate.js';
import { cliOkInProcess as cliOk, runCliInProcess as runCli, tempDbFile } from '../support/cli.js';

let db: string;

async function auditRows(action: string) {
  const opened = openDatabase(db);
  try {
    return await listAudit(opened.db, { action });
  } finally {
    await opened.close();
  }
}

beforeAll(async () => {
  db = tempDbFile('dangjian-i15-');
  await cliOk(db, ['init', '--year', '2026']);
  await cliOk(db, ['unit', 'add', '--name', '城东社区', '--level', 'community']);
  await cliOk(db, ['unit', 'add', '--name', '城东花园小区', '--level', 'compound', '--parent', '城东社区']);
  const opened = openDatabase(db);
  await insertMember(opened.db, { name: '社管小王', openId: null, role: 'lead_unit', leadUnit: '社管中心', unitId: null, at: Date.parse('2026-01-01T00:00:00+08:00') });
  await opened.close();
}, 60_000);

afterAll(() => rmSync(dirname(db), { recursive: true, force: true }));

describe('issue 15 regressions (CLI)', () => {
  it('migrate reports the migrations it applied to a fresh database, then none', async () => {
    const fresh = tempDbFile('dangjian-i15-migrate-');
    const first = JSON.parse(await cliOk(fresh, ['migrate', '--json'])) as { applied: string[] };
    expect(first.applied).toEqual(migrationNames());
    const second = JSON.parse(await cliOk(fresh, ['migrate', '--json'])) as { applied: string[] };
    expect(second.applied).toEqual([]);
  });

  it('tasks colours the board with YELLOW_DAYS from the environment, like the pushes and the digest', async () => {
    // Task 1 is due 2026-02-28: five days before, it is yellow with the default 7 days and green with 3.
    const board = (env: Record<string, string>) => cliOk(db, ['tasks', '--json', '--at', '2026-02-23T10:00:00+08:00'], env).then((t) => JSON.parse(t) as Array<{ seq: number; status: string }>);
    expect((await board({})).find((t) => t.seq === 1)?.status).toBe('yellow');
    expect((await board({ YELLOW_DAYS: '3' })).find((t) => t.seq === 1)?.status).toBe('green');
    // An explicit --yellow-days still wins.
    const explicit = JSON.parse(await cliOk(db, ['tasks', '--json', '--at', '2026-02-23T10:00:00+08:00', '--yellow-days', '7'], { YELLOW_DAYS: '3' })) as Array<{ seq: number; status: string }>;
    expect(explicit.find((t) => t.seq === 1)?.status).toBe('yellow');
  });

  it('--by names a roster member whose permissions apply: a lead unit may not enter scores, and the refusal is audited under its name', async () => {
    const denied = await runCli(['score', 'set', '--unit', '城东社区', '--item', '6.1', '--points', '5', '--year', '2026', '--by', '社管小王', '--db', db]);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain('只有党建办');
    const refusals = await auditRows('score.set');
    expect(refusals.find((r) => r.outcome === 'denied')?.actor).toBe('社管小王');

    const unknown = await runCli(['veto', 'set', '--unit', '城东社区', '--reason', '事故', '--by', '不在花名册', '--db', db]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('不在花名册');

    await cliOk(db, ['score', 'set', '--unit', '城东社区', '--item', '6.1', '--points', '5', '--year', '2026', '--by', '王博文']);
    expect((await auditRows('score.set')).find((r) => r.outcome === 'ok')?.actor).toBe('王博文');
  });

  it('a refused score import is audited', async () => {
    const file = join(dirname(db), 'scores.csv');
    writeFileSync(file, 'unit,item,points,year\n城东社区,6.1,8,2026\n');
    const r = await runCli(['score', 'import', '--file', file, '--by', '社管小王', '--db', db]);
    expect(r.code).toBe(2);
    const rows = await auditRows('score.import');
    expect(rows).toContainEqual(expect.objectContaining({ actor: '社管小王', outcome: 'denied' }));
  });

  it('audit prints instants in DANGJIAN_TZ, like every other output', async () => {
    const rows = JSON.parse(await cliOk(db, ['audit', '--json', '--limit', '3'])) as Array<{ at: string }>;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.at).toMatch(/\+08:00$/);
    const text = await cliOk(db, ['audit', '--limit', '1']);
    expect(text).toMatch(/\+08:00/);
  });

  it('resolves a partial unit name as the chat does: 「城东」 is 城东社区 although 城东花园小区 also contains it', async () => {
    const report = JSON.parse(await cliOk(db, ['score', 'show', '--unit', '城东', '--year', '2026', '--json'])) as { unit: string };
    expect(report.unit).toBe('城东社区');
  });
});
