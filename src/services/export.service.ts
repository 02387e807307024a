/**
 * Excel exports: one function per kind loads the data through the existing services and hands
 * it to its writer in src/export (writers take plain data and never query). `exportWorkbook` is
 * what the CLI (`dangjian export`) and the chat command (「导出」) call: it checks who may export
 * what, audits the export (or the refusal) and returns the file's bytes and name.
 *
 * Who may export: 评分表 and 排名 (every unit's scores) the office and the leadership group;
 * 任务台账 and 目标进度 every bound member (they see the same in chat). The shell operator is the office.
 *
 * A new kind (issue 14's 年度通报) is one entry in EXPORT_KINDS plus its writer.
 */
import { isLeadership, isOffice, type Actor } from '../auth/actor.js';
import type { Clock } from '../clock.js';
import { audit } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { UserError } from '../errors.js';
import { writeRankingSheets } from '../export/ranking-sheet.js';
import { writeScoreSheet } from '../export/score-sheet.js';
import { newWorkbook, SheetNames, workbookBytes, type Workbook } from '../export/style.js';
import { writeTargetsSheet } from '../export/targets-sheet.js';
import { writeTaskLedger } from '../export/task-ledger.js';
import { LEVEL_NAMES_ZH, LEVELS, type Level, type Plan } from '../plan/schema.js';
import { taskBoard } from '../tasks/task-service.js';
import { isoInZone, localDate } from '../time.js';
import { programmeStreet, ranking, scoreSheet, targetsReport, type RankingReport } from './grading.service.js';
import { assessmentYear, parseYear } from './scores.service.js';
import { parseLevel } from './units.service.js';

export interface ExportDeps {
  db: Db;
  plan: Plan;
  clock: Clock;
  /** DANGJIAN_TZ. */
  tz: string;
}

export interface ExportOptions {
  /** Assessment year (评分表, 排名), task year (任务台账), or the year whose end 目标进度 is read at. Default: this year. */
  year?: number | string | undefined;
  /** One level only (评分表, 排名). */
  level?: string | undefined;
  /** 黄灯 lead time for 任务台账 (default 7, as the chat board). */
  yellowDays?: number | undefined;
}

export interface ExportedWorkbook {
  kind: ExportKind;
  /** e.g. 评分表-2026.xlsx */
  fileName: string;
  bytes: Buffer;
  sheets: string[];
}

interface KindSpec {
  /** The Chinese name people type (first) and its aliases. */
  names: readonly string[];
  /** Only the office and the leadership group may export it. */
  restricted: boolean;
  /** --level applies. */
  byLevel: boolean;
  build(deps: ExportDeps, options: ExportOptions): Promise<ExportedWorkbook>;
}

export type ExportKind = 'scores' | 'ranking' | 'tasks' | 'targets';

// ---------------------------------------------------------------- options

function exportYear(value: number | string | undefined, deps: ExportDeps): number {
  if (value === undefined || String(value).trim() === '') return assessmentYear(deps.clock, deps.tz);
  const text = String(value).trim();
  if (!/^\d{4}$/.test(text)) throw new UserError('bad_argument', `年份应为四位数字，例如 2026（收到「${text}」）`, '--year');
  try {
    return parseYear(text);
  } catch {
    throw new UserError('bad_argument', `年份 ${text} 超出范围`, '--year');
  }
}

function exportLevel(value: string | undefined): Level | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    return parseLevel(value, '--level');
  } catch {
    throw new UserError('bad_argument', `不认识的层级「${value.trim()}」；可用：${LEVELS.map((l) => LEVEL_NAMES_ZH[l]).join('、')}`, '--level');
  }
}

async function finish(kind: ExportKind, fileName: string, wb: Workbook): Promise<ExportedWorkbook> {
  return { kind, fileName, bytes: await workbookBytes(wb), sheets: wb.worksheets.map((w) => w.name) };
}

const title = (kind: string, year: number, level?: Level) => `${kind}${level ? `-${LEVEL_NAMES_ZH[level]}` : ''}-${year}`;

// ---------------------------------------------------------------- one function per kind

/** 评分表: every sub-item of every unit of the programme's street, one sheet per level. */
export async function exportScoreSheet(deps: ExportDeps, options: ExportOptions = {}): Promise<ExportedWorkbook> {
  const year = exportYear(options.year, deps);
  const level = exportLevel(options.level);
  const report = await scoreSheet(deps, { year, level });
  if (report.levels.length === 0) {
    throw new UserError('not_found', level ? `没有${LEVEL_NAMES_ZH[level]}可导出` : '还没有单位可导出（请管理员先用 dangjian unit add 或 dangjian unit import 添加单位）', level ? '--level' : undefined);
  }
  const name = title('评分表', year, level);
  const wb = await newWorkbook(name, deps.clock.now());
  writeScoreSheet(wb, report);
  return finish('scores', `${name}.xlsx`, wb);
}

/** 排名: each level of the programme's street ranked (streets across the database), with a summary. */
export async function exportRanking(deps: ExportDeps, options: ExportOptions = {}): Promise<ExportedWorkbook> {
  const year = exportYear(options.year, deps);
  const only = exportLevel(options.level);
  const street = await programmeStreet(deps.db);
  const rankings: RankingReport[] = [];
  for (const level of LEVELS) {
    if (only !== undefined && level !== only) continue;
    const r = await ranking(deps, { level, parent: level === 'street' ? undefined : street?.name, year });
    if (r.rows.length > 0 || only !== undefined) rankings.push(r);
  }
  const name = title('排名', year, only);
  const wb = await newWorkbook(name, deps.clock.now());
  writeRankingSheets(wb, { year, street: street?.name ?? null, rankings });
  return finish('ranking', `${name}.xlsx`, wb);
}

/** 任务台账: every occurrence of the year's tasks, one sheet per lead unit plus a summary. */
export async function exportTaskLedger(deps: ExportDeps, options: ExportOptions = {}): Promise<ExportedWorkbook> {
  const year = exportYear(options.year, deps);
  const at = deps.clock.now().getTime();
  const board = await taskBoard(deps, { year, at, yellowDays: options.yellowDays });
  const name = `任务台账-${year}`;
  const wb = await newWorkbook(name, deps.clock.now());
  writeTaskLedger(wb, { year, asOf: isoInZone(at, deps.tz), board, leadUnits: deps.plan.leadUnits });
  return finish('tasks', `${name}.xlsx`, wb);
}

/** 目标进度: section 二's milestones as of today, or as of the end of `year` when that is earlier. */
export async function exportTargets(deps: ExportDeps, options: ExportOptions = {}): Promise<ExportedWorkbook> {
  const today = localDate(deps.clock.now(), deps.tz);
  const at = options.year === undefined ? today : [today, `${exportYear(options.year, deps)}-12-31`].sort()[0]!;
  const report = await targetsReport(deps, { at });
  const name = `目标进度-${at}`;
  const wb = await newWorkbook(name, deps.clock.now());
  writeTargetsSheet(wb, report, new SheetNames());
  return finish('targets', `${name}.xlsx`, wb);
}

const EXPORT_KINDS: Record<ExportKind, KindSpec> = {
  scores: { names: ['评分表', 'scores', '评分', '得分'], restricted: true, byLevel: true, build: exportScoreSheet },
  ranking: { names: ['排名', 'ranking', 'rank', '排行'], restricted: true, byLevel: true, build: exportRanking },
  tasks: { names: ['任务台账', 'tasks', '台账', '任务'], restricted: false, byLevel: false, build: exportTaskLedger },
  targets: { names: ['目标进度', 'targets', '目标', '进度'], restricted: false, byLevel: false, build: exportTargets },
};

const KIND_ORDER = Object.keys(EXPORT_KINDS) as ExportKind[];

/** The kinds as people type them: 「评分表、排名、任务台账、目标进度」. */
export const EXPORT_KIND_LIST = KIND_ORDER.map((k) => EXPORT_KINDS[k].names[0]!).join('、');

/** 评分表 / scores / 评分 … → 'scores'. */
export function parseExportKind(text: string, field = '〈种类〉'): ExportKind {
  const t = text.normalize('NFKC').trim().toLowerCase();
  const kind = KIND_ORDER.find((k) => EXPORT_KINDS[k].names.some((n) => n.toLowerCase() === t));
  if (!kind) throw new UserError('bad_argument', t === '' ? `需要导出的种类：${EXPORT_KIND_LIST}` : `不认识的导出种类「${text.trim()}」；可用：${EXPORT_KIND_LIST}`, field);
  return kind;
}

/** Whether `actor` may export `kind` (see the module comment). */
function canExport(actor: Actor, kind: ExportKind): boolean {
  return !EXPORT_KINDS[kind].restricted || isOffice(actor) || isLeadership(actor);
}

/**
 * Builds the workbook of `kind` for `actor`: refused (audited, UserError 'forbidden') when the
 * actor may not export it; audited as `export.<kind>` with the file's name and size when built.
 */
export async function exportWorkbook(deps: ExportDeps, actor: Actor, kind: ExportKind, options: ExportOptions = {}): Promise<ExportedWorkbook> {
  const spec = EXPORT_KINDS[kind];
  const action = `export.${kind}`;
  const at = deps.clock.now().getTime();
  if (!canExport(actor, kind)) {
    const reason = `${spec.names[0]}只有党建办和领导小组成员可以导出（${actor.name} 不是）`;
    await audit(deps.db, { at, actor: actor.name, source: actor.source, action, outcome: 'denied', detail: { reason } });
    throw new UserError('forbidden', reason);
  }
  if (!spec.byLevel && options.level !== undefined && options.level.trim() !== '') {
    throw new UserError('bad_argument', `${spec.names[0]}不分层级，不用指定层级`, '--level');
  }
  const file = await spec.build(deps, options);
  await audit(deps.db, { at, actor: actor.name, source: actor.source, action, subject: file.fileName, outcome: 'ok', detail: { bytes: file.bytes.length, sheets: file.sheets.length } });
  return file;
}
