/** What the review commands do (their definitions: ./review.ts); loaded only when one of them runs. */
import { LEVEL_NAMES_ZH } from '../../plan/schema.js';
import { fmtPoints } from '../../scoring/format.js';
import { candidateList, chooseCandidates, type CandidateList } from '../../services/candidates.service.js';
import { closeRound, openRound, reopenRound, roundLabel, roundList, type RoundSummary } from '../../services/rounds.service.js';
import { actingAs, withContext, type CommonOptions } from '../context.js';

function roundsText(rounds: readonly RoundSummary[]): string {
  if (rounds.length === 0) return '还没有验收轮次（dangjian review open --kind 年度验收 --year 2026 开始一轮）';
  const out: string[] = [];
  for (const r of rounds) {
    const state = r.open ? '进行中' : `已结束（${r.closedAt}，${r.closedBy}）`;
    out.push(`${r.label}  ${state}  本轮录入 ${r.entries} 条${r.laterEntries > 0 ? `，结束后更正 ${r.laterEntries} 条（不计入本轮）` : ''}`);
    for (const h of r.history) out.push(`  ${h.at} ${h.by} ${h.actionName}${h.reason === null ? '' : `：${h.reason}`}`);
  }
  return out.join('\n');
}

function candidatesText(list: CandidateList): string {
  if (list.levels.length === 0) return `${list.round}没有示范型单位`;
  const out = [`${list.round} 示范型单位（⭐ 已推选，⛔ 不能推选）`];
  for (const l of list.levels) {
    out.push(LEVEL_NAMES_ZH[l.level]);
    for (const c of l.candidates) out.push(`  ${c.chosen ? '⭐' : c.excluded.length > 0 ? '⛔' : ' '} ${c.rank}. ${c.unit} ${fmtPoints(c.total)} 分${c.declared === null ? '' : `（申报${c.declared}）`}${c.excluded.length > 0 ? `（${c.excluded.join('、')}）` : ''}`);
  }
  return out.join('\n');
}

export const runReviewOpen = async (opts: CommonOptions & { kind: string; year?: string; by?: string }) =>
  withContext(opts, async (ctx) => {
    const round = await openRound({ ...ctx, tz: ctx.config.timeZone }, await actingAs(ctx, opts.by), { kind: opts.kind, year: opts.year });
    ctx.print({ id: round.id, year: round.year, kind: round.kind }, () => `已开始${roundLabel(round)}：此后录入的 ${round.year} 年分数属于这一轮，结束时冻结各单位等级`);
  });

export const runReviewClose = async (opts: CommonOptions & { year?: string; by?: string }) =>
  withContext(opts, async (ctx) => {
    const closed = await closeRound({ ...ctx, tz: ctx.config.timeZone }, await actingAs(ctx, opts.by), { year: opts.year });
    ctx.print({ id: closed.round.id, year: closed.round.year, kind: closed.round.kind, frozen: closed.frozen, entries: closed.entries }, () => `已结束${roundLabel(closed.round)}：冻结 ${closed.frozen} 个单位的等级，本轮录入 ${closed.entries} 条`);
  });

export const runReviewReopen = async (opts: CommonOptions & { year: string; kind?: string; reason: string; by?: string }) =>
  withContext(opts, async (ctx) => {
    const round = await reopenRound({ ...ctx, tz: ctx.config.timeZone }, await actingAs(ctx, opts.by), { year: opts.year, kind: opts.kind, reason: opts.reason });
    ctx.print({ id: round.id, year: round.year, kind: round.kind }, () => `已重新开启${roundLabel(round)}：此后录入的 ${round.year} 年分数属于这一轮，再次结束时重新冻结各单位等级`);
  });

export const runReviewCandidates = async (opts: CommonOptions) =>
  withContext(opts, async (ctx) => {
    const list = await candidateList({ ...ctx, tz: ctx.config.timeZone });
    ctx.print(list, () => candidatesText(list));
  });

export const runReviewChoose = async (opts: CommonOptions & { units: string; by?: string }) =>
  withContext(opts, async (ctx) => {
    const list = await chooseCandidates({ ...ctx, tz: ctx.config.timeZone }, await actingAs(ctx, opts.by), { units: opts.units.split(/[,，、]/) });
    ctx.print(list, () => `已记录推选名单：\n${candidatesText(list)}`);
  });

export const runReviewList = async (opts: CommonOptions) =>
  withContext(opts, async (ctx) => {
    const rounds = await roundList({ ...ctx, tz: ctx.config.timeZone });
    ctx.print(rounds, () => roundsText(rounds));
  });
