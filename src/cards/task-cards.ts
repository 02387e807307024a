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

export function taskListCard(title: string, tasks: readonly BoardTask[], today: string, emptyText: string): Card {
  if (tasks.length === 0) return card(title, 'green', [markdown(emptyText)]);
  const counts = { red: 0, yellow: 0, green: 0, done: 0 };
  for (const t of tasks) counts[t.status]++;
  const shown = tasks.slice(0, MAX_TASK_ROWS);
  const elements: CardElement[] = [
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
  ];
  if (tasks.length > shown.length) elements.push(markdown(`共 ${tasks.length} 项，仅列出前 ${shown.length} 项；发送「任务 〈序号〉」查看单项。`));
  const actionable = tasks
    .map((t) => ({ t, open: t.status === 'red' || t.status === 'yellow' ? openOccurrenceOf(t, today) : undefined }))
    .filter((x) => x.open !== undefined)
    .slice(0, MAX_LIST_BUTTONS);
  if (actionable.length > 0) elements.push(buttonRow(actionable.map(({ t, open }) => completeTaskButton(t.year, t.seq, open!.period, `完成 #${t.seq}`))));
  const worst: TaskStatus = counts.red > 0 ? 'red' : counts.yellow > 0 ? 'yellow' : 'green';
  return card(title, STATUS_TEMPLATE[worst], elements);
}
