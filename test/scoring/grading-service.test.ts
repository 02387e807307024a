import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import type { AnyOpenedDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { openTestDatabase } from '../support/database.js';
import { clearVetoes, insertScoreEntry, insertVeto } from '../../src/db/score.repository.js';
import { setSetting } from '../../src/db/setting.repository.js';
import { insertUnit } from '../../src/db/unit.repository.js';
import { UserError } from '../../src/errors.js';
import type { Level } from '../../src/plan/schema.js';
import { gradeChanges, gradeMix, gradeSubtree, ranking, rankingReadAhead, rankingWithMix, rectificationList, scoreReadAhead, scoreReport, targetsReport, type GradingDeps } from '../../src/services/grading.service.js';
import { findUnitByName } from '../../src/db/unit.repository.js';
import { plan, scoresTotalling } from './helpers.js';

const TZ = 'Asia/Shanghai';
const T0 = Date.parse('2022-05-01T00:00:00+08:00');

let opened: AnyOpenedDatabase;
let deps: GradingDeps;
const ids = new Map<string, number>();

async function unit(name: string, level: Level, parent: string | null): Promise<number> {
  const row = await insertUnit(opened.db, { name, level, parentId: parent === null ? null : ids.get(parent)!, at: T0 });
  ids.set(name, row.id);
  return row.id;
}

/** Enters scores totalling `total` for a unit and year at instant `at`. */
async function score(name: string, year: number, total: number, at = T0): Promise<void> {
  const id = ids.get(name)!;
  const level = (await opened.db.selectFrom('unit').select('level').where('id', '=', id).executeTakeFirstOrThrow()).level as Level;
  for (const s of scoresTotalling(id, level, total)) {
    await insertScoreEntry(opened.db, { unitId: id, year, itemCode: s.itemCode, points: s.points, by: 'test', at, note: null });
  }
}

async function expectUserError(p: Promise<unknown>, code: string, field?: string): Promise<UserError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  const ue = err as UserError;
  expect(ue.code).toBe(code);
  if (field !== undefined) expect(ue.field).toBe(field);
  return ue;
}

beforeEach(async () => {
  opened = await openTestDatabase(':memory:');
  await migrateToLatest(opened.db);
  deps = { db: opened.db, plan, clock: fixedClock('2022-06-15T10:00:00+08:00'), tz: TZ };
  ids.clear();
  await unit('XX街道', 'street', null);
  await unit('一社区', 'community', 'XX街道');
  await unit('二社区', 'community', 'XX街道');
  await unit('甲小区', 'compound', '一社区');
  await unit('乙小区', 'compound', '一社区');
  await unit('丙小区', 'compound', '二社区');
  await unit('红楼宇', 'building', 'XX街道');
  await unit('绿社会组织', 'social_org', 'XX街道');
});

afterEach(async () => {
  await opened.close();
});

describe('scoreReport', () => {
  it('returns the score show shape for the current assessment year', async () => {
    await score('一社区', 2022, 95);
    await score('甲小区', 2022, 92);
    await score('乙小区', 2022, 70);
    const r = await scoreReport(deps, '一社区');
    expect(r).toMatchObject({ unit: '一社区', level: 'community', parent: 'XX街道', year: 2022, total: 95, max: 100, grade: 'none', veto: false });
    expect(r.items).toHaveLength(11);
    expect(r.items[0]).toEqual({ code: '6.1', title: '整合成员单位各自的资源和需求,每年年初列出党建项目清单', indicator: 6, points: 10, max: 10, assessed: true });
    expect(r.blockers).toEqual(['所辖小区中 1 个未达标准型：乙小区(70)']);
    expect(r.gap.nextGrade).toBe('standard');
    expect(r.gap.pointsShort).toBe(0);
    expect(r.gap.topLosses[0]).toMatchObject({ code: '10.3', lost: 5 });
    expect(r.indicators.map((i) => i.number)).toEqual([6, 7, 8, 9, 10]);
  });

  it('matches a unique part of the name and reports unknown and ambiguous names on --unit', async () => {
    expect((await scoreReport(deps, '甲小', 2022)).unit).toBe('甲小区');
    await expectUserError(scoreReport(deps, '不存在'), 'not_found', '--unit');
    const amb = await expectUserError(scoreReport(deps, '小区'), 'ambiguous', '--unit');
    expect(amb.message).toContain('甲小区');
    await expectUserError(scoreReport(deps, '甲小区', '22'), 'bad_argument', '--year');
  });

  it('uses the latest entry per sub-item', async () => {
    const id = ids.get('甲小区')!;
    await insertScoreEntry(opened.db, { unitId: id, year: 2022, itemCode: '14.1', points: 20, by: 't', at: T0, note: null });
    await insertScoreEntry(opened.db, { unitId: id, year: 2022, itemCode: '14.1', points: 12.5, by: 't', at: T0 + 1, note: null });
    const r = await scoreReport(deps, '甲小区', 2022);
    expect(r.total).toBe(12.5);
    expect(r.assessed).toBe(1);
  });

  it('flags 需整改 when the grade fell below last year\'s, once this year is assessed', async () => {
    await score('甲小区', 2021, 92);
    const unassessed = await scoreReport(deps, '甲小区', 2022);
    expect(unassessed.previousYear).toEqual({ year: 2021, grade: 'demonstration', total: 92 });
    expect(unassessed.needsRectification).toBe(false);
    await score('甲小区', 2022, 80);
    const fell = await scoreReport(deps, '甲小区', 2022);
    expect(fell.grade).toBe('standard');
    expect(fell.needsRectification).toBe(true);
    await score('乙小区', 2022, 80);
    expect((await scoreReport(deps, '乙小区', 2022)).previousYear.grade).toBeNull();
  });

  it('applies active vetoes only', async () => {
    await score('红楼宇', 2022, 95);
    const id = ids.get('红楼宇')!;
    await insertVeto(opened.db, { unitId: id, year: 2022, reason: '安全事故', by: 't', at: T0 });
    const vetoed = await scoreReport(deps, '红楼宇', 2022);
    expect(vetoed).toMatchObject({ veto: true, vetoReasons: ['安全事故'], grade: 'standard', blockers: ['有“一票否决”事项：安全事故'] });
    await clearVetoes(opened.db, { unitId: id, year: 2022, reason: '撤销', by: 't', at: T0 + 1 });
    expect((await scoreReport(deps, '红楼宇', 2022)).grade).toBe('demonstration');
  });
});

describe('reading a subtree ahead while its name is looked up', () => {
  it('scoreReport and rankingWithMix use rows read ahead by the exact name, and read again for any other unit or year', async () => {
    await score('甲小区', 2022, 80);
    await score('乙小区', 2022, 92);
    const community = (await findUnitByName(opened.db, '一社区'))!;
    const compound = (await findUnitByName(opened.db, '甲小区'))!;
    const expected = await scoreReport(deps, compound);
    const expectedRanking = await rankingWithMix(deps, { level: 'compound', parent: community });
    const ahead = scoreReadAhead(deps, '甲小区', undefined)!;
    const rankingAhead = rankingReadAhead(deps, '一社区', undefined)!;
    await Promise.all([ahead.rows, rankingAhead.rows]);
    expect(await scoreReport(deps, compound, undefined, ahead)).toEqual(expected);
    expect(await rankingWithMix(deps, { level: 'compound', parent: community, readAhead: rankingAhead })).toEqual(expectedRanking);
    // Read ahead, then changed: a report from the read-ahead shows the rows as they were read
    // (which is how it is seen to be used: there is no second read).
    const stale = scoreReadAhead(deps, '甲小区', undefined)!;
    await stale.rows;
    await insertVeto(opened.db, { unitId: compound.id, year: 2022, reason: '安全事故', by: 't', at: T0 });
    expect((await scoreReport(deps, compound, undefined, stale)).veto).toBe(false);
    expect((await scoreReport(deps, compound)).veto).toBe(true);
    // Another unit's (a fragment, a different name) or a given year: not used.
    expect((await scoreReport(deps, compound, undefined, scoreReadAhead(deps, '甲小', undefined))).veto).toBe(true);
    expect((await scoreReport(deps, compound, undefined, scoreReadAhead(deps, '乙小区', undefined))).unit).toBe('甲小区');
    expect(scoreReadAhead(deps, '甲小区', 2022)).toBeUndefined();
    // A name that matches nothing reads nothing and reports no error.
    const none = scoreReadAhead(deps, '不存在', undefined)!;
    expect(await none.units).toEqual([]);
  });

  it('gradeSubtree reads the exact name\'s subtree beside the lookup: the same report as reading after it, by a full name or a fragment', async () => {
    await score('甲小区', 2022, 80);
    await score('乙小区', 2022, 92);
    await score('一社区', 2022, 95);
    // An as-of view is never read ahead: it is the report as read after the lookup.
    const afterLookup = await gradeSubtree(deps, { unit: '一社区', year: 2022, asOf: T0 + 1_000_000 });
    expect(afterLookup.units.map((u) => u.unit)).toEqual(['一社区', '甲小区', '乙小区']);
    expect(await gradeSubtree(deps, { unit: '一社区', year: 2022 })).toEqual(afterLookup);
    expect(await gradeSubtree(deps, { unit: ' 一社区 ', year: 2022 })).toEqual(afterLookup);
    expect(await gradeSubtree(deps, { unit: '一社', year: 2022 })).toEqual(afterLookup);
  });
});

describe('ranking', () => {
  beforeEach(async () => {
    await score('甲小区', 2022, 80);
    await score('乙小区', 2022, 92);
    await score('丙小区', 2022, 80);
  });

  it('ranks one level by total then name (pinyin), with 所属社区, 一票否决, whether scored, and grade counts', async () => {
    const r = await ranking(deps, { level: '小区' });
    expect(r.year).toBe(2022);
    expect(r.rows).toEqual([
      { rank: 1, unit: '乙小区', total: 92, grade: 'demonstration', parent: '一社区', veto: false, scored: true },
      { rank: 2, unit: '丙小区', total: 80, grade: 'standard', parent: '二社区', veto: false, scored: true },
      { rank: 2, unit: '甲小区', total: 80, grade: 'standard', parent: '一社区', veto: false, scored: true },
    ]);
    expect(r.counts).toEqual({ none: 0, standard: 2, demonstration: 1 });
  });

  it('ranks within a parent community or street', async () => {
    expect((await ranking(deps, { level: 'compound', parent: '二社区' })).rows.map((r) => r.unit)).toEqual(['丙小区']);
    expect((await ranking(deps, { level: 'compound', parent: 'XX街道' })).rows).toHaveLength(3);
    const communities = await ranking(deps, { level: 'community', parent: 'XX街道', year: 2022 });
    // Neither community has entries (0 each, 尚无评分): pinyin order, 二 (èr) before 一 (yī).
    expect(communities.rows.map((r) => [r.unit, r.parent, r.scored])).toEqual([
      ['二社区', 'XX街道', false],
      ['一社区', 'XX街道', false],
    ]);
  });

  it('ranks below a parent and counts its subtree from one grading, exactly as ranking and gradeMix do', async () => {
    for (const [level, parentName, year] of [['compound', '一社区', undefined], ['compound', 'XX街道', undefined], ['community', 'XX街道', 2022]] as const) {
      const parent = (await findUnitByName(opened.db, parentName))!;
      const both = await rankingWithMix(deps, { level, parent, year });
      expect(both.ranking).toEqual(await ranking(deps, { level, parent: parentName, year }));
      expect(both.mix).toEqual(await gradeMix(deps, { unit: parentName, year: both.ranking.year }));
      expect(both.ranking.rows.length).toBeGreaterThan(0);
    }
    await expectUserError(rankingWithMix(deps, { level: 'building', parent: (await findUnitByName(opened.db, '一社区'))! }), 'bad_argument', '--parent');
  });

  it('rejects a parent that cannot contain the level, and an unknown level', async () => {
    await expectUserError(ranking(deps, { level: 'building', parent: '一社区' }), 'bad_argument', '--parent');
    await expectUserError(ranking(deps, { level: 'village' }), 'bad_argument', '--level');
  });
});

describe('gradeSubtree', () => {
  it('grades every unit below a unit in one pass', async () => {
    await score('二社区', 2022, 91);
    await score('丙小区', 2022, 95);
    const r = await gradeSubtree(deps, { unit: '二社区' });
    expect(r.units.map((u) => [u.unit, u.grade, u.parent])).toEqual([
      ['二社区', 'demonstration', 'XX街道'],
      ['丙小区', 'demonstration', '二社区'],
    ]);
    expect(r.counts.compound).toEqual({ none: 0, standard: 0, demonstration: 1 });
  });
});

describe('rectificationList', () => {
  it('lists the units assessed this year whose grade fell, parents through their sub-units too', async () => {
    await score('一社区', 2021, 95);
    await score('甲小区', 2021, 92);
    await score('乙小区', 2021, 80);
    await score('丙小区', 2021, 80);
    await score('一社区', 2022, 95);
    await score('甲小区', 2022, 92);
    await score('乙小区', 2022, 70);
    // 丙小区 has no 2022 entries yet: not listed.
    const r = await rectificationList(deps, { year: 2022 });
    expect(r.units).toEqual([
      { unit: '一社区', level: 'community', parent: 'XX街道', grade: 'none', total: 95, previousGrade: 'demonstration', previousTotal: 95 },
      { unit: '乙小区', level: 'compound', parent: '一社区', grade: 'none', total: 70, previousGrade: 'standard', previousTotal: 80 },
    ]);
    expect((await rectificationList(deps, { unit: '二社区', year: 2022 })).units).toEqual([]);
  });
});

describe('targetsReport', () => {
  it('needs the programme to be initialised', async () => {
    await expectUserError(targetsReport(deps), 'not_initialised');
    // Its reads go out together; what is said first is still that the programme is not set up.
    await expectUserError(targetsReport(deps, { at: '2022-02-30' }), 'not_initialised');
  });

  it('counts the programme street\'s units in the latest assessment year and rejects a bad date on --at', async () => {
    await setSetting(opened.db, 'programme_first_year', '2021');
    await setSetting(opened.db, 'street_name', 'XX街道');
    await unit('YY街道', 'street', null);
    await unit('外社区', 'community', 'YY街道');
    await score('外社区', 2022, 95);
    await score('甲小区', 2022, 92);
    await score('乙小区', 2022, 80);
    await score('一社区', 2022, 95);
    const r = await targetsReport(deps);
    expect(r.at).toBe('2022-06-15');
    expect(r.street).toBe('XX街道');
    expect(r).toMatchObject({ current: 'y2-12', currentLabel: '到2022年12月' });
    const m = r.milestones.find((x) => x.id === 'y2-12')!;
    expect(m.asOfYear).toBe(2022);
    expect(m.requirements.find((q) => q.text === '累计建成示范型社区11个')).toMatchObject({ reached: 1, required: 11 });
    expect(m.requirements.find((q) => q.text === '累计建成示范型小区60个')).toMatchObject({ reached: 1 });
    const final = r.milestones.find((x) => x.id === 'y3-12')!;
    expect(final.requirements.find((q) => q.text === '示范型社区达100%')).toMatchObject({ required: 2, reached: 1 });
    await expectUserError(targetsReport(deps, { at: '2022-02-30' }), 'bad_argument', '--at');
  });

  it('feeds every programme year up to the date: 「累计建成」 counts a community 示范型 in 2021 that is 标准型 in 2022', async () => {
    await setSetting(opened.db, 'programme_first_year', '2021');
    await setSetting(opened.db, 'street_name', 'XX街道');
    await score('丙小区', 2021, 95);
    await score('二社区', 2021, 95);
    await score('丙小区', 2022, 95);
    await score('二社区', 2022, 80);
    // 2019 lies before the programme (规划部署 starts in 2020): never counted.
    for (const name of ['甲小区', '乙小区', '一社区']) await score(name, 2019, 95);
    const r = await targetsReport(deps);
    const dec = r.milestones.find((x) => x.id === 'y2-12')!;
    expect(dec.requirements.find((q) => q.text === '累计建成示范型社区11个')).toMatchObject({ reached: 1, holdingNow: 0, available: 2, exceedsUnits: true });
  });
});

describe('gradeChanges', () => {
  it('reports units whose total, grade or veto changed through entries in the window, parents included', async () => {
    const since = T0 + 1000;
    await score('甲小区', 2022, 70, T0);
    await score('乙小区', 2022, 80, T0);
    await score('一社区', 2022, 95, T0);
    await score('二社区', 2022, 95, T0);
    await score('丙小区', 2022, 95, T0);
    // In the window: 甲小区 raised to standard, which makes 一社区 standard; a veto drops 二社区 to standard.
    await insertScoreEntry(opened.db, { unitId: ids.get('甲小区')!, year: 2022, itemCode: '15.2', points: 10, by: 't', at: since + 10, note: null });
    await insertVeto(opened.db, { unitId: ids.get('二社区')!, year: 2022, reason: '事故', by: 't', at: since + 20 });
    const r = await gradeChanges(deps, { since });
    expect(r.years).toEqual([2022]);
    expect(r.changes.map((c) => [c.unit, c.before.grade, c.after.grade, c.direction, c.entries, c.vetoEvents])).toEqual([
      ['一社区', 'none', 'standard', 'up', 0, 0],
      ['二社区', 'demonstration', 'standard', 'down', 0, 1],
      ['甲小区', 'none', 'standard', 'up', 1, 0],
    ]);
    expect(r.changes.find((c) => c.unit === '甲小区')).toMatchObject({ before: { total: 70 }, after: { total: 80 } });
    expect(r.summary).toEqual([{ year: 2022, up: 2, down: 1, changed: 3 }]);
    // A window before the entries sees nothing; a window that ends before the veto sees no veto change.
    expect((await gradeChanges(deps, { since: T0 - 10_000, until: T0 })).changes).toEqual([]);
    const early = await gradeChanges(deps, { since, until: since + 15 });
    expect(early.changes.map((c) => c.unit)).toEqual(['一社区', '甲小区']);
  });
});
