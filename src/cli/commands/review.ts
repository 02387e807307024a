/**
 * `dangjian review open|close|reopen|list`: assessment rounds (预验收, 年度验收, 复评). Office only
 * (the operator, or `--by` a roster member of the office); every step audited. Text in Chinese.
 */
import type { Command } from 'commander';
import { ROUND_KIND_ZH, ROUND_KINDS } from '../../domain/round-kind.js';
import { LEVEL_NAMES_ZH } from '../../plan/schema.js';
import { fmtPoints } from '../../scoring/format.js';
import { candidateList, chooseCandidates, type CandidateList } from '../../services/candidates.service.js';
import { closeRound, openRound, reopenRound, roundLabel, roundList, type RoundSummary } from '../../services/rounds.service.js';
import { actingAs, withCommonOptions, withContext, type CommonOptions } from '../context.js';

const KINDS = ROUND_KINDS.map((k) => ROUND_KIND_ZH[k]).join('|');
const BY = '以花名册中此人的身份操作（其权限适用，审计记其姓名）；默认为服务器操作员';

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

export function registerReviewCommands(program: Command): void {
  const review = program.command('review').description('验收轮次：预验收、年度验收、复评（开始、结束、重新开启、列表）');

  withCommonOptions(
    review
      .command('open')
      .description('开始一轮验收：此后录入的该年分数属于这一轮')
      .requiredOption('--kind <种类>', KINDS)
      .option('--year <年份>', '年度，默认今年')
      .option('--by <姓名>', BY),
  ).action(async (opts: CommonOptions & { kind: string; year?: string; by?: string }) =>
    withContext(opts, async (ctx) => {
      const round = await openRound({ ...ctx, tz: ctx.config.timeZone }, await actingAs(ctx, opts.by), { kind: opts.kind, year: opts.year });
      ctx.print({ id: round.id, year: round.year, kind: round.kind }, () => `已开始${roundLabel(round)}：此后录入的 ${round.year} 年分数属于这一轮，结束时冻结各单位等级`);
    }),
  );

  withCommonOptions(
    review
      .command('close')
      .description('结束进行中的验收，冻结各单位的等级（之后的更正不改变本轮结果）')
      .option('--year <年份>', '进行中那一轮的年度（核对用）')
      .option('--by <姓名>', BY),
  ).action(async (opts: CommonOptions & { year?: string; by?: string }) =>
    withContext(opts, async (ctx) => {
      const closed = await closeRound({ ...ctx, tz: ctx.config.timeZone }, await actingAs(ctx, opts.by), { year: opts.year });
      ctx.print({ id: closed.round.id, year: closed.round.year, kind: closed.round.kind, frozen: closed.frozen, entries: closed.entries }, () => `已结束${roundLabel(closed.round)}：冻结 ${closed.frozen} 个单位的等级，本轮录入 ${closed.entries} 条`);
    }),
  );

  withCommonOptions(
    review
      .command('reopen')
      .description('重新开启已结束的验收（仅党建办，须写明原因，记入审计）')
      .requiredOption('--year <年份>', '年度')
      .option('--kind <种类>', `${KINDS}（该年只有一轮时可省略）`)
      .requiredOption('--reason <原因>', '为什么重新开启')
      .option('--by <姓名>', BY),
  ).action(async (opts: CommonOptions & { year: string; kind?: string; reason: string; by?: string }) =>
    withContext(opts, async (ctx) => {
      const round = await reopenRound({ ...ctx, tz: ctx.config.timeZone }, await actingAs(ctx, opts.by), { year: opts.year, kind: opts.kind, reason: opts.reason });
      ctx.print({ id: round.id, year: round.year, kind: round.kind }, () => `已重新开启${roundLabel(round)}：此后录入的 ${round.year} 年分数属于这一轮，再次结束时重新冻结各单位等级`);
    }),
  );

  withCommonOptions(review.command('candidates').description('市县级验收推选候选：上一轮已结束验收的示范型单位，各层级按总分排序，注明申报目标')).action(async (opts: CommonOptions) =>
    withContext(opts, async (ctx) => {
      const list = await candidateList({ ...ctx, tz: ctx.config.timeZone });
      ctx.print(list, () => candidatesText(list));
    }),
  );

  withCommonOptions(
    review
      .command('choose')
      .description('记录推选名单（替换之前的名单；一票否决或整改未完成的单位不能推选）')
      .requiredOption('--units <单位>', '推选的单位，用逗号或「、」分隔')
      .option('--by <姓名>', BY),
  ).action(async (opts: CommonOptions & { units: string; by?: string }) =>
    withContext(opts, async (ctx) => {
      const list = await chooseCandidates({ ...ctx, tz: ctx.config.timeZone }, await actingAs(ctx, opts.by), { units: opts.units.split(/[,，、]/) });
      ctx.print(list, () => `已记录推选名单：\n${candidatesText(list)}`);
    }),
  );

  withCommonOptions(review.command('list').description('列出各轮验收及其开始、结束、重新开启记录')).action(async (opts: CommonOptions) =>
    withContext(opts, async (ctx) => {
      const rounds = await roundList({ ...ctx, tz: ctx.config.timeZone });
      ctx.print(rounds, () => roundsText(rounds));
    }),
  );
}
