/**
 * The street's own target numbers (issue 16 #3). Section 二's counts (示范型社区6个、11个,
 * 示范型小区33个、60个 …) are the sample street's; a street with 8 communities sets its own.
 * An override names a milestone and a level (and a grade when the milestone has two numeric
 * targets for that level) and replaces that requirement's count. 「达100%」 targets are
 * proportions of the street's own units and cannot be overridden. Pure.
 */
import { GRADE_NAMES_ZH, LEVEL_NAMES_ZH, type Plan, type TargetOverride, type TargetRequirement } from './schema.js';

export type OverrideResolution =
  | { ok: true; milestoneIndex: number; requirementIndex: number }
  | { ok: false; problem: string };

/** Which requirement an override sets, or a Chinese message saying why it cannot be applied. */
export function resolveTargetOverride(plan: Plan, o: TargetOverride): OverrideResolution {
  const milestoneIndex = plan.milestones.findIndex((m) => m.id === o.milestone);
  if (milestoneIndex < 0) {
    return { ok: false, problem: `没有节点「${o.milestone}」；可用：${plan.milestones.map((m) => m.id).join('、')}` };
  }
  const milestone = plan.milestones[milestoneIndex]!;
  const forLevel = milestone.requirements
    .map((r, requirementIndex) => ({ r, requirementIndex }))
    .filter(({ r }) => r.levels.includes(o.level) && (o.grade === undefined || r.grade === o.grade));
  const numeric = forLevel.filter(({ r }) => r.count !== 'all');
  const levelZh = LEVEL_NAMES_ZH[o.level];
  const gradeZh = o.grade === undefined ? '' : GRADE_NAMES_ZH[o.grade];
  if (numeric.length === 1) return { ok: true, milestoneIndex, requirementIndex: numeric[0]!.requirementIndex };
  if (numeric.length > 1) {
    return { ok: false, problem: `节点「${o.milestone}」有多个${levelZh}目标（${numeric.map(({ r }) => r.text).join('、')}），请指定等级（标准型或示范型）` };
  }
  if (forLevel.length > 0) {
    return { ok: false, problem: `「${forLevel.map(({ r }) => r.text).join('、')}」按本街道${levelZh}总数计算，不能设置个数` };
  }
  return { ok: false, problem: `节点「${o.milestone}」没有${gradeZh}${levelZh}的数目目标` };
}

export function sameRequirement(a: { milestoneIndex: number; requirementIndex: number }, b: { milestoneIndex: number; requirementIndex: number }): boolean {
  return a.milestoneIndex === b.milestoneIndex && a.requirementIndex === b.requirementIndex;
}

/** A requirement with the count that applies to this street. */
export interface EffectiveRequirement {
  requirement: TargetRequirement;
  /** The street's number when overridden, else the plan's. */
  count: number | 'all';
  /** The document's own number. */
  planCount: number | 'all';
  overridden: boolean;
}

/**
 * Every milestone's requirements with the street's numbers applied: `plan.targetOverrides`
 * first, then `extra` (e.g. numbers set with the CLI); a later override of the same
 * requirement wins. Overrides that cannot be applied are returned as problems, not applied.
 */
export function effectiveRequirements(plan: Plan, extra: readonly TargetOverride[] = []): { milestones: EffectiveRequirement[][]; problems: string[] } {
  const milestones = plan.milestones.map((m) => m.requirements.map((requirement): EffectiveRequirement => ({ requirement, count: requirement.count, planCount: requirement.count, overridden: false })));
  const problems: string[] = [];
  for (const o of [...plan.targetOverrides, ...extra]) {
    const r = resolveTargetOverride(plan, o);
    if (!r.ok) {
      problems.push(r.problem);
      continue;
    }
    const e = milestones[r.milestoneIndex]![r.requirementIndex]!;
    e.count = o.count;
    e.overridden = o.count !== e.planCount;
  }
  return { milestones, problems };
}
