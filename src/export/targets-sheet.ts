/**
 * 目标进度: the milestones of section 二 (行动目标), one row per measurable requirement
 * (required, reached, straight-line forecast, status coloured) and one per target the bot does
 * not measure, so the sheet carries the whole of the plan's text.
 */
import { MILESTONE_STATE_ZH, REQUIREMENT_STATUS_ZH, streetTargetNote } from '../cards/labels.js';
import type { MilestoneProgress, RequirementProgress, RequirementStatus } from '../scoring/targets.js';
import type { TargetsReport } from '../services/grading.service.js';
import { addTableSheet, dateCell, SheetNames, type Tone, type Workbook } from './style.js';

const STATUS_TONE: Record<RequirementStatus, Tone> = { met: 'green', on_track: 'blue', behind: 'yellow', missed: 'red', no_units: 'grey', waived: 'grey' };

interface TargetRow {
  m: MilestoneProgress;
  req: RequirementProgress | null;
  other: string | null;
}

/** Adds the 目标进度 sheet to `wb`. */
export function writeTargetsSheet(wb: Workbook, report: TargetsReport, names = new SheetNames()): void {
  const rows: TargetRow[] = report.milestones.flatMap((m) => [
    ...m.requirements.map((req) => ({ m, req, other: null })),
    ...m.otherTargets.map((other) => ({ m, req: null, other })),
  ]);
  addTableSheet<TargetRow>(wb, names, {
    name: '目标进度',
    rows,
    freezeColumns: 1,
    columns: [
      { header: '节点', value: (r) => dateCell(r.m.due), format: 'date' },
      { header: '节点状态', value: (r) => MILESTONE_STATE_ZH[r.m.state] },
      { header: '依据年度', value: (r) => r.m.asOfYear, format: 'number' },
      { header: '目标', value: (r) => (r.req ? `${r.req.text}${r.req.stretch ? '（力争）' : ''}${streetTargetNote(r.req)}` : r.other), format: 'wrap' },
      { header: '要求', value: (r) => r.req?.required ?? null, format: 'number' },
      { header: '已达', value: (r) => r.req?.reached ?? null, format: 'number' },
      { header: '预计（按进度）', value: (r) => r.req?.forecast ?? null, format: 'number' },
      { header: '状态', value: (r) => (r.req ? REQUIREMENT_STATUS_ZH[r.req.status] : '不按分数统计'), tone: (r) => (r.req ? STATUS_TONE[r.req.status] : 'grey') },
      { header: '统计范围', value: () => report.street ?? '全部单位' },
      { header: '统计日期', value: () => dateCell(report.at), format: 'date' },
      // A target the street can never meet (more than it has units of that level).
      { header: '提示', value: (r) => r.req?.warning ?? null, format: 'wrap' },
    ],
  });
}
