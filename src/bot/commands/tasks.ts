/**
 * 任务 / tasks, 完成 / done, 撤销 / undo (one occurrence, or a batch: several tasks, a range of
 * periods, 全部逾期), and the 「标记完成」 / 「全部标记完成」 buttons.
 * Button value: { action: 'task.complete', year: 2026, seq: 5, period: '2026-03', card?: '<outbox key>' }.
 */
import { z } from 'zod';
import type { Actor } from '../../auth/actor.js';
import { actorLeadUnit } from '../../auth/policy.js';
import { buttonRow, card, escapeMarkdown, markdown } from '../../cards/card.js';
import { completionBanner } from '../../cards/labels.js';
import { batchResultCard, taskCard, taskListCard, type TaskListRef } from '../../cards/task-cards.js';
import { UserError } from '../../errors.js';
import { refreshCard } from '../../services/cards.service.js';
import { parseProgrammeYear } from '../../services/scores.service.js';
import { boardOfTask, boardOfYear, completeBatch, completeOccurrence, parseProgress, requireTaskList, undoBatch, undoOccurrence } from '../../services/tasks.service.js';
import type { BoardTask } from '../../tasks/board.js';
import { addDays, weekday } from '../../tasks/dates.js';
import { periodDays } from '../../tasks/occurrences.js';
import { parseSelection, type Selection } from '../../tasks/period-selection.js';
import type { TaskStatus } from '../../tasks/status.js';
import { localDate } from '../../time.js';
import { UNBOUND_HINT } from '../access.js';
import { optionalText, seqListArg } from '../args.js';
import { commandButton } from '../cards.js';
import { shortToast } from '../errors.js';
import { quiet } from '../read-ahead.js';
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
  // The list's existence is checked beside the board's read (an empty board of a year never instantiated says so).
  const [, board] = await Promise.all([requireTaskList(deps.db, year), boardOfYear(boardDeps(deps), year, at)]);
  return board;
}

const currentTask = (deps: BotDeps, year: number, seq: number, at: number) => boardOfTask(boardDeps(deps), year, seq, at);

export const tasks = defineCommand({
  names: ['任务', 'tasks', 'task'],
  summary: '重点任务的红黄绿灯和牵头单位（默认列出逾期和临期的）',
  usage: '任务 [我的 | 逾期 | 本周 | 全部 | 〈序号〉] [年份]',
  example: '任务 逾期',
  access: 'read',
  readOnly: true,
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
  // This year's task or board, read beside the sender (a typed year is checked first).
  readAhead: (deps, args, now) => {
    if (args.year !== undefined) return undefined;
    const year = yearOf(localDate(now, deps.tz));
    return args.filter.kind === 'one' ? { task: quiet(currentTask(deps, year, args.filter.seq, now.getTime())) } : { board: quiet(boardOrHint(deps, year, now.getTime())) };
  },
  async run(ctx, args, ahead) {
    const { deps, now } = ctx;
    const today = localDate(now, deps.tz);
    // A typed year must be one of the programme's (issue 16 #7).
    const year = args.year === undefined ? yearOf(today) : await parseProgrammeYear(deps, args.year, '[年份]');
    const f = args.filter;
    if (f.kind === 'one') {
      const t = await (ahead?.task ?? currentTask(deps, year, f.seq, now.getTime()));
      if (t) return cardReply(taskCard(t, today));
      const count = await requireTaskList(deps.db, year);
      throw new UserError('not_found', `${year} 年没有序号为 ${f.seq} 的任务（发送「任务 全部」查看全部 ${count} 项）`, '〈序号〉');
    }
    const board = await (ahead?.board ?? boardOrHint(deps, year, now.getTime()));
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

const PROGRESS_TOKEN = /^[A-Za-z_][\w-]*=/;

/** A token meant as a period or a range even when it does not parse (then it is refused, not taken as a note). */
const LOOKS_LIKE_PERIOD = /^(\d{4}[-年.]|\d{1,2}\s*(月|[-~～至到])|[Qq]\d|第?[一二三四1-4]季度|全部逾期|所有逾期)/;

const SELECTION_HINT = '期次应写作 2026-03、3月、Q1，或范围 1-11月、2026-01..2026-11，或「全部逾期」';

/** 〈序号〉 [期次] [key=数值 ...] [备注...]: the period only when the second token looks like one. */
function completionInput(tokens: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (tokens[0] !== undefined) out.seq = tokens[0];
  const rest = tokens.slice(1);
  if (rest[0] !== undefined && (parseSelection(rest[0], '2000-01-01') !== undefined || LOOKS_LIKE_PERIOD.test(nfkc(rest[0])))) out.period = rest.shift();
  const progress = rest.filter((t) => PROGRESS_TOKEN.test(nfkc(t)));
  const note = rest.filter((t) => !PROGRESS_TOKEN.test(nfkc(t)));
  if (progress.length > 0) out.progress = progress.join(',');
  if (note.length > 0) out.note = note.join(' ');
  return out;
}

/** A batch (several tasks, a range, or 全部逾期) or one occurrence. */
function selectionOf(seqs: number[], period: string | undefined, today: string): Selection & { seqs: number[] } {
  const sel = parseSelection(period, today);
  if (!sel) throw new UserError('bad_argument', `不认识期次「${period}」；${SELECTION_HINT}`, '[期次]');
  if (sel.kind === 'single' && seqs.length > 1) {
    if (sel.period === undefined) throw new UserError('bad_argument', `同时处理多项任务时请写明期次，例如「完成 ${seqs.join(',')} 3月」或「完成 ${seqs.join(',')} 全部逾期」`, '[期次]');
    const days = periodDays(sel.period)!;
    return { kind: 'batch', year: sel.year, select: { kind: 'due_between', first: days.first, last: days.last }, label: sel.period, seqs };
  }
  return { ...sel, seqs };
}

export const done = defineCommand({
  names: ['完成', 'done'],
  summary: '把任务（或其某一期、某几期）标记为完成',
  usage: '完成 〈序号〉[期次或范围][备注]',
  example: '完成 8 1-11月',
  access: 'write',
  auditAction: 'task.done',
  params: [
    { key: 'seq', label: '〈序号〉' },
    { key: 'period', label: '[期次]' },
    { key: 'note', label: '[备注]', rest: true },
  ],
  toInput: completionInput,
  args: z.object({ seq: seqListArg, period: z.string().optional(), progress: z.string().optional(), note: optionalText('备注', 500) }),
  async run(ctx, args) {
    const { deps, now } = ctx;
    const today = localDate(now, deps.tz);
    const sel = selectionOf(args.seq, args.period, today);
    if (sel.kind === 'batch') {
      if (args.progress !== undefined) throw new UserError('bad_argument', '批量完成时不能填写进度，请逐期填写', '[进度]');
      const r = await completeBatch(deps, ctx.actor!, { year: sel.year, seqs: sel.seqs, select: sel.select, note: args.note });
      return cardReply(batchResultCard(r, '完成'));
    }
    const seq = sel.seqs[0]!;
    const progress = args.progress === undefined ? undefined : parseProgress(args.progress, '[进度]');
    const r = await completeOccurrence(deps, ctx.actor!, { year: sel.year, seq, period: sel.period, note: args.note, progress });
    const task = await currentTask(deps, sel.year, seq, now.getTime());
    const banner = `${completionBanner(r, escapeMarkdown)}${r.note ? `\n备注：${escapeMarkdown(r.note)}` : ''}`;
    if (!task) return cardReply(card(`任务 ${r.seq} 已完成`, 'green', [markdown(banner)]));
    const c = taskCard(task, today, banner);
    c.body.elements.push(buttonRow([commandButton('撤销这次完成', `撤销 ${r.seq} ${r.period}`)]));
    return cardReply(c);
  },
});

export const undo = defineCommand({
  names: ['撤销', 'undo'],
  summary: '撤销完成标记（默认最近一次；可写期次范围）',
  usage: '撤销 〈序号〉[期次或范围]',
  example: '撤销 8 1-11月',
  access: 'write',
  auditAction: 'task.undo',
  params: [
    { key: 'seq', label: '〈序号〉' },
    { key: 'period', label: '[期次]' },
  ],
  args: z.object({
    seq: seqListArg,
    period: z
      .string()
      .optional()
      .refine((p) => p === undefined || parseSelection(p, '2000-01-01') !== undefined, SELECTION_HINT),
  }),
  async run(ctx, args) {
    const { deps, now } = ctx;
    const today = localDate(now, deps.tz);
    const sel = selectionOf(args.seq, args.period, today);
    if (sel.kind === 'batch') {
      const r = await undoBatch(deps, ctx.actor!, { year: sel.year, seqs: sel.seqs, select: sel.select });
      return cardReply(batchResultCard(r, '撤销'));
    }
    const seq = sel.seqs[0]!;
    const r = await undoOccurrence(deps, ctx.actor!, { year: sel.year, seq, period: sel.period });
    const task = await currentTask(deps, sel.year, seq, now.getTime());
    const banner = `↩️ ${escapeMarkdown(r.undoneBy)} 撤销了任务 ${r.seq} 的 ${r.period} 完成标记（原由 ${escapeMarkdown(r.undone.doneBy)} 于 ${r.undone.doneAt.slice(0, 10)} 标记）`;
    if (!task) return cardReply(card(`任务 ${r.seq} 已撤销完成`, 'orange', [markdown(banner)]));
    return cardReply(taskCard(task, today, banner));
  },
});

/** Where a pressed 「标记完成」 sits: a scheduled card (its outbox key), a task list, or a one-task card. */
export type PressedCard = { kind: 'scheduled'; key: string } | { kind: 'list'; ref: TaskListRef } | { kind: 'task' };

async function pressedCardAfter(deps: BotDeps, on: PressedCard, year: number, now: Date, banner: string | undefined, messageId: string | null, seq: number): Promise<Pick<CardActionResult, 'card'>> {
  const today = localDate(now, deps.tz);
  if (on.kind === 'scheduled') {
    // The card carries several items: patched in place through the sender, every other line as it was.
    await patchScheduledCard(deps, on.key, messageId);
    return {};
  }
  if (on.kind === 'list') {
    const board = await boardOfYear(boardDeps(deps), year, now.getTime());
    const bySeq = new Map(board.map((t) => [t.seq, t]));
    const rows = on.ref.seqs.map((s) => bySeq.get(s)).filter((t): t is BoardTask => t !== undefined);
    const c = taskListCard(on.ref.title, rows, today, '没有任务。', { ref: on.ref, ...(banner ? { banner } : {}) });
    if (!messageId) return { card: c };
    try {
      await deps.outbound.patchCard({ messageId, card: c });
      return {};
    } catch (err) {
      // Not patched: the callback's answer replaces the pressed card instead.
      deps.log.warn({ err, messageId }, 'task list not patched after a press');
      return { card: c };
    }
  }
  const task = await currentTask(deps, year, seq, now.getTime());
  return task ? { card: taskCard(task, today, banner) } : {};
}

/**
 * Re-renders a scheduled card and patches it. What the press did stands even when the patch
 * fails (Lark refusing, the card gone): that is logged, the presser still gets the toast.
 */
export async function patchScheduledCard(deps: BotDeps, key: string, messageId: string | null): Promise<void> {
  try {
    await refreshCard({ db: deps.db, tz: deps.tz, outbound: deps.outbound, settings: deps.settings }, key, messageId);
  } catch (err) {
    deps.log.warn({ err, card: key, messageId }, 'card not updated after a press');
  }
}

/**
 * 「标记完成」 pressed: completes the occurrence and updates the pressed card in place — a one-task
 * card is answered with its new state; a card that carries several items (a scheduled card, a
 * task list) is re-rendered with the item marked ✅ and patched. A second press on a done item
 * answers with a toast and leaves the card as it is.
 */
export async function completeFromCard(deps: BotDeps, actor: Actor, input: { year: number; seq: number; period: string | undefined }, on: PressedCard, now: Date, messageId: string | null): Promise<CardActionResult> {
  try {
    const r = await completeOccurrence(deps, actor, { year: input.year, seq: input.seq, period: input.period });
    const banner = completionBanner(r, escapeMarkdown);
    return { toast: { type: 'success', content: `已标记完成：任务 ${r.seq} ${r.period}` }, ...(await pressedCardAfter(deps, on, input.year, now, banner, messageId, input.seq)) };
  } catch (err) {
    if (err instanceof UserError && err.code === 'conflict') {
      if (on.kind !== 'task') return { toast: { type: 'info', content: err.message } };
      return { toast: { type: 'info', content: err.message }, ...(await pressedCardAfter(deps, on, input.year, now, undefined, messageId, input.seq)) };
    }
    throw err;
  }
}

/** 「全部标记完成」 on a collapsed line (after the client's confirmation): every overdue occurrence the presser may complete. */
export async function completeOverdueFromCard(deps: BotDeps, actor: Actor, input: { year: number; seq: number; card: string }, now: Date, messageId: string | null): Promise<CardActionResult> {
  const r = await completeBatch(deps, actor, { year: input.year, seqs: [input.seq], select: { kind: 'overdue' } });
  await pressedCardAfter(deps, { kind: 'scheduled', key: input.card }, input.year, now, undefined, messageId, input.seq);
  const refused = r.refused.length > 0 ? `；未完成 ${r.refused.length} 期：${r.refused[0]!.reason}` : '';
  return { toast: { type: r.done.length > 0 ? 'success' : 'error', content: shortToast(`任务 ${input.seq}：已完成 ${r.done.length} 期${refused}`) } };
}
