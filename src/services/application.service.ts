/**
 * 申报 (issue 13, Annex 4): a unit's application for a year. The unit's secretary (or the office)
 * fills it — drafts saved, the required fields of its level enforced on submit, each missing one
 * named — and only the office reviews: returned with a comment (edited and resubmitted) or
 * approved with its 街道意见. An approved application declares the unit's target grade for the
 * year and its 任务节点 become the unit's own tracked items. Every step is an application_event
 * and an audit row; refusals audited.
 */
import { z } from 'zod';
import type { Actor } from '../auth/actor.js';
import { mayApplyForUnit, requireOffice, requireRole } from '../auth/policy.js';
import type { Clock } from '../clock.js';
import { applicationEvents, applicationsOfYear, ensureApplication, findApplication, insertApplicationEvent, updateApplication } from '../db/application.repository.js';
import { audit } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import type { ApplicationEventRow, ApplicationStatus, UnitRow } from '../db/schema.js';
import { syncUnitItems } from '../db/unit-item.repository.js';
import { listUnits } from '../db/unit.repository.js';
import { UserError } from '../errors.js';
import type { Table } from '../io/table.js';
import { GRADE_NAMES_ZH, LEVEL_NAMES_ZH, LEVELS, type Grade, type Level, type Plan } from '../plan/schema.js';
import { compareNames } from '../scoring/index.js';
import { localDate, parseIsoDate } from '../time.js';
import { gradeSubtree, programmeStreet } from './grading.service.js';
import { requireProgramme } from './programme.service.js';
import { assessmentYear, parseYear } from './scores.service.js';
import { resolveUnit } from './units.service.js';

export interface ApplicationDeps {
  db: Db;
  plan: Plan;
  clock: Clock;
  tz: string;
}

export type CreationType = 'demonstration' | 'standard';

const nodeSchema = z.object({ date: z.string(), content: z.string() });

/** The stored fields (application.fields). 社区名称, 小区数 and 所辖各小区名称 come from the units table. */
const fieldsSchema = z
  .object({
    registeredHouseholds: z.number().int().nonnegative(),
    registeredPopulation: z.number().int().nonnegative(),
    residentHouseholds: z.number().int().nonnegative(),
    residentPopulation: z.number().int().nonnegative(),
    creationType: z.enum(['demonstration', 'standard']),
    plannedDemoCompounds: z.array(z.string()),
    socialOrgCount: z.number().int().nonnegative(),
    measures: z.string(),
    brandProjectName: z.string(),
    brandProjectGoal: z.string(),
    nodes: z.array(nodeSchema),
  })
  .partial()
  .strict();
export type ApplicationFields = z.infer<typeof fieldsSchema>;
export type FieldKey = keyof ApplicationFields;

/** Field names as Annex 4 writes them (what messages and forms say). */
export const FIELD_LABELS: Record<FieldKey, string> = {
  registeredHouseholds: '户籍户数',
  registeredPopulation: '户籍人数',
  residentHouseholds: '常住户数',
  residentPopulation: '常住人数',
  creationType: '创建类型',
  plannedDemoCompounds: '拟创建示范型小区',
  socialOrgCount: '社会组织数',
  measures: '创建措施',
  brandProjectName: '特色品牌项目·项目名称',
  brandProjectGoal: '特色品牌项目·创建目标',
  nodes: '项目内容及任务节点',
};

const COMMUNITY_FIELDS: readonly FieldKey[] = ['registeredHouseholds', 'registeredPopulation', 'residentHouseholds', 'residentPopulation', 'creationType', 'plannedDemoCompounds', 'socialOrgCount', 'measures', 'brandProjectName', 'brandProjectGoal', 'nodes'];
const OTHER_FIELDS: readonly FieldKey[] = ['creationType', 'measures', 'brandProjectName', 'brandProjectGoal', 'nodes'];

/** The fields a level's application has (task 2: every level self-applies; 社区 with all of Annex 4). */
export const fieldsOfLevel = (level: Level): readonly FieldKey[] => (level === 'community' ? COMMUNITY_FIELDS : OTHER_FIELDS);
/** Required on submit: every field of the level but the planned demonstration compounds (may be none). */
const requiredOf = (level: Level) => fieldsOfLevel(level).filter((k) => k !== 'plannedDemoCompounds');

export const CREATION_TYPE_ZH: Record<CreationType, string> = { demonstration: '示范型', standard: '标准型' };
export const STATUS_ZH: Record<ApplicationStatus | 'none', string> = { none: '尚未填写', draft: '草稿', submitted: '已提交，待审核', returned: '已退回，待修改', approved: '已通过' };

const MAX_TEXT: Partial<Record<FieldKey, number>> = { measures: 1000, brandProjectName: 100, brandProjectGoal: 500 };
const MAX_NODES = 20;

function resolveYear(deps: ApplicationDeps, year: number | string | undefined): number {
  return year === undefined || String(year).trim() === '' ? assessmentYear(deps.clock, deps.tz) : parseYear(year, '年份');
}

/** 「2026-06-30」「2026/6/30」「2026年6月30日」 at the start of a node line. */
const NODE_LINE = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*[:：,，、]?\s*(.+)$/u;

/** The same date prefix as typed (full-width digits and separators allowed), to keep the rest of the line as written. */
const TYPED_DATE_PREFIX = /^[\d０-９]{4}[-/.年－／．][\d０-９]{1,2}[-/.月－／．][\d０-９]{1,2}日?\s*[:：,，、]?\s*/u;

/** Parses one typed field; '' clears it. Throws naming the field. */
function parseField(key: FieldKey, raw: string, ctx: { year: number; compounds: readonly string[] }): ApplicationFields[FieldKey] | undefined {
  const label = FIELD_LABELS[key];
  // Numbers, types and dates are read folded (full-width digits); free text is kept as typed.
  const typed = raw.trim();
  const text = typed.normalize('NFKC');
  if (text === '') return undefined;
  switch (key) {
    case 'registeredHouseholds':
    case 'registeredPopulation':
    case 'residentHouseholds':
    case 'residentPopulation':
    case 'socialOrgCount':
      if (!/^\d{1,8}$/.test(text)) throw new UserError('bad_argument', `${label}应为不小于 0 的整数（收到「${text.slice(0, 20)}」）`, label);
      return Number(text);
    case 'creationType': {
      const t = text.replace(/型$/, '');
      if (t === '示范') return 'demonstration';
      if (t === '标准') return 'standard';
      throw new UserError('bad_argument', `${label}应为「示范型」或「标准型」（收到「${text.slice(0, 20)}」）`, label);
    }
    case 'plannedDemoCompounds': {
      const names = [...new Set(text.split(/[、,，;；\s]+/u).filter((s) => s !== ''))];
      const out: string[] = [];
      for (const n of names) {
        const found = ctx.compounds.filter((c) => c === n || c.includes(n));
        if (found.length !== 1) throw new UserError('bad_argument', `${label}：「${n.slice(0, 20)}」${found.length === 0 ? '不是本社区的小区' : '对应多个小区，请写全称'}（本社区的小区：${ctx.compounds.join('、') || '无'}）`, label);
        out.push(found[0]!);
      }
      return out;
    }
    case 'nodes': {
      const lines = typed.split(/\n+/u).map((l) => l.trim()).filter((l) => l !== '');
      if (lines.length > MAX_NODES) throw new UserError('bad_argument', `${label}至多 ${MAX_NODES} 个`, label);
      return lines.map((line, k) => {
        const m = NODE_LINE.exec(line.normalize('NFKC'));
        const date = m ? parseIsoDate(`${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`) : undefined;
        if (!m || !date) throw new UserError('bad_argument', `${label}第 ${k + 1} 行应写成「${ctx.year}-06-30 完成阵地改造」（日期在前，一行一个节点）`, label);
        const y = Number(date.slice(0, 4));
        if (y < ctx.year || y > ctx.year + 1) throw new UserError('bad_argument', `${label}第 ${k + 1} 行的日期应在 ${ctx.year} 年或 ${ctx.year + 1} 年内（收到 ${date}）`, label);
        const content = line.replace(TYPED_DATE_PREFIX, '').trim();
        if (content.length > 200) throw new UserError('bad_argument', `${label}第 ${k + 1} 行不能超过 200 个字`, label);
        return { date, content };
      });
    }
    default: {
      const max = MAX_TEXT[key] ?? 500;
      if (typed.length > max) throw new UserError('bad_argument', `${label}不能超过 ${max} 个字（收到 ${typed.length} 个字）`, label);
      return typed;
    }
  }
}

export interface ApplicationReport {
  id: number | null;
  unit: string;
  level: Level;
  levelName: string;
  year: number;
  status: ApplicationStatus | 'none';
  fields: ApplicationFields;
  /** From the units table: the unit's compounds (社区 only). */
  compounds: string[];
  opinion: string | null;
  opinionDate: string | null;
  events: ApplicationEventRow[];
  /** Required fields still empty, as labels. */
  missing: string[];
}

async function compoundsOf(db: Db, unit: UnitRow): Promise<string[]> {
  if (unit.level !== 'community') return [];
  return (await listUnits(db, { level: 'compound', parentId: unit.id })).map((u) => u.name).sort(compareNames);
}

async function reportFor(deps: ApplicationDeps, unit: UnitRow, year: number): Promise<ApplicationReport> {
  const row = await findApplication(deps.db, unit.id, year);
  const fields = row ? fieldsSchema.parse(JSON.parse(row.fields)) : {};
  const missing = requiredOf(unit.level)
    .filter((k) => fields[k] === undefined || (k === 'nodes' && fields.nodes!.length === 0))
    .map((k) => FIELD_LABELS[k]);
  return {
    id: row?.id ?? null,
    unit: unit.name,
    level: unit.level,
    levelName: LEVEL_NAMES_ZH[unit.level],
    year,
    status: row?.status ?? 'none',
    fields,
    compounds: await compoundsOf(deps.db, unit),
    opinion: row?.office_opinion ?? null,
    opinionDate: row?.opinion_date ?? null,
    events: row ? await applicationEvents(deps.db, row.id) : [],
    missing,
  };
}

async function applyingUnit(deps: ApplicationDeps, name: string): Promise<UnitRow> {
  await requireProgramme(deps.db);
  const unit = await resolveUnit(deps.db, name, '单位');
  if (unit.level === 'street') throw new UserError('bad_argument', `「${unit.name}」是街道，街道不需要申报（申报由社区、小区、楼宇、商圈和社会组织填写）`, '单位');
  return unit;
}

async function requireApplicant(deps: ApplicationDeps, actor: Actor, unit: UnitRow, action: string, what: string): Promise<void> {
  await requireRole(deps, actor, (a) => mayApplyForUnit(a, { id: unit.id }), { action, subject: unit.name, reason: `只有「${unit.name}」的书记或党建办可以${what}（${actor.name} 不是）` });
}

export async function applicationReport(deps: ApplicationDeps, unitName: string, year?: number | string): Promise<ApplicationReport> {
  const unit = await applyingUnit(deps, unitName);
  return reportFor(deps, unit, resolveYear(deps, year));
}

const EDITABLE: ReadonlySet<ApplicationStatus> = new Set(['draft', 'returned']);

function requireEditable(status: ApplicationStatus, unit: string): void {
  if (EDITABLE.has(status)) return;
  throw new UserError('conflict', status === 'approved' ? `「${unit}」的申报已通过，不能再修改` : `「${unit}」的申报已提交，等待党建办审核；如需修改，请党建办先退回`);
}

/** Saves the typed fields (a draft; '' clears a field). Every field is checked before anything is written. */
export async function saveApplication(deps: ApplicationDeps, actor: Actor, input: { unit: string; year?: number | string | undefined; values: Partial<Record<FieldKey, string>> }): Promise<ApplicationReport> {
  const unit = await applyingUnit(deps, input.unit);
  await requireApplicant(deps, actor, unit, 'application.save', '填写申报');
  const year = resolveYear(deps, input.year);
  const ctx = { year, compounds: await compoundsOf(deps.db, unit) };
  const allowed = new Set(fieldsOfLevel(unit.level));
  const changes: ApplicationFields = {};
  const cleared: FieldKey[] = [];
  for (const [k, raw] of Object.entries(input.values) as Array<[FieldKey, string | undefined]>) {
    if (raw === undefined || !allowed.has(k)) continue;
    const v = parseField(k, raw, ctx);
    if (v === undefined) cleared.push(k);
    else (changes as Record<string, unknown>)[k] = v;
  }
  const at = deps.clock.now().getTime();
  await deps.db.transaction().execute(async (trx) => {
    const row = await ensureApplication(trx, unit.id, year, at);
    requireEditable(row.status, unit.name);
    const merged: Record<string, unknown> = { ...fieldsSchema.parse(JSON.parse(row.fields)), ...changes };
    for (const k of cleared) delete merged[k];
    await updateApplication(trx, row.id, { fields: JSON.stringify(fieldsSchema.parse(merged)), updated_at: at });
    await insertApplicationEvent(trx, { applicationId: row.id, action: 'save', actor: actor.name, at, comment: null });
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'application.save', subject: unit.name, outcome: 'ok', detail: { year, fields: [...Object.keys(changes), ...cleared] } });
  });
  return reportFor(deps, unit, year);
}

/** Submits (or resubmits after a return); refused while a required field is empty, each named. */
export async function submitApplication(deps: ApplicationDeps, actor: Actor, input: { unit: string; year?: number | string | undefined }): Promise<ApplicationReport> {
  const unit = await applyingUnit(deps, input.unit);
  await requireApplicant(deps, actor, unit, 'application.submit', '提交申报');
  const year = resolveYear(deps, input.year);
  const before = await reportFor(deps, unit, year);
  if (before.status !== 'none') requireEditable(before.status, unit.name);
  if (before.missing.length > 0) throw new UserError('bad_argument', `「${unit.name}」的申报还不能提交，缺少：${before.missing.join('、')}`);
  const at = deps.clock.now().getTime();
  await deps.db.transaction().execute(async (trx) => {
    const row = await ensureApplication(trx, unit.id, year, at);
    await updateApplication(trx, row.id, { status: 'submitted', submitted_at: at, submitted_by: actor.name, updated_at: at });
    await insertApplicationEvent(trx, { applicationId: row.id, action: 'submit', actor: actor.name, at, comment: null });
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'application.submit', subject: unit.name, outcome: 'ok', detail: { year, resubmitted: before.status === 'returned' } });
  });
  return reportFor(deps, unit, year);
}

/**
 * The office approves or returns a submitted application with its 街道意见 (a return must say
 * why). Approval declares the unit's target for the year and turns the 任务节点 into the unit's
 * own items (kept in step on a later approval).
 */
export async function reviewApplication(
  deps: ApplicationDeps,
  actor: Actor,
  input: { unit: string; year?: number | string | undefined; decision: 'approve' | 'return'; comment?: string | undefined },
): Promise<ApplicationReport> {
  const action = input.decision === 'approve' ? 'application.approve' : 'application.return';
  await requireOffice(deps, actor, '审核申报', { action, subject: input.unit });
  const unit = await applyingUnit(deps, input.unit);
  const year = resolveYear(deps, input.year);
  const before = await reportFor(deps, unit, year);
  if (before.status !== 'submitted' || before.id === null) throw new UserError('conflict', `「${unit.name}」的申报${STATUS_ZH[before.status]}，只有已提交的申报可以审核`);
  const comment = (input.comment ?? '').trim();
  if (input.decision === 'return' && comment === '') throw new UserError('bad_argument', '退回申报需要写明意见（哪里需要修改）', '街道意见');
  if (comment.length > 500) throw new UserError('bad_argument', `街道意见不能超过 500 个字（收到 ${comment.length} 个字）`, '街道意见');
  const opinion = comment === '' ? '同意' : comment;
  const at = deps.clock.now().getTime();
  const id = before.id;
  await deps.db.transaction().execute(async (trx) => {
    await updateApplication(trx, id, { status: input.decision === 'approve' ? 'approved' : 'returned', office_opinion: opinion, opinion_date: localDate(at, deps.tz), decided_at: at, decided_by: actor.name, updated_at: at });
    await insertApplicationEvent(trx, { applicationId: id, action: input.decision, actor: actor.name, at, comment: opinion });
    if (input.decision === 'approve') {
      const project = before.fields.brandProjectName ?? '特色品牌项目';
      const desired = (before.fields.nodes ?? []).map((n, k) => ({ ref: `application:${id}:node:${k + 1}`, title: `申报 ${project}：${n.content}`, dueDate: n.date }));
      await syncUnitItems(trx, { unitId: unit.id, year, source: 'application', refPrefix: `application:${id}:`, desired, at });
    }
    await audit(trx, { at, actor: actor.name, source: actor.source, action, subject: unit.name, outcome: 'ok', detail: { year, comment: opinion } });
  });
  return reportFor(deps, unit, year);
}

export interface ApplicationListRow {
  unit: string;
  level: Level;
  status: ApplicationStatus;
  creationType: CreationType | null;
  submittedAt: number | null;
  submittedBy: string | null;
}

/** The office's list: submitted first (oldest first), then the rest. */
export async function applicationList(deps: ApplicationDeps, actor: Actor, year?: number | string): Promise<{ year: number; rows: ApplicationListRow[] }> {
  await requireOffice(deps, actor, '查看申报列表', { action: 'application.list', subject: null });
  await requireProgramme(deps.db);
  const y = resolveYear(deps, year);
  const rank: Record<ApplicationStatus, number> = { submitted: 0, returned: 1, draft: 2, approved: 3 };
  const rows = (await applicationsOfYear(deps.db, y))
    .map((a) => ({ unit: a.unit_name, level: a.unit_level as Level, status: a.status, creationType: fieldsSchema.parse(JSON.parse(a.fields)).creationType ?? null, submittedAt: a.submitted_at, submittedBy: a.submitted_by }))
    .sort((a, b) => rank[a.status] - rank[b.status] || (a.submittedAt ?? 0) - (b.submittedAt ?? 0));
  return { year: y, rows };
}

export interface DeclaredLevel {
  level: Level;
  levelName: string;
  /** Approved applications declaring each type, and how many of those units have reached it (official grade). */
  declared: Record<CreationType, { units: number; reached: number }>;
}

/** Whether a grade reaches the declared 创建类型 (示范型 also reaches 标准型). */
export const reachesDeclared = (type: CreationType, grade: Grade): boolean => grade === 'demonstration' || (type === 'standard' && grade === 'standard');

/**
 * The declared 创建类型 of every unit with an approved application for `year`: unit name → type.
 * `approvedBy` (ms): only applications approved by then (a closed round's 通报 stays as it closed).
 */
export async function declaredTypes(db: Db, year: number, approvedBy?: number): Promise<Map<string, { level: Level; type: CreationType }>> {
  const out = new Map<string, { level: Level; type: CreationType }>();
  for (const a of await applicationsOfYear(db, year, ['approved'])) {
    if (approvedBy !== undefined && (a.decided_at ?? Infinity) > approvedBy) continue;
    const type = fieldsSchema.parse(JSON.parse(a.fields)).creationType;
    if (type) out.set(a.unit_name, { level: a.unit_level as Level, type });
  }
  return out;
}

/** Declared (approved applications) vs reached (official grades) per level, for 「目标」 and the digest. */
export async function declaredTargets(deps: ApplicationDeps, year?: number | string): Promise<{ year: number; levels: DeclaredLevel[] }> {
  const y = resolveYear(deps, year);
  const declaredOf = await declaredTypes(deps.db, y);
  if (declaredOf.size === 0) return { year: y, levels: [] };
  const grades = new Map((await gradeSubtree(deps, { year: y })).units.map((u) => [u.unit, u.grade]));
  const levels: DeclaredLevel[] = [];
  for (const level of LEVELS) {
    const of = [...declaredOf].filter(([, d]) => d.level === level);
    if (of.length === 0) continue;
    const declared = { demonstration: { units: 0, reached: 0 }, standard: { units: 0, reached: 0 } };
    for (const [unit, { type }] of of) {
      declared[type].units++;
      if (reachesDeclared(type, grades.get(unit) ?? 'none')) declared[type].reached++;
    }
    levels.push({ level, levelName: LEVEL_NAMES_ZH[level], declared });
  }
  return { year: y, levels };
}

/** 「申报示范型 2（已达 1）」 wording shared by the cards. */
export const declaredLine = (d: DeclaredLevel): string =>
  (['demonstration', 'standard'] as const)
    .filter((t) => d.declared[t].units > 0)
    .map((t) => `申报${GRADE_NAMES_ZH[t]} ${d.declared[t].units}（已达 ${d.declared[t].reached}）`)
    .join('，');

/** Every application of a year (for the 申报表 export), submitted ones first as in the list. */
export async function applicationsOfTheYear(deps: ApplicationDeps, year: number): Promise<ApplicationReport[]> {
  const rows = await applicationsOfYear(deps.db, year);
  const out: ApplicationReport[] = [];
  for (const r of rows) out.push(await reportFor(deps, await resolveUnit(deps.db, r.unit_name, '单位'), year));
  return out;
}

/** One application (the 申报表 export's form sheet): refused when the unit has none that year. */
export async function applicationForExport(deps: ApplicationDeps, unitName: string, year: number): Promise<ApplicationReport> {
  const r = await applicationReport(deps, unitName, year);
  if (r.status === 'none') throw new UserError('not_found', `「${r.unit}」${year} 年还没有申报`, '--unit');
  return r;
}

// ---------------------------------------------------------------- the Annex 4 sheet sent back

/** Labels of the Annex 4 layout (src/export/application-sheet.ts) → the field whose value sits right of it. */
const SHEET_LABELS: Record<string, FieldKey> = {
  户籍户数: 'registeredHouseholds',
  户籍人数: 'registeredPopulation',
  常住户数: 'residentHouseholds',
  常住人数: 'residentPopulation',
  社会组织数: 'socialOrgCount',
  创建措施: 'measures',
  项目名称: 'brandProjectName',
  创建目标: 'brandProjectGoal',
  项目内容及任务节点: 'nodes',
};

/** Whether a read table is an Annex 4 form (its title says 申报表). */
export const isApplicationTable = (t: Table): boolean => (t.sheets[0]?.rows[0]?.cells[0] ?? '').includes('申报表');

/**
 * An Annex 4 sheet (as 「申报表」 sends it) read back by its labels: each label's value is the next
 * non-empty cell to its right; 创建类型 from its ☑. Saved like the form (every field checked first).
 */
export async function importApplicationTable(deps: ApplicationDeps, actor: Actor, table: Table, year?: number | string): Promise<ApplicationReport> {
  const rows = table.sheets[0]?.rows ?? [];
  const valueRight = (cells: readonly string[], at: number) => cells.slice(at + 1).find((c) => c !== '') ?? '';
  let unit = '';
  const values: Partial<Record<FieldKey, string>> = {};
  for (const r of rows) {
    r.cells.forEach((cell, k) => {
      const label = cell.replace(/\s+/gu, '');
      if (label === '社区名称' || label === '单位名称') unit = valueRight(r.cells, k);
      const key = SHEET_LABELS[label];
      if (key) values[key] = valueRight(r.cells, k) === '—' ? '' : valueRight(r.cells, k).replace(/^\d+\.\s*/gmu, '');
      if (/创建类型$/.test(label)) {
        const box = valueRight(r.cells, k);
        values.creationType = /☑\s*1/.test(box) ? '示范型' : /☑\s*2/.test(box) ? '标准型' : box.includes('☑') || box.includes('□') ? '' : box;
      }
      if (label === '名称' && /拟创建示范型/.test(r.cells[0] ?? '')) values.plannedDemoCompounds = valueRight(r.cells, k) === '—' ? '' : valueRight(r.cells, k);
    });
  }
  if (unit === '') throw new UserError('bad_argument', `「${table.file}」里找不到「社区名称」（或「单位名称」）一栏：请用「申报表」发来的表格填写`, '--file');
  return saveApplication(deps, actor, { unit, year, values });
}

/** The unit's application (or a blank one) and the street's name, for the 申报表 a chat command sends. */
export async function applicationSheet(deps: ApplicationDeps, unitName: string, year?: number | string): Promise<{ report: ApplicationReport; street: string | null }> {
  const report = await applicationReport(deps, unitName, year);
  return { report, street: (await programmeStreet(deps.db))?.name ?? null };
}
