import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LEVELS,
  PlanError,
  builtInPlan,
  findIndicator,
  findSubItem,
  levelSpec,
  loadPlan,
  loadPlanFile,
  planTask,
  resolveMonthRef,
  type Level,
  type Plan,
  type TargetRequirement,
} from '../../src/plan/index.js';

const plan = loadPlan();

/** A deep, mutable copy of the built-in plan. */
function copyPlan(): Plan {
  return structuredClone(plan);
}

function mustFind<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`test setup: ${what} not found`);
  return value;
}

const indicator = (n: number) => mustFind(findIndicator(plan, n), `indicator ${n}`).indicator;
const task = (p: Plan, seq: number) => mustFind(planTask(p, seq), `task ${seq}`);
const milestone = (id: string) => mustFind(plan.milestones.find((m) => m.id === id), `milestone ${id}`);

function requirement(id: string, levels: Level[], grade: 'standard' | 'demonstration'): TargetRequirement {
  const found = milestone(id).requirements.filter(
    (r) => r.grade === grade && r.levels.length === levels.length && levels.every((l) => r.levels.includes(l)),
  );
  expect(found, `${id} ${levels.join('+')} ${grade}`).toHaveLength(1);
  return found[0]!;
}

describe('built-in plan: levels and indicators (附件2)', () => {
  it('has the six levels in order with their headings', () => {
    expect(plan.levels.map((l) => l.level)).toEqual([...LEVELS]);
    expect(plan.levels.map((l) => l.title)).toEqual([
      '街道层面',
      '社区层面',
      '小区层面',
      '商务楼宇层面',
      '商圈层面',
      '社会组织层面',
    ]);
  });

  it('numbers the 28 indicators 1..28 across the levels', () => {
    const numbers = plan.levels.flatMap((l) => l.indicators.map((i) => i.number));
    expect(numbers).toEqual(Array.from({ length: 28 }, (_, i) => i + 1));
    expect(plan.levels.map((l) => l.indicators.length)).toEqual([5, 5, 5, 5, 5, 3]);
  });

  it.each(LEVELS)('level %s: max 100, indicators sum to 100', (level) => {
    const spec = levelSpec(plan, level);
    expect(spec.maxPoints).toBe(100);
    expect(spec.indicators.reduce((a, i) => a + i.points, 0)).toBe(100);
  });

  it('every indicator equals the sum of its sub-items, coded <n>.1..k in order', () => {
    for (const spec of plan.levels) {
      for (const ind of spec.indicators) {
        expect(ind.subItems.reduce((a, s) => a + s.points, 0), `indicator ${ind.number}`).toBe(ind.points);
        expect(ind.subItems.map((s) => s.code)).toEqual(ind.subItems.map((_, i) => `${ind.number}.${i + 1}`));
      }
    }
  });

  it.each([
    ['1.1', 10, '对辖区内各类组织各项事务的领导有力有效'],
    ['2.2', 15, '按照“八个有”推进街道党群服务中心规范化建设,具有较高人气和活力'],
    ['4.2', 10, '全面推行专职社区工作者“全岗通”,建立“三岗十八级”岗位等级绩效薪酬制度'],
    ['8.2', 10, '推行落实城市社区议事工作制度(党组织提议、党群联议、“两委”商议、党员大会审议、居民代表会议决议)'],
    ['16.1', 15, '加强楼宇党的组织和工作覆盖,全面摸清楼宇内党组织和党员底数,推进楼宇内两新组织党组织应建尽建'],
    ['27.4', 10, '承接政府转移职能,实施的项目具有一定影响力和社会效应'],
  ] as const)('sub-item %s: %d points, text as written', (code, points, text) => {
    const found = mustFind(findSubItem(plan, code), code);
    expect(found.subItem.points).toBe(points);
    expect(found.subItem.text).toBe(text);
  });

  it('sub-item texts carry no trailing points or separators', () => {
    for (const spec of plan.levels) {
      for (const ind of spec.indicators) {
        for (const s of ind.subItems) {
          expect(s.text, s.code).not.toMatch(/\(\d+分\)|[;；。]$/);
        }
      }
    }
  });

  it.each([
    [4, '抓实社区专职工作者队伍建设', 25, [10, 10, 5]],
    [10, '配合完成“一编三定”工作', 25, [5, 10, 10]],
    [14, '小区品质好', 20, [20]],
    [16, '构建“红色体系”', 20, [15, 5]],
    [19, '开展“红色物业”', 20, [20]],
    [22, '资源融合共建品质服务圈', 25, [10, 5, 10]],
    [24, '人才融合共建互助成长圈', 15, [15]],
    [26, '基层工作“智囊团”作用发挥明显', 30, [10, 10, 10]],
    [27, '深化改革“助推器”作用发挥明显', 40, [10, 10, 10, 10]],
    [28, '社会和谐“粘合剂”作用发挥明显', 30, [10, 10, 10]],
  ])('indicator %d 「%s」: %d points split %j', (n, title, points, split) => {
    const ind = indicator(n);
    expect(ind.title).toBe(title);
    expect(ind.points).toBe(points);
    expect(ind.subItems.map((s) => s.points)).toEqual(split);
  });

  it.each([
    [14, '以“美好家园”为创建目标,打造环境宜人、秩序井然、设施齐全、功能多样的品质住宅小区'],
    [19, '推行楼宇物业标准化建设,建立党组织、楼宇业委会、物业公司共同参与的楼宇物业议事协商机制,实现一般问题不出楼宇'],
    [24, '强化商圈人才招引力度,建立商圈业态、商户、人才信息数据库,针对性开展职业技能、电商创业等培训,孵化培育优质商户,形成互助成长良好氛围'],
  ])('indicator %d without breakdown is one sub-item with the whole cell', (n, text) => {
    const ind = indicator(n);
    expect(ind.subItems).toEqual([{ code: `${n}.1`, text, points: ind.points }]);
  });

  it('lookups: findSubItem knows the level and indicator; unknown codes are undefined', () => {
    const hit = mustFind(findSubItem(plan, '21.3'), '21.3');
    expect(hit.level).toBe('district');
    expect(hit.indicator.number).toBe(21);
    expect(findSubItem(plan, '4.4')).toBeUndefined();
    expect(findSubItem(plan, '29.1')).toBeUndefined();
    expect(findIndicator(plan, 26)?.level).toBe('social_org');
  });
});

describe('built-in plan: grade rules (三、建设要求)', () => {
  const rules = plan.gradeRules;
  const forLevel = (level: Level) => mustFind(rules.levels.find((l) => l.level === level), level);

  it('thresholds 75 / 90, veto blocks demonstration', () => {
    expect([rules.standardThreshold, rules.demonstrationThreshold, rules.vetoBlocksDemonstration]).toEqual([75, 90, true]);
  });

  it('street: all sub-units standard + some standard social orgs; 30% demonstration + some demo social orgs', () => {
    const street = forLevel('street');
    expect(street.standard).toEqual([
      expect.objectContaining({ kind: 'all', of: ['community', 'compound', 'building', 'district'], grade: 'standard' }),
      expect.objectContaining({ kind: 'count', of: ['social_org'], grade: 'standard', min: 1 }),
    ]);
    expect(street.demonstration).toEqual([
      expect.objectContaining({
        kind: 'ratio',
        of: ['community', 'compound', 'building', 'district'],
        grade: 'demonstration',
        ratio: { numerator: 3, denominator: 10 },
      }),
      expect.objectContaining({ kind: 'count', of: ['social_org'], grade: 'demonstration', min: 1 }),
    ]);
  });

  it('community: compounds all standard / 30% demonstration; 社会组织有效融入 / 充分融入 measured by sub-item 9.1 at 75% / 90%', () => {
    const community = forLevel('community');
    expect(community.standard).toEqual([
      expect.objectContaining({ kind: 'all', of: ['compound'], grade: 'standard' }),
      { kind: 'subItems', codes: ['9.1'], ratio: { numerator: 3, denominator: 4 }, text: '社会组织有效融入社区建设' },
    ]);
    expect(community.demonstration).toEqual([
      expect.objectContaining({ kind: 'ratio', of: ['compound'], ratio: { numerator: 3, denominator: 10 } }),
      { kind: 'subItems', codes: ['9.1'], ratio: { numerator: 9, denominator: 10 }, text: '社会组织充分融入社区建设' },
    ]);
    expect(community.qualitative).toEqual([]);
    // 9.1 is the community sub-item about social organisations (三社联动: 引育社会组织).
    expect(findSubItem(plan, '9.1')?.subItem.text).toContain('引育社会组织');
  });

  it.each(['compound', 'building', 'district', 'social_org'] as const)('%s: score only, no sub-unit conditions', (level) => {
    const r = forLevel(level);
    expect([r.standard, r.demonstration, r.qualitative]).toEqual([[], [], []]);
  });
});

describe('built-in plan: milestones (二、行动目标) and phases (四、实施步骤)', () => {
  it('has the four milestones due at the months written (ids relative to the programme: y1 = the document\'s 2021)', () => {
    expect(plan.milestones.map((m) => [m.id, resolveMonthRef(m.due, plan.documentFirstYear)])).toEqual([
      ['y1-02', { year: 2021, month: 2 }],
      ['y1-06', { year: 2021, month: 6 }],
      ['y2-12', { year: 2022, month: 12 }],
      ['y3-12', { year: 2023, month: 12 }],
    ]);
  });

  it('y1-02 (到2021年2月) is the launch: no unit requirements, launch items listed', () => {
    const m = milestone('y1-02');
    expect(m.requirements).toEqual([]);
    expect(m.otherTargets).toContain('街道制定工作方案');
    expect(m.otherTargets.length).toBeGreaterThanOrEqual(3);
  });

  it('y1-06 (到2021年6月底): standard street, stretch demonstration street, 100% standard, 6 communities, 33 compounds', () => {
    expect(requirement('y1-06', ['street'], 'standard')).toMatchObject({ count: 1, stretch: false });
    expect(requirement('y1-06', ['street'], 'demonstration')).toMatchObject({ count: 1, stretch: true });
    expect(requirement('y1-06', ['community'], 'standard').count).toBe('all');
    expect(requirement('y1-06', ['compound'], 'standard').count).toBe('all');
    expect(requirement('y1-06', ['community'], 'demonstration').count).toBe(6);
    expect(requirement('y1-06', ['compound'], 'demonstration').count).toBe(33);
    expect(requirement('y1-06', ['building', 'district'], 'demonstration').count).toBe(2);
    expect(requirement('y1-06', ['social_org'], 'demonstration').count).toBe(1);
    expect(milestone('y1-06').otherTargets).toEqual(
      expect.arrayContaining(['建成示范型党群服务中心2个', '示范型“红色驿站”3个']),
    );
  });

  it('y2-12 (到2022年12月): cumulative 11 communities, 60 compounds, 2 buildings and 2 districts separately, 2 social orgs', () => {
    const expected: [Level, number][] = [
      ['community', 11],
      ['compound', 60],
      ['building', 2],
      ['district', 2],
      ['social_org', 2],
    ];
    for (const [level, count] of expected) {
      expect(requirement('y2-12', [level], 'demonstration'), level).toMatchObject({ count, cumulative: true });
    }
    expect(milestone('y2-12').requirements).toHaveLength(5);
  });

  it('y3-12 (到2023年12月): demonstration street, 100% demonstration communities and compounds, 3 social orgs cumulative', () => {
    expect(requirement('y3-12', ['street'], 'demonstration')).toMatchObject({ count: 1, stretch: false });
    expect(requirement('y3-12', ['community'], 'demonstration').count).toBe('all');
    expect(requirement('y3-12', ['compound'], 'demonstration').count).toBe('all');
    expect(requirement('y3-12', ['social_org'], 'demonstration')).toMatchObject({ count: 3, cumulative: true });
    expect(milestone('y3-12').otherTargets.join()).toContain('应建尽建');
  });

  it('has the five phases with their months', () => {
    const y = plan.documentFirstYear;
    expect(
      plan.phases.map((p) => [p.name, resolveMonthRef(p.start, y), p.end && resolveMonthRef(p.end, y)]),
    ).toEqual([
      ['规划部署阶段', { year: 2020, month: 10 }, { year: 2021, month: 2 }],
      ['示范推进阶段', { year: 2021, month: 2 }, { year: 2021, month: 6 }],
      ['全面推进阶段', { year: 2021, month: 7 }, { year: 2023, month: 6 }],
      ['全面验收阶段', { year: 2023, month: 7 }, { year: 2023, month: 12 }],
      ['长效提升阶段', { year: 2024, month: 1 }, null],
    ]);
    for (const p of plan.phases) expect(p.summary.length, p.name).toBeGreaterThan(20);
  });
});

describe('built-in plan: tasks (附件3)', () => {
  it('has 25 tasks in five action categories and five lead units', () => {
    expect(plan.tasks.map((t) => t.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(plan.actionCategories).toEqual([
      '基层党建品牌创建行动',
      '两新组织提质增效行动',
      '红色物业深化基层治理行动',
      '“红色磁场”志愿服务行动',
      '社会组织赋能培育行动',
    ]);
    expect(plan.leadUnits).toEqual(['党建办(组织)', '社管中心', '社会治理办', '环卫中心', '城发办']);
    const perCategory = plan.actionCategories.map((c) => plan.tasks.filter((t) => t.category === c).length);
    expect(perCategory).toEqual([9, 5, 4, 3, 4]);
  });

  const D = '党建办(组织)';
  const S = '社管中心';
  it.each([
    [1, '2月底', [D, S], null],
    [2, '2月底', [D, S], null],
    [3, '3月', [S, D], null],
    [4, '3月初', [D, S], null],
    [5, '5月底', [D], null],
    [6, '6月底', [D], null],
    [7, '贯穿全年', [D], 'monthly'],
    [8, '贯穿全年', ['社会治理办'], 'monthly'],
    [9, '贯穿全年', [D], 'quarterly'],
    [10, '3月', [D], null],
    [11, '6月前', [D], null],
    [12, '6月', [D], null],
    [13, '6月底', [D], null],
    [14, '6月底', [D], null],
    [15, '5月底', [D], null],
    [16, '贯穿全年', [S], 'periodic'],
    [17, '贯穿全年', [S], 'periodic'],
    [18, '贯穿全年', [S], 'periodic'],
    [19, '5月', [D, '环卫中心'], null],
    [20, '6月', ['城发办', '环卫中心'], null],
    [21, '贯穿全年', [D], 'twice_monthly'],
    [22, '贯穿全年', [S], 'yearly'],
    [23, '贯穿全年', [S], 'bimonthly'],
    [24, '贯穿全年', [S], 'yearly'],
    [25, '贯穿全年', [S], 'yearly'],
  ] as const)('task %d: deadline 「%s」, lead %j, cadence %s', (seq, deadline, leads, cadence) => {
    const t = task(plan, seq);
    expect(t.deadlineText).toBe(deadline);
    expect(t.leadUnits).toEqual(leads);
    expect(t.cadence).toBe(cadence);
  });

  it('keeps task content exactly as written', () => {
    expect(task(plan, 1).content).toBe('对照《城市基层党建全域提升建设要求》开展自查');
    expect(task(plan, 21).content).toBe(
      '做实“两新共携手”、“三服务流动站”,建立覆盖各领域微网格、每月两次开展的“志愿同行365”轮值机制',
    );
    expect(task(plan, 19).category).toBe('“红色磁场”志愿服务行动');
  });

  it('targets: task 25 entered ≥6 and excellent ≥2, task 24 sessions ≥6 (全年6次), task 7 activity ≥100%, others none', () => {
    expect(task(plan, 25).target?.metrics).toEqual([
      { key: 'entered', label: '参加县级创投项目数', min: 6, unit: '个' },
      { key: 'excellent', label: '优秀项目数', min: 2, unit: '个' },
    ]);
    expect(task(plan, 7).target?.metrics).toEqual([{ key: 'activity', label: '红船云智慧党建系统活跃度', min: 100, unit: '%' }]);
    expect(plan.tasks.filter((t) => t.target !== null).map((t) => t.seq)).toEqual([7, 24, 25]);
    expect(planTask(plan, 26)).toBeUndefined();
  });
});

describe('built-in plan: which items recur in later years (四(四) 一年一验收)', () => {
  it('first-year-only: 4 (亮晒比选 of 示范推进阶段), 6 (首批), 13 (绮园景区), 14 (吾悦广场), 15 and 19 (改造提升工程全面完成), 20 (打造城市驿站)', () => {
    expect(plan.tasks.filter((t) => t.recurrence === 'first_year_only').map((t) => t.seq)).toEqual([4, 6, 13, 14, 15, 19, 20]);
    // 1 自查 and 2 自主申报 recur: 「每年对基层党建全域提升工作进行自查自验」, 「确保每年建成一批」.
    for (const seq of [1, 2, 3, 11]) expect(task(plan, seq).recurrence, `task ${seq}`).toBe('every_year');
  });

  it('task 22: 「制定…手册」 is made once; later years keep 「发挥好枢纽型社会组织功能」 as a duty whose frequency the office sets', () => {
    expect(task(plan, 22).laterYears).toEqual({ content: '发挥好枢纽型社会组织功能', deadlineText: '贯穿全年', cadence: 'periodic' });
    expect(plan.tasks.filter((t) => t.laterYears !== null).map((t) => t.seq)).toEqual([22]);
  });

  it('the long-term phase (长效提升阶段, no end) is tracked for longTermYears = 2 years', () => {
    expect(plan.longTermYears).toBe(2);
    expect(plan.targetOverrides).toEqual([]);
  });
});

describe('built-in plan: leadership (附件1) and application form (附件4)', () => {
  it('has 2 leaders, 4 deputies and 19 members, split into real names', () => {
    const l = plan.leadership;
    expect(l.leaders).toEqual(['张建虹', '朱玮']);
    expect(l.deputies).toEqual(['刘子龙', '孙勤华', '郭凤雨', '张海锋']);
    expect(l.members).toHaveLength(19);
    expect(l.members.slice(0, 3)).toEqual(['卫忠', '王博文', '顾爱萍']);
    expect(l.members.at(-1)).toBe('奚能');
    for (const name of [...l.leaders, ...l.deputies, ...l.members]) expect(name).toMatch(/^[\u4e00-\u9fff]{2,3}$/);
    expect(l.members).toContain(l.officeDirector);
    expect([l.officeDirector, l.officeDeputy]).toEqual(['王博文', '朱玉文']);
    expect(l.note).toMatch(/^领导小组下设办公室/);
  });

  it('application form lists every field with unique keys', () => {
    const form = plan.applicationForm;
    expect(form.title).toContain('申报表');
    const labels = form.fields.map((f) => f.label);
    for (const label of ['社区名称', '户籍户数', '户籍人数', '常住户数', '常住人数', '小区数', '所辖各小区名称', '社会组织数', '创建措施', '项目名称', '创建目标', '项目内容及任务节点', '街道意见']) {
      expect(labels).toContain(label);
    }
    expect(labels.some((l) => l.includes('创建类型'))).toBe(true);
    expect(labels.filter((l) => l.includes('拟创建示范型小区'))).toHaveLength(2);
    const keys = form.fields.map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(/^[a-z][a-zA-Z]*$/);
  });
});

describe('loadPlan', () => {
  it('returns the same cached, frozen built-in plan', () => {
    expect(loadPlan()).toBe(plan);
    expect(Object.isFrozen(plan.levels[0]?.indicators[0])).toBe(true);
    expect(plan.title).toBe(builtInPlan.title);
    expect([plan.documentFirstYear, plan.defaultStreetName]).toEqual([2021, 'XX街道']);
  });

  it('accepts an unmodified deep copy', () => {
    expect(loadPlan(copyPlan())).toEqual(plan);
  });

  const ind = (p: Plan, n: number) => p.levels.flatMap((l) => l.indicators).find((i) => i.number === n)!;
  it.each<[string, (p: Plan) => void, string]>([
    [
      'a level summing to 95',
      (p) => {
        ind(p, 3).points = 10;
        ind(p, 3).subItems[0]!.points = 5;
      },
      'level street: indicators sum to 95, expected 100',
    ],
    ['an indicator not equal to its sub-items', (p) => void (ind(p, 4).subItems[2]!.points = 10), 'indicator 4: sub-items sum to 30, expected 25'],
    ['a sub-item code out of order', (p) => void (ind(p, 10).subItems[1]!.code = '10.3'), 'indicator 10: sub-item 2 has code "10.3", expected "10.2"'],
    [
      'an indicator number gap',
      (p) => {
        for (const i of p.levels.flatMap((l) => l.indicators)) if (i.number >= 12) {
          i.number += 1;
          i.subItems.forEach((s, k) => (s.code = `${i.number}.${k + 1}`));
        }
      },
      'level compound: indicator numbered 13, expected 12',
    ],
    ['a level listed twice', (p) => void (p.levels[1]!.level = 'street'), 'level community: appears 0 times, expected exactly once'],
    ['a task gap', (p) => void p.tasks.splice(9, 1), 'tasks: task at position 10 has seq 11, expected 10'],
    ['an unknown lead unit', (p) => void (p.tasks[7]!.leadUnits = ['宣传办']), 'task 8: lead unit "宣传办" is not in leadUnits'],
    ['an unknown category', (p) => void (p.tasks[0]!.category = '其他行动'), 'task 1: category "其他行动" is not in actionCategories'],
    ['a cadence on a dated task', (p) => void (p.tasks[0]!.cadence = 'monthly'), 'task 1: cadence monthly on a dated task'],
    ['a year-round task without cadence', (p) => void (p.tasks[6]!.cadence = null), 'task 7: deadline 「贯穿全年」 but no cadence'],
    ['a level twice in grade rules', (p) => void (p.gradeRules.levels[2]!.level = 'street'), 'gradeRules.levels: level street appears more than once'],
    ['duplicate milestone ids', (p) => void (p.milestones[1]!.id = 'y1-02'), 'milestones: duplicate id "y1-02"'],
    ['standard threshold not below demonstration', (p) => void (p.gradeRules.standardThreshold = 90), 'standardThreshold 90 must be below demonstrationThreshold 90'],
    [
      'a sub-item condition naming another level\'s item',
      (p) => void (p.gradeRules.levels[1]!.standard[1] = { kind: 'subItems', codes: ['26.1'], ratio: { numerator: 3, denominator: 4 }, text: '社会组织有效融入社区建设' }),
      'gradeRules.levels community: condition 「社会组织有效融入社区建设」 names sub-item 26.1, which is not in the community rubric',
    ],
    ['laterYears on a first-year-only task', (p) => void (p.tasks[5]!.laterYears = { content: 'x', deadlineText: '6月底', cadence: null }), 'task 6: laterYears on a first_year_only task'],
    ['a later-years form with a cadence on a date', (p) => void (p.tasks[21]!.laterYears = { content: 'x', deadlineText: '6月底', cadence: 'monthly' }), 'task 22 laterYears: cadence monthly on a dated task'],
    ['an unknown milestone in targetOverrides', (p) => void p.targetOverrides.push({ milestone: '2022-12', level: 'community', count: 8 }), 'targetOverrides[0]: 没有节点「2022-12」'],
    ['demonstration threshold above max points', (p) => void (p.gradeRules.demonstrationThreshold = 105), 'demonstrationThreshold 105 exceeds level street maxPoints 100'],
  ])('rejects %s', (_name, mutate, message) => {
    const p = copyPlan();
    mutate(p);
    expect(() => loadPlan(p)).toThrow(PlanError);
    expect(() => loadPlan(p)).toThrow(message);
  });

  it('reports the exact problem list for a single fault', () => {
    const p = copyPlan();
    ind(p, 4).subItems[2]!.points = 10;
    try {
      loadPlan(p);
      expect.unreachable('loadPlan should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(PlanError);
      expect((err as PlanError).problems).toEqual(['indicator 4: sub-items sum to 30, expected 25']);
    }
  });

  it('「有一定量」 is at least 1: min 0 is refused, and a plan file still using `count` is refused rather than read as 1', () => {
    const zero = copyPlan() as unknown as { gradeRules: { levels: Array<{ standard: Array<Record<string, unknown>> }> } };
    zero.gradeRules.levels[0]!.standard[1]!.min = 0;
    expect(() => loadPlan(zero)).toThrow(/gradeRules\.levels\[0\]\.standard\[1\]\.min/);
    const legacy = copyPlan() as unknown as { gradeRules: { levels: Array<{ standard: Array<Record<string, unknown>> }> } };
    const cond = legacy.gradeRules.levels[0]!.standard[1]!;
    delete cond.min;
    cond.count = 2;
    expect(() => loadPlan(legacy)).toThrow(/gradeRules\.levels\[0\]\.standard\[1\]: .*count/);
  });

  it('a plan file written before recurrence / longTermYears / targetOverrides existed loads with the defaults', () => {
    const old = copyPlan() as unknown as Record<string, unknown> & { tasks: Array<Record<string, unknown>> };
    delete old.longTermYears;
    delete old.targetOverrides;
    for (const t of old.tasks) {
      delete t.recurrence;
      delete t.laterYears;
    }
    const loaded = loadPlan(old);
    expect(loaded.longTermYears).toBe(2);
    expect(loaded.targetOverrides).toEqual([]);
    expect(new Set(loaded.tasks.map((t) => t.recurrence))).toEqual(new Set(['every_year']));
  });

  it('rejects schema violations with the issue path', () => {
    const p = copyPlan() as unknown as { levels: { indicators: { points: unknown }[] }[] };
    p.levels[2]!.indicators[1]!.points = 'twenty';
    expect(() => loadPlan(p)).toThrow(/levels\[2\]\.indicators\[1\]\.points/);
  });
});

describe('loadPlanFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plan-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a valid JSON plan', () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify(builtInPlan));
    expect(loadPlanFile(path)).toEqual(plan);
  });

  it('names a missing file', () => {
    const path = join(dir, 'missing.json');
    expect(() => loadPlanFile(path)).toThrow(PlanError);
    expect(() => loadPlanFile(path)).toThrow(`${path}: cannot read file`);
  });

  it('names a file with invalid JSON', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{ "title": ');
    expect(() => loadPlanFile(path)).toThrow(`${path}: invalid JSON`);
  });

  it('names the file and the zod issue path for a schema violation', () => {
    const path = join(dir, 'schema.json');
    const p = copyPlan();
    p.tasks[4]!.leadUnits = [];
    writeFileSync(path, JSON.stringify(p));
    expect(() => loadPlanFile(path)).toThrow(PlanError);
    expect(() => loadPlanFile(path)).toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: tasks\\[4\\]\\.leadUnits: `));
  });

  it('names the file for a consistency fault', () => {
    const path = join(dir, 'sum.json');
    const p = copyPlan();
    p.levels[5]!.maxPoints = 95;
    writeFileSync(path, JSON.stringify(p));
    expect(() => loadPlanFile(path)).toThrow(`${path}: level social_org: indicators sum to 100, expected 95`);
  });
});

describe('built-in plan parsed at bundle time', () => {
  it('the JSON bin/bundle.js writes beside the bundle reads back as exactly the parsed plan (no value lost to JSON)', async () => {
    const { preparsedPlanFile } = await import('../../src/plan/bundle-time.js');
    const { name, json } = preparsedPlanFile();
    expect(name).toBe('built-in-plan.json');
    expect(JSON.parse(json)).toStrictEqual(structuredClone(plan));
  });
});
