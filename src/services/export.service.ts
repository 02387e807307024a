/**
 * Excel exports: one function per kind loads the data through the existing services; the
 * workbook itself is written by the writer the edge passes in (src/export/workbook.ts
 * `writeWorkbook`: writers take plain data and never query). `exportWorkbook` is what the CLI
 * (`dangjian export`) and the chat command (「导出」) call: it checks who may export what
 * (src/auth/policy.ts), audits the export (or the refusal) and returns the file's bytes and name.
 *
 * Who may export: 评分表, 排名 and 年度通报 (every unit's scores) the office and the leadership group;
 * 任务台账 and 目标进度 every bound member (they see the same in chat). The shell operator is the office.
 *
 * A new kind is one entry in EXPORT_KINDS (its words in export-kinds.ts), one case of ExportData and its writer.
 */
import type { Actor } from '../auth/actor.js';
import { applicationForExport, applicationsOfTheYear, type ApplicationReport } from './application.service.js';
import { mayExportAllScores, requireRole } from '../auth/policy.js';
import type { Clock } from '../clock.js';
import { audit } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { UserError } from '../errors.js';
import { LEVEL_NAMES_ZH, LEVELS, type Level, type Plan } from '../plan/schema.js';
import type { BoardTask } from '../tasks/board.js';
import { isoInZone, localDate } from '../time.js';
import { roundKindOf } from '../domain/round-kind.js';
import { bulletinReport, roundBulletinReport, type BulletinReport } from './bulletin.service.js';
import { candidateList, type CandidateList } from './candidates.service.js';
import { programmeStreet, ranking, scoreSheet, targetsReport, type RankingReport, type ScoreSheetReport, type TargetsReport } from './grading.service.js';
import { assessmentYear, parseProgrammeYear } from './scores.service.js';
import { taskBoard } from './tasks.service.js';
import { parseLevel } from './units.service.js';
import { EXPORT_KIND_NAMES, type ExportKind } from './export-kinds.js';

export interface ExportDeps {
  db: Db;
  plan: Plan;
  clock: Clock;
  /** DANGJIAN_TZ. */
  tz: string;
  /** 黄灯 lead time for 任务台账 (YELLOW_DAYS, as the chat board). */
  yellowDays: number;
}

export interface ExportOptions {
  /** Assessment year (评分表, 排名, 年度通报), task year (任务台账), or the year whose end 目标进度 is read at. Default: this year. */
  year?: number | string | undefined;
  /** One level only (评分表, 排名). */
  level?: string | undefined;
  /** 申报表: the unit whose application gets the Annex 4 sheet. */
  unit?: string | undefined;
  /** 通报 of an assessment round of that kind (预验收, 年度验收, 复评) instead of the year against the year before. */
  round?: string | undefined;
}


export interface RankingExport {
  year: number;
  /** The street whose units are ranked (null: every unit). */
  street: string | null;
  /** One ranking per level, street first; levels without units may be left out. */
  rankings: readonly RankingReport[];
}

export interface TaskLedgerExport {
  year: number;
  /** When the statuses were evaluated (ISO with offset). */
  asOf: string;
  board: readonly BoardTask[];
  /** Lead units in the order their sheets should come (units without tasks get no sheet). */
  leadUnits: readonly string[];
}

/** What a workbook holds, per kind. */
export type ExportData =
  | { kind: 'scores'; report: ScoreSheetReport }
  | { kind: 'ranking'; ranking: RankingExport }
  | { kind: 'tasks'; ledger: TaskLedgerExport }
  | { kind: 'targets'; report: TargetsReport }
  | { kind: 'bulletin'; report: BulletinReport }
  /** `form`: the application of --unit in Annex 4's layout; `all`: every application of the year (the summary). */
  | { kind: 'applications'; year: number; street: string | null; form: ApplicationReport | null; all: ApplicationReport[] }
  | { kind: 'candidates'; list: CandidateList };

export interface WorkbookRequest {
  /** The workbook's title, also the file name without `.xlsx` (评分表-2026). */
  title: string;
  /** Stamped as the workbook's creation time. */
  at: Date;
  data: ExportData;
}

/** Writes the workbook (src/export/workbook.ts `writeWorkbook`). */
export type WorkbookWriter = (request: WorkbookRequest) => Promise<{ bytes: Buffer; sheets: string[] }>;

export interface ExportedWorkbook {
  kind: ExportKind;
  /** e.g. 评分表-2026.xlsx */
  fileName: string;
  bytes: Buffer;
  sheets: string[];
}

interface KindSpec {
  /** Only the office and the leadership group may export it. */
  restricted: boolean;
  /** --level applies. */
  byLevel: boolean;
  load(deps: ExportDeps, options: ExportOptions): Promise<{ title: string; data: ExportData }>;
}

// ---------------------------------------------------------------- options

async function exportYear(value: number | string | undefined, deps: ExportDeps): Promise<number> {
  if (value === undefined || String(value).trim() === '') return assessmentYear(deps.clock, deps.tz);
  return parseProgrammeYear(deps, value);
}

function exportLevel(value: string | undefined): Level | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    return parseLevel(value, '--level');
  } catch {
    throw new UserError('bad_argument', `不认识的层级「${value.trim()}」；可用：${LEVELS.map((l) => LEVEL_NAMES_ZH[l]).join('、')}`, '--level');
  }
}

const title = (kind: string, year: number, level?: Level) => `${kind}${level ? `-${LEVEL_NAMES_ZH[level]}` : ''}-${year}`;

// ---------------------------------------------------------------- one loader per kind

/** 评分表: every sub-item of every unit of the programme's street, one sheet per level. */
async function loadScoreSheet(deps: ExportDeps, options: ExportOptions): Promise<{ title: string; data: ExportData }> {
  const year = await exportYear(options.year, deps);
  const level = exportLevel(options.level);
  const report = await scoreSheet(deps, { year, level });
  if (report.levels.length === 0) {
    throw new UserError('not_found', level ? `没有${LEVEL_NAMES_ZH[level]}可导出` : '还没有单位可导出（请管理员先用 dangjian unit add 或 dangjian unit import 添加单位）', level ? '--level' : undefined);
  }
  return { title: title('评分表', year, level), data: { kind: 'scores', report } };
}

/** 排名: each level of the programme's street ranked (streets across the database), with a summary. */
async function loadRanking(deps: ExportDeps, options: ExportOptions): Promise<{ title: string; data: ExportData }> {
  const year = await exportYear(options.year, deps);
  const only = exportLevel(options.level);
  const street = await programmeStreet(deps.db);
  const rankings: RankingReport[] = [];
  for (const level of LEVELS) {
    if (only !== undefined && level !== only) continue;
    const r = await ranking(deps, { level, parent: level === 'street' ? undefined : street?.name, year });
    if (r.rows.length > 0 || only !== undefined) rankings.push(r);
  }
  return { title: title('排名', year, only), data: { kind: 'ranking', ranking: { year, street: street?.name ?? null, rankings } } };
}

/** 任务台账: every occurrence of the year's tasks, one sheet per lead unit plus a summary. */
async function loadTaskLedger(deps: ExportDeps, options: ExportOptions): Promise<{ title: string; data: ExportData }> {
  const year = await exportYear(options.year, deps);
  const at = deps.clock.now().getTime();
  const board = await taskBoard(deps, { year, at });
  return { title: `任务台账-${year}`, data: { kind: 'tasks', ledger: { year, asOf: isoInZone(at, deps.tz), board, leadUnits: deps.plan.leadUnits } } };
}

/** 目标进度: section 二's milestones as of today, or as of the end of `year` when that is earlier. */
async function loadTargets(deps: ExportDeps, options: ExportOptions): Promise<{ title: string; data: ExportData }> {
  const today = localDate(deps.clock.now(), deps.tz);
  const at = options.year === undefined ? today : [today, `${await exportYear(options.year, deps)}-12-31`].sort()[0]!;
  const report = await targetsReport(deps, { at });
  return { title: `目标进度-${at}`, data: { kind: 'targets', report } };
}

/** 年度通报: this year's grades against last year's, the units of concern, section 二's milestones. */
async function loadBulletin(deps: ExportDeps, options: ExportOptions): Promise<{ title: string; data: ExportData }> {
  if (options.round !== undefined && options.round.trim() !== '') {
    const kind = roundKindOf(options.round);
    if (kind === undefined) throw new UserError('bad_argument', `验收种类应为预验收、年度验收、复评之一（收到「${options.round.trim()}」）`, '--round');
    const report = await roundBulletinReport(deps, { kind, ...(options.year === undefined ? {} : { year: await exportYear(options.year, deps) }) });
    return { title: `通报-${report.round!.label}`, data: { kind: 'bulletin', report } };
  }
  const year = await exportYear(options.year, deps);
  const report = await bulletinReport(deps, { year });
  if (report.units.length === 0) throw new UserError('not_found', '还没有单位可导出（请管理员先用 dangjian unit add 或 dangjian unit import 添加单位）');
  return { title: `年度通报-${year}`, data: { kind: 'bulletin', report } };
}

/** 申报表: the unit's application in Annex 4's layout (with --unit) and a summary of every application of the year. */
async function loadApplications(deps: ExportDeps, options: ExportOptions): Promise<{ title: string; data: ExportData }> {
  const year = await exportYear(options.year, deps);
  const form = options.unit === undefined || options.unit.trim() === '' ? null : await applicationForExport(deps, options.unit, year);
  const all = await applicationsOfTheYear(deps, year);
  if (!form && all.length === 0) throw new UserError('not_found', `${year} 年还没有单位填写申报`);
  const street = await programmeStreet(deps.db);
  return { title: form ? `申报表-${form.unit}-${year}` : `申报表-${year}`, data: { kind: 'applications', year, street: street?.name ?? null, form, all } };
}

/** 推选名单: the last closed round's demonstration units per level, exclusions and the chosen list. */
async function loadCandidates(deps: ExportDeps): Promise<{ title: string; data: ExportData }> {
  const list = await candidateList(deps);
  return { title: `推选名单-${list.round}`, data: { kind: 'candidates', list } };
}

const EXPORT_KINDS: Record<ExportKind, KindSpec> = {
  scores: { restricted: true, byLevel: true, load: loadScoreSheet },
  ranking: { restricted: true, byLevel: true, load: loadRanking },
  tasks: { restricted: false, byLevel: false, load: loadTaskLedger },
  targets: { restricted: false, byLevel: false, load: loadTargets },
  bulletin: { restricted: true, byLevel: false, load: loadBulletin },
  applications: { restricted: true, byLevel: false, load: loadApplications },
  candidates: { restricted: true, byLevel: false, load: loadCandidates },
};

/**
 * Builds the workbook of `kind` for `actor` with `write`: refused (audited, UserError
 * 'forbidden') when the actor may not export it; audited as `export.<kind>` with the file's
 * name and size when built.
 */
export async function exportWorkbook(deps: ExportDeps, actor: Actor, kind: ExportKind, options: ExportOptions, write: WorkbookWriter): Promise<ExportedWorkbook> {
  const spec = EXPORT_KINDS[kind];
  const action = `export.${kind}`;
  await requireRole(deps, actor, (a) => !spec.restricted || mayExportAllScores(a), { action, subject: null, reason: `${EXPORT_KIND_NAMES[kind][0]}只有党建办和领导小组成员可以导出（${actor.name} 不是）` });
  if (kind !== 'applications' && options.unit !== undefined && options.unit.trim() !== '') throw new UserError('bad_argument', `${EXPORT_KIND_NAMES[kind][0]}不按单位导出，不用指定单位（--unit 只用于申报表）`, '--unit');
  if (!spec.byLevel && options.level !== undefined && options.level.trim() !== '') {
    throw new UserError('bad_argument', `${EXPORT_KIND_NAMES[kind][0]}不分层级，不用指定层级`, '--level');
  }
  const at = deps.clock.now();
  const { title: name, data } = await spec.load(deps, options);
  const { bytes, sheets } = await write({ title: name, at, data });
  const file: ExportedWorkbook = { kind, fileName: `${name}.xlsx`, bytes, sheets };
  await audit(deps.db, { at: at.getTime(), actor: actor.name, source: actor.source, action, subject: file.fileName, outcome: 'ok', detail: { bytes: bytes.length, sheets: sheets.length } });
  return file;
}
