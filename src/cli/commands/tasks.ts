/**
 * Task-list commands: `tasks` (the 督办 board), `task done|undo|add|edit|retire|instantiate`,
 * and `calendar` (the working-day calendar in use).
 */
import type { Command } from 'commander';
import { actorFromMember, adminActor, type Actor } from '../../auth/actor.js';
import type { Db } from '../../db/database.js';
import { findMemberByName } from '../../db/member.repository.js';
import { UserError } from '../../errors.js';
import { parseYear } from '../../services/scores.service.js';
import { isoInZone, localDate, parseInstant } from '../../time.js';
import { WEEKDAY_NAMES_ZH, weekday } from '../../tasks/dates.js';
import { DEADLINE_PHRASE_HELP } from '../../tasks/deadline.js';
import { STATUS_NAMES_ZH, type TaskStatus } from '../../tasks/status.js';
import {
  addTask,
  completeOccurrence,
  editTask,
  instantiateTasks,
  parseLeadUnitList,
  parseProgress,
  retireTask,
  taskBoard,
  undoOccurrence,
  type BoardTask,
} from '../../tasks/task-service.js';
import { countTasks, type TaskRecord } from '../../tasks/task.repository.js';
import { createConfiguredWorkCalendar } from '../../tasks/work-calendar.js';
import { withCommonOptions, withContext, type CliContext, type CommonOptions } from '../context.js';

const LIGHT_MARK: Record<TaskStatus, string> = { red: '[红]', yellow: '[黄]', green: '[绿]', done: '[完成]' };
const CADENCE_ZH: Record<string, string> = { monthly: '每月', twice_monthly: '每月两次', quarterly: '每季度', bimonthly: '每两月', yearly: '每年', periodic: '定期（未设频次）' };

function parseAt(text: string | undefined, tz: string): number | undefined {
  if (text === undefined) return undefined;
  const at = parseInstant(text, tz);
  if (at === undefined) throw new UserError('bad_argument', `expected an ISO date/time such as 2026-03-01T09:00:00+08:00 (got "${text}")`, '--at');
  return at;
}

function parseNonNegativeInt(text: string, field: string): number {
  if (!/^\d{1,3}$/.test(text.trim())) throw new UserError('bad_argument', `expected a whole number of days such as 7 (got "${text}")`, field);
  return Number(text.trim());
}

/** `--by NAME` → the roster member acting; unknown names are an error naming them. */
async function rosterActor(db: Db, name: string): Promise<Actor> {
  const n = name.trim();
  const member = n === '' ? undefined : await findMemberByName(db, n);
  if (!member) throw new UserError('not_found', `花名册中没有「${name}」（先用 dangjian member add 添加）`, '--by');
  return actorFromMember(member, 'cli');
}

/** Office-only operations: the roster member given by --by, else the shell operator. */
async function officeActor(db: Db, by: string | undefined): Promise<Actor> {
  return by === undefined ? adminActor() : rosterActor(db, by);
}

function yearOr(text: string | undefined, at: number | undefined, ctx: CliContext): number {
  if (text !== undefined) return parseYear(text);
  return Number(localDate(at ?? ctx.clock.now().getTime(), ctx.config.timeZone).slice(0, 4));
}

function deps(ctx: CliContext) {
  return { db: ctx.db, tz: ctx.config.timeZone, clock: ctx.clock, plan: ctx.plan };
}

function describeBoardTask(t: BoardTask): string {
  const schedule = t.cadence === null ? `${t.deadlineText}（${t.dueDate}）` : `${t.deadlineText}·${CADENCE_ZH[t.cadence] ?? t.cadence}`;
  const lines = [`${LIGHT_MARK[t.status]} ${t.seq}. ${t.content}｜${schedule}｜${t.leadUnits.join('、')}`];
  if (t.cadence === null) {
    const o = t.occurrences[0];
    if (o?.doneAt) lines.push(`      ${o.doneLate ? '逾期完成' : '已完成'}：${o.doneBy} ${o.doneAt}`);
  } else {
    const overdue = t.occurrences.filter((o) => o.status === 'red').map((o) => o.period);
    const done = t.occurrences.filter((o) => o.status === 'done').length;
    const current = t.occurrences.find((o) => o.period === t.currentPeriod);
    const parts = [`已完成 ${done}/${t.occurrences.length}`];
    if (current) parts.push(`本期 ${current.period}（${current.dueDate} 到期）${current.status === 'done' ? '已完成' : STATUS_NAMES_ZH[current.status]}`);
    if (overdue.length > 0) parts.push(`逾期：${overdue.join('、')}`);
    lines.push(`      ${parts.join('；')}`);
  }
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

export function registerTaskCommands(program: Command): void {
  withCommonOptions(
    program
      .command('tasks')
      .description('the task board (红黄绿灯) of a programme year')
      .option('--at <ISO>', 'evaluate the status as of this instant (default: now)')
      .option('--lead <unit>', 'only the tasks this lead unit leads')
      .option('--status <status>', 'only tasks whose status is red | yellow | green | done')
      .option('--year <YYYY>', 'programme year (default: the year of --at)')
      .option('--yellow-days <n>', 'yellow when due within this many days (default 7)'),
  ).action(async (opts: CommonOptions & { at?: string; lead?: string; status?: string; year?: string; yellowDays?: string }) =>
    withContext(opts, async (ctx) => {
      const tz = ctx.config.timeZone;
      const at = parseAt(opts.at, tz) ?? ctx.clock.now().getTime();
      const year = yearOr(opts.year, at, ctx);
      const yellowDays = opts.yellowDays === undefined ? undefined : parseNonNegativeInt(opts.yellowDays, '--yellow-days');
      if ((await countTasks(ctx.db, year)) === 0) {
        throw new UserError('not_initialised', `${year} 年的任务清单尚未建立（运行 dangjian init --year YYYY 或 dangjian task instantiate --year ${year}）`, '--year');
      }
      const board = await taskBoard(deps(ctx), { year, at, lead: opts.lead, status: opts.status, yellowDays });
      ctx.print(board, () => {
        const head = `${year} 年重点任务（截至 ${isoInZone(at, tz)}）：${board.length} 项`;
        return [head, ...board.map(describeBoardTask)].join('\n');
      });
    }),
  );

  const task = program.command('task').description('complete, undo, add, edit, retire and instantiate tasks');

  withCommonOptions(
    task
      .command('done')
      .description('mark an occurrence of a task done')
      .requiredOption('--seq <n>', 'task number')
      .option('--period <p>', 'occurrence: 2026-03, 2026-03-上/下 (or 2026-03a/b), 2026-Q1, 2026-B1, 2026 (default: the earliest open one)')
      .requiredOption('--by <name>', 'roster name of who did it')
      .option('--note <text>', 'a note')
      .option('--at <ISO>', 'when it was done (default: now)')
      .option('--progress <key=value,...>', 'progress figures for tasks with a measurable target')
      .option('--year <YYYY>', 'programme year (default: the year of --at)'),
  ).action(async (opts: CommonOptions & { seq: string; period?: string; by: string; note?: string; at?: string; progress?: string; year?: string }) =>
    withContext(opts, async (ctx) => {
      const at = parseAt(opts.at, ctx.config.timeZone);
      const year = yearOr(opts.year, at, ctx);
      const progress = opts.progress === undefined ? undefined : parseProgress(opts.progress);
      const actor = await rosterActor(ctx.db, opts.by);
      const r = await completeOccurrence(deps(ctx), actor, { year, seq: opts.seq, period: opts.period, note: opts.note, progress, at });
      ctx.print(r, () => `任务 ${r.seq} 周期 ${r.period}（${r.dueDate} 到期）已由 ${r.doneBy} 于 ${r.doneAt} 标记完成${r.late ? '（逾期完成）' : ''}`);
    }),
  );

  withCommonOptions(
    task
      .command('undo')
      .description('withdraw the completion of an occurrence (history is kept)')
      .requiredOption('--seq <n>', 'task number')
      .option('--period <p>', 'occurrence (default: the dated task\'s, or the most recently completed one)')
      .requiredOption('--by <name>', 'roster name of who withdraws it')
      .option('--year <YYYY>', 'programme year (default: this year)'),
  ).action(async (opts: CommonOptions & { seq: string; period?: string; by: string; year?: string }) =>
    withContext(opts, async (ctx) => {
      const year = yearOr(opts.year, undefined, ctx);
      const actor = await rosterActor(ctx.db, opts.by);
      const r = await undoOccurrence(deps(ctx), actor, { year, seq: opts.seq, period: opts.period });
      ctx.print(r, () => `任务 ${r.seq} 周期 ${r.period} 的完成记录（${r.undone.doneBy} ${r.undone.doneAt}）已由 ${r.undoneBy} 撤销`);
    }),
  );

  withCommonOptions(
    task
      .command('add')
      .description('add a task beyond the plan\'s list (office)')
      .requiredOption('--content <text>', 'what is to be done')
      .requiredOption('--deadline <phrase>', `deadline: ${DEADLINE_PHRASE_HELP}`)
      .requiredOption('--lead <units>', 'lead unit(s), comma-separated')
      .option('--category <text>', 'the 行动 it belongs to (default: 其他任务)')
      .option('--cadence <cadence>', 'monthly | twice_monthly | quarterly | bimonthly | yearly (required iff the deadline is 贯穿全年)')
      .option('--year <YYYY>', 'programme year (default: this year)')
      .option('--by <name>', 'roster name of the office member (default: the shell operator)'),
  ).action(async (opts: CommonOptions & { content: string; deadline: string; lead: string; category?: string; cadence?: string; year?: string; by?: string }) =>
    withContext(opts, async (ctx) => {
      const year = yearOr(opts.year, undefined, ctx);
      const leadUnits = parseLeadUnitList(opts.lead);
      const actor = await officeActor(ctx.db, opts.by);
      const t = await addTask(deps(ctx), actor, { year, content: opts.content, deadlineText: opts.deadline, leadUnits, category: opts.category, cadence: opts.cadence });
      ctx.print(taskJson(t, ctx.config.timeZone), () => `已新增 ${describeTask(t)}`);
    }),
  );

  withCommonOptions(
    task
      .command('edit')
      .description('edit a task (office)')
      .requiredOption('--seq <n>', 'task number')
      .option('--content <text>', 'new content')
      .option('--deadline <phrase>', `new deadline: ${DEADLINE_PHRASE_HELP}`)
      .option('--lead <units>', 'new lead unit(s), comma-separated')
      .option('--category <text>', 'new category')
      .option('--cadence <cadence>', 'new cadence (贯穿全年 tasks only)')
      .option('--year <YYYY>', 'programme year (default: this year)')
      .option('--by <name>', 'roster name of the office member (default: the shell operator)'),
  ).action(
    async (opts: CommonOptions & { seq: string; content?: string; deadline?: string; lead?: string; category?: string; cadence?: string; year?: string; by?: string }) =>
      withContext(opts, async (ctx) => {
        const year = yearOr(opts.year, undefined, ctx);
        const leadUnits = opts.lead === undefined ? undefined : parseLeadUnitList(opts.lead);
        const actor = await officeActor(ctx.db, opts.by);
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
      }),
  );

  withCommonOptions(
    task
      .command('retire')
      .description('retire a task: left out of listings and reminders from now on, history kept (office)')
      .requiredOption('--seq <n>', 'task number')
      .option('--year <YYYY>', 'programme year (default: this year)')
      .option('--by <name>', 'roster name of the office member (default: the shell operator)'),
  ).action(async (opts: CommonOptions & { seq: string; year?: string; by?: string }) =>
    withContext(opts, async (ctx) => {
      const year = yearOr(opts.year, undefined, ctx);
      const actor = await officeActor(ctx.db, opts.by);
      const t = await retireTask(deps(ctx), actor, { year, seq: opts.seq });
      ctx.print(taskJson(t, ctx.config.timeZone), () => `已撤销 ${describeTask(t)}`);
    }),
  );

  withCommonOptions(
    task
      .command('instantiate')
      .description("create a programme year's task list: the plan's items plus the office's non-retired tasks (idempotent)")
      .requiredOption('--year <YYYY>', 'programme year')
      .option('--by <name>', 'roster name of the office member (default: the shell operator)'),
  ).action(async (opts: CommonOptions & { year: string; by?: string }) =>
    withContext(opts, async (ctx) => {
      const year = parseYear(opts.year);
      const actor = await officeActor(ctx.db, opts.by);
      const r = await instantiateTasks(deps(ctx), actor, { year });
      ctx.print(r, () => {
        const lines = [`${year} 年任务清单：新增 ${r.inserted.length} 项，已存在 ${r.existing.length} 项${r.copiedFrom !== null ? `（党建办新增任务取自 ${r.copiedFrom} 年）` : ''}`];
        for (const s of r.skipped) lines.push(`  未复制任务 ${s.seq}：${s.reason}`);
        return lines.join('\n');
      });
    }),
  );

  withCommonOptions(
    program
      .command('calendar')
      .description('the working-day calendar in use for a year (holidays, 调休 working days, source)')
      .option('--year <YYYY>', 'year (default: this year)'),
  ).action(async (opts: CommonOptions & { year?: string }) =>
    withContext(opts, async (ctx) => {
      const year = yearOr(opts.year, undefined, ctx);
      const { calendar, warnings } = createConfiguredWorkCalendar(ctx.config, [year]);
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
          `${year} 年工作日历：来源 ${data.source}，工作日 ${data.workdays} 天`,
          `chinese-days ${coverage.libraryVersion} 覆盖 ${covered}${coverage.overrideYears.length > 0 ? `；HOLIDAY_FILE 覆盖 ${coverage.overrideYears.join('、')}` : ''}`,
        ];
        for (const d of days) lines.push(`  ${d.date} ${d.weekday} ${d.kind === 'holiday' ? '放假' : '调休上班'}${d.name ? ` ${d.name}` : ''}${d.source === 'override' ? '（HOLIDAY_FILE）' : ''}`);
        for (const w of warnings) lines.push(`注意：${w}`);
        return lines.join('\n');
      });
    }),
  );
}
