/** 推选名单: one row per demonstration unit of the round (level, rank, total, declared target, exclusions, chosen). */
import { LEVEL_NAMES_ZH } from '../plan/schema.js';
import type { Candidate, CandidateList } from '../services/candidates.service.js';
import { addTableSheet, SheetNames, type Workbook } from './style.js';

export function writeCandidatesSheet(wb: Workbook, list: CandidateList, names = new SheetNames()): void {
  addTableSheet<Candidate>(wb, names, {
    name: '推选名单',
    rows: list.levels.flatMap((l) => l.candidates),
    freezeColumns: 3,
    columns: [
      { header: '层级', value: (r) => LEVEL_NAMES_ZH[r.level] },
      { header: '名次', value: (r) => r.rank, format: 'number' },
      { header: '单位', value: (r) => r.unit },
      { header: '所属上级', value: (r) => r.parent },
      { header: `${list.round}总分`, value: (r) => r.total, format: 'points' },
      { header: '申报目标', value: (r) => r.declared },
      { header: '不能推选的原因', value: (r) => (r.excluded.length === 0 ? null : r.excluded.join('、')), tone: (r) => (r.excluded.length > 0 ? 'red' : null) },
      { header: '已推选', value: (r) => (r.chosen ? '是' : null), tone: (r) => (r.chosen ? 'green' : null) },
    ],
  });
}
