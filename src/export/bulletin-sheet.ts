/**
 * 年度通报: 汇总 (units per level and grade, both assessments and the change), 等级变化 (every
 * unit: grade and total before and now, 晋位 / 保持 / 降级 / 新评, its declared target 达成 / 未达成),
 * 需整改 (units that dropped a grade, have a 一票否决 or missed their declared target, with the sub-items where they lost the most points) and 目标进度
 * (section 二's milestones, the 目标进度 export's sheet).
 */
import { GRADE_MOVE_ZH, lossLine, UNSCORED_ZH } from '../cards/labels.js';
import { GRADE_NAMES_ZH, LEVEL_NAMES_ZH, type Grade } from '../plan/schema.js';
import type { GradeMove } from '../scoring/index.js';
import { CREATION_TYPE_ZH } from '../services/application.service.js';
import type { BulletinConcern, BulletinCount, BulletinReport, BulletinUnit, Standing } from '../services/bulletin.service.js';
import { addTableSheet, GRADE_TONE, SheetNames, type Tone, type Workbook } from './style.js';
import { writeTargetsSheet } from './targets-sheet.js';

const MOVE_TONE: Record<GradeMove, Tone | null> = { up: 'green', same: null, down: 'red', new: 'blue', unscored: 'grey' };

const standingName = (s: Standing) => (s === 'unscored' ? UNSCORED_ZH : GRADE_NAMES_ZH[s]);
const standingTone = (s: Standing): Tone => (s === 'unscored' ? 'grey' : GRADE_TONE[s]);
const gradeName = (g: Grade | null) => (g === null ? UNSCORED_ZH : GRADE_NAMES_ZH[g]);
const gradeTone = (g: Grade | null): Tone => (g === null ? 'grey' : GRADE_TONE[g]);


/** Adds the 年度通报 sheets to `wb`. */
export function writeBulletinSheets(wb: Workbook, report: BulletinReport, names = new SheetNames()): void {
  const { previousLabel: before, currentLabel: now } = report;
  addTableSheet<BulletinCount>(wb, names, {
    name: '汇总',
    rows: report.counts,
    columns: [
      { header: '层级', value: (r) => LEVEL_NAMES_ZH[r.level] },
      { header: '等级', value: (r) => standingName(r.standing), tone: (r) => standingTone(r.standing) },
      { header: `${before}单位数`, value: (r) => r.previous, format: 'number' },
      { header: `${now}单位数`, value: (r) => r.current, format: 'number' },
      { header: '变化', value: (r) => r.change, format: 'change' },
    ],
  });
  addTableSheet<BulletinUnit>(wb, names, {
    name: '等级变化',
    rows: report.units,
    freezeColumns: 1,
    columns: [
      { header: '单位', value: (r) => r.unit },
      { header: '层级', value: (r) => LEVEL_NAMES_ZH[r.level] },
      { header: '所属上级', value: (r) => r.parent },
      { header: `${before}等级`, value: (r) => gradeName(r.previous.grade), tone: (r) => gradeTone(r.previous.grade) },
      { header: `${before}总分`, value: (r) => r.previous.total, format: 'points' },
      { header: `${now}等级`, value: (r) => gradeName(r.current.grade), tone: (r) => gradeTone(r.current.grade) },
      { header: `${now}总分`, value: (r) => r.current.total, format: 'points' },
      { header: '总分变化', value: (r) => r.totalChange, format: 'pointsChange' },
      { header: '变化', value: (r) => GRADE_MOVE_ZH[r.move], tone: (r) => MOVE_TONE[r.move] },
      { header: '一票否决', value: (r) => (r.veto ? '是' : null), tone: (r) => (r.veto ? 'red' : null) },
      { header: '申报目标', value: (r) => (r.declared === null ? null : CREATION_TYPE_ZH[r.declared.type]) },
      { header: '目标达成', value: (r) => (r.declared === null ? null : r.declared.reached ? '达成' : '未达成'), tone: (r) => (r.declared === null ? null : r.declared.reached ? 'green' : 'red') },
    ],
  });
  addTableSheet<BulletinConcern>(wb, names, {
    name: '需整改',
    rows: report.concerns,
    freezeColumns: 1,
    columns: [
      { header: '单位', value: (r) => r.unit },
      { header: '层级', value: (r) => LEVEL_NAMES_ZH[r.level] },
      { header: '所属上级', value: (r) => r.parent },
      { header: `${now}等级`, value: (r) => gradeName(r.current.grade), tone: (r) => gradeTone(r.current.grade) },
      { header: `${now}总分`, value: (r) => r.current.total, format: 'points' },
      { header: '原因', value: (r) => r.reasons.map((x) => x.text).join('\n'), format: 'wrap' },
      { header: '失分最多的子项', value: (r) => r.losses.map(lossLine).join('\n'), format: 'wrap' },
    ],
  });
  if (report.rectification !== null) {
    const rows = [...report.rectification.late.map((unit) => ({ unit, state: '逾期完成' })), ...report.rectification.open.map((unit) => ({ unit, state: '未完成' }))];
    addTableSheet<{ unit: string; state: string }>(wb, names, {
      name: '上轮整改',
      rows,
      columns: [
        { header: `${before}整改单位`, value: (r) => r.unit },
        { header: `截至${now}结束`, value: (r) => r.state, tone: (r) => (r.state === '未完成' ? 'red' : 'yellow') },
      ],
    });
  }
  writeTargetsSheet(wb, report.targets, names);
}
