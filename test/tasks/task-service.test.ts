import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPERATOR_NAME, operatorActor } from '../../src/auth/actor.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import {
  addTask,
  completeOccurrence,
  editTask,
  instantiateTasks,
  parseProgress,
  retireTask,
  taskBoard,
  undoOccurrence,
  instantiateYear,
} from '../../src/services/tasks.service.js';
import type { BoardTask } from '../../src/tasks/board.js';
import { completionHistory, findTask, listTasks } from '../../src/db/task.repository.js';
import { at, createTestDb, snapshot, userError, type RosterName, type TestDb } from './helpers.js';

let t: TestDb;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(async () => {
  await t.close();
});

const board = async (iso: string, query: Record<string, unknown> = {}) => taskBoard(t.deps, { year: 2026, at: at(iso), ...query });
const entry = (b: BoardTask[], seq: number): BoardTask => {
  const found = b.find((x) => x.seq === seq);
  if (!found) throw new Error(`task ${seq} not on the board`);
  return found;
};

describe('instantiating a year', () => {
  it('inserts the plan’s 25 tasks once, inside a caller’s transaction too', async () => {
    const tasks = await listTasks(t.db, { year: 2026 });
    expect(tasks).toHaveLength(25);
    expect(tasks.map((x) => x.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const eight = await findTask(t.db, 2026, 8);
    expect(eight).toMatchObject({ leadUnits: ['社会治理办'], cadence: 'monthly', deadlineText: '贯穿全年', source: 'plan', retiredAt: null });
    expect((await findTask(t.db, 2026, 25))?.target?.metrics.map((m) => [m.key, m.min])).toEqual([['entered', 6], ['excellent', 2]]);
    expect((await t.db.transaction().execute((trx) => instantiateYear(trx, loadPlan(), 2026, at('2026-03-01T00:00:00+08:00'), 2026))).inserted).toHaveLength(0);
    const inserted = (await t.db.transaction().execute((trx) => instantiateYear(trx, loadPlan(), 2027, at('2026-12-01T00:00:00+08:00'), 2026))).inserted.length;
    // Year 2 holds the plan's recurring items only (see the next test for which).
    expect(inserted).toBe(18);
  });

  it('a later year copies only the recurring items (四(四) 一年一验收), not the one-offs of year one (首批示范型、绮园景区、吾悦广场 …)', async () => {
    const office = operatorActor();
    const second = await instantiateTasks(t.deps, office, { year: 2027 });
    expect(second.firstYearOnly).toEqual([4, 6, 13, 14, 15, 19, 20]);
    expect(second.inserted).toEqual([1, 2, 3, 5, 7, 8, 9, 10, 11, 12, 16, 17, 18, 21, 22, 23, 24, 25]);
    for (const seq of [6, 13, 14]) expect(await findTask(t.db, 2027, seq), `task ${seq}`).toBeUndefined();
    // 「制定…手册」 is made once; in later years task 22 is the ongoing 「发挥好枢纽型社会组织功能」, cadence set by the office.
    expect(await findTask(t.db, 2027, 22)).toMatchObject({ content: '发挥好枢纽型社会组织功能', deadlineText: '贯穿全年', cadence: 'periodic', source: 'plan' });
    expect(await findTask(t.db, 2026, 22)).toMatchObject({ content: '制定社工站社会组织入驻及管理手册,发挥好枢纽型社会组织功能', cadence: 'yearly' });
    // The office can still add a one-off item to a later year.
    const added = await addTask(t.deps, office, { year: 2027, content: '吾悦广场党建示范点提升', deadlineText: '6月底', leadUnits: ['党建办(组织)'] });
    expect(added.seq).toBe(26);
  });

  it('task instantiate copies the plan and the office’s non-retired tasks, skips one-off dates, and is idempotent', async () => {
    const office = operatorActor();
    const monthly = await addTask(t.deps, office, { year: 2026, content: '每月走访两新组织', deadlineText: '贯穿全年', cadence: 'monthly', leadUnits: ['党建办(组织)'] });
    const dated = await addTask(t.deps, office, { year: 2026, content: '年中督查', deadlineText: '7月15日', leadUnits: ['社管中心'] });
    const oneOff = await addTask(t.deps, office, { year: 2026, content: '专项检查', deadlineText: '2026-09-30', leadUnits: ['社管中心'] });
    const retired = await addTask(t.deps, office, { year: 2026, content: '已取消的任务', deadlineText: '年底', leadUnits: ['社管中心'] });
    await retireTask(t.deps, office, { year: 2026, seq: retired.seq });
    expect([monthly.seq, dated.seq, oneOff.seq, retired.seq]).toEqual([26, 27, 28, 29]);

    const first = await instantiateTasks(t.deps, office, { year: 2027 });
    // The plan's recurring items (the one-offs of year one stay in 2026), then the office's.
    expect(first.inserted).toEqual([1, 2, 3, 5, 7, 8, 9, 10, 11, 12, 16, 17, 18, 21, 22, 23, 24, 25, 26, 27]);
    expect(first.skipped.map((s) => s.seq)).toEqual([28]);
    expect(first.skipped[0]?.reason).toContain('2026-09-30');
    expect(first.copiedFrom).toBe(2026);
    const copied = await findTask(t.db, 2027, 27);
    expect(copied).toMatchObject({ content: '年中督查', deadlineText: '7月15日', source: 'office' });

    const again = await instantiateTasks(t.deps, office, { year: 2027 });
    expect(again.inserted).toEqual([]);
    expect(await listTasks(t.db, { year: 2027 })).toHaveLength(20);
  });

  it('refuses a year before the programme’s first year', async () => {
    const err = await userError(instantiateTasks(t.deps, operatorActor(), { year: 2025 }));
    expect(err).toMatchObject({ code: 'bad_argument', field: '--year' });
  });
});

describe('who may mark a task done (task 8, led by 社会治理办)', () => {
  const allowed: RosterName[] = ['社治小李', '王博文', '张建虹', '刘子龙', '卫忠'];
  for (const name of allowed) {
    it(`${name} may complete and undo`, async () => {
      const actor = await t.actor(name);
      const done = await completeOccurrence(t.deps, actor, { year: 2026, seq: 8, period: '2026-02', at: at('2026-02-20T10:00:00+08:00') });
      expect(done).toMatchObject({ seq: 8, period: '2026-02', doneBy: name, late: false });
      const undone = await undoOccurrence(t.deps, actor, { year: 2026, seq: 8, period: '2026-02' });
      expect(undone).toMatchObject({ period: '2026-02', undoneBy: name });
    });
  }

  it('the shell operator may complete', async () => {
    expect((await completeOccurrence(t.deps, operatorActor(), { year: 2026, seq: 8, period: '2026-01' })).doneBy).toBe(OPERATOR_NAME);
  });

  // 党建小赵 is a lead-unit member of 党建办(组织): a lead unit, not the office (task 8 is 社会治理办's).
  const denied: RosterName[] = ['社管小王', '环卫小陈', '李书记', '党建小赵'];
  for (const name of denied) {
    it(`${name} is refused with the reason, audited as denied, and nothing is recorded`, async () => {
      const actor = await t.actor(name);
      const err = await userError(completeOccurrence(t.deps, actor, { year: 2026, seq: 8, period: '2026-02' }));
      expect(err.code).toBe('forbidden');
      expect(err.message).toBe('你不是任务 8 的牵头单位（社会治理办）成员，也不是党建办或领导小组成员，不能标记完成');
      const [last] = await listAudit(t.db, { action: 'task.done', limit: 1 });
      expect(last).toMatchObject({ actor: name, outcome: 'denied', subject: 'task:2026:8' });
      expect(await completionHistory(t.db, (await findTask(t.db, 2026, 8))!.id)).toEqual([]);
    });
  }

  it('undo by someone outside the lead unit is refused and audited', async () => {
    await completeOccurrence(t.deps, await t.actor('社治小李'), { year: 2026, seq: 8, period: '2026-02' });
    const err = await userError(undoOccurrence(t.deps, await t.actor('社管小王'), { year: 2026, seq: 8, period: '2026-02' }));
    expect(err.code).toBe('forbidden');
    expect(err.message).toContain('不能撤销完成');
    expect((await listAudit(t.db, { action: 'task.undo', limit: 1 }))[0]?.outcome).toBe('denied');
    expect(entry(await board('2026-03-05T10:00:00+08:00'), 8).occurrences[1]?.status).toBe('done');
  });

  it('a member of one of several lead units may complete (task 20: 城发办、环卫中心)', async () => {
    const done = await completeOccurrence(t.deps, await t.actor('环卫小陈'), { year: 2026, seq: 20 });
    expect(done.period).toBe('2026');
    const err = await userError(completeOccurrence(t.deps, await t.actor('社管小王'), { year: 2026, seq: 20 }));
    expect(err.message).toContain('（城发办、环卫中心）');
  });
});

describe('office-only list management', () => {
  const nonOffice: RosterName[] = ['张建虹', '刘子龙', '卫忠', '社治小李', '社管小王', '李书记'];
  for (const name of nonOffice) {
    it(`${name} may not add, edit, retire or instantiate; each refusal is audited`, async () => {
      const actor = await t.actor(name);
      const before = (await listAudit(t.db, { limit: 1000 })).length;
      const errors = [
        await userError(addTask(t.deps, actor, { year: 2026, content: 'x', deadlineText: '年底', leadUnits: ['社管中心'] })),
        await userError(editTask(t.deps, actor, { year: 2026, seq: 3, content: 'x' })),
        await userError(retireTask(t.deps, actor, { year: 2026, seq: 3 })),
        await userError(instantiateTasks(t.deps, actor, { year: 2027 })),
      ];
      expect(errors.map((e) => e.code)).toEqual(['forbidden', 'forbidden', 'forbidden', 'forbidden']);
      const audits = (await listAudit(t.db, { limit: 1000 })).slice(0, 4);
      expect(audits.map((a) => [a.action, a.outcome, a.actor])).toEqual([
        ['task.instantiate', 'denied', name],
        ['task.retire', 'denied', name],
        ['task.edit', 'denied', name],
        ['task.add', 'denied', name],
      ]);
      expect((await listAudit(t.db, { limit: 1000 })).length).toBe(before + 4);
      expect(await listTasks(t.db, { year: 2026 })).toHaveLength(25);
    });
  }

  it('a 党建办(组织) lead-unit member is not the office: adding a task is refused and audited', async () => {
    const err = await userError(addTask(t.deps, await t.actor('党建小赵'), { year: 2026, content: '七一主题活动', deadlineText: '6月底', leadUnits: ['党建办(组织)'] }));
    expect(err.code).toBe('forbidden');
    expect((await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'task.add').execute()).map((r) => [r.actor, r.outcome])).toEqual([['党建小赵', 'denied']]);
  });
});

describe('completing and undoing', () => {
  it('records who, when, note; a second completion is a conflict naming who did it when, without a second row', async () => {
    const wang = await t.actor('王博文');
    const r = await completeOccurrence(t.deps, wang, { year: 2026, seq: 1, note: '自查报告已报', at: at('2026-02-27T10:00:00+08:00') });
    expect(r).toEqual({ year: 2026, seq: 1, period: '2026', dueDate: '2026-02-28', doneAt: '2026-02-27T10:00:00+08:00', doneBy: '王博文', late: false, note: '自查报告已报', progress: null });
    const err = await userError(completeOccurrence(t.deps, await t.actor('张建虹'), { year: 2026, seq: 1 }));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain('王博文');
    expect(err.message).toContain('2026-02-27T10:00:00+08:00');
    expect(await completionHistory(t.db, (await findTask(t.db, 2026, 1))!.id)).toHaveLength(1);
    const [audit] = await listAudit(t.db, { action: 'task.done', limit: 1 });
    expect(audit).toMatchObject({ actor: '王博文', outcome: 'ok', subject: 'task:2026:1' });
    expect(JSON.parse(audit!.detail!)).toMatchObject({ period: '2026', note: '自查报告已报', late: false });
  });

  it('two simultaneous completions of one occurrence record it once', async () => {
    const [a, b] = await Promise.allSettled([
      completeOccurrence(t.deps, await t.actor('王博文'), { year: 2026, seq: 2 }),
      completeOccurrence(t.deps, await t.actor('张建虹'), { year: 2026, seq: 2 }),
    ]);
    expect([a.status, b.status].sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = [a, b].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: 'conflict' });
    expect(await completionHistory(t.db, (await findTask(t.db, 2026, 2))!.id)).toHaveLength(1);
  });

  it('a completion after the deadline is recorded and shown as done late', async () => {
    const r = await completeOccurrence(t.deps, await t.actor('王博文'), { year: 2026, seq: 1, at: at('2026-03-01T00:00:00+08:00') });
    expect(r.late).toBe(true);
    const row = (await completionHistory(t.db, (await findTask(t.db, 2026, 1))!.id))[0];
    expect(row?.late).toBe(true);
    const e = entry(await board('2026-03-02T00:00:00+08:00'), 1);
    expect(e).toMatchObject({ status: 'done', light: 'green', late: true, doneLate: true });
    expect(e.occurrences[0]).toMatchObject({ status: 'done', doneLate: true, doneBy: '王博文', doneAt: '2026-03-01T00:00:00+08:00' });
  });

  it('undo restores the previous state and keeps the history; doing it again adds a new row', async () => {
    const wang = await t.actor('王博文');
    const before = entry(await board('2026-03-05T10:00:00+08:00'), 9);
    await completeOccurrence(t.deps, wang, { year: 2026, seq: 9, period: '2026-Q1', at: at('2026-03-04T09:00:00+08:00') });
    expect(entry(await board('2026-03-05T10:00:00+08:00'), 9)).not.toEqual(before);
    const undone = await undoOccurrence(t.deps, await t.actor('张建虹'), { year: 2026, seq: 9, period: '2026-q1' });
    expect(undone).toMatchObject({ period: '2026-Q1', undone: { doneBy: '王博文', doneAt: '2026-03-04T09:00:00+08:00' }, undoneBy: '张建虹' });
    expect(entry(await board('2026-03-05T10:00:00+08:00'), 9)).toEqual(before);

    await completeOccurrence(t.deps, wang, { year: 2026, seq: 9, period: '2026-Q1' });
    const history = await completionHistory(t.db, (await findTask(t.db, 2026, 9))!.id);
    expect(history.map((h) => [h.period, h.doneBy, h.undoneBy])).toEqual([
      ['2026-Q1', '王博文', '张建虹'],
      ['2026-Q1', '王博文', null],
    ]);
    expect(history[0]?.undoneAt).toBe(t.clock.now().getTime());
    expect((await listAudit(t.db, { action: 'task.undo', limit: 5 })).map((a) => a.outcome)).toEqual(['ok']);
  });

  it('undoing an occurrence that is not done is an error', async () => {
    const err = await userError(undoOccurrence(t.deps, await t.actor('王博文'), { year: 2026, seq: 1 }));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain('尚未完成');
    const err2 = await userError(undoOccurrence(t.deps, await t.actor('王博文'), { year: 2026, seq: 7 }));
    expect(err2.message).toContain('没有已完成的周期');
  });

  it('undo without a period on a recurring task withdraws the most recent completion', async () => {
    const li = await t.actor('社治小李');
    await completeOccurrence(t.deps, li, { year: 2026, seq: 8, period: '2026-02', at: at('2026-02-10T09:00:00+08:00') });
    await completeOccurrence(t.deps, li, { year: 2026, seq: 8, period: '2026-01', at: at('2026-02-11T09:00:00+08:00') });
    expect((await undoOccurrence(t.deps, li, { year: 2026, seq: 8 })).period).toBe('2026-01');
  });

  it('the period must be valid for the task; the error lists the valid periods', async () => {
    const wang = await t.actor('王博文');
    const err = await userError(completeOccurrence(t.deps, wang, { year: 2026, seq: 1, period: '2026-02' }));
    expect(err).toMatchObject({ code: 'bad_argument', field: '--period' });
    expect(err.message).toContain('有效周期：2026');
    const err2 = await userError(completeOccurrence(t.deps, wang, { year: 2026, seq: 23, period: '2026-B7' }));
    expect(err2.message).toContain('2026-B1, 2026-B2, 2026-B3, 2026-B4, 2026-B5, 2026-B6');
    expect((await completeOccurrence(t.deps, wang, { year: 2026, seq: 1, period: '2026' })).period).toBe('2026');
    expect((await completeOccurrence(t.deps, wang, { year: 2026, seq: 21, period: '2026-02b' })).period).toBe('2026-02-下');
  });

  it('without a period a recurring task takes the earliest open occurrence that has started', async () => {
    const li = await t.actor('社治小李');
    const when = at('2026-03-05T10:00:00+08:00');
    expect((await completeOccurrence(t.deps, li, { year: 2026, seq: 8, at: when })).period).toBe('2026-01');
    expect((await completeOccurrence(t.deps, li, { year: 2026, seq: 8, at: when })).period).toBe('2026-02');
    expect((await completeOccurrence(t.deps, li, { year: 2026, seq: 8, at: when })).period).toBe('2026-03');
    const err = await userError(completeOccurrence(t.deps, li, { year: 2026, seq: 8, at: when }));
    expect(err).toMatchObject({ code: 'bad_argument', field: '--period' });
    expect(err.message).toContain('已开始的周期都已完成');
    const early = await userError(completeOccurrence(t.deps, li, { year: 2026, seq: 8, at: at('2025-12-31T12:00:00+08:00') }));
    expect(early.message).toContain('2026-01-01');
  });

  it('a recurring period that has not started cannot be completed', async () => {
    const err = await userError(completeOccurrence(t.deps, await t.actor('社治小李'), { year: 2026, seq: 8, period: '2026-05', at: at('2026-03-05T10:00:00+08:00') }));
    expect(err.message).toContain('尚未开始');
  });

  it('records progress figures against the task’s target (item 25) and reports whether it is met', async () => {
    const wang = await t.actor('社管小王');
    await completeOccurrence(t.deps, wang, { year: 2026, seq: 25, progress: parseProgress('entered=7,excellent=1'), at: at('2026-11-20T10:00:00+08:00') });
    const occ = entry(await board('2026-11-21T00:00:00+08:00'), 25).occurrences[0];
    expect(occ).toMatchObject({ period: '2026', status: 'done', progress: { entered: 7, excellent: 1 }, targetMet: false });
    await undoOccurrence(t.deps, wang, { year: 2026, seq: 25 });
    await completeOccurrence(t.deps, wang, { year: 2026, seq: 25, progress: { entered: 6, excellent: 2 } });
    expect(entry(await board('2026-11-21T00:00:00+08:00'), 25).occurrences[0]?.targetMet).toBe(true);
  });

  it('records the monthly activity figure of item 7 (percent sign accepted)', async () => {
    const progress = parseProgress('activity=98%');
    await completeOccurrence(t.deps, await t.actor('党建小赵'), { year: 2026, seq: 7, period: '2026-02', progress, at: at('2026-02-27T10:00:00+08:00') });
    const occ = entry(await board('2026-03-05T10:00:00+08:00'), 7).occurrences[1];
    expect(occ).toMatchObject({ period: '2026-02', status: 'done', progress: { activity: 98 }, targetMet: false });
  });

  it('rejects progress for unknown metrics or tasks without a target, and leaves the database unchanged', async () => {
    const before = await snapshot(t.db);
    const e1 = await userError(completeOccurrence(t.deps, await t.actor('社管小王'), { year: 2026, seq: 25, progress: { projects: 7 } }));
    expect(e1.message).toContain('entered（参加县级创投项目数）');
    const e2 = await userError(completeOccurrence(t.deps, await t.actor('王博文'), { year: 2026, seq: 1, progress: { activity: 100 } }));
    expect(e2.message).toContain('没有可记录的进度指标');
    expect(() => parseProgress('activity=abc')).toThrow(/key=数值/);
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('unknown task, uninstantiated year and retired task are errors', async () => {
    const wang = await t.actor('王博文');
    expect((await userError(completeOccurrence(t.deps, wang, { year: 2026, seq: 99 }))).code).toBe('not_found');
    expect((await userError(completeOccurrence(t.deps, wang, { year: 2030, seq: 1 }))).code).toBe('not_initialised');
    expect((await userError(completeOccurrence(t.deps, wang, { year: 2026, seq: 'x' }))).field).toBe('--seq');
    await retireTask(t.deps, wang, { year: 2026, seq: 3 });
    expect((await userError(completeOccurrence(t.deps, wang, { year: 2026, seq: 3 }))).code).toBe('conflict');
  });
});

describe('the board', () => {
  it('shows a dated task green, yellow and red exactly at the boundaries', async () => {
    expect(entry(await board('2026-02-20T23:59:59.999+08:00'), 1)).toMatchObject({ status: 'green', dueDate: '2026-02-28', late: false });
    expect(entry(await board('2026-02-21T00:00:00+08:00'), 1).status).toBe('yellow');
    expect(entry(await board('2026-02-28T23:59:59.999+08:00'), 1).status).toBe('yellow');
    expect(entry(await board('2026-03-01T00:00:00+08:00'), 1)).toMatchObject({ status: 'red', light: 'red', late: true, doneLate: false });
  });

  it('gives the JSON shape the bot and the digest use', async () => {
    const e = entry(await board('2026-03-05T10:00:00+08:00'), 8);
    expect(Object.keys(e).sort()).toEqual(
      ['year', 'seq', 'category', 'content', 'deadlineText', 'leadUnits', 'cadence', 'dueDate', 'status', 'light', 'late', 'doneLate', 'currentPeriod', 'source', 'target', 'occurrences'].sort(),
    );
    expect(e).toMatchObject({ seq: 8, cadence: 'monthly', dueDate: null, currentPeriod: '2026-03', leadUnits: ['社会治理办'] });
    expect(e.occurrences).toHaveLength(12);
    expect(e.occurrences[0]).toEqual({
      period: '2026-01', start: '2026-01-01', dueDate: '2026-01-31', status: 'red', light: 'red', late: true, doneLate: false,
      doneAt: null, doneBy: null, note: null, progress: null, targetMet: null,
    });
  });

  it('a recurring task is the worst of its started occurrences, and done only when all are done', async () => {
    const wang = await t.actor('王博文');
    expect(entry(await board('2026-04-10T10:00:00+08:00'), 9).status).toBe('red'); // Q1 missed
    await completeOccurrence(t.deps, wang, { year: 2026, seq: 9, period: '2026-Q1', at: at('2026-03-30T10:00:00+08:00') });
    expect(entry(await board('2026-04-10T10:00:00+08:00'), 9).status).toBe('green'); // Q2 due 06-30
    expect(entry(await board('2026-06-25T10:00:00+08:00'), 9).status).toBe('yellow');
    for (const p of ['2026-Q2', '2026-Q3']) await completeOccurrence(t.deps, wang, { year: 2026, seq: 9, period: p, at: at('2026-10-01T10:00:00+08:00') });
    const partly = entry(await board('2026-10-02T10:00:00+08:00'), 9);
    expect(partly).toMatchObject({ status: 'green', doneLate: true, late: true });
    await completeOccurrence(t.deps, wang, { year: 2026, seq: 9, period: '2026-Q4', at: at('2026-10-02T10:00:00+08:00') });
    expect(entry(await board('2026-10-02T10:00:00+08:00'), 9).status).toBe('done');
  });

  it('filters by lead unit (full-width brackets accepted) and rejects an unknown unit', async () => {
    expect((await board('2026-03-05T10:00:00+08:00', { lead: '社会治理办' })).map((b) => b.seq)).toEqual([8]);
    expect((await board('2026-03-05T10:00:00+08:00', { lead: '城发办' })).map((b) => b.seq)).toEqual([20]);
    const office = await board('2026-03-05T10:00:00+08:00', { lead: '党建办（组织）' });
    expect(office.map((b) => b.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 19, 21]);
    const err = await userError(board('2026-03-05T10:00:00+08:00', { lead: '宣传办' }));
    expect(err).toMatchObject({ code: 'bad_argument', field: '--lead' });
  });

  it('filters by the task-level status', async () => {
    await completeOccurrence(t.deps, await t.actor('王博文'), { year: 2026, seq: 2, at: at('2026-02-26T10:00:00+08:00') });
    const when = '2026-03-05T10:00:00+08:00';
    const all = await board(when);
    const red = await board(when, { status: 'red' });
    const done = await board(when, { status: 'done' });
    const yellow = await board(when, { status: 'yellow' });
    const green = await board(when, { status: 'green' });
    expect(done.map((b) => b.seq)).toEqual([2]);
    // 22 (制定手册) and 24 (全年6次) have one year-end deadline each: not red in March.
    expect(red.map((b) => b.seq)).toEqual([1, 7, 8, 16, 17, 18, 21, 23]);
    expect(yellow.map((b) => b.seq)).toEqual([4]);
    expect(red.length + done.length + yellow.length + green.length).toBe(all.length);
    expect((await userError(board(when, { status: 'blue' }))).field).toBe('--status');
  });

  it('a retired task leaves the board from its retirement on', async () => {
    t.clock.set('2026-04-01T09:00:00+08:00');
    await retireTask(t.deps, operatorActor(), { year: 2026, seq: 5 });
    expect((await board('2026-03-31T10:00:00+08:00')).map((b) => b.seq)).toContain(5);
    expect((await board('2026-04-02T10:00:00+08:00')).map((b) => b.seq)).not.toContain(5);
    expect(await findTask(t.db, 2026, 5)).toMatchObject({ retiredAt: at('2026-04-01T09:00:00+08:00') });
  });

  it('the year defaults to the year of `at` in DANGJIAN_TZ', async () => {
    const b = await taskBoard(t.deps, { at: at('2025-12-31T16:30:00Z') }); // 2026-01-01 00:30 in Shanghai
    expect(b).toHaveLength(25);
    // 2025 has no task list: said so, not an empty board.
    expect((await userError(taskBoard(t.deps, { at: at('2025-12-31T15:30:00Z') }))).code).toBe('not_initialised');
  });
});

describe('adding, editing and retiring tasks', () => {
  it('adds tasks with seqs after the highest, validating phrase, cadence and lead units', async () => {
    const office = await t.actor('王博文');
    const a = await addTask(t.deps, office, { year: 2026, content: '每月两新走访', deadlineText: '贯穿全年', cadence: 'monthly', leadUnits: ['党建办（组织）', '社管中心'], category: '两新组织提质增效行动' });
    expect(a).toMatchObject({ seq: 26, cadence: 'monthly', leadUnits: ['党建办(组织)', '社管中心'], source: 'office', category: '两新组织提质增效行动' });
    const b = await addTask(t.deps, office, { year: 2026, content: '年终总结', deadlineText: '12月下旬', leadUnits: ['党建办(组织)'] });
    expect(b).toMatchObject({ seq: 27, category: '其他任务', cadence: null });
    expect(entry(await board('2026-12-24T00:00:00+08:00'), 27)).toMatchObject({ dueDate: '2026-12-31', status: 'yellow' });
    const [audit] = await listAudit(t.db, { action: 'task.add', limit: 1 });
    expect(audit).toMatchObject({ actor: '王博文', outcome: 'ok', subject: 'task:2026:27' });
  });

  it('rejects bad input without changing anything', async () => {
    const office = await t.actor('王博文');
    const before = await snapshot(t.db);
    const cases = [
      { input: { year: 2026, content: 'x', deadlineText: '下个月', leadUnits: ['社管中心'] }, field: '--deadline', text: '「下个月」' },
      { input: { year: 2026, content: 'x', deadlineText: '贯穿全年', leadUnits: ['社管中心'] }, field: '--cadence', text: '--cadence' },
      { input: { year: 2026, content: 'x', deadlineText: '6月底', cadence: 'monthly', leadUnits: ['社管中心'] }, field: '--cadence', text: '固定日期' },
      { input: { year: 2026, content: 'x', deadlineText: '贯穿全年', cadence: 'weekly', leadUnits: ['社管中心'] }, field: '--cadence', text: 'weekly' },
      { input: { year: 2026, content: 'x', deadlineText: '6月底', leadUnits: ['宣传办'] }, field: '--lead', text: '宣传办' },
      { input: { year: 2026, content: '  ', deadlineText: '6月底', leadUnits: ['社管中心'] }, field: '--content', text: '任务内容' },
      { input: { year: 2031, content: 'x', deadlineText: '6月底', leadUnits: ['社管中心'] }, field: '--year', text: '2031' },
    ];
    for (const c of cases) {
      const err = await userError(addTask(t.deps, office, c.input));
      expect(err.field, JSON.stringify(c.input)).toBe(c.field);
      expect(err.message).toContain(c.text);
    }
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('edits content, deadline and lead units, auditing before and after', async () => {
    const office = operatorActor();
    const added = await addTask(t.deps, office, { year: 2026, content: '初稿', deadlineText: '6月底', leadUnits: ['社管中心'] });
    const edited = await editTask(t.deps, office, { year: 2026, seq: added.seq, content: '定稿', deadlineText: '9月中旬', leadUnits: ['社会治理办'] });
    expect(edited).toMatchObject({ content: '定稿', deadlineText: '9月中旬', leadUnits: ['社会治理办'] });
    const [audit] = await listAudit(t.db, { action: 'task.edit', limit: 1 });
    expect(JSON.parse(audit!.detail!)).toEqual({
      before: { content: '初稿', deadlineText: '6月底', leadUnits: ['社管中心'] },
      after: { content: '定稿', deadlineText: '9月中旬', leadUnits: ['社会治理办'] },
    });
    // Permission follows the new lead unit.
    await completeOccurrence(t.deps, await t.actor('社治小李'), { year: 2026, seq: added.seq });
    expect((await userError(editTask(t.deps, office, { year: 2026, seq: added.seq, content: '定稿' }))).message).toContain('没有要修改的内容');
  });

  it('switching to a recurring deadline needs a cadence; a schedule change that orphans a completion is refused', async () => {
    const office = operatorActor();
    expect((await userError(editTask(t.deps, office, { year: 2026, seq: 3, deadlineText: '贯穿全年' }))).field).toBe('--cadence');
    const weekly = await editTask(t.deps, office, { year: 2026, seq: 3, deadlineText: '贯穿全年', cadence: 'quarterly' });
    expect(weekly).toMatchObject({ deadlineText: '贯穿全年', cadence: 'quarterly' });
    await completeOccurrence(t.deps, office, { year: 2026, seq: 3, period: '2026-Q1' });
    const err = await userError(editTask(t.deps, office, { year: 2026, seq: 3, cadence: 'monthly' }));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain('2026-Q1');
    const back = await userError(editTask(t.deps, office, { year: 2026, seq: 3, deadlineText: '3月' }));
    expect(back.code).toBe('conflict');
  });

  it('retires once; the history stays', async () => {
    const office = operatorActor();
    await completeOccurrence(t.deps, office, { year: 2026, seq: 4 });
    const retired = await retireTask(t.deps, office, { year: 2026, seq: 4 });
    expect(retired.retiredAt).toBe(t.clock.now().getTime());
    expect((await userError(retireTask(t.deps, office, { year: 2026, seq: 4 }))).code).toBe('conflict');
    expect((await listTasks(t.db, { year: 2026 })).map((x) => x.seq)).not.toContain(4);
    expect(await listTasks(t.db, { year: 2026, includeRetired: true })).toHaveLength(25);
    expect(await completionHistory(t.db, retired.id)).toHaveLength(1);
  });
});
