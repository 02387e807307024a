/**
 * The rows of `dangjian reminders preview`. `--raw`: one per intent, `{key, at, kind, chatId,
 * taskSeq, period}` with `at` as ISO with offset (the contract scripts rely on). Default: one per
 * card, `{key, at, chatId, sections, itemCount, items}`. Formatted one by one (the preview is
 * streamed): the JSON text is exactly what `JSON.stringify(rows, null, 2)` would print for the
 * whole array.
 */
import type { ReminderIntent } from './intent.js';
import { SECTION_NAMES_ZH, type PreviewCard } from './compose.js';
import { isoInZone as isoOf } from '../time.js';

export interface PreviewRow {
  key: string;
  at: string;
  kind: string;
  chatId: string | null;
  taskSeq: number | null;
  period: string | null;
}

/** Formats rows for one zone; consecutive reminders share their instant, so the ISO text is reused. */
export function previewFormatter(tz: string): { row(i: ReminderIntent): PreviewRow; json(row: PreviewRow): string; text(row: PreviewRow): string } {
  let lastAt = Number.NaN;
  let lastIso = '';
  const iso = (at: number) => {
    if (at !== lastAt) {
      lastAt = at;
      lastIso = isoOf(at, tz);
    }
    return lastIso;
  };
  const str = JSON.stringify;
  return {
    row: (i) => ({ key: i.key, at: iso(i.at), kind: i.kind, chatId: i.chatId, taskSeq: i.taskSeq, period: i.period }),
    /** One array element as JSON.stringify(array, null, 2) indents it (two spaces in). */
    json: (r) =>
      `  {\n    "key": ${str(r.key)},\n    "at": ${str(r.at)},\n    "kind": ${str(r.kind)},\n    "chatId": ${str(r.chatId)},\n    "taskSeq": ${str(r.taskSeq)},\n    "period": ${str(r.period)}\n  }`,
    text: (r) => `${r.at}  ${r.kind.padEnd(10)} ${r.taskSeq === null ? '' : `任务${r.taskSeq} ${r.period} `}→ ${r.chatId ?? '（无群）'}  ${r.key}`,
  };
}

export interface PreviewCardRow {
  key: string;
  at: string;
  chatId: string | null;
  sections: string[];
  itemCount: number;
  items: string[];
}

/** One row per card: what each chat will receive. */
export function cardPreviewFormatter(tz: string): { row(c: PreviewCard): PreviewCardRow; json(row: PreviewCardRow): string; text(row: PreviewCardRow): string } {
  return {
    row: (c) => ({ key: c.key, at: isoOf(c.at, tz), chatId: c.chatId, sections: [...c.sections], itemCount: c.items.length, items: [...c.items] }),
    json: (r) =>
      JSON.stringify(r, null, 2)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    text: (r) => {
      const what = r.sections.map((k) => SECTION_NAMES_ZH[k as keyof typeof SECTION_NAMES_ZH] ?? k).join('、');
      return `${r.at}  → ${r.chatId ?? '（无群）'}  一张卡片：${what}，共 ${r.itemCount} 项`;
    },
  };
}
