/**
 * 自查 〈单位〉 (the 自查清单 card), 自查 提交 〈单位〉, 自查 进度 (office), and 自评 — one
 * sub-item typed in the chat: 「自评 城东社区 6.1 8 短板：… 措施：… 时限：2026-06-30」.
 * Without 〈单位〉 a unit chat means its own unit, and a secretary their own.
 */
import { z } from 'zod';
import { buttonRow, card, escapeMarkdown, fields, hr, markdown, type Card, type CardElement, type CardTemplate } from '../../cards/card.js';
import { GRADE_BADGE } from '../../cards/labels.js';
import { findUnitById } from '../../db/unit.repository.js';
import { UserError } from '../../errors.js';
import { GRADE_NAMES_ZH } from '../../plan/schema.js';
import { fmtPoints } from '../../scoring/format.js';
import { saveSelfScores, selfCheckProgress, selfCheckReport, submitSelfCheck, type SelfCheckProgress, type SelfCheckReport } from '../../services/self-check.service.js';
import { inZone } from '../../time.js';
import { looksLikeYear, optionalText, yearArg } from '../args.js';
import { commandButton } from '../cards.js';
import { defineCommand, type CommandContext } from '../registry.js';
import { cardReply } from '../types.js';

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
  if (r.status !== 'submitted' && r.problems.length === 0) elements.push(buttonRow([commandButton('提交自查清单', `自查 提交 ${r.unit}`, 'primary')]));
  const template: CardTemplate = r.status === 'submitted' ? 'green' : r.status === 'draft' ? 'blue' : 'grey';
  return card(`${r.unit} · ${r.year} 自查清单`, template, elements);
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

type SelfCheckArgs = { mode: 'show' | 'submit'; unit?: string | undefined; year?: number | undefined } | { mode: 'progress'; year?: number | undefined };

export const selfCheck = defineCommand({
  names: ['自查', 'selfcheck'],
  summary: '单位的自查清单（自评、短板、措施）；「自查 提交 〈单位〉」提交；党建办「自查 进度」',
  usage: '自查 〈单位〉[年份] ｜ 自查 提交 〈单位〉 ｜ 自查 进度',
  example: '自查 城东社区',
  access: 'read',
  params: [{ key: 'unit', label: '〈单位〉', rest: true }],
  toInput(tokens) {
    const [first, ...rest] = tokens;
    const yearLast = rest.length > 0 && looksLikeYear(rest[rest.length - 1]!) ? rest[rest.length - 1] : undefined;
    const body = yearLast === undefined ? rest : rest.slice(0, -1);
    if (first === '进度' || first === 'progress') return { mode: 'progress', ...(rest[0] === undefined ? {} : { year: rest[0] }) };
    if (first === '提交' || first === 'submit') return { mode: 'submit', ...(body.length > 0 ? { unit: body.join(' ') } : {}), ...(yearLast ? { year: yearLast } : {}) };
    if (first === undefined) return { mode: 'show' };
    const all = [first, ...rest];
    const last = all[all.length - 1]!;
    if (looksLikeYear(last)) return { mode: 'show', year: last, ...(all.length > 1 ? { unit: all.slice(0, -1).join(' ') } : {}) };
    return { mode: 'show', unit: all.join(' ') };
  },
  args: z.union([
    z.object({ mode: z.literal('progress'), year: yearArg.optional() }).strict(),
    z.object({ mode: z.enum(['show', 'submit']), unit: optionalText('单位名称', 60), year: yearArg.optional() }).strict(),
  ]) as z.ZodType<SelfCheckArgs>,
  async run(ctx, args) {
    const deps = ctx.deps;
    if (args.mode === 'progress') {
      if (!ctx.actor) throw new UserError('forbidden', '只有党建办可以查看自查进度（请先绑定花名册）');
      return cardReply(progressCard(await selfCheckProgress(deps, ctx.actor, args.year), deps.tz));
    }
    const unit = args.unit ?? (await defaultUnit(ctx));
    if (args.mode === 'submit') {
      if (!ctx.actor) throw new UserError('forbidden', '提交自查清单需要先绑定花名册');
      const r = await submitSelfCheck(deps, ctx.actor, { unit, year: args.year });
      return cardReply(selfCheckCard(r, deps.tz));
    }
    return cardReply(selfCheckCard(await selfCheckReport(deps, unit, args.year), deps.tz));
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
