/**
 * 申报 〈单位〉 (the application card), 申报 填写 〈单位〉 (the form: drafts saved, submit checks the
 * required fields), 申报 提交 〈单位〉, 申报 列表 (office), and the office's 通过 / 退回 with its
 * 街道意见 from the card; the unit's chats are told of the decision.
 */
import { z } from 'zod';
import type { Actor } from '../../auth/actor.js';
import { mayReviewApplications } from '../../auth/policy.js';
import { buttonRow, card, escapeMarkdown, hr, input, markdown, submitButton, type Card, type CardElement, type CardTemplate } from '../../cards/card.js';
import { listChats } from '../../db/chat.repository.js';
import { writeApplicationForm } from '../../export/application-sheet.js';
import type { ApplicationStatus } from '../../db/schema.js';
import { UserError } from '../../errors.js';
import { LEVEL_NAMES_ZH } from '../../plan/schema.js';
import {
  applicationList,
  applicationReport,
  applicationSheet,
  CREATION_TYPE_ZH,
  FIELD_LABELS,
  fieldsOfLevel,
  reviewApplication,
  saveApplication,
  STATUS_ZH,
  submitApplication,
  type ApplicationFields,
  type ApplicationReport,
  type FieldKey,
} from '../../services/application.service.js';
import { inZone } from '../../time.js';
import { formText, looksLikeYear, optionalText, yearArg } from '../args.js';
import { commandButton } from '../cards.js';
import { shortToast } from '../errors.js';
import { defineCommand } from '../registry.js';
import { cardReply, fileReply, type BotDeps, type CardActionResult } from '../types.js';
import { defaultUnit } from './self-check.js';

export const APPLICATION_FORM_ACTION = 'application.form';
export const APPLICATION_REVIEW_ACTION = 'application.review';

const TEMPLATE: Record<ApplicationStatus | 'none', CardTemplate> = { none: 'grey', draft: 'blue', submitted: 'orange', returned: 'red', approved: 'green' };
const ACTION_ZH = { save: '保存', submit: '提交', return: '退回', approve: '通过' } as const;

/** A field as text: what the card shows and what the form is prefilled with. */
function fieldText(f: ApplicationFields, k: FieldKey): string {
  const v = f[k];
  if (v === undefined) return '';
  if (k === 'creationType') return CREATION_TYPE_ZH[v as 'demonstration' | 'standard'];
  if (k === 'plannedDemoCompounds') return (v as string[]).join('、');
  if (k === 'nodes') return (v as Array<{ date: string; content: string }>).map((n) => `${n.date} ${n.content}`).join('\n');
  return String(v);
}

function applicationCard(r: ApplicationReport, tz: string, reviewer: boolean): Card {
  const lines: string[] = [`${r.levelName} · ${r.year} 年度 · ${STATUS_ZH[r.status]}`];
  if (r.level === 'community') lines.push(`**社区名称**：${escapeMarkdown(r.unit)}　**小区数**：${r.compounds.length}`, `**所辖各小区名称**：${r.compounds.map(escapeMarkdown).join('、') || '无'}`);
  for (const k of fieldsOfLevel(r.level)) {
    const t = fieldText(r.fields, k);
    if (k === 'nodes') lines.push(`**${FIELD_LABELS[k]}**：${t === '' ? '（未填）' : ''}`, ...t.split('\n').filter((l) => l !== '').map((l) => `· ${escapeMarkdown(l)}`));
    else lines.push(`**${FIELD_LABELS[k]}**：${t === '' ? '（未填）' : escapeMarkdown(t)}${k === 'plannedDemoCompounds' && r.fields.plannedDemoCompounds ? `（${r.fields.plannedDemoCompounds.length} 个）` : ''}`);
  }
  const elements: CardElement[] = [markdown(lines.join('\n'))];
  if (r.opinion) elements.push(hr(), markdown(`**街道意见**（${r.opinionDate ?? ''}）：${escapeMarkdown(r.opinion)}`));
  const history = r.events.filter((e) => e.action !== 'save').slice(-5);
  if (history.length > 0) elements.push(markdown(history.map((e) => `${inZone(e.at, tz).format('M月D日 HH:mm')} ${escapeMarkdown(e.actor)} ${ACTION_ZH[e.action]}${e.comment && e.action !== 'submit' ? `：${escapeMarkdown(e.comment)}` : ''}`).join('\n')));
  if (r.status === 'none' || r.status === 'draft' || r.status === 'returned') {
    if (r.missing.length > 0) elements.push(markdown(`提交前还需填写：${r.missing.join('、')}`));
    const buttons = [commandButton(r.status === 'none' ? '填写申报' : '修改申报', `申报 填写 ${r.unit}`, 'primary')];
    if (r.status !== 'none' && r.missing.length === 0) buttons.push(commandButton('提交申报', `申报 提交 ${r.unit}`));
    elements.push(buttonRow(buttons));
  }
  if (r.status === 'submitted' && reviewer) {
    const value = (decision: 'approve' | 'return') => ({ action: APPLICATION_REVIEW_ACTION, unit: r.unit, year: r.year, decision });
    elements.push(hr(), {
      tag: 'form',
      name: 'application_review',
      elements: [
        input('opinion', '街道意见', { placeholder: '通过可不填（记为「同意」）；退回须写明需修改之处', multiline: true, maxLength: 500 }),
        submitButton('approve', '通过', value('approve'), 'primary'),
        submitButton('return', '退回修改', value('return'), 'danger'),
      ],
    });
  }
  return card(`${r.unit} · ${r.year} 申报 · ${STATUS_ZH[r.status]}`, TEMPLATE[r.status], elements);
}

const PLACEHOLDER: Partial<Record<FieldKey, string>> = {
  creationType: '示范型 或 标准型',
  plannedDemoCompounds: '小区名称，用「、」分隔；没有可不填',
  nodes: '一行一个节点，日期在前，例如：2026-06-30 完成阵地改造',
};

/** The application as a form (one page: Annex 4 is one sheet). */
function applicationFormCard(r: ApplicationReport): Card {
  const value = (go: 'save' | 'submit') => ({ action: APPLICATION_FORM_ACTION, unit: r.unit, year: r.year, go });
  const fields: CardElement[] = fieldsOfLevel(r.level).map((k) =>
    input(k, FIELD_LABELS[k], {
      placeholder: PLACEHOLDER[k] ?? (['measures', 'brandProjectGoal'].includes(k) ? '请填写' : '数字'),
      value: fieldText(r.fields, k),
      multiline: ['measures', 'brandProjectGoal', 'nodes'].includes(k),
      maxLength: k === 'measures' || k === 'nodes' ? 1000 : 500,
    }),
  );
  const head = r.level === 'community' ? `社区名称：${escapeMarkdown(r.unit)}　小区数：${r.compounds.length}\n所辖各小区名称：${r.compounds.map(escapeMarkdown).join('、') || '无'}（来自单位名册）` : `${escapeMarkdown(r.unit)}（${LEVEL_NAMES_ZH[r.level]}）`;
  return card(`${r.unit} · ${r.year} 申报表`, 'blue', [
    markdown(`${head}\n${STATUS_ZH[r.status]}${r.opinion && r.status === 'returned' ? `　退回意见：${escapeMarkdown(r.opinion)}` : ''}`),
    { tag: 'form', name: 'application', elements: [...fields, submitButton('save', '保存草稿', value('save')), submitButton('submit', '提交申报', value('submit'), 'primary')] },
  ]);
}

function listCard(l: Awaited<ReturnType<typeof applicationList>>, tz: string): Card {
  const waiting = l.rows.filter((r) => r.status === 'submitted');
  const elements: CardElement[] = [];
  if (l.rows.length === 0) elements.push(markdown(`${l.year} 年还没有单位填写申报。`));
  for (const r of l.rows.slice(0, 20)) {
    const line = `${escapeMarkdown(r.unit)}（${LEVEL_NAMES_ZH[r.level]}）· ${r.creationType ? CREATION_TYPE_ZH[r.creationType] : '未选类型'} · ${STATUS_ZH[r.status]}${r.submittedAt ? ` · ${inZone(r.submittedAt, tz).format('M月D日')} ${escapeMarkdown(r.submittedBy ?? '')}提交` : ''}`;
    elements.push(markdown(line));
    if (r.status === 'submitted') elements.push(buttonRow([commandButton(`审核 ${r.unit}`, `申报 ${r.unit}`, 'primary')]));
  }
  if (l.rows.length > 20) elements.push(markdown(`……另有 ${l.rows.length - 20} 个`));
  return card(`${l.year} 申报列表 · ${waiting.length} 个待审核`, waiting.length > 0 ? 'orange' : 'green', elements);
}

type ApplicationArgs = { mode: 'show' | 'fill' | 'submit'; unit?: string | undefined; year?: number | undefined } | { mode: 'list'; year?: number | undefined };

export const application = defineCommand({
  names: ['申报', 'apply'],
  summary: '单位的创建申报（附件4）：填写、提交；党建办「申报 列表」审核',
  usage: '申报 〈单位〉 ｜ 申报 填写 〈单位〉 ｜ 申报 提交 〈单位〉 ｜ 申报 列表',
  example: '申报 城东社区',
  access: 'read',
  params: [{ key: 'unit', label: '〈单位〉', rest: true }],
  toInput(tokens) {
    const [first, ...rest] = tokens;
    const yearLast = tokens.length > 0 && looksLikeYear(tokens[tokens.length - 1]!) ? tokens[tokens.length - 1] : undefined;
    const strip = (t: readonly string[]) => (yearLast !== undefined && t[t.length - 1] === yearLast ? t.slice(0, -1) : t);
    const withUnit = (mode: string, t: readonly string[]) => ({ mode, ...(strip(t).length > 0 ? { unit: strip(t).join(' ') } : {}), ...(yearLast ? { year: yearLast } : {}) });
    if (first === '列表' || first === 'list') return { mode: 'list', ...(rest[0] ? { year: rest[0] } : {}) };
    if (first === '填写' || first === '修改' || first === 'fill') return withUnit('fill', rest);
    if (first === '提交' || first === 'submit') return withUnit('submit', rest);
    return withUnit('show', tokens);
  },
  args: z.union([
    z.object({ mode: z.literal('list'), year: yearArg.optional() }).strict(),
    z.object({ mode: z.enum(['show', 'fill', 'submit']), unit: optionalText('单位名称', 60), year: yearArg.optional() }).strict(),
  ]) as z.ZodType<ApplicationArgs>,
  async run(ctx, args) {
    const deps = ctx.deps;
    const reviewer = ctx.actor !== null && mayReviewApplications(ctx.actor);
    if (args.mode === 'list') {
      if (!ctx.actor) throw new UserError('forbidden', '只有党建办可以查看申报列表（请先绑定花名册）');
      return cardReply(listCard(await applicationList(deps, ctx.actor, args.year), deps.tz));
    }
    const unit = args.unit ?? (await defaultUnit(ctx));
    if (args.mode === 'submit') {
      if (!ctx.actor) throw new UserError('forbidden', '提交申报需要先绑定花名册');
      return cardReply(applicationCard(await submitApplication(deps, ctx.actor, { unit, year: args.year }), deps.tz, reviewer));
    }
    const report = await applicationReport(deps, unit, args.year);
    if (args.mode === 'fill') {
      if (report.status === 'submitted' || report.status === 'approved') return cardReply(applicationCard(report, deps.tz, reviewer));
      return cardReply(applicationFormCard(report));
    }
    return cardReply(applicationCard(report, deps.tz, reviewer));
  },
});

export const applicationSheetCommand = defineCommand({
  names: ['申报表', 'applicationsheet'],
  summary: '下载本单位预填的申报表（附件4格式 .xlsx），填好后直接发给我（单聊）即可导入',
  usage: '申报表 〈单位〉',
  example: '申报表 城东社区',
  access: 'read',
  params: [{ key: 'unit', label: '〈单位〉', rest: true }],
  args: z.object({ unit: optionalText('单位名称', 60) }),
  async run(ctx, args) {
    const { report, street } = await applicationSheet(ctx.deps, args.unit ?? (await defaultUnit(ctx)));
    return fileReply(`申报表-${report.unit}-${report.year}.xlsx`, await writeApplicationForm(report, street, ctx.now));
  },
});

const formValue = z.object({ action: z.literal(APPLICATION_FORM_ACTION), unit: z.string().min(1).max(60), year: z.coerce.number().int().min(2000).max(2100), go: z.enum(['save', 'submit']) });
const reviewValue = z.object({ action: z.literal(APPLICATION_REVIEW_ACTION), unit: z.string().min(1).max(60), year: z.coerce.number().int().min(2000).max(2100), decision: z.enum(['approve', 'return']) });

/** 保存草稿 / 提交申报 on the form: every field checked before anything is saved; a submit with fields missing keeps the draft and names them. */
export async function applicationFormAction(deps: BotDeps, actor: Actor, raw: Record<string, unknown>, form: Record<string, unknown>): Promise<CardActionResult> {
  const v = formValue.parse(raw);
  const values: Partial<Record<FieldKey, string>> = {};
  for (const k of Object.keys(FIELD_LABELS) as FieldKey[]) {
    const t = formText(form[k]);
    if (t !== undefined) values[k] = t;
  }
  const saved = await saveApplication(deps, actor, { unit: v.unit, year: v.year, values });
  if (v.go === 'save') return { toast: { type: 'success', content: '草稿已保存' }, card: applicationFormCard(saved) };
  if (saved.missing.length > 0) return { toast: { type: 'warning', content: shortToast(`草稿已保存；还不能提交，缺少：${saved.missing.join('、')}`) }, card: applicationFormCard(saved) };
  const submitted = await submitApplication(deps, actor, { unit: v.unit, year: v.year });
  return { toast: { type: 'success', content: '申报已提交，等待党建办审核' }, card: applicationCard(submitted, deps.tz, mayReviewApplications(actor)) };
}

/** 通过 / 退回修改: the office's decision; the unit's chats get the card (one message per decision). */
export async function applicationReviewAction(deps: BotDeps, actor: Actor, raw: Record<string, unknown>, form: Record<string, unknown>): Promise<CardActionResult> {
  const v = reviewValue.parse(raw);
  const r = await reviewApplication(deps, actor, { unit: v.unit, year: v.year, decision: v.decision, comment: formText(form.opinion) });
  const chats = (await listChats(deps.db)).filter((c) => c.target.kind === 'unit' && c.target.unitName === r.unit);
  const notice = applicationCard(r, deps.tz, false);
  const step = r.events.length;
  for (const c of chats) {
    try {
      await deps.outbound.sendMessage({ receiveIdType: 'chat_id', receiveId: c.chatId, msgType: 'interactive', content: notice, idempotencyKey: `application:${r.id}:${step}:${c.chatId}` });
    } catch (err) {
      // The decision stands; the unit still sees it on 「申报」.
      deps.log.error({ err, chatId: c.chatId, unit: r.unit }, 'application notice failed');
    }
  }
  return { toast: { type: 'success', content: v.decision === 'approve' ? `已通过「${r.unit}」的申报` : `已退回「${r.unit}」的申报` }, card: applicationCard(r, deps.tz, true) };
}
