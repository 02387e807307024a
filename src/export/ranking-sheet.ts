/**
 * 排名: a summary sheet (grade counts per level) first, then one sheet per level ranked by total,
 * with each unit's parent (所属上级) and its grade coloured.
 */
import { GRADE_NAMES_ZH, LEVEL_NAMES_ZH } from '../plan/schema.js';
import type { RankingExport } from '../services/export.service.js';
import type { RankingReport } from '../services/grading.service.js';
import { addTableSheet, GRADE_TONE, SheetNames, type Workbook } from './style.js';

type RankRow = RankingReport['rows'][number];

/** Adds the 排名 sheets to `wb`. */
export function writeRankingSheets(wb: Workbook, data: RankingExport, names = new SheetNames()): void {
  addTableSheet(wb, names, {
    name: '等级汇总',
    rows: data.rankings,
    columns: [
      { header: '层级', value: (r) => LEVEL_NAMES_ZH[r.level] },
      { header: '范围', value: (r) => r.parent ?? '全部' },
      { header: GRADE_NAMES_ZH.demonstration, value: (r) => r.counts.demonstration, format: 'number', tone: () => GRADE_TONE.demonstration },
      { header: GRADE_NAMES_ZH.standard, value: (r) => r.counts.standard, format: 'number', tone: () => GRADE_TONE.standard },
      { header: GRADE_NAMES_ZH.none, value: (r) => r.counts.none, format: 'number', tone: () => GRADE_TONE.none },
      { header: '合计', value: (r) => r.rows.length, format: 'number' },
    ],
  });
  for (const r of data.rankings) {
    addTableSheet<RankRow>(wb, names, {
      name: `${LEVEL_NAMES_ZH[r.level]}排名`,
      rows: r.rows,
      freezeColumns: 2,
      columns: [
        { header: '名次', value: (row) => row.rank, format: 'number' },
        { header: '单位', value: (row) => row.unit },
        { header: '所属上级', value: (row) => row.parent },
        { header: '总分', value: (row) => row.total, format: 'points' },
        { header: '等级', value: (row) => GRADE_NAMES_ZH[row.grade], tone: (row) => GRADE_TONE[row.grade] },
      ],
    });
  }
}
