/** The self-check engine: the grade self-scores would give, gaps by points lost, 自评 vs 评定, what blocks a submit. */
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load-plan.js';
import { gradeUnit } from '../../src/scoring/index.js';
import { assessSelfCheck, submitProblems, type SelfEntry } from '../../src/scoring/self-check.js';

const plan = loadPlan();
const FULL: Record<string, number> = { '6.1': 10, '6.2': 10, '7.1': 10, '7.2': 10, '8.1': 10, '8.2': 10, '9.1': 5, '9.2': 10, '10.1': 5, '10.2': 10, '10.3': 10 };
const entry = (itemCode: string, points: number, texts: Partial<SelfEntry> = {}): SelfEntry => ({ itemCode, points, shortfall: null, measure: null, targetDate: null, ...texts });
const all = (over: Record<string, number>) => Object.entries({ ...FULL, ...over }).map(([c, p]) => entry(c, p, p < FULL[c]! ? { shortfall: 's', measure: 'm', targetDate: '2026-06-30' } : {}));

describe('assessSelfCheck', () => {
  it('grades the self-scores like official ones, sub-units by their official grades', () => {
    const r = assessSelfCheck(plan, { name: '城东社区', level: 'community', entries: all({}), official: null, vetoReasons: [], subUnits: [] });
    expect(r.self.total).toBe(100);
    expect(r.self.grade).toBe('demonstration');
    const held = assessSelfCheck(plan, { name: '城东社区', level: 'community', entries: all({}), official: null, vetoReasons: [], subUnits: [{ name: '城东花园小区', level: 'compound', total: 40, grade: 'none' }] });
    expect(held.self.grade).toBe('none');
    expect(held.self.blockers.join('')).toContain('城东花园小区');
    // A veto is not lifted by a self-assessment.
    expect(assessSelfCheck(plan, { name: '城东社区', level: 'community', entries: all({}), official: null, vetoReasons: ['安全事故'], subUnits: [] }).self.grade).toBe('standard');
  });

  it.each([
    [{ '6.1': 8, '7.1': 5, '9.1': 4.5 }, ['7.1', '6.1', '9.1']],
    [{ '10.3': 9, '6.2': 9 }, ['6.2', '10.3']],
    [{}, []],
  ])('lists gaps by points lost, plan order on ties (%o)', (over, order) => {
    const r = assessSelfCheck(plan, { name: 'x', level: 'community', entries: all(over), official: null, vetoReasons: [], subUnits: [] });
    expect(r.gaps.map((g) => g.code)).toEqual(order);
  });

  it('compares with the official scores on sub-items both assessed, largest differences first', () => {
    const official = gradeUnit(plan, { name: 'x', level: 'community', scores: [{ itemCode: '6.1', points: 10 }, { itemCode: '7.1', points: 4 }, { itemCode: '8.2', points: 9 }], vetoReasons: [], subUnits: [] });
    const r = assessSelfCheck(plan, { name: 'x', level: 'community', entries: [entry('6.1', 10), entry('7.1', 10), entry('8.2', 7)], official, vetoReasons: [], subUnits: [] });
    expect(r.comparison?.differences.map((d) => [d.code, d.diff])).toEqual([
      ['7.1', 6],
      ['8.2', -2],
    ]);
  });

  it('names what blocks a submit: unscored sub-items and missing texts below the maximum', () => {
    const r = assessSelfCheck(plan, { name: 'x', level: 'community', entries: [entry('6.1', 8, { shortfall: 's' }), ...all({}).filter((e) => !['6.1', '9.2'].includes(e.itemCode))], official: null, vetoReasons: [], subUnits: [] });
    expect(submitProblems(r)).toEqual(['6.1 低于满分，缺少措施、完成时限', '9.2 未自评（满分 10）']);
    expect(submitProblems(assessSelfCheck(plan, { name: 'x', level: 'community', entries: all({ '6.1': 3 }), official: null, vetoReasons: [], subUnits: [] }))).toEqual([]);
  });
});
