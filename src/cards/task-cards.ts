/** The 督办 board as cards: one task in full, and a list of tasks (the chat's 任务). */
import { openOccurrence, type BoardTask } from '../tasks/board.js';
import type { TaskStatus } from '../tasks/status.js';
import { completeTaskButton } from './actions.js';
import { buttonRow, card, escapeMarkdown, fields, hr, markdown, table, type Card, type CardElement } from './card.js';
import { clip, STATUS_ICON, STATUS_NAMES_ZH, STATUS_TEMPLATE } from './labels.js';

const CONTENT_IN_LIST = 40;
/** Rows of a task list card (Lark cards must stay under 30 KB). */
const MAX_TASK_ROWS = 30;
const MAX_LIST_BUTTONS = 5;

/** The occurrence a 「标记完成」 press on this task's card completes. */
const openOccurrenceOf = (t: BoardTask, today: string) => openOccurrence(t, t.occurrences, (o) => o.status === 'done', today);

const dueText = (t: BoardTask, today: string): string => {
  if (t.cadence === null) return t.dueDate ?? t.deadlineText;
  const open = openOccurrenceOf(t, today);
  return open ? `${open.period}（${open.dueDate}）` : t.deadlineText;
};

/** One task in full: status, lead units, occurrences, and the button for the open occurrence. */
export function taskCard(t: BoardTask, today: string, banner?: string): Card {
  const elements: CardElement[] = [];
  if (banner) elements.push(markdown(banner), hr());
  elements.push(markdown(`**${t.seq}. ${escapeMarkdown(t.content)}**`));
  elements.push(
    fields([
      ['状态', `${STATUS_ICON[t.status]} ${STATUS_NAMES_ZH[t.status]}${t.doneLate ? '（有逾期完成）' : ''}`],
      ['完成时间', `${escapeMarkdown(t.deadlineText)}${t.dueDate ? `（${t.dueDate}）` : ''}`],
      ['牵头单位', escapeMarkdown(t.leadUnits.join('、'))],
      ['类别', escapeMarkdown(t.category)],
    ]),
  );
  if (t.target) elements.push(markdown(`目标：${escapeMarkdown(t.target.text)}`));
  const shownOccurrences = t.cadence === null ? t.occurrences : t.occurrences.filter((o) => o.start <= today || o.status === 'done');
  if (shownOccurrences.length > 0) {
    elements.push(
      table(
        [
          { key: 'period', title: '期次' },
          { key: 'due', title: '截止' },
          { key: 'status', title: '状态' },
          { key: 'by', title: '完成人' },
        ],
        shownOccurrences.map((o) => ({
          period: o.period,
          due: o.dueDate,
          status: `${STATUS_ICON[o.status]}${o.doneLate ? ' 逾期完成' : ''}`,
          by: o.doneBy ? `${escapeMarkdown(o.doneBy)} ${o.doneAt?.slice(0, 10) ?? ''}` : '',
        })),
      ),
    );
  }
  const open = openOccurrenceOf(t, today);
  if (open) elements.push(buttonRow([completeTaskButton(t.year, t.seq, open.period, `标记完成 ${open.period}`)]));
  return card(`任务 ${t.seq} · ${STATUS_NAMES_ZH[t.status]}`, STATUS_TEMPLATE[t.status], elements);
}

/** Which list a list card is (its buttons carry it, so that a press re-renders the same list). */
export interface TaskListRef {
  title: string;
  /** The listed tasks, in order. */
  seqs: number[];
  /** The tasks that carry a 「完成」 button. */
  buttons: number[];
}

const listRef = (r: TaskListRef) => ({ listTitle: r.title, listSeqs: r.seqs.join(','), listButtons: r.buttons.join(',') });

/**
 * A list of tasks (「任务」): counts, a table, and 「完成 #N」 for the first red or yellow tasks.
 * `ref` re-renders a list after a press: the same rows and buttons, each as it now stands
 * (a completed task's button gives way to its mark), with `banner` on top.
 */
export function taskListCard(title: string, tasks: readonly BoardTask[], today: string, emptyText: string, o: { ref?: TaskListRef; banner?: string } = {}): Card {
  if (tasks.length === 0) return card(title, 'green', [markdown(emptyText)]);
  const counts = { red: 0, yellow: 0, green: 0, done: 0 };
  for (const t of tasks) counts[t.status]++;
  const shown = tasks.slice(0, MAX_TASK_ROWS);
  const elements: CardElement[] = [];
  if (o.banner) elements.push(markdown(o.banner), hr());
  elements.push(
    markdown(`🔴 逾期 ${counts.red}　🟡 临期 ${counts.yellow}　🟢 正常 ${counts.green}　✅ 完成 ${counts.done}`),
    table(
      [
        { key: 'light', title: '灯' },
        { key: 'seq', title: '序号', type: 'number' },
        { key: 'content', title: '任务' },
        { key: 'due', title: '截止/期次' },
        { key: 'lead', title: '牵头单位' },
      ],
      shown.map((t) => ({ light: STATUS_ICON[t.status], seq: t.seq, content: escapeMarkdown(clip(t.content, CONTENT_IN_LIST)), due: dueText(t, today), lead: escapeMarkdown(t.leadUnits.join('、')) })),
      10,
    ),
  );
  if (tasks.length > shown.length) elements.push(markdown(`共 ${tasks.length} 项，仅列出前 ${shown.length} 项；发送「任务 〈序号〉」查看单项。`));
  const withButton = o.ref
    ? tasks.filter((t) => o.ref!.buttons.includes(t.seq))
    : tasks.filter((t) => t.status === 'red' || t.status === 'yellow').filter((t) => openOccurrenceOf(t, today) !== undefined).slice(0, MAX_LIST_BUTTONS);
  const ref: TaskListRef = o.ref ?? { title, seqs: shown.map((t) => t.seq), buttons: withButton.map((t) => t.seq) };
  const actionable = withButton.map((t) => ({ t, open: openOccurrenceOf(t, today) })).filter((x) => x.open !== undefined);
  if (actionable.length > 0) elements.push(buttonRow(actionable.map(({ t, open }) => completeTaskButton(t.year, t.seq, open!.period, `完成 #${t.seq}`, listRef(ref)))));
  const worst: TaskStatus = counts.red > 0 ? 'red' : counts.yellow > 0 ? 'yellow' : 'green';
  return card(title, STATUS_TEMPLATE[worst], elements);
}

/** A batch's outcome (「完成 8 1-11月」): what was done and what was refused, as ranges. */
export function batchResultCard(r: { done: BatchLine[]; refused: Array<BatchLine & { reason: string }> }, verb: '完成' | '撤销'): Card {
  const elements: CardElement[] = [];
  const doneWord = verb === '完成' ? '已标记完成' : '已撤销完成';
  if (r.done.length > 0) elements.push(markdown(`✅ **${doneWord} ${r.done.length} 期**\n${runsBySeq(r.done).map((x) => `- 任务 ${x.seq}：${x.text}`).join('\n')}`));
  if (r.refused.length > 0) {
    const groups = new Map<string, Array<BatchLine & { reason: string }>>();
    for (const x of r.refused) groups.set(`${x.seq}\u0000${x.reason}`, [...(groups.get(`${x.seq}\u0000${x.reason}`) ?? []), x]);
    const lines = [...groups.values()].flatMap((g) => runsBySeq(g).map((x) => `- 任务 ${x.seq}：${x.text}：${escapeMarkdown(g[0]!.reason)}`));
    elements.push(markdown(`❌ **未${verb} ${r.refused.length} 期**\n${lines.join('\n')}`));
  }
  if (verb === '完成' && r.done.length > 0) elements.push(markdown('如有误，可发送「撤销 〈序号〉 〈期次范围〉」撤销，例如「撤销 8 1-11月」。'));
  const seqs = [...new Set([...r.done, ...r.refused].map((x) => x.seq))].sort((a, b) => a - b);
  const template = r.refused.length === 0 ? 'green' : r.done.length === 0 ? 'red' : 'orange';
  return card(`批量${verb}｜任务 ${seqs.join('、')}`, template, elements);
}

export interface BatchLine {
  seq: number;
  period: string;
  index: number;
}

/** Consecutive periods of one task as one run: 「2026-01 … 2026-11（11 期）」. */
function runsBySeq(lines: readonly BatchLine[]): Array<{ seq: number; text: string }> {
  const out: Array<{ seq: number; text: string }> = [];
  const bySeq = new Map<number, BatchLine[]>();
  for (const l of lines) bySeq.set(l.seq, [...(bySeq.get(l.seq) ?? []), l]);
  for (const [seq, list] of bySeq) {
    const sorted = [...list].sort((a, b) => a.index - b.index);
    const runs: BatchLine[][] = [];
    for (const l of sorted) {
      const last = runs[runs.length - 1];
      if (last && l.index === last[last.length - 1]!.index + 1) last.push(l);
      else runs.push([l]);
    }
    const text = runs.map((run) => (run.length === 1 ? run[0]!.period : run.length === 2 ? `${run[0]!.period}、${run[1]!.period}` : `${run[0]!.period} … ${run[run.length - 1]!.period}（${run.length} 期）`)).join('，');
    out.push({ seq, text });
  }
  return out;
}
