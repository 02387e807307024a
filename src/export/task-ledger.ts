/**
 * 任务台账: a summary sheet (tasks per lead unit by 红黄绿 status, late completions), then one
 * sheet per lead unit listing every occurrence of its tasks: deadline, status (coloured), who
 * completed it and when, and whether it was late. A task led jointly appears on each lead
 * unit's sheet.
 */
import { STATUS_NAMES_ZH } from '../cards/labels.js';
import type { TaskLedgerExport } from '../services/export.service.js';
import type { BoardOccurrence, BoardTask } from '../tasks/board.js';
import { addTableSheet, dateCell, localDateTimeCell, SheetNames, type Tone, type Workbook } from './style.js';

/** Done is blue here, not green as on cards: in a ledger it must stand apart from 绿灯 (not yet due). */
const STATUS_TONE: Record<BoardOccurrence['status'], Tone> = { red: 'red', yellow: 'yellow', green: 'green', done: 'blue' };

/** 逾期完成 / 逾期未完成 / 按时完成, or blank while it is not due. */
function lateText(o: Pick<BoardOccurrence, 'status' | 'doneLate'>): string {
  if (o.status === 'done') return o.doneLate ? '逾期完成' : '按时完成';
  return o.status === 'red' ? '逾期未完成' : '';
}

interface LedgerRow {
  task: BoardTask;
  o: BoardOccurrence;
}

/** Adds the 任务台账 sheets to `wb`. */
export function writeTaskLedger(wb: Workbook, data: TaskLedgerExport, names = new SheetNames()): void {
  const units = [...new Set([...data.leadUnits, ...data.board.flatMap((t) => t.leadUnits)])].filter((u) => data.board.some((t) => t.leadUnits.includes(u)));
  const summary = units.map((unit) => {
    const tasks = data.board.filter((t) => t.leadUnits.includes(unit));
    const occurrences = tasks.flatMap((t) => t.occurrences);
    const count = (s: BoardTask['status']) => tasks.filter((t) => t.status === s).length;
    return {
      unit,
      tasks: tasks.length,
      red: count('red'),
      yellow: count('yellow'),
      green: count('green'),
      done: count('done'),
      doneLate: occurrences.filter((o) => o.doneLate).length,
      overdue: occurrences.filter((o) => o.status === 'red').length,
    };
  });
  addTableSheet(wb, names, {
    name: '汇总',
    rows: summary,
    columns: [
      { header: '牵头单位', value: (s) => s.unit },
      { header: '任务数', value: (s) => s.tasks, format: 'number' },
      { header: '红灯', value: (s) => s.red, format: 'number', tone: (s) => (s.red > 0 ? 'red' : null) },
      { header: '黄灯', value: (s) => s.yellow, format: 'number', tone: (s) => (s.yellow > 0 ? 'yellow' : null) },
      { header: '绿灯', value: (s) => s.green, format: 'number' },
      { header: '已完成', value: (s) => s.done, format: 'number' },
      { header: '逾期完成（次）', value: (s) => s.doneLate, format: 'number' },
      { header: '逾期未完成（次）', value: (s) => s.overdue, format: 'number', tone: (s) => (s.overdue > 0 ? 'red' : null) },
      { header: '统计时间', value: () => localDateTimeCell(data.asOf), format: 'datetime' },
    ],
  });
  for (const unit of units) {
    const rows: LedgerRow[] = data.board.filter((t) => t.leadUnits.includes(unit)).flatMap((task) => task.occurrences.map((o) => ({ task, o })));
    addTableSheet<LedgerRow>(wb, names, {
      name: unit,
      rows,
      freezeColumns: 1,
      columns: [
        { header: '序号', value: (r) => r.task.seq, format: 'number' },
        { header: '类别', value: (r) => r.task.category },
        { header: '任务内容', value: (r) => r.task.content, format: 'wrap' },
        { header: '完成时限', value: (r) => r.task.deadlineText },
        { header: '周期', value: (r) => (r.task.cadence === null ? null : r.o.period) },
        { header: '截止日期', value: (r) => dateCell(r.o.dueDate), format: 'date' },
        { header: '状态', value: (r) => STATUS_NAMES_ZH[r.o.status], tone: (r) => STATUS_TONE[r.o.status] },
        { header: '完成人', value: (r) => r.o.doneBy },
        { header: '完成时间', value: (r) => localDateTimeCell(r.o.doneAt), format: 'datetime' },
        { header: '是否逾期', value: (r) => lateText(r.o), tone: (r) => (r.o.late ? 'red' : null) },
        { header: '备注', value: (r) => r.o.note, format: 'wrap' },
        { header: '牵头单位', value: (r) => r.task.leadUnits.join('、') },
      ],
    });
  }
}
