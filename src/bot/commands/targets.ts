/** 目标 / targets: progress against the milestones of section 二 (行动目标). */
import { z } from 'zod';
import { card, escapeMarkdown, hr, markdown, table, type CardElement } from '../../cards/card.js';
import { MAX_CHARTS_PER_CARD, targetProgressChart } from '../../cards/charts.js';
import { MILESTONE_STATE_ZH, REQUIREMENT_STATUS_ICON, REQUIREMENT_STATUS_ZH, streetTargetNote } from '../../cards/labels.js';
import { joinLevels } from '../../scoring/format.js';
import type { MilestoneProgress } from '../../scoring/targets.js';
import { declaredLine, declaredTargets } from '../../services/application.service.js';
import { targetsReport } from '../../services/grading.service.js';
import { quiet } from '../read-ahead.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';

/** `chart`: the element id of the milestone's chart, or null for none. */
function milestoneElements(m: MilestoneProgress, chart: string | null): CardElement[] {
  const head = `**${m.label}（${m.due}）· ${MILESTONE_STATE_ZH[m.state]}**${m.asOfYear === null ? '（尚无评分）' : `（按 ${m.asOfYear} 年评分）`}${m.met ? ' ✅' : ''}`;
  const out: CardElement[] = [markdown(head)];
  if (m.requirements.length > 0) {
    out.push(
      table(
        [
          { key: 'text', title: '目标' },
          { key: 'reached', title: '已达' },
          { key: 'status', title: '状态' },
        ],
        m.requirements.map((r) => ({
          text: `${escapeMarkdown(r.text)}${r.stretch ? '（力争）' : ''}${streetTargetNote(r)}`,
          reached: r.applicable ? `${r.reached} / ${r.required}${r.forecast !== null && r.status !== 'met' ? `（预计 ${r.forecast}）` : ''}` : '—',
          status: `${REQUIREMENT_STATUS_ICON[r.status]} ${REQUIREMENT_STATUS_ZH[r.status]}`,
        })),
      ),
    );
  }
  // One line per milestone, not one per target: the card has to fit a phone screen.
  const exceeding = m.requirements.filter((r) => r.exceedsUnits && r.applicable);
  if (exceeding.length > 0) {
    const list = exceeding.map((r) => `${escapeMarkdown(r.text)}${r.overridden ? `（本街道目标 ${r.required} 个）` : ''}：${joinLevels(r.levels)}共 ${r.available} 个`);
    out.push(markdown(`⚠️ 目标超过本街道单位数，无法达成：${list.join('；')}`));
  }
  if (chart !== null) out.push(targetProgressChart(m, { elementId: chart }));
  if (m.otherTargets.length > 0) out.push(markdown(`其他目标：${m.otherTargets.map(escapeMarkdown).join('；')}`));
  return out;
}

export const targets = defineCommand({
  names: ['目标', 'targets', '进度'],
  summary: '对照方案「行动目标」各节点的完成进度',
  usage: '目标',
  example: '目标',
  access: 'read',
  readOnly: true,
  params: [],
  args: z.object({}),
  // The whole report, read beside the sender (it takes no argument): on a database server two
  // round trips in a row fewer before the answer. Used only once the sender may see it.
  readAhead: (deps) => ({ report: quiet(targetsReport(deps)), declared: quiet(declaredTargets(deps)) }),
  async run(ctx, _args, ahead) {
    // Declared (approved applications of the year) vs reached per level, read beside the report.
    const [r, declared] = await Promise.all([ahead?.report ?? targetsReport(ctx.deps), ahead?.declared ?? declaredTargets(ctx.deps)]);
    const basis = r.currentLabel === null ? '' : `（依据${r.currentLabel}节点）`;
    const summary =
      r.onTrack === null ? '暂无可衡量的目标节点。' : r.onTrack ? `🟢 当前节点按进度推进${basis}。` : `🔴 当前节点进度落后${basis}，请关注标红的目标。`;
    const elements: CardElement[] = [markdown(`${r.street ? `${escapeMarkdown(r.street)} · ` : ''}截至 ${r.at}\n${summary}`)];
    if (r.overrideProblems.length > 0) elements.push(markdown(`⚠️ 本街道设置的目标未能采用：${r.overrideProblems.map(escapeMarkdown).join('；')}`));
    // Past milestones first would bury the current one: current and future first, then the past.
    const order = [...r.milestones].sort((a, b) => Number(a.state === 'past') - Number(b.state === 'past'));
    let charts = 0;
    for (const m of order) {
      const chart = m.requirements.length > 0 && charts < MAX_CHARTS_PER_CARD ? `target_${++charts}` : null;
      elements.push(hr(), ...milestoneElements(m, chart));
    }
    if (declared.levels.length > 0) elements.push(hr(), markdown([`**${declared.year} 年申报目标**（已通过的申报 · 按评定）`, ...declared.levels.map((d) => `${d.levelName}：${declaredLine(d)}`)].join('\n')));
    // The document's numbers are the sample street's: say once how to set the street's own.
    if (r.milestones.some((m) => m.requirements.some((q) => q.exceedsUnits && q.applicable && !q.overridden))) {
      elements.push(hr(), markdown('方案原文的个数是样板街道的数字。党建办可发送「设目标 〈节点〉〈层级〉〈个数〉」设置本街道自己的目标，例如「设目标 2027-12 社区 8」。'));
    }
    const template = r.onTrack === null ? 'grey' : r.onTrack ? 'green' : 'red';
    return cardReply(card('行动目标进度', template, elements));
  },
});
