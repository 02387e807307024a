/**
 * The weekly digest (周报): what the leadership chat gets on the first working day of each week
 * and what the bot's 周报 command shows. `buildDigest` gathers it (task board, completions,
 * grading service, outbox failures); `digestCard` renders it with the card builders.
 */
import type { Clock } from '../clock.js';
import { card, escapeMarkdown, fields, hr, markdown, table, type Card, type CardElement } from '../cards/card.js';
import { gradeMixChart } from '../cards/charts.js';
import type { Db } from '../db/database.js';
import { listOutbox } from '../db/outbox.repository.js';
import { getProgramme } from '../db/setting.repository.js';
import { UserError } from '../errors.js';
import { GRADE_NAMES_ZH, LEVEL_NAMES_ZH, type Grade, type Level, type Plan } from '../plan/schema.js';
import { gradeChanges, gradeMix, targetsReport, type GradeMixLevel } from '../services/grading.service.js';
import { addDays, daysBetween } from '../tasks/dates.js';
import { taskBoard, type BoardTask } from '../tasks/task-service.js';
import { taskYears } from '../tasks/task.repository.js';
import type { WorkCalendar } from '../tasks/work-calendar.js';
import { isoInZone, localDate, parseIsoDate, zonedInstant } from '../time.js';
import { itemsDueBetween, redItems, type ItemLine, type TargetsSummary } from './content.js';
import { firstWorkdayOfWeek, weekStartOf } from './rules.js';
import { DEFAULT_SCHEDULER_SETTINGS, type SchedulerSettings } from './settings.js';

export interface DigestDeps {
  db: Db;
  plan: Plan;
  config: { timeZone: string };
  clock: Clock;
  calendar: Pick<WorkCalendar, 'isWorkday' | 'workdaysBetween'>;
  settings?: SchedulerSettings | undefined;
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
  gradeMix?: GradeMixLevel[];
  targets: TargetsSummary | null;
  /** 红黄绿 (and done) task counts per lead unit, for the year of asOf. */
  lights: DigestLights[];
  /** Outbox messages that failed (since the start of last week). */
  failedMessages: DigestFailure[];
  /** Reminders recorded as skipped because they were too late to send (downtime), since the start of last week. */
  missedReminders: number;
}

/** Boards of every task year up to `year`, evaluated at `at`. */
export async function boardsUpTo(deps: { db: Db; clock: Clock; tz: string }, year: number, at: number, yellowDays: number): Promise<BoardTask[]> {
  const years = (await taskYears(deps.db)).filter((y) => y <= year);
  const out: BoardTask[] = [];
  for (const y of years) out.push(...(await taskBoard({ db: deps.db, tz: deps.tz, clock: deps.clock }, { year: y, at, yellowDays })));
  return out;
}

/** Progress towards the current milestone, in the digest's compact form. */
export async function targetsSummary(deps: { db: Db; plan: Plan; clock: Clock; tz: string }, date: string): Promise<TargetsSummary | null> {
  const report = await targetsReport(deps, { at: date });
  const current = report.milestones.find((m) => m.id === report.current);
  return {
    current: report.current,
    onTrack: report.onTrack,
    lines: (current?.requirements ?? []).map((r) => ({
      milestone: current?.id ?? '',
      due: current?.due ?? '',
      text: r.text,
      reached: r.reached,
      required: r.required,
      met: r.met,
      status: r.status,
    })),
  };
}

/** The instant the scheduled digest of a week goes out: its first working day at digestTime (Monday when none). */
export function digestInstant(deps: { calendar: Pick<WorkCalendar, 'isWorkday'>; tz: string; settings: SchedulerSettings }, monday: string): number {
  return zonedInstant(firstWorkdayOfWeek(deps.calendar, monday) ?? monday, deps.settings.digestTime, deps.tz);
}

/**
 * The digest of a week. Without `weekStart`: the week containing `at`, evaluated at `at`.
 * With `weekStart` (any date of the week; normalised to its Monday): evaluated at that week's
 * digest time, or at `at` when that is earlier.
 */
export async function buildDigest(deps: DigestDeps, options: { weekStart?: string | undefined; at?: number | undefined } = {}): Promise<Digest> {
  const tz = deps.config.timeZone;
  const settings = deps.settings ?? DEFAULT_SCHEDULER_SETTINGS;
  const at = options.at ?? deps.clock.now().getTime();
  const programme = await getProgramme(deps.db);
  if (!programme) throw new UserError('not_initialised', 'the programme is not initialised: run `dangjian init --year YYYY [--street NAME]` first');
  let monday: string;
  let asOf: number;
  if (options.weekStart === undefined) {
    monday = weekStartOf(localDate(at, tz));
    asOf = at;
  } else {
    const date = parseIsoDate(options.weekStart.trim());
    if (!date) throw new UserError('bad_argument', `expected a date YYYY-MM-DD (got "${options.weekStart}")`, '--week');
    monday = weekStartOf(date);
    asOf = Math.min(at, digestInstant({ calendar: deps.calendar, tz, settings }, monday));
  }
  const today = localDate(asOf, tz);
  const year = Number(today.slice(0, 4));
  const lastMonday = addDays(monday, -7);
  const lastWeekFrom = zonedInstant(lastMonday, '00:00', tz);
  const weekFrom = zonedInstant(monday, '00:00', tz);
  const base = { db: deps.db, clock: deps.clock, tz };
  const boards = await boardsUpTo(base, year + 1, asOf, settings.yellowDays);

  const completedLastWeek: DigestCompletion[] = [];
  for (const t of boards) {
    for (const o of t.occurrences) {
      if (o.doneAt === null) continue;
      const doneAt = Date.parse(o.doneAt);
      if (doneAt >= lastWeekFrom && doneAt < weekFrom && doneAt <= asOf) {
        completedLastWeek.push({ year: t.year, seq: t.seq, content: t.content, period: o.period, dueDate: o.dueDate, doneAt: o.doneAt, doneBy: o.doneBy, late: o.doneLate });
      }
    }
  }
  completedLastWeek.sort((a, b) => (a.doneAt < b.doneAt ? -1 : a.doneAt > b.doneAt ? 1 : a.seq - b.seq));

  const window = { from: today, to: addDays(today, 13) };
  const dueNext14Days = itemsDueBetween(boards, window.from, window.to, today).filter((i) => i.status !== 'done');
  const overdue: DigestOverdue[] = redItems(
    boards.filter((t) => t.year <= year),
    today,
  ).map((i) => ({
    ...i,
    daysOverdue: daysBetween(i.dueDate, today),
    workdaysOverdue: deps.calendar.workdaysBetween(addDays(i.dueDate, 1), today),
  }));

  const gradingDeps = { db: deps.db, plan: deps.plan, clock: deps.clock, tz };
  const until = Math.min(weekFrom, asOf);
  const changes = until > lastWeekFrom ? await gradeChanges(gradingDeps, { since: lastWeekFrom, until }) : { changes: [], summary: [] };
  const gradeChangeList: DigestGradeChange[] = changes.changes.map((c) => ({
    unit: c.unit,
    level: c.level,
    year: c.year,
    before: { total: c.before.total, grade: c.before.grade },
    after: { total: c.after.total, grade: c.after.grade },
    direction: c.direction,
  }));
  const sum = (k: 'up' | 'down' | 'changed') => changes.summary.reduce((a, s) => a + s[k], 0);

  const targets = await targetsSummary(gradingDeps, today);
  const mix = await gradeMix(gradingDeps, { year });

  const yearBoards = boards.filter((t) => t.year === year);
  const units = [...new Set([...deps.plan.leadUnits, ...yearBoards.flatMap((t) => t.leadUnits)])];
  const lights: DigestLights[] = units.map((leadUnit) => {
    const l: DigestLights = { leadUnit, red: 0, yellow: 0, green: 0, done: 0 };
    for (const t of yearBoards) if (t.leadUnits.includes(leadUnit)) l[t.status] += 1;
    return l;
  });

  const failed = await listOutbox(deps.db, { status: 'failed', dueSince: lastWeekFrom, dueBefore: asOf + 1 });
  const skipped = await listOutbox(deps.db, { status: 'skipped', dueSince: lastWeekFrom, dueBefore: asOf + 1 });

  return {
    street: programme.streetName,
    weekStart: monday,
    weekEnd: addDays(monday, 6),
    lastWeek: { from: lastMonday, to: addDays(lastMonday, 6) },
    asOf: isoInZone(asOf, tz),
    completedLastWeek,
    dueNext14Days,
    overdue,
    gradeChanges: { up: sum('up'), down: sum('down'), changed: sum('changed'), changes: gradeChangeList },
    gradeMix: mix.levels,
    targets,
    lights,
    failedMessages: failed.map((r) => ({ key: r.key, kind: r.kind, chatId: r.chatId, dueAt: isoInZone(r.dueAt, tz), attempts: r.attempts, lastError: r.lastError })),
    missedReminders: skipped.filter((r) => (r.lastError ?? '').startsWith('too late')).length,
  };
}

// ---------------------------------------------------------------- card

const MAX_ROWS = 15;
const clip = (s: string, n = 40) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const taskLabel = (i: { seq: number; content: string; year: number }) => `${i.seq}. ${escapeMarkdown(clip(i.content))}`;

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
    els.push(hr(), markdown(`**目标进度**（${d.targets.lines[0]?.due ?? ''} 节点）`));
    els.push(markdown(d.targets.lines.map((l) => `- ${escapeMarkdown(l.text)}：${l.reached}/${l.required}${l.met ? ' ✅' : ''}`).join('\n')));
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
