/**
 * The kinds of workbook `export` writes and the words people type for them. Apart from the
 * export service so that the CLI's help (which lists them) loads nothing else.
 */
import { UserError } from '../errors.js';

export type ExportKind = 'scores' | 'ranking' | 'tasks' | 'targets' | 'bulletin' | 'applications' | 'candidates';

/** The Chinese name people type (first) and its aliases. */
export const EXPORT_KIND_NAMES: Record<ExportKind, readonly string[]> = {
  scores: ['评分表', 'scores', '评分', '得分'],
  ranking: ['排名', 'ranking', 'rank', '排行'],
  tasks: ['任务台账', 'tasks', '台账', '任务'],
  targets: ['目标进度', 'targets', '目标', '进度'],
  bulletin: ['年度通报', 'bulletin', '通报'],
  applications: ['申报表', 'applications', '申报'],
  candidates: ['推选名单', 'candidates', '推选'],
};

const KIND_ORDER = Object.keys(EXPORT_KIND_NAMES) as ExportKind[];

/** The kinds as people type them: 「评分表、排名、任务台账、目标进度、年度通报、申报表、推选名单」. */
export const EXPORT_KIND_LIST = KIND_ORDER.map((k) => EXPORT_KIND_NAMES[k][0]!).join('、');

/** 评分表 / scores / 评分 … → 'scores'. */
export function parseExportKind(text: string, field = '〈种类〉'): ExportKind {
  const t = text.normalize('NFKC').trim().toLowerCase();
  const kind = KIND_ORDER.find((k) => EXPORT_KIND_NAMES[k].some((n) => n.toLowerCase() === t));
  if (!kind) throw new UserError('bad_argument', t === '' ? `需要导出的种类：${EXPORT_KIND_LIST}` : `不认识的导出种类「${text.trim()}」；可用：${EXPORT_KIND_LIST}`, field);
  return kind;
}
