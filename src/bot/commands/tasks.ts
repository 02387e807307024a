/**
 * 任务 / tasks, 完成 / done, 撤销 / undo, and the 「标记完成」 button.
 * Button value: { action: 'task.complete', year: 2026, seq: 5, period: '2026-03' }.
 */
import { z } from 'zod';
import type { Actor } from '../../auth/actor.js';
import { actorLeadUnit } from '../../auth/policy.js';
import { buttonRow, card, escapeMarkdown, markdown } from '../../cards/card.js';
import { completionBanner } from '../../cards/labels.js';
import { taskCard, taskListCard } from '../../cards/task-cards.js';
import { countTasks } from '../../db/task.repository.js';
import { UserError } from '../../errors.js';
import { boardOfTask, boardOfYear, completeOccurrence, parseProgress, requireTaskList, undoOccurrence } from '../../services/tasks.service.js';
import type { BoardTask } from '../../tasks/board.js';
import { addDays, weekday } from '../../tasks/dates.js';
import { normalisePeriod } from '../../tasks/occurrences.js';
import type { TaskStatus } from '../../tasks/status.js';
import { localDate } from '../../time.js';
import { UNBOUND_HINT } from '../access.js';
import { optionalText, seqArg } from '../args.js';
import { commandButton } from '../cards.js';
import { defineCommand } from '../registry.js';
import { cardReply, type BotDeps, type CardActionResult } from '../types.js';

const boardDeps = (deps: BotDeps) => ({ db: deps.db, tz: deps.tz, yellowDays: deps.settings.yellowDays });

const SEVERITY: Record<TaskStatus, number> = { red: 0, yellow: 1, green: 2, done: 3 };
const bySeverity = (a: BoardTask, b: BoardTask) => SEVERITY[a.status] - SEVERITY[b.status] || a.seq - b.seq;

type TaskFilter = { kind: 'attention' | 'mine' | 'overdue' | 'week' | 'all' } | { kind: 'one'; seq: number };

const FILTER_WORDS: Record<string, TaskFilter['kind']> = {
  我的: 'mine',
  mine: 'mine',
  my: 'mine',
  逾期: 'overdue',
  红灯: 'overdue',
  overdue: 'overdue',
  本周: 'week',
  week: 'week',
  全部: 'all',
  所有: 'all',
  all: 'all',
};

const nfkc = (s: string) => s.normalize('NFKC').trim();
const isYearToken = (s: string) => /^\d{4}年?$/.test(nfkc(s)) && Number(nfkc(s).slice(0, 4)) >= 2000;

const taskFilter = z
  .string()
  .optional()
  .transform((s, ctx): TaskFilter => {
    if (s === undefined) return { kind: 'attention' };
    const word = FILTER_WORDS[nfkc(s).toLowerCase()];
    if (word && word !== 'attention') return { kind: word } as TaskFilter;
    const seq = nfkc(s).replace(/^#|号$/g, '');
    if (/^\d{1,4}$/.test(seq) && Number(seq) >= 1) return { kind: 'one', seq: Number(seq) };
    ctx.addIssue({ code: 'custom', message: `不认识「${s}」；可用：我的、逾期、本周、全部，或任务序号` });
    return z.NEVER;
  });

const yearOf = (today: string) => Number(today.slice(0, 4));

async function boardOrHint(deps: BotDeps, year: number, at: number): Promise<BoardTask[]> {
  await requireTaskList(deps.db, year);
  return boardOfYear(boardDeps(deps), year, at);
}

const currentTask = (deps: BotDeps, year: number, seq: number, at: number) => boardOfTask(boardDeps(deps), year, seq, at);

export const tasks = defineCommand({
  names: ['任务', 'tasks', 'task'],
  summary: '重点任务的红黄绿灯和牵头单位（默认列出逾期和临期的）',
  usage: '任务 [我的 | 逾期 | 本周 | 全部 | 〈序号〉] [年份]',
  example: '任务 逾期',
  access: 'read',
  params: [
    { key: 'filter', label: '[筛选]' },
    { key: 'year', label: '[年份]' },
  ],
  toInput(tokens) {
    const out: Record<string, unknown> = {};
    const rest = [...tokens];
    const yearAt = rest.findIndex(isYearToken);
    if (yearAt >= 0) out.year = rest.splice(yearAt, 1)[0];
    if (rest[0] !== undefined) out.filter = rest[0];
    if (rest.length > 1) out._extra = rest.slice(1).join(' ');
    return out;
  },
  args: z.object({ filter: taskFilter, year: z.string().transform((s) => Number(nfkc(s).slice(0, 4))).optional() }),
  async run(ctx, args) {
    const { deps, now } = ctx;
    const today = localDate(now, deps.tz);
    const year = args.year ?? yearOf(today);
    const f = args.filter;
    if (f.kind === 'one') {
      const t = await currentTask(deps, year, f.seq, now.getTime());
      if (t) return cardReply(taskCard(t, today));
      await requireTaskList(deps.db, year);
      const count = await countTasks(deps.db, year);
      throw new UserError('not_found', `${year} 年没有序号为 ${f.seq} 的任务（发送「任务 全部」查看全部 ${count} 项）`, '〈序号〉');
    }
    const board = await boardOrHint(deps, year, now.getTime());
    switch (f.kind) {
      case 'mine': {
        if (!ctx.actor) throw new UserError('forbidden', UNBOUND_HINT);
        const lead = actorLeadUnit(ctx.actor);
        if (!lead) throw new UserError('bad_argument', `「我的」列出你所在牵头单位的任务，但 ${ctx.actor.name} 不属于任何牵头单位；可用「任务 逾期」或「任务 全部」`, '[筛选]');
        const mine = board.filter((t) => t.leadUnits.includes(lead)).sort(bySeverity);
        return cardReply(taskListCard(`任务 · ${lead} · ${year}`, mine, today, `${lead} 在 ${year} 年没有牵头任务。`));
      }
      case 'overdue':
        return cardReply(taskListCard(`任务 · 逾期 · ${year}`, board.filter((t) => t.status === 'red'), today, '🎉 没有逾期任务。'));
      case 'week': {
        const monday = addDays(today, -((weekday(today) + 6) % 7));
        const sunday = addDays(monday, 6);
        const due = board.filter((t) => t.occurrences.some((o) => o.status !== 'done' && o.dueDate >= monday && o.dueDate <= sunday)).sort(bySeverity);
        return cardReply(taskListCard(`任务 · 本周到期（${monday} ~ ${sunday}）`, due, today, '本周没有到期的任务。'));
      }
      case 'all':
        return cardReply(taskListCard(`任务 · 全部 · ${year}`, [...board].sort((a, b) => a.seq - b.seq), today, '没有任务。'));
      case 'attention': {
        const attention = board.filter((t) => t.status === 'red' || t.status === 'yellow').sort(bySeverity);
        return cardReply(taskListCard(`任务 · 需关注 · ${year}`, attention, today, '🎉 没有逾期或临期的任务。发送「任务 全部」查看全部。'));
      }
    }
  },
});

/**
 * A period as people type it: 2026-03, 2026-03-上, 2026-Q1, 2026-B1, 2026 — or, in the task's
 * year, 3月, 3月上, 3月下半月, Q1, 一季度, 第一季度. Returns undefined when the token is not a period.
 */
function parsePeriodToken(token: string, year: number): string | undefined {
  const s = nfkc(token);
  const m = /^(\d{4})-(\d{1,2})(-?[上下abAB])?$/.exec(s);
  if (m) return normalisePeriod(`${m[1]}-${m[2]!.padStart(2, '0')}${m[3] ? `-${m[3].replace(/^-/, '')}` : ''}`);
  if (/^\d{4}(-[QqBb]\d)?$/.test(s)) return normalisePeriod(s);
  const month = /^(\d{1,2})月(?:份)?([上下])?(?:半月|旬)?$/.exec(s);
  if (month && Number(month[1]) >= 1 && Number(month[1]) <= 12) return `${year}-${month[1]!.padStart(2, '0')}${month[2] ? `-${month[2]}` : ''}`;
  const q = /^(?:[Qq]([1-4])|第?([一二三四1-4])季度)$/.exec(s);
  if (q) {
    const n = q[1] ?? String('一二三四'.indexOf(q[2]!) + 1 || q[2]);
    return `${year}-Q${n}`;
  }
  return undefined;
}

const PROGRESS_TOKEN = /^[A-Za-z_][\w-]*=/;

/** 〈序号〉 [期次] [key=数值 ...] [备注...]: the period only when the second token looks like one. */
function completionInput(tokens: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (tokens[0] !== undefined) out.seq = tokens[0];
  const rest = tokens.slice(1);
  if (rest[0] !== undefined && parsePeriodToken(rest[0], 2000) !== undefined) out.period = rest.shift();
  const progress = rest.filter((t) => PROGRESS_TOKEN.test(nfkc(t)));
  const note = rest.filter((t) => !PROGRESS_TOKEN.test(nfkc(t)));
  if (progress.length > 0) out.progress = progress.join(',');
  if (note.length > 0) out.note = note.join(' ');
  return out;
}

/** The task year: the period's own year when it names one, else the current year. */
function resolvePeriod(period: string | undefined, today: string): { year: number; period: string | undefined } {
  const current = yearOf(today);
  if (period === undefined) return { year: current, period: undefined };
  const explicitYear = /^\d{4}/.test(nfkc(period)) ? Number(nfkc(period).slice(0, 4)) : current;
  return { year: explicitYear, period: parsePeriodToken(period, explicitYear) };
}

export const done = defineCommand({
  names: ['完成', 'done'],
  summary: '把任务（或其某一期）标记为完成',
  usage: '完成 〈序号〉[期次][备注]',
  example: '完成 8 2026-03 本月积分兑换已开展',
  access: 'write',
  auditAction: 'task.done',
  params: [
    { key: 'seq', label: '〈序号〉' },
    { key: 'period', label: '[期次]' },
    { key: 'note', label: '[备注]', rest: true },
  ],
  toInput: completionInput,
  args: z.object({ seq: seqArg, period: z.string().optional(), progress: z.string().optional(), note: optionalText('备注', 500) }),
  async run(ctx, args) {
    const { deps, now } = ctx;
    const today = localDate(now, deps.tz);
    const { year, period } = resolvePeriod(args.period, today);
    const progress = args.progress === undefined ? undefined : parseProgress(args.progress, '[进度]');
    const r = await completeOccurrence(deps, ctx.actor!, { year, seq: args.seq, period, note: args.note, progress });
    const task = await currentTask(deps, year, args.seq, now.getTime());
    const banner = `${completionBanner(r, escapeMarkdown)}${r.note ? `\n备注：${escapeMarkdown(r.note)}` : ''}`;
    if (!task) return cardReply(card(`任务 ${r.seq} 已完成`, 'green', [markdown(banner)]));
    const c = taskCard(task, today, banner);
    c.body.elements.push(buttonRow([commandButton('撤销这次完成', `撤销 ${r.seq} ${r.period}`)]));
    return cardReply(c);
  },
});

export const undo = defineCommand({
  names: ['撤销', 'undo'],
  summary: '撤销一次完成标记（默认最近一次）',
  usage: '撤销 〈序号〉[期次]',
  example: '撤销 8 2026-03',
  access: 'write',
  auditAction: 'task.undo',
  params: [
    { key: 'seq', label: '〈序号〉' },
    { key: 'period', label: '[期次]' },
  ],
  args: z.object({
    seq: seqArg,
    period: z
      .string()
      .optional()
      .refine((p) => p === undefined || parsePeriodToken(p, 2000) !== undefined, '期次应写作 2026-03、2026-03-上、2026-Q1、3月 或 Q1'),
  }),
  async run(ctx, args) {
    const { deps, now } = ctx;
    const today = localDate(now, deps.tz);
    const { year, period } = resolvePeriod(args.period, today);
    const r = await undoOccurrence(deps, ctx.actor!, { year, seq: args.seq, period });
    const task = await currentTask(deps, year, args.seq, now.getTime());
    const banner = `↩️ ${escapeMarkdown(r.undoneBy)} 撤销了任务 ${r.seq} 的 ${r.period} 完成标记（原由 ${escapeMarkdown(r.undone.doneBy)} 于 ${r.undone.doneAt.slice(0, 10)} 标记）`;
    if (!task) return cardReply(card(`任务 ${r.seq} 已撤销完成`, 'orange', [markdown(banner)]));
    return cardReply(taskCard(task, today, banner));
  },
});

/**
 * 「标记完成」 pressed: completes the occurrence and answers with a toast and the task card as it
 * now stands (replacing the pressed card for everyone, update_multi). A second press is refused
 * by the task service (already done) and answers with the current card.
 */
export async function completeFromCard(deps: BotDeps, actor: Actor, input: { year: number; seq: number; period: string | undefined }, now: Date): Promise<CardActionResult> {
  const today = localDate(now, deps.tz);
  try {
    const r = await completeOccurrence(deps, actor, { year: input.year, seq: input.seq, period: input.period });
    const task = await currentTask(deps, input.year, input.seq, now.getTime());
    const banner = completionBanner(r, escapeMarkdown);
    return {
      toast: { type: 'success', content: `已标记完成：任务 ${r.seq} ${r.period}` },
      ...(task ? { card: taskCard(task, today, banner) } : {}),
    };
  } catch (err) {
    if (err instanceof UserError && err.code === 'conflict') {
      const task = await currentTask(deps, input.year, input.seq, now.getTime());
      return { toast: { type: 'info', content: err.message }, ...(task ? { card: taskCard(task, today) } : {}) };
    }
    throw err;
  }
}
