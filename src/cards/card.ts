/**
 * Feishu card JSON 2.0, built from small typed pieces, and a plain-text rendering of the
 * same card for the local console (buttons numbered so typing the number presses them).
 * Only the elements below are produced: Feishu rejects unknown properties (200621).
 */
import { chartToText, type ChartElement } from './chart-element.js';
export type CardTemplate = 'blue' | 'wathet' | 'turquoise' | 'green' | 'yellow' | 'orange' | 'red' | 'carmine' | 'violet' | 'purple' | 'indigo' | 'grey';

/** The value carried by a callback button; `action` names the handler. */
export interface ButtonValue {
  action: string;
  [key: string]: string | number | boolean | null;
}

export interface MarkdownElement { tag: 'markdown'; content: string }
export interface HrElement { tag: 'hr' }
export interface ButtonElement {
  tag: 'button';
  text: { tag: 'plain_text'; content: string };
  type: 'primary' | 'default' | 'danger';
  behaviors: Array<{ type: 'callback'; value: ButtonValue }>;
  /** A confirmation dialog before the callback (the client asks; nothing is sent on 取消). */
  confirm?: { title: { tag: 'plain_text'; content: string }; text: { tag: 'plain_text'; content: string } };
  /** Inside a form: its card-unique name, and `submit` sends the form's values with the callback. */
  name?: string;
  form_action_type?: 'submit';
}
/** A text field of a form (its value arrives in the callback's `form_value` under `name`). */
export interface InputElement {
  tag: 'input';
  name: string;
  input_type: 'text' | 'multiline_text';
  label: { tag: 'plain_text'; content: string };
  label_position: 'top';
  placeholder: { tag: 'plain_text'; content: string };
  default_value?: string;
  max_length: number;
}
/** A date field of a form; its value arrives as 「2026-06-30 +0800」. */
export interface DatePickerElement {
  tag: 'date_picker';
  name: string;
  placeholder: { tag: 'plain_text'; content: string };
  initial_date?: string;
}
/** A form container (card root only, no table or form inside; every field named). */
export interface FormElement {
  tag: 'form';
  name: string;
  elements: CardElement[];
}
export interface TableColumn { name: string; display_name: string; data_type: 'text' | 'lark_md' | 'number'; width?: string }
export interface TableElement {
  tag: 'table';
  page_size: number;
  row_height: 'low';
  header_style: { bold: true; background_style: 'grey' };
  columns: TableColumn[];
  rows: Array<Record<string, string | number>>;
}
export interface ColumnSetElement {
  tag: 'column_set';
  flex_mode: 'bisect' | 'none' | 'flow';
  columns: Array<{ tag: 'column'; width: 'weighted'; weight: number; elements: CardElement[] }>;
}
export type CardElement = MarkdownElement | HrElement | ButtonElement | TableElement | ColumnSetElement | ChartElement | InputElement | DatePickerElement | FormElement;

export interface Card {
  schema: '2.0';
  config: { update_multi: true };
  header: { title: { tag: 'plain_text'; content: string }; template: CardTemplate };
  body: { elements: CardElement[] };
}

export function card(title: string, template: CardTemplate, elements: CardElement[]): Card {
  return { schema: '2.0', config: { update_multi: true }, header: { title: { tag: 'plain_text', content: title }, template }, body: { elements } };
}

export const markdown = (content: string): MarkdownElement => ({ tag: 'markdown', content });
export const hr = (): HrElement => ({ tag: 'hr' });

export function button(text: string, value: ButtonValue, type: ButtonElement['type'] = 'default', confirm?: { title: string; text: string }): ButtonElement {
  const b: ButtonElement = { tag: 'button', text: { tag: 'plain_text', content: text }, type, behaviors: [{ type: 'callback', value }] };
  if (confirm) b.confirm = { title: { tag: 'plain_text', content: confirm.title }, text: { tag: 'plain_text', content: confirm.text } };
  return b;
}

/** Text with a button on its right (a collapsed line and its action). */
export function lineWithButton(content: string, b: ButtonElement): ColumnSetElement {
  return {
    tag: 'column_set',
    flex_mode: 'none',
    columns: [
      { tag: 'column', width: 'weighted', weight: 3, elements: [markdown(content)] },
      { tag: 'column', width: 'weighted', weight: 1, elements: [b] },
    ],
  };
}

/** A text field of a form. */
export function input(name: string, label: string, o: { placeholder: string; value?: string | null; multiline?: boolean; maxLength?: number }): InputElement {
  return {
    tag: 'input',
    name,
    input_type: o.multiline ? 'multiline_text' : 'text',
    label: { tag: 'plain_text', content: label },
    label_position: 'top',
    placeholder: { tag: 'plain_text', content: o.placeholder },
    ...(o.value ? { default_value: o.value } : {}),
    max_length: o.maxLength ?? 200,
  };
}

/** A date field of a form. */
export function datePicker(name: string, placeholder: string, value: string | null): DatePickerElement {
  return { tag: 'date_picker', name, placeholder: { tag: 'plain_text', content: placeholder }, ...(value ? { initial_date: value } : {}) };
}

/** A button that submits its form: the callback carries `value` and the form's values. */
export function submitButton(name: string, text: string, value: ButtonValue, type: ButtonElement['type'] = 'default'): ButtonElement {
  return { ...button(text, value, type), name, form_action_type: 'submit' };
}

/** Buttons side by side. */
export function buttonRow(buttons: ButtonElement[]): ColumnSetElement {
  return { tag: 'column_set', flex_mode: 'flow', columns: buttons.map((b) => ({ tag: 'column', width: 'weighted', weight: 1, elements: [b] })) };
}

/** Label/value pairs in two columns. */
export function fields(pairs: ReadonlyArray<readonly [string, string]>): ColumnSetElement {
  const cell = (p: readonly [string, string]) => markdown(`**${p[0]}**\n${p[1]}`);
  const left = pairs.filter((_, i) => i % 2 === 0).map(cell);
  const right = pairs.filter((_, i) => i % 2 === 1).map(cell);
  return {
    tag: 'column_set',
    flex_mode: 'bisect',
    columns: [
      { tag: 'column', width: 'weighted', weight: 1, elements: left },
      { tag: 'column', width: 'weighted', weight: 1, elements: right },
    ],
  };
}

export function table(columns: ReadonlyArray<{ key: string; title: string; type?: TableColumn['data_type'] }>, rows: Array<Record<string, string | number>>, pageSize = 10): TableElement {
  return {
    tag: 'table',
    page_size: Math.max(1, Math.min(pageSize, 10)),
    row_height: 'low',
    header_style: { bold: true, background_style: 'grey' },
    columns: columns.map((c) => ({ name: c.key, display_name: c.title, data_type: c.type ?? 'text' })),
    rows,
  };
}

/**
 * The one escape for text that reaches card markdown from people or data (typed input echoed
 * back, names, notes, reasons). Feishu card markdown takes HTML character references, so every
 * character that could start markup becomes one: `<at id=all></at>` cannot ping, `[x](url)` is
 * no link, `**` is no bold, `:OK:` no emoji, `<a href>` / `<font>` no tag; `&` only where it
 * would otherwise start a reference. Line breaks stay (notes keep their lines).
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_~`[\]()<>#|:!{}]|&(?=#?\w+;)/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface RenderedCard {
  text: string;
  /** Buttons in display order: typing N presses buttons[N-1]. */
  buttons: ButtonValue[];
}

const stripMarkdown = (s: string) =>
  s
    .replace(/\*\*(.*?)\*\*/g, '$1')
    .replace(/<at id=([^>]+)><\/at>/g, '@$1')
    .replace(/<at user_id="([^"]+)">([^<]*)<\/at>/g, (_, id: string, name: string) => `@${name || id}`)
    .replace(/<\/?font[^>]*>/g, '')
    .replace(/&#(\d{2,3});/g, (_, code: string) => String.fromCharCode(Number(code)));

/** Plain-text rendering for the console: title, fields, tables, numbered buttons. */
export function renderCardText(c: Card): RenderedCard {
  const lines: string[] = [];
  const buttons: ButtonValue[] = [];
  const colour: Partial<Record<CardTemplate, string>> = { green: '绿', blue: '蓝', red: '红', yellow: '黄', orange: '橙' };
  lines.push(`┏━ ${c.header.title.content}${colour[c.header.template] ? ` 〔${colour[c.header.template]}〕` : ''}`);
  const walk = (elements: CardElement[], indent: string) => {
    for (const e of elements) {
      switch (e.tag) {
        case 'markdown':
          for (const l of stripMarkdown(e.content).split('\n')) lines.push(`┃ ${indent}${l}`);
          break;
        case 'hr':
          lines.push('┣━━━━━━━━');
          break;
        case 'button':
          buttons.push(e.behaviors[0]!.value);
          lines.push(`┃ ${indent}[${buttons.length}] ${e.text.content}${e.confirm ? '（需确认）' : ''}`);
          break;
        case 'table': {
          lines.push(`┃ ${indent}${e.columns.map((col) => col.display_name).join(' | ')}`);
          for (const row of e.rows) lines.push(`┃ ${indent}${e.columns.map((col) => stripMarkdown(String(row[col.name] ?? ''))).join(' | ')}`);
          break;
        }
        case 'column_set':
          for (const col of e.columns) walk(col.elements, indent);
          break;
        case 'chart':
          for (const l of chartToText(e).split('\n')) lines.push(`┃ ${indent}${l}`);
          break;
        case 'form':
          walk(e.elements, indent);
          break;
        case 'input':
          lines.push(`┃ ${indent}〔${e.label.content}〕${e.default_value ?? ''}`);
          break;
        case 'date_picker':
          lines.push(`┃ ${indent}〔${e.placeholder.content}〕${e.initial_date ?? ''}`);
          break;
      }
    }
  };
  walk(c.body.elements, '');
  lines.push('┗━');
  if (buttons.length > 0) lines.push(`（输入按钮编号即可点击，例如 1）`);
  return { text: lines.join('\n'), buttons };
}
