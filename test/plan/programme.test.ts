import { describe, expect, it } from 'vitest';
import {
  findMilestone,
  firstYearOnlySeqs,
  loadPlan,
  milestoneLabel,
  phaseLabel,
  programmePlan,
  programmeText,
  programmeYearKind,
  programmeYearProblem,
  programmeYears,
  tasksToInstantiate,
  type Plan,
} from '../../src/plan/index.js';

const plan = loadPlan();
const milestone = (id: string) => plan.milestones.find((m) => m.id === id)!;
const phase = (id: string) => plan.phases.find((p) => p.id === id)!;

describe('programme years: 规划部署 (year 1 − 1, from October) … the three years … longTermYears of 长效提升', () => {
  it('a programme from 2026 covers 2025–2030: 2025 planning, 2026–2028 the three years, 2029–2030 long term', () => {
    expect(programmeYears(plan, 2026)).toEqual({ firstYear: 2026, first: 2025, lastBounded: 2028, last: 2030, longTermYears: 2 });
    expect([2024, 2025, 2026, 2028, 2029, 2030, 2031].map((y) => programmeYearKind(plan, 2026, y))).toEqual([
      null,
      'planning',
      'action',
      'action',
      'long_term',
      'long_term',
      null,
    ]);
  });

  it('a year outside the programme is refused with a message naming the valid years (「score set --year 2031」)', () => {
    expect(programmeYearProblem(plan, 2026, 2030)).toBeNull();
    expect(programmeYearProblem(plan, 2026, 2031)).toBe(
      '2031 年不在本轮行动的年份内；本轮行动为 2025–2030 年（2025 年规划部署，2026–2028 年三年行动，2029–2030 年长效提升）',
    );
    expect(programmeYearProblem(plan, 2026, 2024)).toMatch(/^2024 年不在本轮行动的年份内/);
  });

  it('longTermYears comes from the plan data', () => {
    const none: Plan = loadPlan({ ...structuredClone(plan), longTermYears: 0 });
    expect(programmeYears(none, 2026).last).toBe(2028);
    expect(programmeYearProblem(none, 2026, 2029)).toBe('2029 年不在本轮行动的年份内；本轮行动为 2025–2028 年（2025 年规划部署，2026–2028 年三年行动）');
  });
});

describe('document years → programme years (the document\'s 2021 = programme year 1)', () => {
  it.each([
    ['到2021年2月', '到2026年2月'],
    ['到2021年6月底', '到2026年6月底'],
    ['到2022年12月', '到2027年12月'],
    ['到2023年底', '到2028年底'],
    ['到2023年12月', '到2028年12月'],
    ['规划部署阶段(2020年10月-2021年2月)', '规划部署阶段(2025年10月-2026年2月)'],
    ['2021年6月,街道进行阶段性预验收', '2026年6月,街道进行阶段性预验收'],
    ['从2023年7月起', '从2028年7月起'],
    ['2021年社区创建类型', '2026年社区创建类型'],
  ])('「%s」 reads 「%s」 in a programme from 2026', (document, programme) => {
    expect(programmeText(plan, 2026, document)).toBe(programme);
  });

  it('leaves numbers that are not the plan\'s years alone (志愿同行365, 2002年, 100%)', () => {
    expect(programmeText(plan, 2026, '“志愿同行365”轮值机制；2002年；活跃度不低于100%')).toBe('“志愿同行365”轮值机制；2002年；活跃度不低于100%');
  });

  it('the plan as the street reads it (plan --json) prints no document year anywhere', () => {
    const shown = programmePlan(plan, 2026);
    const { documentFirstYear: _documentYear, ...rest } = shown;
    const printed = JSON.stringify(rest);
    for (const year of ['2020年', '2021年', '2022年', '2023年']) expect(printed).not.toContain(year);
    expect(shown.milestones[2]!.text).toMatch(/^到2027年12月,累计建成/);
    expect(shown.phases.find((p) => p.id === 'acceptance')!.summary).toContain('从2028年7月起');
    expect(shown.applicationForm.title).toBe('2026年XX街道城市基层党建全域提升申报表(社区)');
    // Same structure, memoised and frozen; the document's own year returns the plan itself.
    expect(shown.milestones.map((m) => m.id)).toEqual(plan.milestones.map((m) => m.id));
    expect(programmePlan(plan, 2026)).toBe(shown);
    expect(Object.isFrozen(shown.milestones[0])).toBe(true);
    expect(programmePlan(plan, 2021)).toBe(plan);
  });

  it('milestone labels keep the document\'s wording in the programme\'s years', () => {
    expect(plan.milestones.map((m) => milestoneLabel(plan, 2026, m))).toEqual(['到2026年2月', '到2026年6月底', '到2027年12月', '到2028年12月']);
  });

  it('phase labels: 「2025年10月—2026年2月」 … 「2029年1月起」 (长效提升阶段, 建成后开始)', () => {
    expect(plan.phases.map((p) => phaseLabel(p, 2026))).toEqual([
      '2025年10月—2026年2月',
      '2026年2月—2026年6月',
      '2026年7月—2028年6月',
      '2028年7月—2028年12月',
      '2029年1月起',
    ]);
    expect(phaseLabel(phase('pilot'), 2021)).toBe('2021年2月—2021年6月');
  });

  it('a milestone is named by its id or its month in the programme\'s years (for targets set --milestone)', () => {
    for (const text of ['y2-12', '2027-12', '2027年12月', '到2027年12月', '２０２７-１２']) expect(findMilestone(plan, 2026, text)?.id, text).toBe('y2-12');
    expect(findMilestone(plan, 2026, '2026-6')?.id).toBe('y1-06');
    expect(findMilestone(plan, 2026, '2022-12')).toBeUndefined(); // the document's month, not the programme's
    expect(findMilestone(plan, 2026, '2027-11')).toBeUndefined();
    expect(milestone('y1-02').requirements).toEqual([]);
  });
});

describe('tasksToInstantiate: year 1 holds Annex 3 as written; later years the recurring items', () => {
  it('year 1: all 25 items as written', () => {
    const first = tasksToInstantiate(plan, 2026, 2026);
    expect(first.map((t) => t.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(first.find((t) => t.seq === 22)).toMatchObject({ content: '制定社工站社会组织入驻及管理手册,发挥好枢纽型社会组织功能', cadence: 'yearly' });
  });

  it('year 2 and the long-term years: no 「完成打造首批示范型…」, 「绮园景区…」, 「吾悦广场…」; 1 自查 and 2 自主申报 recur (一年一验收)', () => {
    for (const year of [2027, 2029]) {
      const later = tasksToInstantiate(plan, year, 2026);
      const seqs = later.map((t) => t.seq);
      for (const seq of firstYearOnlySeqs(plan)) expect(seqs, `${year}: task ${seq}`).not.toContain(seq);
      expect(seqs).toEqual(expect.arrayContaining([1, 2, 3, 7, 8, 9, 25]));
      expect(seqs).toHaveLength(18);
      expect(later.find((t) => t.seq === 22)).toMatchObject({ content: '发挥好枢纽型社会组织功能', deadlineText: '贯穿全年', cadence: 'periodic', target: null });
    }
  });

  it('before year 1 there is no task list', () => {
    expect(tasksToInstantiate(plan, 2025, 2026)).toEqual([]);
  });
});
