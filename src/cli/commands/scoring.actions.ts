/** What the scoring commands do (their definitions: ./scoring.ts); loaded only when one of them runs. */
import type { Command } from 'commander';
import { REQUIREMENT_STATUS_ZH, streetTargetNote, TARGET_SOURCE_ZH } from '../../cards/labels.js';
import { fileLabel } from '../../io/import-file.js';
import { withRowErrorsAsJson } from '../../io/row-errors.js';
import { readScoreSheet } from '../../io/score-sheet.js';
import { GRADE_NAMES_ZH, LEVEL_NAMES_ZH } from '../../plan/schema.js';
import { fmtPoints } from '../../scoring/format.js';
import { gradeLabelZh } from '../../scoring/index.js';
import { ranking, scoreReport, targetsAt, type RankingReport, type ScoreReport, type TargetsReport } from '../../services/grading.service.js';
import { importScores } from '../../services/scores.service.js';
import { resetAllTargets, resetTarget, setTarget, type TargetChange } from '../../services/targets.service.js';
import { UserError } from '../../errors.js';
import { actingAs, withContext, type CommonOptions } from '../context.js';

function scoreText(r: ScoreReport): string {
  const out: string[] = [];
  out.push(`${r.unit}（${r.levelName}${r.parent ? `，${r.parent}` : ''}） ${r.year}年`);
  out.push(`总分 ${fmtPoints(r.total)}/${fmtPoints(r.max)}  ${gradeLabelZh(r)}${r.veto ? `  一票否决：${r.vetoReasons.join('；')}` : ''}  已评 ${r.assessed}/${r.itemCount} 项`);
  for (const ind of r.indicators) {
    out.push(`  ${ind.number}. ${ind.title}  ${fmtPoints(ind.points)}/${fmtPoints(ind.max)}`);
    for (const it of r.items.filter((i) => i.indicator === ind.number)) {
      out.push(`     ${it.code} ${it.assessed ? `${fmtPoints(it.points)}/${fmtPoints(it.max)}` : `未评 0/${fmtPoints(it.max)}`}  ${it.title}`);
    }
  }
  if (r.gap.nextGrade !== null) {
    out.push(`距${GRADE_NAMES_ZH[r.gap.nextGrade]}：${r.gap.pointsShort > 0 ? `差 ${fmtPoints(r.gap.pointsShort)} 分` : '分数已够'}`);
    for (const b of r.blockers) out.push(`  - ${b}`);
  }
  if (r.gap.topLosses.length > 0) {
    out.push('失分最多：');
    for (const l of r.gap.topLosses) out.push(`  - ${l.code} 失 ${fmtPoints(l.lost)} 分${l.assessed ? '' : '（未评）'}  ${l.title}`);
  }
  for (const n of r.notes) out.push(`注：${n}`);
  const prev = r.previousYear.grade === null ? '未评' : `${GRADE_NAMES_ZH[r.previousYear.grade]}（${fmtPoints(r.previousYear.total ?? 0)} 分）`;
  out.push(`上年（${r.previousYear.year}）：${prev}${r.needsRectification ? '  需整改：等级较上年下降' : ''}`);
  return out.join('\n');
}

function rankText(r: RankingReport): string {
  const head = `${r.year}年 ${LEVEL_NAMES_ZH[r.level]}排名${r.parent ? `（${r.parent}）` : ''}`;
  const unscored = r.rows.filter((row) => !row.scored).length;
  const counts = `示范型 ${r.counts.demonstration}，标准型 ${r.counts.standard}，未达标 ${r.counts.none - unscored}${unscored > 0 ? `，尚无评分 ${unscored}` : ''}`;
  if (r.rows.length === 0) return `${head}\n（无${LEVEL_NAMES_ZH[r.level]}）`;
  const line = (row: RankingReport['rows'][number]) =>
    [
      row.rank,
      row.unit,
      ...(r.level === 'compound' ? [row.parent ?? '—'] : []),
      row.scored ? fmtPoints(row.total) : '—',
      row.scored ? `${GRADE_NAMES_ZH[row.grade]}${row.veto ? '（一票否决）' : ''}` : gradeLabelZh({ assessed: 0, grade: row.grade }),
    ].join('\t');
  return [head, ...r.rows.map(line), counts].join('\n');
}

function targetsText(t: TargetsReport): string {
  const out: string[] = [`${t.at} 目标进度（${t.street ?? '全部单位'}，自 ${t.programmeStart} 起）`];
  for (const p of t.overrideProblems) out.push(`⚠️ 本街道设置的目标未能采用：${p}`);
  out.push(t.onTrack === null ? '整体：暂无可衡量的目标' : `整体：${t.onTrack ? '进度正常' : '进度落后'}（依据${t.currentLabel ?? ''}节点）`);
  for (const m of t.milestones) {
    const state = { past: '已过', current: '当前', future: '以后', sustain: '长效保持' }[m.state];
    out.push(`【${m.label}（${m.due}）${state}】${m.asOfYear === null ? '（无评分记录）' : `按 ${m.asOfYear} 年评定`}${m.met ? '  ✅' : ''}${m.onTrack === null ? '' : m.onTrack ? '  进度正常' : '  进度落后'}`);
    for (const q of m.requirements) {
      const forecast = q.forecast === null ? '' : `，按进度预计 ${q.forecast}`;
      const counts = q.applicable ? `${q.reached}/${q.required}${forecast}  ` : '';
      out.push(`  - ${q.text}${q.stretch ? '（力争）' : ''}${streetTargetNote(q)}：${counts}${REQUIREMENT_STATUS_ZH[q.status]}`);
      if (q.warning !== null) out.push(`    ⚠️ ${q.warning}`);
    }
    for (const o of m.otherTargets) out.push(`  · ${o}（不按分数统计）`);
  }
  return out.join('\n');
}

/** 「已设置：到2027年12月 累计建成示范型社区11个 → 本街道 8 个（方案原文 11 个）」 and the flag, if any. */
function targetChangeText(verb: string, c: TargetChange): string {
  const source = TARGET_SOURCE_ZH[c.source];
  const lines = [`${verb}：${c.label} ${c.text} → ${c.count === 0 ? '本街道不设此目标' : `${c.count} 个`}（${source}；方案原文 ${c.planCount} 个；本街道现有 ${c.available} 个）`];
  if (c.warning !== null) lines.push(`⚠️ ${c.warning}`);
  return lines.join('\n');
}

export const runScoreImport = async (opts: CommonOptions & { file: string; by?: string }) =>
  withContext(opts, (ctx) =>
    withRowErrorsAsJson(ctx, async () => {
      const sheet = await readScoreSheet(opts.file, ctx.plan);
      const rows = sheet.entries.map((e) => ({ sheet: e.sheet, row: e.row, column: e.column, input: { unit: e.unit, item: e.item, points: e.points, year: e.year, note: e.note } }));
      const imported = await importScores({ ...ctx, tz: ctx.config.timeZone }, await actingAs(ctx, opts.by), rows, opts.file, sheet.problems);
      const layouts = [...new Set(sheet.layouts.map((l) => (l.layout === 'wide' ? '宽表' : '长表')))].join('、');
      const ignored = sheet.ignoredColumns.length > 0 ? `；未导入的列：${[...new Set(sheet.ignoredColumns)].join('、')}` : '';
      ctx.print({ imported, file: opts.file, layouts: sheet.layouts, ignoredColumns: sheet.ignoredColumns }, () => `已从 ${fileLabel(opts.file)} 导入 ${imported} 条分数（${layouts}${ignored}）`);
    }),
  );

export const runScoreShow = async (opts: CommonOptions & { unit: string; year?: string }) =>
  withContext(opts, async (ctx) => {
    const report = await scoreReport({ ...ctx, tz: ctx.config.timeZone }, opts.unit, opts.year);
    ctx.print(report, () => scoreText(report));
  });

export const runRank = async (opts: CommonOptions & { level: string; parent?: string; year?: string }) =>
  withContext(opts, async (ctx) => {
    const report = await ranking({ ...ctx, tz: ctx.config.timeZone }, opts);
    ctx.print(
      report.rows.map((r) => ({ rank: r.rank, unit: r.unit, parent: r.parent, total: r.total, grade: r.grade, veto: r.veto, scored: r.scored })),
      () => rankText(report),
    );
  });

export const runTargets = async (opts: CommonOptions & { at?: string }) =>
  withContext(opts, async (ctx) => {
    const report = await targetsAt({ ...ctx, tz: ctx.config.timeZone }, opts.at);
    ctx.print(report, () => targetsText(report));
  });

export const runTargetsSet = async (_opts: unknown, cmd: Command) => {
  // `targets` has the same --db / --json: commander may hand them to it, so read them through the parent.
  const opts = cmd.optsWithGlobals<CommonOptions & { milestone: string; level: string; grade?: string; count: string; by?: string }>();
  return withContext(opts, async (ctx) => {
    const change = await setTarget({ ...ctx, tz: ctx.config.timeZone }, await actingAs(ctx, opts.by), opts);
    ctx.print(change, () => targetChangeText('已设置', change));
  });
};

export const runTargetsReset = async (_opts: unknown, cmd: Command) => {
  const opts = cmd.optsWithGlobals<CommonOptions & { milestone?: string; level?: string; grade?: string; all?: boolean; by?: string }>();
  return withContext(opts, async (ctx) => {
    if (!opts.all && (opts.milestone === undefined || opts.level === undefined)) {
      throw new UserError('bad_argument', '请写明要恢复的目标（--milestone 和 --level），或用 --all 恢复全部', opts.milestone === undefined ? '--milestone' : '--level');
    }
    const deps = { ...ctx, tz: ctx.config.timeZone };
    const actor = await actingAs(ctx, opts.by);
    if (opts.all) {
      const removed = await resetAllTargets(deps, actor);
      ctx.print({ removed }, () => `已取消本街道设置的全部目标个数（${removed} 项）`);
      return;
    }
    const change = await resetTarget(deps, actor, { milestone: opts.milestone!, level: opts.level!, grade: opts.grade });
    ctx.print(change, () => targetChangeText('已恢复', change));
  });
};
