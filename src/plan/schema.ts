/**
 * The work plan as typed, validated data. The built-in plan (plan-data.ts) encodes the
 * seed document; PLAN_FILE may supply another street's plan in the same shape (JSON).
 * Dates are relative to the programme's first year (the document's 2021 = yearOffset 0).
 */
import { z } from 'zod';

export const LEVELS = ['street', 'community', 'compound', 'building', 'district', 'social_org'] as const;
export type Level = (typeof LEVELS)[number];

/** Chinese display names of the levels, as the document writes them. */
export const LEVEL_NAMES_ZH: Record<Level, string> = {
  street: '街道',
  community: '社区',
  compound: '小区',
  building: '楼宇',
  district: '商圈',
  social_org: '社会组织',
};

export const GRADES = ['none', 'standard', 'demonstration'] as const;
export type Grade = (typeof GRADES)[number];
export const GRADE_NAMES_ZH: Record<Grade, string> = { none: '未达标', standard: '标准型', demonstration: '示范型' };

/**
 * How a recurring task repeats. `periodic` is the plan's 「定期」 (or a bare 「贯穿全年」 duty):
 * the plan sets no frequency, so the office sets one; until then the duty is checked in
 * monthly (its occurrences are the months).
 */
export const CADENCES = ['monthly', 'twice_monthly', 'quarterly', 'bimonthly', 'yearly', 'periodic'] as const;
export type Cadence = (typeof CADENCES)[number];
export const CADENCE_NAMES_ZH: Record<Cadence, string> = {
  monthly: '每月',
  twice_monthly: '每月两次',
  quarterly: '每季度',
  bimonthly: '每两月',
  yearly: '每年',
  periodic: '定期（未设频次）',
};

/** Whether a plan item is instantiated again in later programme years (四(四) 一年一验收). */
const RECURRENCES = ['every_year', 'first_year_only'] as const;

export const taskTargetSchema = z.object({
  text: z.string(),
  metrics: z.array(z.object({ key: z.string().min(1), label: z.string().min(1), min: z.number(), unit: z.string().default('') })).min(1),
});
export type TaskTarget = z.infer<typeof taskTargetSchema>;

/**
 * The plan's schemas, built on first use: a command reads the built-in plan as parsed at bundle
 * time (load-plan.ts) and needs them only for a PLAN_FILE; building them costs a few ms at start.
 */
function buildPlanSchemas() {
  const levelSchema = z.enum(LEVELS);
  const gradeSchema = z.enum(['standard', 'demonstration']);
  /** Points are whole or half points. */
  const pointsSchema = z.number().nonnegative().multipleOf(0.5);
  const monthRefSchema = z.object({ yearOffset: z.number().int(), month: z.number().int().min(1).max(12) });

  const subItemSchema = z.object({
    /** `<indicator>.<n>` in the order written, e.g. `4.2`. */
    code: z.string().regex(/^\d+\.\d+$/),
    text: z.string().min(1),
    points: pointsSchema.positive(),
  });

  const indicatorSchema = z.object({
    number: z.number().int().positive(),
    title: z.string().min(1),
    points: pointsSchema.positive(),
    subItems: z.array(subItemSchema).min(1),
  });

  const levelSpecSchema = z.object({
    level: levelSchema,
    /** Heading as in Annex 2, e.g. 「街道层面」. */
    title: z.string().min(1),
    maxPoints: pointsSchema.positive(),
    indicators: z.array(indicatorSchema).min(1),
  });

  /** A ratio kept as integers so comparisons never use floating point. */
  const ratioSchema = z.object({
    numerator: z.number().int().nonnegative(),
    denominator: z.number().int().positive(),
  });

  /**
   * A condition of a grade beyond the score (section 三): on the unit's sub-units, or on
   * sub-items of its own rubric that measure a requirement the plan states in words.
   */
  const gradeConditionSchema = z.discriminatedUnion('kind', [
    /** Every sub-unit of these levels has reached at least `grade`; met when there are none. */
    z.object({ kind: z.literal('all'), of: z.array(levelSchema).min(1), grade: gradeSchema, text: z.string() }),
    /** At least `ratio` of the sub-units of these levels (pooled) have reached `grade`; met when there are none. */
    z.object({ kind: z.literal('ratio'), of: z.array(levelSchema).min(1), grade: gradeSchema, ratio: ratioSchema, text: z.string() }),
    /**
     * 「有一定量」: at least `min` sub-units of these levels have reached `grade`. "A certain
     * amount" is never zero: a unit with fewer than `min` such sub-units (none at all included)
     * does not meet it. Strict, so that a plan file still using the former `count` key is refused
     * instead of silently falling back to the default.
     */
    z.strictObject({ kind: z.literal('count'), of: z.array(levelSchema).min(1), grade: gradeSchema, min: z.number().int().positive().default(1), text: z.string() }),
    /**
     * A requirement measured by sub-items of the unit's own rubric: their points together reach
     * at least `ratio` of their maximum (e.g. 「社会组织有效融入社区建设」 by sub-item 9.1).
     */
    z.object({ kind: z.literal('subItems'), codes: z.array(z.string().regex(/^\d+\.\d+$/)).min(1), ratio: ratioSchema, text: z.string() }),
  ]);

  const gradeRulesSchema = z.object({
    standardThreshold: pointsSchema,
    demonstrationThreshold: pointsSchema,
    /** Whether a veto (一票否决) blocks the demonstration grade; the plan says so for every level. */
    vetoBlocksDemonstration: z.boolean(),
    levels: z.array(
      z.object({
        level: levelSchema,
        standard: z.array(gradeConditionSchema),
        demonstration: z.array(gradeConditionSchema),
        /** Conditions the plan states that the bot cannot measure (shown, not enforced). */
        qualitative: z.array(z.string()).default([]),
      }),
    ),
  });

  const targetRequirementSchema = z.object({
    /** Levels counted together (e.g. 「示范型楼宇、商圈2个」 counts buildings and districts together). */
    levels: z.array(levelSchema).min(1),
    grade: gradeSchema,
    /** A count, or 'all' for the document's 「达100%」. */
    count: z.union([z.number().int().nonnegative(), z.literal('all')]),
    /** 「累计」: counted over the whole programme so far rather than newly built. */
    cumulative: z.boolean(),
    /** 「力争」: an aspiration, reported but not required for being on track. */
    stretch: z.boolean().default(false),
    text: z.string(),
  });

  const milestoneSchema = z.object({
    /**
     * Stable id, relative to the programme (`y2-12` = December of programme year 2, the
     * document's 2022) so that no document year leaks into output; overrides refer to it.
     */
    id: z.string().min(1),
    /** End of this month is the milestone date. */
    due: monthRefSchema,
    text: z.string(),
    requirements: z.array(targetRequirementSchema),
    /** Targets the document sets that are not unit grades (阵地, 品牌 ...): shown for information. */
    otherTargets: z.array(z.string()).default([]),
  });

  const phaseSchema = z.object({
    id: z.string().min(1),
    name: z.string().min(1),
    start: monthRefSchema,
    /** Inclusive end month; null for the open-ended 长效提升 phase. */
    end: monthRefSchema.nullable(),
    summary: z.string(),
  });


  /** What a recurring plan item becomes in later programme years, when that differs from year one. */
  const laterYearsTaskSchema = z.object({
    content: z.string().min(1),
    deadlineText: z.string().min(1),
    cadence: z.enum(CADENCES).nullable(),
  });

  const planTaskSchema = z.object({
    seq: z.number().int().positive(),
    /** One of the five 行动, as headed in Annex 3. */
    category: z.string().min(1),
    content: z.string().min(1),
    /** The deadline phrase exactly as written (「2月底」「贯穿全年」 ...). */
    deadlineText: z.string().min(1),
    leadUnits: z.array(z.string().min(1)).min(1),
    /** Recurrence for 「贯穿全年」 items, read from the item's own wording; null for dated items. */
    cadence: z.enum(CADENCES).nullable(),
    target: taskTargetSchema.nullable().default(null),
    /**
     * `first_year_only`: a one-off of the programme's first year (「首批」, a named site, a
     * 改造提升工程 to finish); `every_year`: a standing duty copied into every later year's list.
     * Defaults to `every_year` (a plan file written before this field copied every item).
     */
    recurrence: z.enum(RECURRENCES).default('every_year'),
    /** For `every_year` items whose later-year form differs (task 22: the handbook is made once). */
    laterYears: laterYearsTaskSchema.nullable().default(null),
  });

  const leadershipSchema = z.object({
    leaders: z.array(z.string().min(1)),
    deputies: z.array(z.string().min(1)),
    members: z.array(z.string().min(1)),
    officeDirector: z.string().min(1),
    officeDeputy: z.string().min(1),
    note: z.string(),
  });

  /**
   * The street's own number for a milestone requirement (section 二's counts are the sample
   * street's). `milestone` is a milestone id; `level` picks the requirement of that milestone
   * whose levels include it; `grade` is needed only when two numeric requirements match.
   */
  const targetOverrideSchema = z.object({
    milestone: z.string().min(1),
    level: levelSchema,
    grade: gradeSchema.optional(),
    /** 0 = the street sets no target for it (shown as 「本街道不设此目标」). */
    count: z.number().int().nonnegative(),
  });

  const applicationFieldSchema = z.object({ key: z.string().min(1), label: z.string().min(1), section: z.string().min(1) });

  const planSchema = z.object({
    title: z.string().min(1),
    /** Programme year the document was written for (2021); plan dates are offsets from it. */
    documentFirstYear: z.number().int(),
    defaultStreetName: z.string().min(1),
    levels: z.array(levelSpecSchema).length(LEVELS.length),
    gradeRules: gradeRulesSchema,
    milestones: z.array(milestoneSchema),
    /** The street's own target numbers, applied over the milestones' counts. */
    targetOverrides: z.array(targetOverrideSchema).default([]),
    phases: z.array(phaseSchema),
    /**
     * Years of the open-ended 长效提升阶段 the programme tracks after the last bounded phase
     * (scores, targets and task lists are accepted for them; later years are refused).
     */
    longTermYears: z.number().int().min(0).max(20).default(2),
    actionCategories: z.array(z.string().min(1)).min(1),
    leadUnits: z.array(z.string().min(1)).min(1),
    tasks: z.array(planTaskSchema).min(1),
    leadership: leadershipSchema,
    applicationForm: z.object({ title: z.string(), fields: z.array(applicationFieldSchema).min(1) }),
  });

  return { monthRefSchema, subItemSchema, indicatorSchema, levelSpecSchema, gradeConditionSchema, targetRequirementSchema, milestoneSchema, phaseSchema, planTaskSchema, targetOverrideSchema, planSchema };
}

type PlanSchemas = ReturnType<typeof buildPlanSchemas>;
let planSchemas: PlanSchemas | undefined;

/** The schema a plan (the built-in one, a PLAN_FILE) is checked against. */
export const planSchema = (): PlanSchemas['planSchema'] => (planSchemas ??= buildPlanSchemas()).planSchema;

export type MonthRef = z.infer<PlanSchemas['monthRefSchema']>;
export type SubItem = z.infer<PlanSchemas['subItemSchema']>;
export type Indicator = z.infer<PlanSchemas['indicatorSchema']>;
export type LevelSpec = z.infer<PlanSchemas['levelSpecSchema']>;
export type GradeCondition = z.infer<PlanSchemas['gradeConditionSchema']>;
export type TargetRequirement = z.infer<PlanSchemas['targetRequirementSchema']>;
export type Milestone = z.infer<PlanSchemas['milestoneSchema']>;
export type Phase = z.infer<PlanSchemas['phaseSchema']>;
export type PlanTask = z.infer<PlanSchemas['planTaskSchema']>;
export type TargetOverride = z.infer<PlanSchemas['targetOverrideSchema']>;
export type Plan = z.infer<PlanSchemas['planSchema']>;
export type PlanInput = z.input<PlanSchemas['planSchema']>;
