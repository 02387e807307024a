/**
 * 自查 〈单位〉 (the 自查清单 card), 自查 提交 〈单位〉, 自查 进度 (office), and 自评 — one
 * sub-item typed in the chat: 「自评 城东社区 6.1 8 短板：… 措施：… 时限：2026-06-30」.
 * Without 〈单位〉 a unit chat means its own unit, and a secretary their own.
 */
import { z } from 'zod';
import type { Actor } from '../../auth/actor.js';
import { buttonRow, card, datePicker, escapeMarkdown, fields, hr, input, markdown, submitButton, type Card, type CardElement, type CardTemplate } from '../../cards/card.js';
import { GRADE_BADGE } from '../../cards/labels.js';
import { findUnitById } from '../../db/unit.repository.js';
import { UserError } from '../../errors.js';
import { GRADE_NAMES_ZH, type Indicator, type Level, type Plan } from '../../plan/schema.js';
import { fmtPoints } from '../../scoring/format.js';
import { writeSelfCheckSheet } from '../../export/self-check-sheet.js';
import { saveSelfScores, selfCheckSheet, selfCheckProgress, selfCheckReport, submitSelfCheck, type SelfCheckProgress, type SelfCheckReport, type SelfScoreInput } from '../../services/self-check.service.js';
import { inZone } from '../../time.js';
import { formText, looksLikeYear, optionalText, yearArg } from '../args.js';
import { commandButton } from '../cards.js';
import { defineCommand, type CommandContext } from '../registry.js';
import { shortToast } from '../errors.js';
import { cardReply, fileReply, type BotDeps, type CardActionResult } from '../types.js';

/** How many below-maximum sub-items the card lists in full (the rest are counted). */
const MAX_GAPS_SHOWN = 8;
/** How many 自评 vs 评定 differences the card lists. */
const MAX_DIFFERENCES_SHOWN = 5;

/** The unit a command means when none is named: the chat's unit, else the sender's own. */
export async function defaultUnit(ctx: CommandContext): Promise<string> {
  if (ctx.chat?.target.kind === 'unit') return ctx.chat.target.unitName;
  if (ctx.actor?.unitId != null) {
    const unit = await findUnitById(ctx.deps.db, ctx.actor.unitId);
    if (unit) return unit.name;
  }
  throw new UserError('bad_argument', '请写明单位，例如「自查 城东社区」', '〈单位〉');
}

const when = (at: number, tz: string) => inZone(at, tz).format('M月D日 HH:mm');

const STATUS_LINE = (r: SelfCheckReport, tz: string): string =>
  r.status === 'submitted' ? `✅ 已提交（${escapeMarkdown(r.submittedBy ?? '')} ${when(r.submittedAt ?? 0, tz)}）` : r.status === 'draft' ? '📝 草稿（未提交）' : '尚未填写';

function selfCheckCard(r: SelfCheckReport, tz: string): Card {
  const self = r.result.self;
  const scored = self.itemCount - r.result.unscored.length;
  const pairs: Array<[string, string]> = [
    ['状态', STATUS_LINE(r, tz)],
    ['已自评', `${scored} / ${self.itemCount} 项`],
    ['自评总分', `${fmtPoints(self.total)} / ${fmtPoints(self.max)}`],
    ['自评等级', scored === 0 ? '—' : GRADE_BADGE[self.grade]],
  ];
  const elements: CardElement[] = [markdown(`${r.levelName} · ${r.year} 年度 · 自评不改变正式评定`), fields(pairs)];
  if (scored > 0 && self.nextGrade !== null && self.blockers.length > 0) {
    elements.push(markdown(`**按自评距「${GRADE_NAMES_ZH[self.nextGrade]}」**\n${self.blockers.map((b) => `· ${escapeMarkdown(b)}`).join('\n')}`));
  }
  const comparison = r.result.comparison;
  if (comparison) {
    const o = comparison.official;
    const lines = [`**自评 vs 评定**：${fmtPoints(self.total)} 分 ${GRADE_NAMES_ZH[self.grade]} ｜ ${fmtPoints(o.total)} 分 ${GRADE_NAMES_ZH[o.grade]}`];
    for (const d of comparison.differences.slice(0, MAX_DIFFERENCES_SHOWN)) {
      lines.push(`· ${d.code} ${escapeMarkdown(d.title)}：自评 ${fmtPoints(d.self)}，评定 ${fmtPoints(d.official)}（${d.diff > 0 ? '+' : ''}${fmtPoints(d.diff)}）`);
    }
    if (comparison.differences.length === 0) lines.push('已评项目的自评与评定一致。');
    elements.push(hr(), markdown(lines.join('\n')));
  }
  const gaps = r.result.gaps;
  elements.push(hr());
  if (gaps.length === 0) elements.push(markdown(scored === 0 ? '还没有自评项。' : '已自评的项目都是满分。'));
  else {
    const lines = [`**自查清单**（${gaps.length} 项低于满分，按失分排序）`];
    for (const g of gaps.slice(0, MAX_GAPS_SHOWN)) {
      lines.push(`**${g.code}** ${escapeMarkdown(g.title)}　${fmtPoints(g.points)}/${fmtPoints(g.max)}（失 ${fmtPoints(g.lost)} 分）`);
      lines.push(`　短板：${g.shortfall ? escapeMarkdown(g.shortfall) : '（未填）'}`);
      lines.push(`　措施：${g.measure ? escapeMarkdown(g.measure) : '（未填）'}${g.targetDate ? ` · 时限 ${g.targetDate}` : ' · 时限（未填）'}`);
    }
    if (gaps.length > MAX_GAPS_SHOWN) lines.push(`……另有 ${gaps.length - MAX_GAPS_SHOWN} 项，见「自查表 ${escapeMarkdown(r.unit)}」`);
    elements.push(markdown(lines.join('\n')));
  }
  if (r.result.unscored.length > 0) elements.push(markdown(`未自评：${r.result.unscored.map((u) => u.code).join('、')}`));
  const actions = [commandButton('填写（表单）', `自查 填写 ${r.unit}`)];
  if (r.status !== 'submitted' && r.problems.length === 0) actions.push(commandButton('提交自查清单', `自查 提交 ${r.unit}`, 'primary'));
  elements.push(buttonRow(actions));
  const template: CardTemplate = r.status === 'submitted' ? 'green' : r.status === 'draft' ? 'blue' : 'grey';
  return card(`${r.unit} · ${r.year} 自查清单`, template, elements);
}

export const SELF_CHECK_FORM_ACTION = 'self_check.form';
type FormGo = 'prev' | 'next' | 'save' | 'submit';

/** Field names of one sub-item in the form (names are card-unique and may not hold a dot). */
const fieldName = (kind: 'p' | 's' | 'm' | 'd', code: string) => `${kind}_${code.replace('.', '_')}`;

/**
 * The self-check as a card form: one indicator per page, its sub-items filled in from the last
 * save; 「上一项」/「下一项」 save the page and turn it, 「保存」 saves and stays, the last page submits.
 */
function selfCheckFormCard(r: SelfCheckReport, indicators: readonly Indicator[], page: number, tz: string): Card {
  const p = Math.max(0, Math.min(page, indicators.length - 1));
  const ind = indicators[p]!;
  const saved = new Map(r.entries.map((e) => [e.itemCode, e]));
  const scored = r.result.self.itemCount - r.result.unscored.length;
  const value = (go: FormGo) => ({ action: SELF_CHECK_FORM_ACTION, unit: r.unit, year: r.year, page: p, go });
  const fields: CardElement[] = [];
  for (const sub of ind.subItems) {
    const e = saved.get(sub.code);
    fields.push(
      markdown(`**${sub.code}** ${escapeMarkdown(sub.text)}（满分 ${fmtPoints(sub.points)}）`),
      input(fieldName('p', sub.code), `${sub.code} 自评分`, { placeholder: `0–${fmtPoints(sub.points)}，以 0.5 分为单位`, value: e ? fmtPoints(e.points) : null, maxLength: 5 }),
      input(fieldName('s', sub.code), '短板（低于满分时填写）', { placeholder: '差在哪里', value: e?.shortfall ?? null, multiline: true }),
      input(fieldName('m', sub.code), '措施', { placeholder: '打算怎么改', value: e?.measure ?? null, multiline: true }),
      datePicker(fieldName('d', sub.code), '完成时限', e?.targetDate ?? null),
    );
  }
  const last = p === indicators.length - 1;
  const buttons = [
    ...(p > 0 ? [submitButton('prev', '上一项', value('prev'))] : []),
    submitButton('save', '保存', value('save')),
    last ? submitButton('submit', '保存并提交', value('submit'), 'primary') : submitButton('next', '下一项', value('next'), 'primary'),
  ];
  const elements: CardElement[] = [
    markdown(`${r.levelName} · ${r.year} 年度 · 已自评 ${scored}/${r.result.self.itemCount} 项 · ${STATUS_LINE(r, tz)}\n**${ind.number}. ${escapeMarkdown(ind.title)}**（${fmtPoints(ind.points)} 分）`),
    { tag: 'form', name: `self_check_${ind.number}`, elements: [...fields, ...buttons] },
  ];
  return card(`${r.unit} · 自查 第 ${p + 1}/${indicators.length} 项指标`, r.status === 'submitted' ? 'green' : 'blue', elements);
}

const indicatorsOf = (plan: Plan, level: Level) => plan.levels.find((l) => l.level === level)?.indicators ?? [];

const formValue = z.object({
  action: z.literal(SELF_CHECK_FORM_ACTION),
  unit: z.string().min(1).max(60),
  year: z.coerce.number().int().min(2000).max(2100),
  page: z.coerce.number().int().min(0).max(50),
  go: z.enum(['prev', 'next', 'save', 'submit']),
});

/**
 * A press of the form's buttons: the page's filled sub-items saved (all or nothing: a bad value
 * is a toast and nothing of the page is stored), then the neighbouring page, or the submit.
 * A sub-item without a score is left as it was.
 */
export async function selfCheckFormAction(deps: BotDeps, actor: Actor, raw: Record<string, unknown>, form: Record<string, unknown>): Promise<CardActionResult> {
  const v = formValue.parse(raw);
  const before = await selfCheckReport(deps, v.unit, v.year);
  const indicators = indicatorsOf(deps.plan, before.level);
  const ind = indicators[v.page];
  if (!ind) throw new UserError('bad_argument', '这张表单已过期，请重新发送「自查 填写」');
  const entries: SelfScoreInput[] = [];
  for (const sub of ind.subItems) {
    const points = formText(form[fieldName('p', sub.code)])?.trim() ?? '';
    const texts = { shortfall: formText(form[fieldName('s', sub.code)]), measure: formText(form[fieldName('m', sub.code)]), targetDate: formText(form[fieldName('d', sub.code)]) };
    if (points === '') {
      if (Object.values(texts).some((t) => t !== undefined && t.trim() !== '')) throw new UserError('bad_argument', `${sub.code} 缺少自评分`);
      continue;
    }
    entries.push({ item: sub.code, points, ...texts });
  }
  if (entries.length > 0) await saveSelfScores(deps, actor, { unit: v.unit, year: v.year, entries });
  const saved = entries.length > 0 ? `已保存 ${entries.map((e) => e.item).join('、')}` : '本页没有填写';
  if (v.go === 'submit') {
    try {
      const done = await submitSelfCheck(deps, actor, { unit: v.unit, year: v.year });
      return { toast: { type: 'success', content: '自查清单已提交' }, card: selfCheckCard(done, deps.tz) };
    } catch (err) {
      // The page is saved; what blocks the submit is shown on the summary card.
      if (!(err instanceof UserError) || err.code !== 'bad_argument') throw err;
      const report = await selfCheckReport(deps, v.unit, v.year);
      return { toast: { type: 'warning', content: shortToast(`${saved}；还不能提交：${report.problems.slice(0, 3).join('；')}`) }, card: selfCheckFormCard(report, indicators, v.page, deps.tz) };
    }
  }
  const page = v.go === 'next' ? v.page + 1 : v.go === 'prev' ? v.page - 1 : v.page;
  const report = await selfCheckReport(deps, v.unit, v.year);
  return { toast: { type: 'success', content: shortToast(saved) }, card: selfCheckFormCard(report, indicators, page, deps.tz) };
}

function progressCard(p: SelfCheckProgress, tz: string): Card {
  const elements: CardElement[] = [markdown(`${p.year} 年度：已提交 ${p.submitted} / ${p.total} 个单位`)];
  for (const l of p.levels) {
    const lines = [`**${l.levelName}**　${l.submitted} / ${l.total}`];
    for (const g of l.groups) {
      const names = g.units.map((u) => (u.status === 'submitted' ? `✅${escapeMarkdown(u.name)}（${when(u.submittedAt ?? 0, tz)}）` : u.status === 'draft' ? `📝${escapeMarkdown(u.name)}` : `⬜${escapeMarkdown(u.name)}`));
      lines.push(`${g.community ? `${escapeMarkdown(g.community)}：` : ''}${names.join('　')}`);
    }
    elements.push(hr(), markdown(lines.join('\n')));
  }
  elements.push(markdown('✅ 已提交　📝 草稿　⬜ 未填写'));
  return card(`自查进度 · ${p.submitted}/${p.total}`, p.submitted === p.total ? 'green' : 'blue', elements);
}

type SelfCheckArgs =
  | { mode: 'show' | 'submit'; unit?: string | undefined; year?: number | undefined }
  | { mode: 'fill'; unit?: string | undefined; indicator?: number | undefined; year?: number | undefined }
  | { mode: 'progress'; year?: number | undefined };

export const selfCheck = defineCommand({
  names: ['自查', 'selfcheck'],
  summary: '单位的自查清单（自评、短板、措施）；「自查 提交 〈单位〉」提交；党建办「自查 进度」',
  usage: '自查 〈单位〉[年份] ｜ 自查 填写 〈单位〉[指标序号] ｜ 自查 提交 〈单位〉 ｜ 自查 进度',
  example: '自查 城东社区',
  access: 'read',
  params: [{ key: 'unit', label: '〈单位〉', rest: true }],
  toInput(tokens) {
    const [first, ...rest] = tokens;
    const yearLast = rest.length > 0 && looksLikeYear(rest[rest.length - 1]!) ? rest[rest.length - 1] : undefined;
    const body = yearLast === undefined ? rest : rest.slice(0, -1);
    if (first === '进度' || first === 'progress') return { mode: 'progress', ...(rest[0] === undefined ? {} : { year: rest[0] }) };
    if (first === '填写' || first === 'fill') {
      const page = body.length > 0 && /^\d{1,2}$/.test(body[body.length - 1]!) ? body[body.length - 1] : undefined;
      const unitTokens = page === undefined ? body : body.slice(0, -1);
      return { mode: 'fill', ...(unitTokens.length > 0 ? { unit: unitTokens.join(' ') } : {}), ...(page ? { indicator: page } : {}), ...(yearLast ? { year: yearLast } : {}) };
    }
    if (first === '提交' || first === 'submit') return { mode: 'submit', ...(body.length > 0 ? { unit: body.join(' ') } : {}), ...(yearLast ? { year: yearLast } : {}) };
    if (first === undefined) return { mode: 'show' };
    const all = [first, ...rest];
    const last = all[all.length - 1]!;
    if (looksLikeYear(last)) return { mode: 'show', year: last, ...(all.length > 1 ? { unit: all.slice(0, -1).join(' ') } : {}) };
    return { mode: 'show', unit: all.join(' ') };
  },
  args: z.union([
    z.object({ mode: z.literal('progress'), year: yearArg.optional() }).strict(),
    z.object({ mode: z.literal('fill'), unit: optionalText('单位名称', 60), indicator: z.coerce.number().int().min(1).max(50).optional(), year: yearArg.optional() }).strict(),
    z.object({ mode: z.enum(['show', 'submit']), unit: optionalText('单位名称', 60), year: yearArg.optional() }).strict(),
  ]) as z.ZodType<SelfCheckArgs>,
  async run(ctx, args) {
    const deps = ctx.deps;
    if (args.mode === 'progress') {
      if (!ctx.actor) throw new UserError('forbidden', '只有党建办可以查看自查进度（请先绑定花名册）');
      return cardReply(progressCard(await selfCheckProgress(deps, ctx.actor, args.year), deps.tz));
    }
    const unit = args.unit ?? (await defaultUnit(ctx));
    if (args.mode === 'fill') {
      const report = await selfCheckReport(deps, unit, args.year);
      const indicators = indicatorsOf(deps.plan, report.level);
      // 「自查 填写 城东社区 7」 opens indicator 7; without it, the first indicator with a sub-item not yet scored.
      const unscored = new Set(report.result.unscored.map((u) => u.code));
      const page = args.indicator !== undefined ? indicators.findIndex((i) => i.number === args.indicator) : indicators.findIndex((i) => i.subItems.some((s) => unscored.has(s.code)));
      if (args.indicator !== undefined && page < 0) throw new UserError('bad_argument', `${report.levelName}层面没有第 ${args.indicator} 项指标（可填 ${indicators.map((i) => i.number).join('、')}）`, '指标');
      return cardReply(selfCheckFormCard(report, indicators, Math.max(0, page), deps.tz));
    }
    if (args.mode === 'submit') {
      if (!ctx.actor) throw new UserError('forbidden', '提交自查清单需要先绑定花名册');
      const r = await submitSelfCheck(deps, ctx.actor, { unit, year: args.year });
      return cardReply(selfCheckCard(r, deps.tz));
    }
    return cardReply(selfCheckCard(await selfCheckReport(deps, unit, args.year), deps.tz));
  },
});

export const selfCheckSheetCommand = defineCommand({
  names: ['自查表', 'selfchecksheet'],
  summary: '下载本单位预填的自查表（.xlsx），填好后直接发给我（单聊）即可导入',
  usage: '自查表 〈单位〉[年份]',
  example: '自查表 城东社区',
  access: 'read',
  params: [
    { key: 'unit', label: '〈单位〉', rest: true },
    { key: 'year', label: '[年份]' },
  ],
  toInput(tokens) {
    const last = tokens[tokens.length - 1];
    if (last !== undefined && looksLikeYear(last)) return { ...(tokens.length > 1 ? { unit: tokens.slice(0, -1).join(' ') } : {}), year: last };
    return tokens.length === 0 ? {} : { unit: tokens.join(' ') };
  },
  args: z.object({ unit: optionalText('单位名称', 60), year: yearArg.optional() }),
  async run(ctx, args) {
    const data = await selfCheckSheet(ctx.deps, args.unit ?? (await defaultUnit(ctx)), args.year);
    return fileReply(`自查表-${data.unit}-${data.year}.xlsx`, await writeSelfCheckSheet(data, ctx.now));
  },
});

const LABELS = /(短板|措施|完成时限|时限|日期)\s*[:：]/gu;
const LABEL_FIELD: Record<string, 'shortfall' | 'measure' | 'targetDate'> = { 短板: 'shortfall', 措施: 'measure', 完成时限: 'targetDate', 时限: 'targetDate', 日期: 'targetDate' };

/** 「短板：… 措施：… 时限：…」 → the three texts (absent labels stay undefined: kept as saved). */
function labelledTexts(text: string): { shortfall?: string; measure?: string; targetDate?: string; unlabelled: string } {
  const out: { shortfall?: string; measure?: string; targetDate?: string; unlabelled: string } = { unlabelled: '' };
  const marks = [...text.matchAll(LABELS)];
  out.unlabelled = (marks.length === 0 ? text : text.slice(0, marks[0]!.index)).trim();
  marks.forEach((m, k) => {
    const end = k + 1 < marks.length ? marks[k + 1]!.index : text.length;
    out[LABEL_FIELD[m[1]!]!] = text.slice(m.index + m[0].length, end).trim().replace(/[;；,，]$/u, '');
  });
  return out;
}

const ITEM_CODE = /^\d+\.\d+$/;

export const selfScore = defineCommand({
  names: ['自评', 'selfscore'],
  summary: '自查清单的一项：自评分，低于满分时写短板、措施和完成时限',
  usage: '自评 〈单位〉 〈指标编号〉 〈自评分〉 [短板：…] [措施：…] [时限：YYYY-MM-DD]',
  example: '自评 城东社区 6.1 8 短板：议事会议记录不全 措施：每月固定议事日 时限：2026-06-30',
  access: 'write',
  params: [
    { key: 'unit', label: '〈单位〉' },
    { key: 'item', label: '〈指标编号〉' },
    { key: 'points', label: '〈自评分〉' },
    { key: 'rest', label: '[短板/措施/时限]', rest: true },
  ],
  toInput(tokens) {
    const nfkc = tokens.map((t) => t.normalize('NFKC'));
    const codeAt = nfkc.findIndex((t) => ITEM_CODE.test(t));
    if (codeAt < 0) return { unit: tokens.join(' ') };
    const out: Record<string, unknown> = { item: nfkc[codeAt], points: nfkc[codeAt + 1], rest: tokens.slice(codeAt + 2).join(' ') };
    if (codeAt > 0) out.unit = tokens.slice(0, codeAt).join(' ');
    return out;
  },
  args: z.object({
    unit: optionalText('单位名称', 60),
    item: z.string({ error: '缺少指标编号（例如 6.1）' }),
    points: z.string({ error: '缺少自评分' }),
    rest: z.string().max(700, '短板、措施和时限合计不能超过 700 个字').default(''),
  }),
  async run(ctx, args) {
    const unit = args.unit ?? (await defaultUnit(ctx));
    const texts = labelledTexts(args.rest);
    if (texts.unlabelled !== '') throw new UserError('bad_argument', `看不懂「${texts.unlabelled.slice(0, 30)}」：短板、措施、时限请分别写成「短板：…」「措施：…」「时限：2026-06-30」`, '[短板/措施/时限]');
    const saved = await saveSelfScores(ctx.deps, ctx.actor!, { unit, entries: [{ item: args.item, points: args.points, shortfall: texts.shortfall, measure: texts.measure, targetDate: texts.targetDate }] });
    return cardReply(selfCheckCard(await selfCheckReport(ctx.deps, saved.unit, saved.year), ctx.deps.tz));
  },
});
