/** What the tasks commands do (their definitions: ./tasks.ts); loaded only when one of them runs. */
import { CADENCE_NAMES_ZH, STATUS_MARK, STATUS_NAMES_ZH } from '../../cards/labels.js';
import type { TaskRecord } from '../../db/task.repository.js';
import { UserError } from '../../errors.js';
import { configuredWorkCalendar } from '../../services/calendar.service.js';
import { parseYear } from '../../services/scores.service.js';
import { addTask, completeBatch, completeOccurrence, editTask, instantiateTasks, parseLeadUnitList, parseProgress, retireTask, taskBoard, undoBatch, undoOccurrence, type BatchResult } from '../../services/tasks.service.js';
import type { BoardTask } from '../../tasks/board.js';
import { WEEKDAY_NAMES_ZH, weekday } from '../../tasks/dates.js';
import { parseSelection, type PeriodSelection } from '../../tasks/period-selection.js';
import type { YearSource } from '../../tasks/work-calendar.js';
import { isoInZone, localDate, parseInstant, readableDate, readableTime } from '../../time.js';
import { actingAs, withContext, type CliContext, type CommonOptions } from '../context.js';

function parseAt(text: string | undefined, tz: string): number | undefined {
  if (text === undefined) return undefined;
  const at = parseInstant(text, tz);
  if (at === undefined) throw new UserError('bad_argument', `应为日期或时间，例如 2026-03-01 或 2026-03-01T09:00（收到「${text}」）`, '--at');
  return at;
}

function parseNonNegativeInt(text: string, field: string): number {
  if (!/^\d{1,3}$/.test(text.trim())) throw new UserError('bad_argument', `应为天数，例如 7（收到「${text}」）`, field);
  return Number(text.trim());
}

function yearOr(text: string | undefined, at: number | undefined, ctx: CliContext): number {
  if (text !== undefined) return parseYear(text);
  return Number(localDate(at ?? ctx.clock.now().getTime(), ctx.config.timeZone).slice(0, 4));
}

function deps(ctx: CliContext) {
  return { db: ctx.db, tz: ctx.config.timeZone, clock: ctx.clock, plan: ctx.plan };
}

/** An ISO instant from a service as people read it (「3月5日 16:00」). */
function readable(iso: string, ctx: CliContext): string {
  const at = parseInstant(iso, ctx.config.timeZone);
  return at === undefined ? iso : readableTime(at, ctx.config.timeZone, ctx.clock.now().getTime());
}

function describeBoardTask(t: BoardTask, ctx: CliContext): string {
  const year = Number(localDate(ctx.clock.now().getTime(), ctx.config.timeZone).slice(0, 4));
  const schedule = t.cadence !== null ? `${t.deadlineText}·${CADENCE_NAMES_ZH[t.cadence]}` : t.dueDate === null ? t.deadlineText : `${t.deadlineText}（${readableDate(t.dueDate, year)}）`;
  const lines = [`${STATUS_MARK[t.status]} ${t.seq}. ${t.content}｜${schedule}｜${t.leadUnits.join('、')}`];
  if (t.cadence === null) {
    const o = t.occurrences[0];
    if (o?.doneAt) lines.push(`      ${o.doneLate ? '逾期完成' : '已完成'}：${o.doneBy} ${readable(o.doneAt, ctx)}`);
  } else {
    const overdue = t.occurrences.filter((o) => o.status === 'red').map((o) => o.period);
    const done = t.occurrences.filter((o) => o.status === 'done').length;
    const current = t.occurrences.find((o) => o.period === t.currentPeriod);
    const parts = [`已完成 ${done}/${t.occurrences.length}`];
    if (current) parts.push(`本期 ${current.period}（${readableDate(current.dueDate, year)}到期）${current.status === 'done' ? '已完成' : STATUS_NAMES_ZH[current.status]}`);
    if (overdue.length > 0) parts.push(`逾期：${overdue.join('、')}`);
    lines.push(`      ${parts.join('；')}`);
  }
  return lines.join('\n');
}

/** A --period that names several occurrences (「2026-01..2026-11」, 「1-11月」, 「全部逾期」), or undefined for one. */
function batchOf(period: string | undefined, ctx: CliContext): { year: number; select: PeriodSelection; label: string } | undefined {
  if (period === undefined) return undefined;
  const sel = parseSelection(period, localDate(ctx.clock.now().getTime(), ctx.config.timeZone));
  return sel?.kind === 'batch' ? sel : undefined;
}

/** 「任务 8：已标记完成 11 期（2026-01、…）；未处理 1 期：2026-12（原因）」 */
function batchText(r: BatchResult, verb: string, label: string): string {
  const lines = [`${label}：已${verb} ${r.done.length} 期${r.done.length > 0 ? `（${r.done.map((o) => `任务 ${o.seq} 的 ${o.period}`).join('、')}）` : ''}`];
  if (r.refused.length > 0) lines.push(`未处理 ${r.refused.length} 期：`, ...r.refused.map((o) => `  任务 ${o.seq} 的 ${o.period}：${o.reason}`));
  return lines.join('\n');
}

function describeTask(t: TaskRecord): string {
  const schedule = t.cadence === null ? t.deadlineText : `${t.deadlineText}·${t.cadence}`;
  return `${t.year} 年任务 ${t.seq}：${t.content}｜${schedule}｜${t.leadUnits.join('、')}｜${t.category}${t.retiredAt !== null ? '（已撤销）' : ''}`;
}

function taskJson(t: TaskRecord, tz: string) {
  return {
    year: t.year,
    seq: t.seq,
    category: t.category,
    content: t.content,
    deadlineText: t.deadlineText,
    leadUnits: t.leadUnits,
    cadence: t.cadence,
    source: t.source,
    retiredAt: t.retiredAt === null ? null : isoInZone(t.retiredAt, tz),
  };
}

const CALENDAR_SOURCE_ZH: Record<YearSource, string> = { 'chinese-days': 'chinese-days 节假日数据', 'fallback-mon-fri': '无节假日数据，按周一至周五', override: 'HOLIDAY_FILE' };

export const runTasks = async (opts: CommonOptions & { at?: string; lead?: string; status?: string; year?: string; yellowDays?: string }) =>
  withContext(opts, async (ctx) => {
    const tz = ctx.config.timeZone;
    const at = parseAt(opts.at, tz) ?? ctx.clock.now().getTime();
    const year = yearOr(opts.year, at, ctx);
    const yellowDays = opts.yellowDays === undefined ? ctx.config.scheduler.yellowDays : parseNonNegativeInt(opts.yellowDays, '--yellow-days');
    const board = await taskBoard({ ...deps(ctx), yellowDays }, { year, at, lead: opts.lead, status: opts.status });
    ctx.print(board, () => {
      const head = `${year} 年重点任务（截至 ${readableTime(at, tz, ctx.clock.now().getTime())}）：${board.length} 项`;
      return [head, ...board.map((t) => describeBoardTask(t, ctx))].join('\n');
    });
  });

export const runTaskDone = async (opts: CommonOptions & { seq: string; period?: string; by?: string; note?: string; at?: string; progress?: string; year?: string }) =>
  withContext(opts, async (ctx) => {
    const at = parseAt(opts.at, ctx.config.timeZone);
    const batch = batchOf(opts.period, ctx);
    if (batch) {
      if (opts.at !== undefined || opts.progress !== undefined) throw new UserError('bad_argument', '按范围补录时不能用 --at 或 --progress（完成时间记为现在）；要写明完成时间，请逐期执行', opts.at !== undefined ? '--at' : '--progress');
      const r = await completeBatch(deps(ctx), await actingAs(ctx, opts.by), { year: opts.year === undefined ? batch.year : parseYear(opts.year), seqs: [opts.seq], select: batch.select, note: opts.note });
      ctx.print(r, () => batchText(r, '标记完成', batch.label));
      return;
    }
    const year = yearOr(opts.year, at, ctx);
    const progress = opts.progress === undefined ? undefined : parseProgress(opts.progress);
    const actor = await actingAs(ctx, opts.by);
    const r = await completeOccurrence(deps(ctx), actor, { year, seq: opts.seq, period: opts.period, note: opts.note, progress, at });
    ctx.print(r, () => `任务 ${r.seq} 的 ${r.period}（${r.dueDate} 到期）已由 ${r.doneBy} 于 ${readable(r.doneAt, ctx)} 标记完成${r.late ? '（逾期完成）' : ''}`);
  });

export const runTaskUndo = async (opts: CommonOptions & { seq: string; period?: string; by?: string; year?: string }) =>
  withContext(opts, async (ctx) => {
    const batch = batchOf(opts.period, ctx);
    if (batch) {
      const r = await undoBatch(deps(ctx), await actingAs(ctx, opts.by), { year: opts.year === undefined ? batch.year : parseYear(opts.year), seqs: [opts.seq], select: batch.select });
      ctx.print(r, () => batchText(r, '撤销完成', batch.label));
      return;
    }
    const year = yearOr(opts.year, undefined, ctx);
    const actor = await actingAs(ctx, opts.by);
    const r = await undoOccurrence(deps(ctx), actor, { year, seq: opts.seq, period: opts.period });
    ctx.print(r, () => `任务 ${r.seq} 的 ${r.period} 的完成记录（${r.undone.doneBy} ${readable(r.undone.doneAt, ctx)}）已由 ${r.undoneBy} 撤销`);
  });

export const runTaskAdd = async (opts: CommonOptions & { content: string; deadline: string; lead: string; category?: string; cadence?: string; year?: string; by?: string }) =>
  withContext(opts, async (ctx) => {
    const year = yearOr(opts.year, undefined, ctx);
    const leadUnits = parseLeadUnitList(opts.lead);
    const actor = await actingAs(ctx, opts.by);
    const t = await addTask(deps(ctx), actor, { year, content: opts.content, deadlineText: opts.deadline, leadUnits, category: opts.category, cadence: opts.cadence });
    ctx.print(taskJson(t, ctx.config.timeZone), () => `已新增 ${describeTask(t)}`);
  });

export const runTaskEdit = async (opts: CommonOptions & { seq: string; content?: string; deadline?: string; lead?: string; category?: string; cadence?: string; year?: string; by?: string }) =>
  withContext(opts, async (ctx) => {
    const year = yearOr(opts.year, undefined, ctx);
    const leadUnits = opts.lead === undefined ? undefined : parseLeadUnitList(opts.lead);
    const actor = await actingAs(ctx, opts.by);
    const t = await editTask(deps(ctx), actor, {
      year,
      seq: opts.seq,
      content: opts.content,
      deadlineText: opts.deadline,
      leadUnits,
      category: opts.category,
      cadence: opts.cadence,
    });
    ctx.print(taskJson(t, ctx.config.timeZone), () => `已修改 ${describeTask(t)}`);
  });

export const runTaskRetire = async (opts: CommonOptions & { seq: string; year?: string; by?: string }) =>
  withContext(opts, async (ctx) => {
    const year = yearOr(opts.year, undefined, ctx);
    const actor = await actingAs(ctx, opts.by);
    const t = await retireTask(deps(ctx), actor, { year, seq: opts.seq });
    ctx.print(taskJson(t, ctx.config.timeZone), () => `已撤销 ${describeTask(t)}`);
  });

export const runTaskInstantiate = async (opts: CommonOptions & { year: string; by?: string }) =>
  withContext(opts, async (ctx) => {
    const year = parseYear(opts.year);
    const actor = await actingAs(ctx, opts.by);
    const r = await instantiateTasks(deps(ctx), actor, { year });
    ctx.print(r, () => {
      const lines = [`${year} 年任务清单：新增 ${r.inserted.length} 项，已存在 ${r.existing.length} 项${r.copiedFrom !== null ? `（党建办新增任务取自 ${r.copiedFrom} 年）` : ''}`];
      for (const s of r.skipped) lines.push(`  未复制任务 ${s.seq}：${s.reason}`);
      return lines.join('\n');
    });
  });

export const runCalendar = async (opts: CommonOptions & { year?: string }) =>
  withContext(opts, async (ctx) => {
    const year = yearOr(opts.year, undefined, ctx);
    const { calendar, warnings } = configuredWorkCalendar(ctx.config, [year]);
    for (const w of warnings) ctx.log.warn({ year }, w);
    const coverage = calendar.coverage();
    const days = calendar.specialDays(year).map((d) => ({ date: d.date, kind: d.kind, name: d.name, weekday: WEEKDAY_NAMES_ZH[weekday(d.date)], inLieu: d.inLieu, source: d.source }));
    const data = {
      year,
      source: calendar.yearSource(year),
      workdays: calendar.workdayCount(year),
      libraryVersion: coverage.libraryVersion,
      coveredYears: coverage.coveredYears,
      overrideYears: coverage.overrideYears,
      days,
      warnings,
    };
    ctx.print(data, () => {
      const covered = coverage.coveredYears.length > 0 ? `${coverage.coveredYears[0]}–${coverage.coveredYears[coverage.coveredYears.length - 1]}` : '无';
      const lines = [
        `${year} 年工作日历：来源 ${CALENDAR_SOURCE_ZH[data.source]}，工作日 ${data.workdays} 天`,
        `chinese-days ${coverage.libraryVersion} 覆盖 ${covered}${coverage.overrideYears.length > 0 ? `；HOLIDAY_FILE 覆盖 ${coverage.overrideYears.join('、')}` : ''}`,
      ];
      for (const d of days) lines.push(`  ${d.date} ${d.weekday} ${d.kind === 'holiday' ? '放假' : '调休上班'}${d.name ? ` ${d.name}` : ''}${d.source === 'override' ? '（HOLIDAY_FILE）' : ''}`);
      for (const w of warnings) lines.push(`注意：${w}`);
      return lines.join('\n');
    });
  });
