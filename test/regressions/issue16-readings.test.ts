/**
 * Issue 16's readings of the plan, from the user's side (chat and CLI): the street's own targets
 * (#3), the programme's years in every output (#4), as-of views (#5), years outside the programme
 * (#7) and the compound ranking (#11). Each test names the plan's words it implements; the
 * readings are listed in docs/plan-readings.md.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { respondToMessage } from '../../src/bot/dispatch.js';
import { renderCardText } from '../../src/cards/card.js';
import { fixedClock, systemClock } from '../../src/clock.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { openDatabase } from '../../src/db/database.js';
import { digestCard } from '../../src/scheduler/digest-card.js';
import { buildDigest } from '../../src/services/digest.service.js';
import { targetsReport } from '../../src/services/grading.service.js';
import { assessmentYear, setScore, setVeto } from '../../src/services/scores.service.js';
import { undoOccurrence } from '../../src/services/tasks.service.js';
import { operatorActor } from '../../src/auth/actor.js';
import { builtInPlan } from '../../src/plan/plan-data.js';
import { makeBot, message, OPEN_IDS, replyText, type TestBot } from '../bot/support.js';
import { at, complete, deps as schedulerDeps, openProgramme, RecordingOutbound as SchedulerOutbound, TZ } from '../scheduler/support.js';
import { cliOkInProcess as cliOk, runCliInProcess as runCli, tempDbFile } from '../support/cli.js';

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.close();
  bot = undefined;
});

async function ask(b: TestBot, text: string, from: string = OPEN_IDS.office): Promise<string> {
  const r = await respondToMessage(message(text, { from }), b.deps);
  if (r.status !== 'replied') throw new Error(`no reply to ${text}`);
  return replyText(r.reply);
}

/** Every sub-item of the community rubric at its maximum: 100 points. */
const COMMUNITY_FULL = { '6.1': 10, '6.2': 10, '7.1': 10, '7.2': 10, '8.1': 10, '8.2': 10, '9.1': 5, '9.2': 10, '10.1': 5, '10.2': 10, '10.3': 10 };

/** Every sub-item of the compound rubric at its maximum: 100 points. */
const COMPOUND_FULL = { '11.1': 10, '11.2': 10, '12.1': 10, '12.2': 10, '13.1': 5, '13.2': 5, '13.3': 10, '14.1': 20, '15.1': 10, '15.2': 10 };

async function scoreFull(b: TestBot, unit: string, enteredAt: string, year = 2026, items: Record<string, number> = COMMUNITY_FULL): Promise<void> {
  const deps = { ...b.deps, clock: fixedClock(enteredAt) };
  for (const [item, points] of Object.entries(items)) await setScore(deps, operatorActor('test'), { unit, item, points, year });
}

// ---------------------------------------------------------------- #3 the street's own targets (CLI)

describe('#3 「累计建成示范型社区11个」 are the sample street\'s numbers: the street sets its own (CLI)', () => {
  const db = tempDbFile('dangjian-issue16-');
  const storedRows = () => {
    const o = openDatabase(db);
    try {
      return (o.sqlite.prepare('SELECT milestone, level, grade, count, set_by FROM target_override ORDER BY id').all() as unknown[]);
    } finally {
      o.sqlite.close();
    }
  };

  beforeAll(async () => {
    await cliOk(db, ['init', '--year', '2026', '--street', '城东街道', '--sample-roster']);
    const units = join(dirname(db), 'units.csv');
    writeFileSync(units, '名称,层级,上级\n一社区,社区,城东街道\n二社区,社区,城东街道\n甲小区,小区,一社区\n');
    await cliOk(db, ['unit', 'import', '--file', units]);
  }, 60_000);

  it('targets set takes Chinese option values and the milestone as the programme prints it; the number is stored and shown in 目标 beside the document\'s', async () => {
    const set = await cliOk(db, ['targets', 'set', '--milestone', '2027-12', '--level', '社区', '--count', '2']);
    expect(set).toBe('已设置：到2027年12月 累计建成示范型社区11个 → 2 个（本街道设置；方案原文 11 个；本街道现有 2 个）\n');
    // The same target by its number in the list and by its date: replaced, not added.
    await cliOk(db, ['targets', 'set', '--milestone', '3', '--level', '社区', '--count', '1']);
    const json = JSON.parse(await cliOk(db, ['targets', 'set', '--milestone', '2027-12-31', '--level', 'community', '--count', '2', '--json']));
    expect(json).toEqual({ milestone: 'y2-12', label: '到2027年12月', text: '累计建成示范型社区11个', planCount: 11, count: 2, source: 'street', available: 2, warning: null });
    expect(storedRows()).toEqual([{ milestone: 'y2-12', level: 'community', grade: null, count: 2, set_by: '服务器操作员' }]);
    // 到2026年6月底 has 示范型社区6个 and 标准型社区达100%: the grade picks the numeric one.
    await cliOk(db, ['targets', 'set', '--milestone', '2026-06', '--level', '社区', '--grade', '示范型', '--count', '1']);
    const text = await cliOk(db, ['targets']);
    expect(text).toContain('  - 累计建成示范型社区11个（本街道目标 2 个，方案原文 11 个）：0/2');
    expect(text).toContain('  - 示范型社区6个（本街道目标 1 个，方案原文 6 个）：0/1');
    // The document's number, untouched, is flagged: the street has 1 compound, not 60.
    expect(text).toContain('  - 累计建成示范型小区60个：0/60');
    expect(text).toContain('    ⚠️ 目标 60 个超过本街道小区总数 1 个，无法达成（方案原文的数字，可设置本街道自己的目标）');
  });

  it('a number above the street\'s units is accepted and flagged; 0 = 「本街道不设此目标」; bad input names the option and changes nothing', async () => {
    const before = storedRows();
    const over = await cliOk(db, ['targets', 'set', '--milestone', '2027-12', '--level', '小区', '--count', '3']);
    expect(over).toContain('⚠️ 目标 3 个超过本街道小区总数 1 个，无法达成\n');
    await cliOk(db, ['targets', 'set', '--milestone', '2027-12', '--level', '楼宇', '--count', '0']);
    expect(await cliOk(db, ['targets'])).toContain('  - 累计建成示范型楼宇2个（本街道目标 0 个，方案原文 2 个）：本街道不设此目标');
    const stored = storedRows();
    expect(stored).toHaveLength(before.length + 2);

    const cases: Array<[string[], RegExp]> = [
      [['--milestone', '2022-12', '--level', '社区', '--count', '8'], /^错误：--milestone：没有节点「2022-12」；可填序号、日期或月份：1 到2026年2月（2026-02-28）、2 到2026年6月底（2026-06-30）、3 到2027年12月（2027-12-31）、4 到2028年12月（2028-12-31）/],
      [['--milestone', '3', '--level', '居委会', '--count', '8'], /^错误：--level：不认识的层级「居委会」/],
      [['--milestone', '3', '--level', '社区', '--count', '八'], /^错误：--count：个数应为 0 到 9999 的整数（0 表示本街道不设此目标；收到「八」）/],
      [['--milestone', '1', '--level', '社区', '--count', '3'], /^错误：--level：节点「到2026年2月」没有社区的数目目标/],
      // 「达100%」 is a proportion of the street's own units.
      [['--milestone', '4', '--level', '社区', '--count', '3'], /^错误：--level：「示范型社区达100%」按本街道社区总数计算，不能设置个数/],
      [['--milestone', '3', '--level', '社区', '--grade', '优秀', '--count', '3'], /^错误：--grade：等级应为「标准型」或「示范型」（收到「优秀」）/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['targets', 'set', ...args, '--db', db]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(storedRows()).toEqual(stored);
  });

  it('only the office sets targets: a roster member who is not is refused and audited', async () => {
    const r = await runCli(['targets', 'set', '--milestone', '3', '--level', '社区', '--count', '5', '--by', '张建虹', '--db', db]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('只有党建办');
    const o = openDatabase(db);
    try {
      expect(await listAudit(o.db, { action: 'targets.set' })).toContainEqual(expect.objectContaining({ actor: '张建虹', outcome: 'denied' }));
    } finally {
      await o.close();
    }
  });

  it('targets reset restores the document\'s number (flagged again); reset --all removes every stored number', async () => {
    const reset = await cliOk(db, ['targets', 'reset', '--milestone', '2027-12', '--level', '社区']);
    expect(reset).toBe('已恢复：到2027年12月 累计建成示范型社区11个 → 11 个（方案原文；方案原文 11 个；本街道现有 2 个）\n⚠️ 目标 11 个超过本街道社区总数 2 个，无法达成（方案原文的数字，可设置本街道自己的目标）\n');
    const again = await runCli(['targets', 'reset', '--milestone', '2027-12', '--level', '社区', '--db', db]);
    expect(again.stderr).toBe('错误：--milestone：「累计建成示范型社区11个」没有本街道设置的目标（现在按方案原文的 11 个）\n');
    const all = await cliOk(db, ['targets', 'reset', '--all']);
    expect(all).toMatch(/^已取消本街道设置的全部目标个数（\d+ 项）\n$/);
    expect(storedRows()).toEqual([]);
  });

  it('「标准型社区、小区达100%」 with no unit of that level is 「无此类单位」, never ✅; 「到2021年2月」 (no measurable item) shows no ✅', async () => {
    const empty = tempDbFile('dangjian-issue16-empty-');
    await cliOk(empty, ['init', '--year', '2026', '--street', '城东街道']);
    const text = await cliOk(empty, ['targets']);
    expect(text).toContain('  - 标准型社区达100%：无此类单位');
    expect(text).toContain('  - 标准型小区达100%：无此类单位');
    expect(text).toContain('【到2026年2月（2026-02-28）已过】（无评分记录）\n');
    expect(text).not.toContain('✅');
    expect(text).not.toContain('已达成');
  });
});

describe('#3 the plan file\'s numbers (targetOverrides) and the ones set with targets set', () => {
  it('the plan file sets a number; targets set overrides it; targets reset goes back to the plan file\'s', async () => {
    const db = tempDbFile('dangjian-issue16-planfile-');
    const planFile = join(dirname(db), 'plan.json');
    writeFileSync(planFile, JSON.stringify({ ...builtInPlan, targetOverrides: [{ milestone: 'y2-12', level: 'community', count: 5 }] }));
    const env = { PLAN_FILE: planFile };
    await cliOk(db, ['init', '--year', '2026', '--street', '城东街道'], env);
    expect(await cliOk(db, ['targets'], env)).toContain('  - 累计建成示范型社区11个（本街道目标 5 个，方案原文 11 个）：0/5');
    const set = JSON.parse(await cliOk(db, ['targets', 'set', '--milestone', '3', '--level', '社区', '--count', '4', '--json'], env));
    expect(set).toMatchObject({ count: 4, planCount: 11, source: 'street' });
    const reset = JSON.parse(await cliOk(db, ['targets', 'reset', '--milestone', '3', '--level', '社区', '--json'], env));
    expect(reset).toMatchObject({ count: 5, planCount: 11, source: 'plan_file' });
  });
});

// ---------------------------------------------------------------- #3 from the chat, the digest

describe('#3 the street\'s own targets from the chat: 设目标 (office only), the flag in 目标 and the digest', () => {
  it('the office sets and restores a number; a number above the street\'s units is flagged in 目标 and the weekly digest; others are refused', async () => {
    bot = await makeBot();
    const set = await ask(bot, '设目标 2026-06 社区 示范型 3');
    expect(set).toContain('已设置本街道的目标');
    expect(set).toContain('示范型社区6个');
    expect(set).toContain('现在的目标：3 个（本街道设置；方案原文 6 个；本街道现有 2 个）');
    expect(set).toContain('⚠️ 目标 3 个超过本街道社区总数 2 个，无法达成');

    const targets = await ask(bot, '目标');
    expect(targets).toContain('示范型社区6个（本街道目标 3 个，方案原文 6 个）');
    // One flag line per milestone; the hint on how to set the street's numbers once.
    expect(targets).toContain('⚠️ 目标超过本街道单位数，无法达成：示范型社区6个（本街道目标 3 个）：社区共 2 个；示范型小区33个：小区共 2 个；建成示范型楼宇、商圈2个：楼宇和商圈共 0 个；示范型社会组织1个：社会组织共 0 个');
    expect(targets.match(/设目标 〈节点〉〈层级〉〈个数〉/g)).toHaveLength(1);

    const digest = digestCard(await buildDigest({ ...bot.deps, config: { timeZone: TZ } }));
    const digestText = renderCardText(digest).text;
    expect(digestText).toContain('目标进度（到2026年6月底节点，2026-06-30）');
    expect(digestText).toContain('- 示范型社区6个：0/3 ⚠️ 本街道社区共 2 个，无法达成');
    expect(digestText).toContain('- 示范型小区33个：0/33 ⚠️ 本街道小区共 2 个，无法达成');
    expect(digestText).toContain('（方案原文的个数是样板街道的数字，党建办可用「设目标」设置本街道自己的目标）');

    const denied = await ask(bot, '设目标 2026-06 社区 示范型 2', OPEN_IDS.leader);
    expect(denied).toContain('只有党建办');
    expect(await listAudit(bot.opened.db, { action: 'targets.set' })).toContainEqual(expect.objectContaining({ outcome: 'denied' }));

    const restored = await ask(bot, '设目标 2 社区 示范型 恢复');
    expect(restored).toContain('现在的目标：6 个（方案原文；方案原文 6 个；本街道现有 2 个）');
    expect(await ask(bot, '设目标 2031-12 社区 3')).toContain('没有节点「2031-12」');
  });
});

// ---------------------------------------------------------------- #4 programme years everywhere

describe('#4 「到2021年2月」「2022年12月」: every date printed in the programme\'s years', () => {
  it('目标, 周报 and plan print no year of the document (2020–2023) for a programme from 2026', async () => {
    bot = await makeBot();
    const documentYear = /20(20|21|22|23)年/;
    const targets = await ask(bot, '目标');
    expect(targets).toContain('🔴 当前节点进度落后（依据到2026年6月底节点）');
    expect(targets).toContain('到2026年2月（2026-02-28）');
    expect(targets).toContain('到2027年12月（2027-12-31）');
    expect(targets).not.toMatch(documentYear);
    const digest = await ask(bot, '周报');
    expect(digest).toContain('到2026年6月底节点');
    expect(digest).not.toMatch(documentYear);
    const plan = await cliOk(bot.dbFile, ['plan']);
    expect(plan).toContain('  2027-12: 累计建成示范型社区11个');
    expect(plan).not.toMatch(documentYear);
  });
});

// ---------------------------------------------------------------- #5 as-of views

describe('#5 an as-of view uses only what was recorded by then', () => {
  it('targets --at counts the scores entered by the end of that day, not those entered later for the same year', async () => {
    bot = await makeBot();
    await scoreFull(bot, '城西社区', '2026-03-05T10:00:00+08:00');
    // 城东社区 is 示范型 once its two compounds are scored too (「所辖小区全部完成标准型建设」).
    await scoreFull(bot, '城东社区', '2026-12-20T10:00:00+08:00');
    for (const compound of ['城东花园小区', '城东新村小区']) await scoreFull(bot, compound, '2026-12-20T10:00:00+08:00', 2026, COMPOUND_FULL);
    const count = async (date: string) => {
      const r = await targetsReport(bot!.deps, { at: date });
      return r.milestones.find((m) => m.id === 'y2-12')!.requirements.find((q) => q.text === '累计建成示范型社区11个')!.reached;
    };
    expect(await count('2026-03-04')).toBe(0);
    expect(await count('2026-03-05')).toBe(1);
    expect(await count('2026-12-19')).toBe(1);
    expect(await count('2026-12-20')).toBe(2);
    const early = await targetsReport(bot.deps, { at: '2026-03-04' });
    expect(early.milestones.find((m) => m.id === 'y1-06')!.asOfYear).toBeNull();
  });

  it('digest --week counts only completions made by its instant: a task done weeks later is still overdue there, one undone later still done', async () => {
    const o = await openProgramme();
    try {
      const d = schedulerDeps(o, new SchedulerOutbound(), { clock: fixedClock('2026-06-30T12:00:00+08:00') });
      // Task 1 (2月底) done on 4 March, undone on 20 March; task 2 (2月底) done only on 20 May.
      await complete(o, 1, '2026', '2026-03-04T10:00:00+08:00');
      await undoOccurrence({ db: o.db, tz: TZ, clock: fixedClock('2026-03-20T10:00:00+08:00') }, operatorActor(), { year: 2026, seq: 1, period: '2026' });
      await complete(o, 2, '2026', '2026-05-20T10:00:00+08:00');

      const week = await buildDigest(d, { weekStart: '2026-03-09' });
      expect(week.asOf).toBe('2026-03-09T09:00:00+08:00');
      expect(week.completedLastWeek.map((c) => c.seq)).toEqual([1]);
      expect(week.overdue.map((x) => x.seq)).toContain(2);
      expect(week.overdue.map((x) => x.seq)).not.toContain(1);

      const later = await buildDigest(d, { weekStart: '2026-05-25' });
      expect(later.overdue.map((x) => x.seq)).toContain(1);
      expect(later.overdue.map((x) => x.seq)).not.toContain(2);
    } finally {
      await o.close();
    }
  });
});

// ---------------------------------------------------------------- #7 years outside the programme

describe('#7 a year outside the programme is refused wherever a year is typed; a year without scores is 「尚无评分」', () => {
  const refusal = '2031 年不在本轮行动的年份内；本轮行动为 2025–2030 年（2025 年规划部署，2026–2028 年三年行动，2029–2030 年长效提升）';

  it('in the chat: 得分, 排名, 录分, 任务, 导出 refuse 2031 and write nothing; 得分 城东社区 2030 says 尚无评分', async () => {
    bot = await makeBot();
    for (const text of ['得分 城东社区 2031', '排名 社区 2031', '录分 城东社区 6.1 5 2031', '任务 2031', '导出 评分表 2031']) {
      expect(await ask(bot, text), text).toContain(refusal);
    }
    const entries = await bot.opened.db.selectFrom('score_entry').select('id').execute();
    expect(entries).toEqual([]);
    const none = await ask(bot, '得分 城东社区 2030');
    expect(none).toContain('城东社区 · 2030 年尚无评分');
    expect(none).toContain('2030 年度还没有录入任何分数');
    expect(none).not.toContain('未达标');
  });

  it('in the CLI: score set / import, veto, score show, rank, targets --at, task list / instantiate and export refuse 2031', async () => {
    bot = await makeBot();
    await bot.close();
    const db = bot.dbFile;
    bot = undefined;
    const sheet = join(dirname(db), 'scores-2031.csv');
    writeFileSync(sheet, 'unit,item,points,year\n城东社区,6.1,5,2031\n');
    const runs: Array<[string[], string]> = [
      [['score', 'set', '--unit', '城东社区', '--item', '6.1', '--points', '5', '--year', '2031'], '--year'],
      [['score', 'import', '--file', sheet], '--file'],
      [['veto', 'set', '--unit', '城东社区', '--reason', '测试', '--year', '2031'], '--year'],
      [['score', 'show', '--unit', '城东社区', '--year', '2031'], '--year'],
      [['rank', '--level', '社区', '--year', '2031'], '--year'],
      [['targets', '--at', '2031-01-01'], '--at'],
      [['tasks', '--year', '2031'], '--year'],
      [['task', 'instantiate', '--year', '2031'], '--year'],
      [['export', '评分表', '--year', '2031', '--out', join(dirname(db), 'x.xlsx')], '--year'],
    ];
    for (const [args, field] of runs) {
      const r = await runCli([...args, '--db', db]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(refusal);
      if (field !== '--file') expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^错误：${field}：`));
    }
    const o = openDatabase(db);
    try {
      expect(o.sqlite.prepare('SELECT count(*) AS n FROM score_entry').get()).toEqual({ n: 0 });
      expect(o.sqlite.prepare('SELECT count(*) AS n FROM veto').get()).toEqual({ n: 0 });
      expect(o.sqlite.prepare('SELECT count(*) AS n FROM task WHERE year = 2031').get()).toEqual({ n: 0 });
    } finally {
      await o.close();
    }
    const none = await cliOk(db, ['score', 'show', '--unit', '城东社区', '--year', '2030']);
    expect(none).toContain('总分 0/100  尚无评分');
  });
});

describe('#7 the current year is always accepted: it is the default wherever a year may be left out', () => {
  it('a programme from 2021 (2020–2025) run in a later year: rank, digest and score show work for the current year, typed or not; 2019 is refused', async () => {
    const db = tempDbFile('dangjian-issue16-past-');
    await cliOk(db, ['init', '--year', '2021', '--street', '城东街道']);
    await cliOk(db, ['unit', 'add', '--name', '一社区', '--level', '社区', '--parent', '城东街道']);
    const now = assessmentYear(systemClock, TZ);
    expect(now).toBeGreaterThan(2025);
    expect(await cliOk(db, ['rank', '--level', '社区'])).toContain(`${now}年 社区排名`);
    expect(await cliOk(db, ['rank', '--level', '社区', '--year', String(now)])).toContain('尚无评分');
    expect(await cliOk(db, ['score', 'show', '--unit', '一社区', '--year', '2025'])).toContain('2025年');
    expect(await cliOk(db, ['digest'])).toContain('周报');
    const old = await runCli(['score', 'show', '--unit', '一社区', '--year', '2019', '--db', db]);
    expect(old.stderr).toBe('错误：--year：2019 年不在本轮行动的年份内；本轮行动为 2020–2025 年（2020 年规划部署，2021–2023 年三年行动，2024–2025 年长效提升）\n');
  });
});

// ---------------------------------------------------------------- #11 the compound ranking

describe('#11 the compound ranking shows 所属社区; a vetoed unit shows 「一票否决」 next to its grade', () => {
  it('排名 小区 全部: 所属社区 column, 一票否决 beside the grade, 尚无评分 for a compound without entries', async () => {
    bot = await makeBot();
    const deps = bot.deps;
    await scoreFull(bot, '城东花园小区', '2026-03-10T09:00:00+08:00', 2026, COMPOUND_FULL);
    await setVeto(deps, operatorActor('test'), { unit: '城东花园小区', reason: '发生安全事故' });
    const text = await ask(bot, '排名 小区 全部');
    expect(text).toContain('名次 | 单位 | 所属社区 | 总分 | 等级');
    // 100 points, but 「无相关“一票否决”事项」 is a 示范型 condition: 标准型, vetoed.
    expect(text).toContain('1 | 城东花园小区 | 城东社区 | 100 | 🔵 标准型 · 一票否决');
    expect(text).toContain('2 | 城东新村小区 | 城东社区 | — | ⚪ 尚无评分');
  });
});
