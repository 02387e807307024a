import { describe, expect, it } from 'vitest';
import type { Grade, Level, Plan } from '../../src/plan/schema.js';
import { compilePlan, evaluateCondition } from '../../src/scoring/rules.js';
import { gradeLabelZh, gradeMove, gradeState, gradeTree, gradeUnit, needsRectification, nextGradeOf, type GradeMove, type UnitGrade } from '../../src/scoring/index.js';
import { TreeBuilder, plan, scoresTotalling, subItems, times } from './helpers.js';

/** Grades the unit named `name` in the builder's tree, with its explanation. */
function detailOf(b: TreeBuilder, name: string, p: Plan = plan): UnitGrade {
  const tree = gradeTree(p, b.input());
  const unit = b.units.find((u) => u.name === name);
  if (!unit) throw new Error(`test setup: no unit ${name}`);
  const d = tree.detail(unit.id);
  if (!d) throw new Error(`test setup: no detail for ${name}`);
  expect(tree.get(unit.id)?.grade, 'tree and detail agree').toBe(d.grade);
  return d;
}

describe('totals', () => {
  it('sums the latest points over the level\'s sub-items; missing sub-items count 0 and are 未评', () => {
    const items = subItems('compound');
    const d = gradeUnit(plan, {
      name: 'A小区',
      level: 'compound',
      scores: [
        { itemCode: items[0]!.code, points: 7, seq: 1 },
        { itemCode: items[0]!.code, points: 9.5, seq: 2 },
        { itemCode: items[1]!.code, points: 8 },
      ],
      vetoReasons: [],
      subUnits: [],
    });
    expect(d.total).toBe(17.5);
    expect(d.max).toBe(100);
    expect(d.assessed).toBe(2);
    expect(d.items.filter((i) => !i.assessed)).toHaveLength(items.length - 2);
    expect(d.items[0]).toMatchObject({ code: items[0]!.code, points: 9.5, assessed: true });
    expect(d.items[2]).toMatchObject({ points: 0, assessed: false });
    expect(d.notes.some((n) => n.includes(`${items.length - 2} 个子项未评`))).toBe(true);
    const first = d.indicators[0]!;
    expect(first).toMatchObject({ number: 11, title: '组织建设好', points: 17.5, max: 20, assessed: 2 });
  });

  it('sums half points exactly (87.5, never 87.49999)', () => {
    const scores = subItems('community').map((s) => ({ itemCode: s.code, points: s.points - 0.5 }));
    const d = gradeUnit(plan, { name: '社区', level: 'community', scores, vetoReasons: [], subUnits: [] });
    expect(d.total).toBe(100 - 0.5 * scores.length);
    expect(Number.isInteger(d.total * 2)).toBe(true);
  });

  it('ignores entries for sub-items of another level and says so', () => {
    const d = gradeUnit(plan, { name: 'A小区', level: 'compound', scores: [{ itemCode: '1.1', points: 10 }], vetoReasons: [], subUnits: [] });
    expect(d.total).toBe(0);
    expect(d.notes.some((n) => n.includes('1.1'))).toBe(true);
  });
});

// 「得分75分以上」 / 「得分90分以上」: 以上 includes the number (75 and 90 pass, 74.5 and 89.5 do not);
// 「在达到标准型…评价基础上…无相关“一票否决”事项」: a veto is written only under 示范型, so it blocks
// demonstration and never standard.
describe('「得分75分以上」 / 「90分以上」 (inclusive) and 「无相关“一票否决”事项」 (blocks 示范型 only) for levels without sub-unit conditions', () => {
  const cases: Array<{ total: number; veto: boolean; grade: Grade }> = [
    { total: 0, veto: false, grade: 'none' },
    { total: 74.5, veto: false, grade: 'none' },
    { total: 75, veto: false, grade: 'standard' },
    { total: 89.5, veto: false, grade: 'standard' },
    { total: 90, veto: false, grade: 'demonstration' },
    { total: 100, veto: false, grade: 'demonstration' },
    { total: 74.5, veto: true, grade: 'none' },
    { total: 75, veto: true, grade: 'standard' },
    { total: 90, veto: true, grade: 'standard' },
    { total: 100, veto: true, grade: 'standard' },
  ];
  const levels: Level[] = ['compound', 'building', 'district', 'social_org'];
  for (const level of levels) {
    for (const c of cases) {
      it(`${level} at ${c.total}${c.veto ? ' with a veto' : ''} is ${c.grade}`, () => {
        const d = gradeUnit(plan, {
          name: 'U',
          level,
          scores: scoresTotalling(1, level, c.total),
          vetoReasons: c.veto ? ['发生重大安全事故'] : [],
          subUnits: [],
        });
        expect(d.total).toBe(c.total);
        expect(d.grade).toBe(c.grade);
        expect(d.veto).toBe(c.veto);
      });
    }
  }

  it('names the points short as the blocker: 「总分差 3.5 分」', () => {
    const d = gradeUnit(plan, { name: 'U', level: 'compound', scores: scoresTotalling(1, 'compound', 86.5), vetoReasons: [], subUnits: [] });
    expect(d.grade).toBe('standard');
    expect(d.nextGrade).toBe('demonstration');
    expect(d.blockers).toEqual(['总分差 3.5 分（现 86.5 分，示范型需 90 分以上）']);
  });

  it('names the veto as the blocker of demonstration', () => {
    const d = gradeUnit(plan, { name: 'U', level: 'building', scores: scoresTotalling(1, 'building', 95), vetoReasons: ['发生重大安全事故'], subUnits: [] });
    expect(d.grade).toBe('standard');
    expect(d.blockers).toEqual(['有“一票否决”事项：发生重大安全事故']);
  });

  it('has no blockers and no next grade at demonstration', () => {
    const d = gradeUnit(plan, { name: 'U', level: 'district', scores: scoresTotalling(1, 'district', 90), vetoReasons: [], subUnits: [] });
    expect(d.nextGrade).toBeNull();
    expect(d.blockers).toEqual([]);
  });

  it('blocks standard only with the score when below 75', () => {
    const d = gradeUnit(plan, { name: 'U', level: 'social_org', scores: scoresTotalling(1, 'social_org', 60), vetoReasons: ['x'], subUnits: [] });
    expect(d.grade).toBe('none');
    expect(d.blockers).toEqual(['总分差 15 分（现 60 分，标准型需 75 分以上）']);
  });
});

describe('community: 「所辖小区全部完成标准型建设」 / 「所辖小区完成示范型建设不少于30%」', () => {
  it('a community at 95 with one compound at 70 is not even standard', () => {
    const b = new TreeBuilder();
    const c = b.add('一社区', 'community', null, 95);
    b.add('A小区', 'compound', c, 80);
    b.add('B小区', 'compound', c, 70);
    const d = detailOf(b, '一社区');
    expect(d.grade).toBe('none');
    expect(d.blockers).toEqual(['所辖小区中 1 个未达标准型：B小区(70)']);
  });

  it('lists the failing compounds closest first: 「所辖小区中 2 个未达标准型：A小区(71)、B小区(68)」', () => {
    const b = new TreeBuilder();
    const c = b.add('一社区', 'community', null, 95);
    b.add('B小区', 'compound', c, 68);
    b.add('C小区', 'compound', c, 80);
    b.add('A小区', 'compound', c, 71);
    expect(detailOf(b, '一社区').blockers).toEqual(['所辖小区中 2 个未达标准型：A小区(71)、B小区(68)']);
  });

  it('names at most five failing sub-units', () => {
    const b = new TreeBuilder();
    const c = b.add('一社区', 'community', null, 95);
    b.addMany('小区', 'compound', c, [70, 69, 68, 67, 66, 65, 64]);
    expect(detailOf(b, '一社区').blockers).toEqual(['所辖小区中 7 个未达标准型：小区1(70)、小区2(69)、小区3(68)、小区4(67)、小区5(66)等']);
  });

  const ratioCases: Array<{ demo: number; of: number; grade: Grade }> = [
    { demo: 3, of: 10, grade: 'demonstration' },
    { demo: 2, of: 10, grade: 'standard' },
    { demo: 2, of: 7, grade: 'standard' },
    { demo: 3, of: 7, grade: 'demonstration' },
    { demo: 1, of: 3, grade: 'demonstration' },
    { demo: 1, of: 4, grade: 'standard' },
    { demo: 1, of: 1, grade: 'demonstration' },
    { demo: 0, of: 1, grade: 'standard' },
  ];
  for (const c of ratioCases) {
    // 「不少于30%」: at least ceil(0.3 · n) compounds, compared in integers (k · 10 ≥ 3 · n).
    it(`a community at 95 with ${c.demo} of ${c.of} compounds demonstration (the rest standard) is ${c.grade}`, () => {
      const b = new TreeBuilder();
      const id = b.add('一社区', 'community', null, 95);
      b.addMany('小区', 'compound', id, [...times(c.demo, 92), ...times(c.of - c.demo, 80)]);
      expect(detailOf(b, '一社区').grade).toBe(c.grade);
    });
  }

  it('states the ratio short: 「示范型小区占比 2/7 = 28.6%，需不少于 30%」', () => {
    const b = new TreeBuilder();
    const id = b.add('一社区', 'community', null, 95);
    b.addMany('小区', 'compound', id, [92, 92, ...times(5, 80)]);
    const d = detailOf(b, '一社区');
    expect(d.blockers).toEqual(['示范型小区占比 2/7 = 28.6%，需不少于 30%，还差 1 个']);
    const ratio = d.checks.find((c) => c.rule === 'ratio');
    expect(ratio).toMatchObject({ met: false, reached: 2, of: 7, required: 3, vacuous: false });
  });

  it('「所辖小区全部完成…」 / 「…不少于30%」 with no compound: nothing to complete, met (vacuously), and the result says so', () => {
    const b = new TreeBuilder();
    b.add('一社区', 'community', null, 95);
    const d = detailOf(b, '一社区');
    expect(d.grade).toBe('demonstration');
    const subUnitChecks = d.checks.filter((c) => c.rule === 'all' || c.rule === 'ratio');
    expect(subUnitChecks).toHaveLength(2);
    for (const c of subUnitChecks) expect(c).toMatchObject({ met: true, vacuous: true });
    expect(d.notes).toContain('无所辖小区，视为满足「所辖小区全部完成标准型建设」');
  });

  it('a veto keeps a community with all compounds demonstration at standard', () => {
    const b = new TreeBuilder();
    const id = b.add('一社区', 'community', null, 95, { veto: '违纪' });
    b.addMany('小区', 'compound', id, [95, 95]);
    expect(detailOf(b, '一社区').grade).toBe('standard');
  });

  it('89.5 keeps a community with all compounds demonstration at standard; 74.5 makes it none', () => {
    for (const [total, grade] of [
      [89.5, 'standard'],
      [74.5, 'none'],
    ] as const) {
      const b = new TreeBuilder();
      const id = b.add('一社区', 'community', null, total);
      b.addMany('小区', 'compound', id, [95, 95]);
      expect(detailOf(b, '一社区').grade).toBe(grade);
    }
  });

  it('counts a compound that is standard only through its own veto as standard', () => {
    const b = new TreeBuilder();
    const id = b.add('一社区', 'community', null, 95);
    b.add('A小区', 'compound', id, 95, { veto: '事故' });
    b.add('B小区', 'compound', id, 80);
    const d = detailOf(b, '一社区');
    expect(d.grade).toBe('standard');
    expect(d.blockers).toEqual(['示范型小区占比 0/2 = 0%，需不少于 30%，还差 1 个']);
  });
});

describe('community: 「社会组织有效融入社区建设」 / 「充分融入」 measured by sub-item 9.1 (三社联动: 引育社会组织)', () => {
  /** A community with every sub-item at its maximum except 9.1 (undefined = 9.1 not assessed). */
  function community(points91: number | undefined): UnitGrade {
    const scores = subItems('community')
      .filter((s) => s.code !== '9.1' || points91 !== undefined)
      .map((s) => ({ itemCode: s.code, points: s.code === '9.1' ? points91! : s.points }));
    return gradeUnit(plan, { name: '一社区', level: 'community', scores, vetoReasons: [], subUnits: [] });
  }

  it('有效融入 (standard) needs 9.1 at 75 % of its 5 points (3.75, so 4 in half points); 3.5 is not standard even at 98.5', () => {
    const d = community(3.5);
    expect(d.total).toBe(98.5);
    expect(d.grade).toBe('none');
    expect(d.blockers).toEqual(['「社会组织有效融入社区建设」按子项 9.1 计：3.5/5 分，需不少于 75%（4 分），还差 0.5 分']);
    expect(d.checks.find((c) => c.rule === 'subItems' && c.grade === 'standard')).toMatchObject({ met: false, reached: 3.5, of: 5, required: 4 });
  });

  it('充分融入 (demonstration) needs 9.1 at 90 % (4.5 of 5): 4 stays standard, 4.5 is demonstration', () => {
    const four = community(4);
    expect(four.grade).toBe('standard');
    expect(four.blockers).toEqual(['「社会组织充分融入社区建设」按子项 9.1 计：4/5 分，需不少于 90%（4.5 分），还差 0.5 分']);
    expect(community(4.5).grade).toBe('demonstration');
    expect(community(5).checks.filter((c) => c.rule === 'subItems').map((c) => c.detail)).toEqual([
      '「社会组织有效融入社区建设」按子项 9.1 计：5/5 分，达到 75%',
      '「社会组织充分融入社区建设」按子项 9.1 计：5/5 分，达到 90%',
    ]);
  });

  it('9.1 not yet assessed counts as 0 and says so', () => {
    const d = community(undefined);
    expect(d.grade).toBe('none');
    expect(d.blockers).toEqual(['「社会组织有效融入社区建设」按子项 9.1 计：0/5 分（9.1 未评，按 0 分计），需不少于 75%（4 分），还差 4 分']);
  });

  it('is decided by the community\'s own 9.1, not by how many social organisations exist (they sit under the street)', () => {
    const b = new TreeBuilder();
    const s = b.add('XX街道', 'street', null, 95);
    b.add('一社区', 'community', s, 95);
    b.addMany('社会组织', 'social_org', s, [95, 95, 95]);
    const d = detailOf(b, '一社区');
    expect(d.grade).toBe('demonstration');
    expect(d.notes.some((n) => n.includes('无法按分数评定'))).toBe(false);
  });
});

describe('a year without scores: 「尚无评分」, not 「0 分 · 未达标」', () => {
  it('a unit with no entry in the year is unscored; one with entries totalling 0 is 0 分 · 未达标', () => {
    const empty = gradeUnit(plan, { name: 'A小区', level: 'compound', scores: [], vetoReasons: [], subUnits: [] });
    expect(gradeState(empty)).toBe('unscored');
    expect(gradeLabelZh(empty)).toBe('尚无评分');
    expect(empty.notes[0]).toBe('尚无评分：本年度没有任何子项的评分记录（不是 0 分）');
    const zero = gradeUnit(plan, { name: 'A小区', level: 'compound', scores: [{ itemCode: '11.1', points: 0 }], vetoReasons: [], subUnits: [] });
    expect(gradeState(zero)).toBe('none');
    expect(gradeLabelZh(zero)).toBe('未达标');
    const tree = gradeTree(plan, { units: [{ id: 1, name: 'A小区', level: 'compound', parentId: null }], scores: [], vetoes: [] });
    expect(gradeLabelZh(tree.get(1)!)).toBe('尚无评分');
  });
});

describe('street: every community, compound, building and district; social organisations', () => {
  /** A street at `street` points with one community of `compounds`, buildings, districts and social orgs. */
  function street(opts: { street?: number; community?: number; compounds?: number[]; buildings?: number[]; districts?: number[]; orgs?: number[]; veto?: boolean }) {
    const b = new TreeBuilder();
    const s = b.add('XX街道', 'street', null, opts.street ?? 95, opts.veto ? { veto: '重大事项' } : {});
    const c = b.add('一社区', 'community', s, opts.community ?? 95);
    b.addMany('小区', 'compound', c, opts.compounds ?? []);
    b.addMany('楼宇', 'building', s, opts.buildings ?? []);
    b.addMany('商圈', 'district', s, opts.districts ?? []);
    b.addMany('社会组织', 'social_org', s, opts.orgs ?? []);
    return detailOf(b, 'XX街道');
  }

  it('a street whose compounds are all standard but one business district is at 74 is not standard', () => {
    const d = street({ compounds: [80, 80], buildings: [80], districts: [80, 74], orgs: [80] });
    expect(d.grade).toBe('none');
    expect(d.blockers).toEqual(['所辖社区、小区、楼宇和商圈中 1 个未达标准型：商圈2(74)']);
  });

  it('「所辖社区、小区、楼宇和商圈全部完成标准型建设」: 所辖 = every unit below, so the compounds under its communities count', () => {
    const d = street({ compounds: [80, 70], orgs: [80] });
    expect(d.grade).toBe('none');
    // The community fails because of 小区2, and so does the compound itself.
    expect(d.blockers).toEqual(['所辖社区、小区、楼宇和商圈中 2 个未达标准型：一社区(95)、小区2(70)']);
  });

  it('「有一定量的标准型社会组织」: needs at least one standard social organisation', () => {
    const none = street({ compounds: [80], orgs: [70, 60] });
    expect(none.grade).toBe('none');
    expect(none.blockers).toEqual(['标准型社会组织 0 个，「有一定量」需至少 1 个，还差 1 个']);
    expect(street({ compounds: [80], orgs: [70, 75] }).grade).toBe('standard');
  });

  it('「有一定量」 cannot be zero: a street without social organisations is not standard, and the blocker says why', () => {
    const d = street({ compounds: [95, 80, 80] });
    expect(d.grade).toBe('none');
    expect(d.blockers).toEqual(['无所辖社会组织，「有一定量的标准型社会组织」需至少 1 个标准型社会组织']);
    const count = d.checks.filter((c) => c.rule === 'count');
    expect(count.map((c) => [c.grade, c.met, c.vacuous, c.reached, c.of, c.required])).toEqual([
      ['standard', false, false, 0, 0, 1],
      ['demonstration', false, false, 0, 0, 1],
    ]);
    // Adding one standard organisation makes it standard; a demonstration one makes it demonstration.
    expect(street({ compounds: [95, 80, 80], orgs: [80] }).grade).toBe('standard');
    expect(street({ compounds: [95, 80, 80], orgs: [92] }).grade).toBe('demonstration');
  });

  it('「所辖社区、小区、楼宇和商圈完成示范型建设不少于30%」 pools the four levels into one share', () => {
    // Pool: 1 community (95 → demonstration iff its compounds pass 30%) + 6 compounds + 2 buildings + 1 district = 10.
    // 2 demonstration compounds of 6 = 33% → the community is demonstration too: 3 of 10 → pass.
    const pass = street({ compounds: [92, 92, 80, 80, 80, 80], buildings: [80, 80], districts: [80], orgs: [92] });
    expect(pass.grade).toBe('demonstration');
    const ratio = pass.checks.find((c) => c.grade === 'demonstration' && c.rule === 'ratio');
    expect(ratio).toMatchObject({ met: true, reached: 3, of: 10, required: 3 });
    // 1 demonstration compound of 6 → the community is only standard: 1 of 10 → fail.
    const fail = street({ compounds: [92, 80, 80, 80, 80, 80], buildings: [80, 80], districts: [80], orgs: [92] });
    expect(fail.grade).toBe('standard');
    expect(fail.blockers).toEqual(['示范型社区、小区、楼宇和商圈占比 1/10 = 10%，需不少于 30%，还差 2 个']);
  });

  it('「有一定量的示范型社会组织」: needs at least one demonstration social organisation for demonstration', () => {
    const d = street({ compounds: [95, 95], orgs: [80] });
    expect(d.grade).toBe('standard');
    expect(d.blockers).toEqual(['示范型社会组织 0 个，「有一定量」需至少 1 个，还差 1 个']);
    expect(d.checks.find((c) => c.rule === 'count' && c.grade === 'standard')?.detail).toBe('标准型社会组织 1 个，满足「有一定量」（至少 1 个）');
  });

  it('a veto caps a street at standard; 89.5 too', () => {
    expect(street({ compounds: [95], orgs: [95], veto: true }).grade).toBe('standard');
    expect(street({ street: 89.5, compounds: [95], orgs: [95] }).grade).toBe('standard');
    expect(street({ street: 90, compounds: [95], orgs: [95] }).grade).toBe('demonstration');
    expect(street({ street: 74.5, compounds: [95], orgs: [95] }).grade).toBe('none');
  });

  it('lists every rule that stops the next grade', () => {
    const d = street({ street: 86.5, compounds: [80, 80], orgs: [80], veto: true });
    expect(d.grade).toBe('standard');
    expect(d.blockers).toEqual([
      '总分差 3.5 分（现 86.5 分，示范型需 90 分以上）',
      '有“一票否决”事项：重大事项',
      '示范型社区、小区、楼宇和商圈占比 0/3 = 0%，需不少于 30%，还差 1 个',
      '示范型社会组织 0 个，「有一定量」需至少 1 个，还差 1 个',
    ]);
  });
});

describe('plan parameters: 「有一定量」 min and the ratio come from the plan', () => {
  function planWith(min: number): Plan {
    const p = structuredClone(plan) as Plan;
    const rules = p.gradeRules.levels.find((l) => l.level === 'street')!;
    for (const c of rules.standard) if (c.kind === 'count') c.min = min;
    return p;
  }

  it('min = 2 needs two standard social organisations, even when the street has fewer', () => {
    const p = planWith(2);
    const grade = (orgs: number[]) => {
      const b = new TreeBuilder(p);
      const s = b.add('XX街道', 'street', null, 80);
      b.addMany('社会组织', 'social_org', s, orgs);
      return detailOf(b, 'XX街道', p);
    };
    expect(grade([80, 70, 70]).grade).toBe('none');
    expect(grade([80, 70, 70]).blockers).toEqual(['标准型社会组织 1 个，「有一定量」需至少 2 个，还差 1 个']);
    expect(grade([80, 80, 70]).grade).toBe('standard');
    // Fewer organisations than min: 「一定量」 is the plan's number, not "all of them".
    expect(grade([80]).grade).toBe('none');
  });

  it('the plan data sets min = 1 for both grades of the street (「有一定量」, default 1)', () => {
    const street = plan.gradeRules.levels.find((l) => l.level === 'street')!;
    const counts = [...street.standard, ...street.demonstration].filter((c) => c.kind === 'count');
    expect(counts.map((c) => [c.grade, c.kind === 'count' ? c.min : null])).toEqual([
      ['standard', 1],
      ['demonstration', 1],
    ]);
  });

  it('ratios are compared with integers: k·denominator ≥ numerator·n', () => {
    const cp = compilePlan(plan);
    const community = cp.levels.find((l) => l.level === 'community')!;
    const ratio = community.demonstration[0]!;
    const counters = (of: number, demo: number) => {
      const a = new Int32Array(18);
      a[2 * 3] = of; // compound index 2
      a[2 * 3 + 1] = of;
      a[2 * 3 + 2] = demo;
      return a;
    };
    const table: Array<[number, number, boolean, number]> = [
      [10, 3, true, 3],
      [10, 2, false, 3],
      [7, 2, false, 3],
      [7, 3, true, 3],
      [20, 6, true, 6],
      [20, 5, false, 6],
      [3, 1, true, 1],
      [100, 30, true, 30],
      [100, 29, false, 30],
    ];
    for (const [of, demo, met, required] of table) {
      expect(evaluateCondition(ratio, counters(of, demo), 0), `${demo}/${of}`).toMatchObject({ met, required, vacuous: false });
    }
    expect(evaluateCondition(ratio, counters(0, 0), 0)).toMatchObject({ met: true, vacuous: true });
  });
});

describe('per-year grades', () => {
  const table: Array<[Grade | null, Grade, boolean]> = [
    ['standard', 'none', true],
    ['demonstration', 'standard', true],
    ['demonstration', 'none', true],
    ['none', 'standard', false],
    ['standard', 'standard', false],
    ['standard', 'demonstration', false],
    [null, 'none', false],
  ];
  for (const [prev, cur, flag] of table) {
    // 五 长效提升阶段: 「每年…进行复评…对未能长效保持的，责令整改提升」: grades are re-earned every year.
    it(`${prev ?? 'not assessed'} last year → ${cur} this year ${flag ? 'needs' : 'does not need'} rectification (需整改)`, () => {
      expect(needsRectification(prev, cur)).toBe(flag);
    });
  }

  // 四(五): 「对达到建设要求的，抓好晋位提升；对未能长效保持的，责令整改提升」: the bulletin's classes.
  const moves: Array<[Grade | null, Grade | null, GradeMove]> = [
    ['none', 'standard', 'up'],
    ['standard', 'demonstration', 'up'],
    ['none', 'demonstration', 'up'],
    ['standard', 'standard', 'same'],
    ['none', 'none', 'same'],
    ['demonstration', 'standard', 'down'],
    ['standard', 'none', 'down'],
    [null, 'none', 'new'],
    [null, 'demonstration', 'new'],
    ['demonstration', null, 'unscored'],
    [null, null, 'unscored'],
  ];
  const assessedAs = (g: Grade | null) => (g === null ? { assessed: 0, grade: 'none' as const } : { assessed: 3, grade: g });
  for (const [prev, cur, move] of moves) {
    it(`${prev ?? 'not assessed'} last year → ${cur ?? 'not assessed'} this year is ${move} (晋位 / 保持 / 降级 / 新评), and 'down' exactly when 需整改`, () => {
      expect(gradeMove(assessedAs(prev), assessedAs(cur))).toBe(move);
      if (cur !== null) expect(move === 'down').toBe(needsRectification(prev, cur));
    });
  }

  it('orders grades none < standard < demonstration', () => {
    expect(nextGradeOf('none')).toBe('standard');
    expect(nextGradeOf('standard')).toBe('demonstration');
    expect(nextGradeOf('demonstration')).toBeNull();
  });
});

describe('gradeTree', () => {
  it('treats a unit whose parent is missing from the data as a root', () => {
    const tree = gradeTree(plan, { units: [{ id: 5, name: 'A小区', level: 'compound', parentId: 99 }], scores: scoresTotalling(5, 'compound', 80), vetoes: [] });
    expect(tree.get(5)).toMatchObject({ total: 80, grade: 'standard' });
  });

  it('rejects a parent cycle', () => {
    expect(() =>
      gradeTree(plan, {
        units: [
          { id: 1, name: 'a', level: 'community', parentId: 2 },
          { id: 2, name: 'b', level: 'community', parentId: 1 },
        ],
        scores: [],
        vetoes: [],
      }),
    ).toThrow(/cycle/);
  });

  it('lists descendants by level', () => {
    const b = new TreeBuilder();
    const s = b.add('XX街道', 'street', null, 80);
    const c = b.add('一社区', 'community', s, 80);
    b.addMany('小区', 'compound', c, [80, 80]);
    b.addMany('楼宇', 'building', s, [80]);
    const tree = gradeTree(plan, b.input());
    expect(tree.descendants(s, ['compound']).map((u) => u.name).sort()).toEqual(['小区1', '小区2']);
    expect(tree.descendants(s)).toHaveLength(4);
    expect(tree.descendants(c)).toHaveLength(2);
  });
});
