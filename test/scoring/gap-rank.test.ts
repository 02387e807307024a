import { describe, expect, it } from 'vitest';
import { compareNames, gapToNextGrade, gradeTree, gradeUnit, pinyinCollationAvailable, rankUnits } from '../../src/scoring/index.js';
import { TreeBuilder, plan, scoresTotalling, subItems } from './helpers.js';

describe('gap to the next grade', () => {
  it('gives the points short and the sub-items that lost the most, largest first, ties in plan order', () => {
    const items = subItems('compound'); // 11.1 10, 11.2 10, 12.1 10, 12.2 10, 13.1 5, 13.2 5, 13.3 10, 14.1 20, 15.1 10, 15.2 10
    const points: Record<string, number> = { '11.1': 10, '11.2': 7, '12.1': 10, '12.2': 10, '13.1': 5, '13.2': 2, '13.3': 10, '14.1': 12.5, '15.1': 7 };
    const d = gradeUnit(plan, {
      name: 'A小区',
      level: 'compound',
      scores: items.filter((i) => i.code in points).map((i) => ({ itemCode: i.code, points: points[i.code]! })),
      vetoReasons: [],
      subUnits: [],
    });
    expect(d.total).toBe(73.5);
    const gap = gapToNextGrade(d);
    expect(gap.nextGrade).toBe('standard');
    expect(gap.pointsShort).toBe(1.5);
    expect(gap.topLosses.map((l) => [l.code, l.lost, l.assessed])).toEqual([
      ['15.2', 10, false],
      ['14.1', 7.5, true],
      ['11.2', 3, true],
      ['13.2', 3, true],
      ['15.1', 3, true],
    ]);
    expect(gapToNextGrade(d, { limit: 2 }).topLosses).toHaveLength(2);
  });

  it('has 0 points short when only sub-units block, and names those rules', () => {
    const b = new TreeBuilder();
    const c = b.add('一社区', 'community', null, 95);
    b.add('A小区', 'compound', c, 70);
    const d = gradeTree(plan, b.input()).detail(c)!;
    const gap = gapToNextGrade(d);
    expect(gap).toMatchObject({ nextGrade: 'standard', pointsShort: 0, otherBlockers: ['所辖小区中 1 个未达标准型：A小区(70)'] });
  });

  it('measures the gap to demonstration from a standard unit', () => {
    const d = gradeUnit(plan, { name: 'U', level: 'building', scores: scoresTotalling(1, 'building', 86.5), vetoReasons: [], subUnits: [] });
    expect(gapToNextGrade(d)).toMatchObject({ nextGrade: 'demonstration', pointsShort: 3.5 });
  });

  it('has no next grade at the top but still shows where points were lost', () => {
    const d = gradeUnit(plan, { name: 'U', level: 'district', scores: scoresTotalling(1, 'district', 95), vetoReasons: [], subUnits: [] });
    const gap = gapToNextGrade(d);
    expect(gap.nextGrade).toBeNull();
    expect(gap.pointsShort).toBe(0);
    expect(gap.topLosses.reduce((a, l) => a + l.lost, 0)).toBe(5);
  });
});

describe('ranking', () => {
  it('orders by total then by name, equal totals share a rank, and counts grades', () => {
    const b = new TreeBuilder();
    const c1 = b.add('一社区', 'community', null, 80);
    const c2 = b.add('二社区', 'community', null, 80);
    b.add('乙小区', 'compound', c1, 80);
    b.add('甲小区', 'compound', c1, 80);
    b.add('丙小区', 'compound', c2, 92);
    b.add('丁小区', 'compound', c2, 60);
    const tree = gradeTree(plan, b.input());
    const all = rankUnits(tree.units.filter((u) => u.level === 'compound'), tree);
    expect(all.rows.map((r) => [r.rank, r.unit, r.total, r.grade, r.parent])).toEqual([
      [1, '丙小区', 92, 'demonstration', '二社区'],
      // 甲 (jiǎ) before 乙 (yǐ): pinyin order, although 乙 U+4E59 < 甲 U+7532.
      [2, '甲小区', 80, 'standard', '一社区'],
      [2, '乙小区', 80, 'standard', '一社区'],
      [4, '丁小区', 60, 'none', '二社区'],
    ]);
    expect(all.counts).toEqual({ none: 1, standard: 2, demonstration: 1 });
    const within = rankUnits(tree.descendants(c2, ['compound']));
    expect(within.rows.map((r) => r.unit)).toEqual(['丙小区', '丁小区']);
  });

  it('ties are in pinyin order (百尺花园, 北苑新村, 星河湾), not code-point order (北苑新村, 星河湾, 百尺花园)', () => {
    expect(pinyinCollationAvailable()).toBe(true); // this Node's ICU has Chinese collation
    const b = new TreeBuilder();
    const c = b.add('一社区', 'community', null, 80);
    for (const name of ['星河湾', '北苑新村', '百尺花园']) b.add(name, 'compound', c, 85);
    const tree = gradeTree(plan, b.input());
    const rows = rankUnits(tree.units.filter((u) => u.level === 'compound'), tree).rows;
    expect(rows.map((r) => [r.rank, r.unit])).toEqual([
      [1, '百尺花园'],
      [1, '北苑新村'],
      [1, '星河湾'],
    ]);
    expect(['星河湾', '北苑新村', '百尺花园'].sort(compareNames)).toEqual(['百尺花园', '北苑新村', '星河湾']);
    // Identical pinyin keys still order deterministically (code point as the last resort).
    expect(compareNames('星河湾', '星河湾')).toBe(0);
    expect(Math.sign(compareNames('a', 'b'))).toBe(-1);
  });

  it('a rank row carries 所属社区 and 一票否决 (shown next to the grade) and whether the unit has scores at all', () => {
    const b = new TreeBuilder();
    const c = b.add('城东社区', 'community', null, 80);
    b.add('甲小区', 'compound', c, 95, { veto: '发生重大安全事故' });
    b.units.push({ id: 99, name: '新建小区', level: 'compound', parentId: c });
    const tree = gradeTree(plan, b.input());
    const rows = rankUnits(tree.units.filter((u) => u.level === 'compound'), tree).rows;
    expect(rows.map((r) => ({ unit: r.unit, parent: r.parent, grade: r.grade, veto: r.veto, scored: r.scored }))).toEqual([
      { unit: '甲小区', parent: '城东社区', grade: 'standard', veto: true, scored: true },
      { unit: '新建小区', parent: '城东社区', grade: 'none', veto: false, scored: false },
    ]);
    // Without a parent lookup the id is still there.
    expect(rankUnits(tree.units.filter((u) => u.level === 'compound')).rows[0]).toMatchObject({ parentId: c, parent: null });
  });

  it('ranks an empty set as empty', () => {
    expect(rankUnits([])).toEqual({ rows: [], counts: { none: 0, standard: 0, demonstration: 0 } });
  });
});
