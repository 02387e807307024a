/**
 * The weekly digest (周报) as data and as a card: what the leadership chat gets on the first
 * working day of each week and what 周报 shows (built by src/services/digest.service.ts), and
 * the unit digest and grade-change notice a chat subscribed to one unit receives.
 */
import { card, escapeMarkdown, fields, hr, markdown, table, type Card, type CardElement } from '../cards/card.js';
import { gradeMixChart, type GradeMixRow } from '../cards/charts.js';
import { clip, GRADE_BADGE, GRADE_TEMPLATE, REQUIREMENT_STATUS_ZH } from '../cards/labels.js';
import { fmtPoints, joinLevels } from '../scoring/format.js';
import type { RequirementStatus } from '../scoring/targets.js';
import { GRADE_NAMES_ZH, LEVEL_NAMES_ZH, type Grade, type Level } from '../plan/schema.js';
import type { Cadence } from '../plan/schema.js';
import type { TaskStatus } from '../tasks/status.js';

/** One task occurrence in a push. */
export interface ItemLine {
  year: number;
  seq: number;
  content: string;
  period: string;
  cadence: Cadence | null;
  dueDate: string;
  leadUnits: string[];
  status: TaskStatus;
  /** Calendar days overdue (red items). */
  daysOverdue: number | null;
}

export interface TargetsSummary {
  /** The milestone that decides "on track", or null. */
  current: string | null;
  onTrack: boolean | null;
  /** The deciding milestone's heading in the programme's years (「到2027年12月」), or null. */
  label: string | null;
  lines: Array<{
    milestone: string;
    due: string;
    text: string;
    reached: number;
    required: number;
    met: boolean;
    status: RequirementStatus;
    /** A target above the street's units of that level (「目标 11 个超过本街道社区总数 8 个…」), or null. */
    warning: string | null;
    levels: Level[];
    /** Units of those levels in the street. */
    available: number;
    /** The street set this number itself (else it is the document's). */
    overridden: boolean;
  }>;
}

/**
 * The current milestone's targets as lines for the 周报 and the pushes: 「- 示范型社区6个：1/6」,
 * 「无此类单位」 instead of 0/0, the flag of a target above the street's units on its line, and
 * once, that the document's numbers can be replaced (issue 16 #3).
 */
export function targetSummaryLines(t: TargetsSummary): string[] {
  const lines = t.lines.map((l) =>
    l.status === 'no_units' || l.status === 'waived'
      ? `- ${escapeMarkdown(l.text)}：${REQUIREMENT_STATUS_ZH[l.status]}`
      : `- ${escapeMarkdown(l.text)}：${l.reached}/${l.required}${l.met ? ' ✅' : ''}${l.warning ? ` ⚠️ 本街道${joinLevels(l.levels)}共 ${l.available} 个，无法达成` : ''}`,
  );
  if (t.lines.some((l) => l.warning !== null && !l.overridden)) lines.push('（方案原文的个数是样板街道的数字，党建办可用「设目标」设置本街道自己的目标）');
  return lines;
}

export interface DigestCompletion {
  year: number;
  seq: number;
  content: string;
  period: string;
  dueDate: string;
  doneAt: string;
  doneBy: string | null;
  late: boolean;
}

export interface DigestOverdue extends ItemLine {
  daysOverdue: number;
  workdaysOverdue: number;
}

export interface DigestGradeChange {
  unit: string;
  level: Level;
  year: number;
  before: { total: number; grade: Grade };
  after: { total: number; grade: Grade };
  direction: 'up' | 'down' | 'same';
}

export interface DigestLights {
  leadUnit: string;
  red: number;
  yellow: number;
  green: number;
  done: number;
}

export interface DigestFailure {
  key: string;
  kind: string;
  chatId: string;
  dueAt: string;
  attempts: number;
  lastError: string | null;
}

export interface Digest {
  street: string;
  /** Monday and Sunday of the digest's week. */
  weekStart: string;
  weekEnd: string;
  /** The week before (completions, score changes). */
  lastWeek: { from: string; to: string };
  /** The instant the statuses are evaluated at, ISO with offset. */
  asOf: string;
  completedLastWeek: DigestCompletion[];
  /** Open occurrences due in the 14 days from asOf's date. */
  dueNext14Days: ItemLine[];
  overdue: DigestOverdue[];
  gradeChanges: { up: number; down: number; changed: number; changes: DigestGradeChange[] };
  /** Grades per level of the street's units in the year of asOf (absent in digests stored before it existed). */
  gradeMix?: GradeMixRow[];
  targets: TargetsSummary | null;
  /** 红黄绿 (and done) task counts per lead unit, for the year of asOf. */
  lights: DigestLights[];
  /** Outbox messages that failed (since the start of last week). */
  failedMessages: DigestFailure[];
  /** Reminders recorded as skipped because they were too late to send (downtime), since the start of last week. */
  missedReminders: number;
  /** 自查清单 submitted per level, while the year's task 1 (自查) is open (issue 13; absent in older digests). */
  selfCheck?: { submitted: number; total: number; levels: Array<{ levelName: string; submitted: number; total: number }> } | null;
  /** Declared (approved applications) vs reached per level, one line each (issue 13). */
  declared?: Array<{ levelName: string; line: string }>;
}

// ---------------------------------------------------------------- card

const MAX_ROWS = 15;
const taskLabel = (i: { seq: number; content: string; year: number }) => `${i.seq}. ${escapeMarkdown(clip(i.content, 40))}`;

function more(n: number): CardElement[] {
  return n > 0 ? [markdown(`…另有 ${n} 项`)] : [];
}

/** The digest elements without header (also used when the digest shares a card with other reminders). */
export function digestElements(d: Digest): CardElement[] {
  const els: CardElement[] = [];
  const on = d.targets?.onTrack;
  els.push(
    fields([
      ['上周完成', `${d.completedLastWeek.length} 项`],
      ['逾期未完成', `${d.overdue.length} 项`],
      ['14 天内到期', `${d.dueNext14Days.length} 项`],
      ['目标进度', on === true ? '按计划推进' : on === false ? '落后于计划' : '暂无可衡量目标'],
    ]),
  );

  if (d.selfCheck) els.push(markdown(`**自查清单**：已提交 ${d.selfCheck.submitted} / ${d.selfCheck.total}（${d.selfCheck.levels.map((l) => `${l.levelName} ${l.submitted}/${l.total}`).join('，')}）`));
  if (d.declared && d.declared.length > 0) els.push(markdown(`**申报目标**：${d.declared.map((l) => `${l.levelName}${l.line}`).join('；')}`));

  els.push(hr(), markdown('**红黄绿灯（按牵头单位）**'));
  els.push(
    table(
      [
        { key: 'unit', title: '牵头单位' },
        { key: 'red', title: '红', type: 'number' },
        { key: 'yellow', title: '黄', type: 'number' },
        { key: 'green', title: '绿', type: 'number' },
        { key: 'done', title: '已完成', type: 'number' },
      ],
      d.lights.map((l) => ({ unit: l.leadUnit, red: l.red, yellow: l.yellow, green: l.green, done: l.done })),
    ),
  );

  els.push(hr(), markdown(`**逾期事项（${d.overdue.length}）**`));
  if (d.overdue.length === 0) els.push(markdown('无'));
  else {
    els.push(
      table(
        [
          { key: 'task', title: '任务', type: 'lark_md' },
          { key: 'period', title: '周期' },
          { key: 'days', title: '逾期天数', type: 'number' },
          { key: 'lead', title: '牵头单位' },
        ],
        d.overdue.slice(0, MAX_ROWS).map((o) => ({ task: taskLabel(o), period: o.period, days: o.daysOverdue, lead: o.leadUnits.join('、') })),
      ),
      ...more(d.overdue.length - MAX_ROWS),
    );
  }

  els.push(hr(), markdown(`**未来 14 天到期（${d.dueNext14Days.length}）**`));
  if (d.dueNext14Days.length === 0) els.push(markdown('无'));
  else {
    els.push(markdown(d.dueNext14Days.slice(0, MAX_ROWS).map((i) => `- ${i.dueDate} ${taskLabel(i)}（${i.leadUnits.join('、')}）`).join('\n')), ...more(d.dueNext14Days.length - MAX_ROWS));
  }

  els.push(hr(), markdown(`**上周完成（${d.completedLastWeek.length}）**`));
  if (d.completedLastWeek.length === 0) els.push(markdown('无'));
  else {
    els.push(
      markdown(d.completedLastWeek.slice(0, MAX_ROWS).map((c) => `- ${taskLabel(c)}〔${c.period}〕${c.late ? '（逾期完成）' : ''}${c.doneBy ? ` — ${escapeMarkdown(c.doneBy)}` : ''}`).join('\n')),
      ...more(d.completedLastWeek.length - MAX_ROWS),
    );
  }

  els.push(hr(), markdown(`**分数与等级变化**（上升 ${d.gradeChanges.up}，下降 ${d.gradeChanges.down}，变化 ${d.gradeChanges.changed}）`));
  if (d.gradeMix && d.gradeMix.length > 0) els.push(gradeMixChart(d.gradeMix, { title: `${d.asOf.slice(0, 4)} 年各层级等级分布`, elementId: 'digest_grades' }));
  if (d.gradeChanges.changes.length > 0) {
    els.push(
      markdown(
        d.gradeChanges.changes
          .slice(0, MAX_ROWS)
          .map((c) => `- ${escapeMarkdown(c.unit)}（${LEVEL_NAMES_ZH[c.level]}，${c.year}）：${c.before.total} 分 ${GRADE_NAMES_ZH[c.before.grade]} → ${c.after.total} 分 ${GRADE_NAMES_ZH[c.after.grade]}`)
          .join('\n'),
      ),
      ...more(d.gradeChanges.changes.length - MAX_ROWS),
    );
  }

  if (d.targets && d.targets.lines.length > 0) {
    els.push(hr(), markdown(`**目标进度**（${d.targets.label ?? ''}节点，${d.targets.lines[0]?.due ?? ''}）`));
    els.push(markdown(targetSummaryLines(d.targets).join('\n')));
  }

  if (d.failedMessages.length > 0 || d.missedReminders > 0) {
    els.push(hr(), markdown(`**消息发送异常**`));
    const lines = d.failedMessages.slice(0, MAX_ROWS).map((f) => `- ${f.kind} ${f.dueAt}：${escapeMarkdown(clip(f.lastError ?? '未知错误', 80))}`);
    if (d.missedReminders > 0) lines.push(`- 因服务停机超过补发时限而未发送的提醒：${d.missedReminders} 条`);
    els.push(markdown(lines.join('\n')), ...more(d.failedMessages.length - MAX_ROWS));
  }
  return els;
}

/** The digest as a card (Card JSON 2.0). */
export function digestCard(d: Digest): Card {
  const title = `周报｜${d.street} ${d.weekStart} 至 ${d.weekEnd}`;
  const template = d.overdue.length > 0 ? 'orange' : 'blue';
  return card(title, template, [...digestElements(d), hr(), markdown(`统计时间：${d.asOf}`)]);
}

// ---------------------------------------------------------------- a unit's chat

/** One unit's grade in a unit digest. */
export interface UnitGradeLine {
  unit: string;
  level: Level;
  total: number;
  grade: Grade;
  veto: boolean;
  /** Sub-items with an entry / sub-items of its rubric. */
  assessed: number;
  itemCount: number;
}

/** What a chat subscribed to a unit receives each week (`unit:NAME`). */
export interface UnitDigest {
  unit: string;
  level: Level;
  year: number;
  weekStart: string;
  weekEnd: string;
  lastWeek: { from: string; to: string };
  asOf: string;
  own: UnitGradeLine;
  /** The units below it (a community's compounds), lowest grade first. */
  subUnits: UnitGradeLine[];
  /** Grade, total or veto changes in its subtree through last week's entries. */
  changes: DigestGradeChange[];
}

/** Grade changes in one unit's subtree, for that unit's chat (sent the working day after the entries). */
export interface UnitChangeNotice {
  unit: string;
  /** The entries looked at: [from, to), ISO with offset. */
  from: string;
  to: string;
  changes: DigestGradeChange[];
}

const gradeLine = (g: UnitGradeLine) => `${escapeMarkdown(g.unit)}：${fmtPoints(g.total)} 分 ${GRADE_BADGE[g.grade]}${g.veto ? '（一票否决）' : ''}（已评 ${g.assessed}/${g.itemCount}）`;
const changeLine = (c: DigestGradeChange) =>
  `- ${escapeMarkdown(c.unit)}（${LEVEL_NAMES_ZH[c.level]}，${c.year}）：${fmtPoints(c.before.total)} 分 ${GRADE_NAMES_ZH[c.before.grade]} → ${fmtPoints(c.after.total)} 分 ${GRADE_NAMES_ZH[c.after.grade]}`;

export function unitDigestElements(d: UnitDigest): CardElement[] {
  const els: CardElement[] = [markdown(`**本单位（${d.year} 年度）**\n${gradeLine(d.own)}`)];
  if (d.subUnits.length > 0) {
    const counts = { demonstration: 0, standard: 0, none: 0 };
    for (const s of d.subUnits) counts[s.grade] += 1;
    els.push(hr(), markdown(`**下属单位（${d.subUnits.length}）**　示范型 ${counts.demonstration}，标准型 ${counts.standard}，未达标 ${counts.none}`));
    els.push(markdown(d.subUnits.slice(0, MAX_ROWS).map((s) => `- ${gradeLine(s)}`).join('\n')), ...more(d.subUnits.length - MAX_ROWS));
  }
  els.push(hr(), markdown(`**上周分数与等级变化（${d.lastWeek.from} 至 ${d.lastWeek.to}）**`));
  els.push(markdown(d.changes.length === 0 ? '无' : d.changes.slice(0, MAX_ROWS).map(changeLine).join('\n')), ...more(d.changes.length - MAX_ROWS));
  return els;
}

export function unitDigestCard(d: UnitDigest): Card {
  return card(`周报｜${d.unit} ${d.weekStart} 至 ${d.weekEnd}`, GRADE_TEMPLATE[d.own.grade], [...unitDigestElements(d), hr(), markdown(`统计时间：${d.asOf}`)]);
}

export function unitChangeElements(n: UnitChangeNotice): CardElement[] {
  return [markdown(`${n.from.slice(0, 16).replace('T', ' ')} 至 ${n.to.slice(0, 16).replace('T', ' ')} 录入的分数带来以下变化：`), markdown(n.changes.slice(0, MAX_ROWS).map(changeLine).join('\n')), ...more(n.changes.length - MAX_ROWS)];
}

export const unitChangeTitle = (n: UnitChangeNotice) => `等级变化｜${n.unit}`;
