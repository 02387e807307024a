/** What the scheduler commands do (their definitions: ./scheduler.ts); loaded only when one of them runs. */
import { renderCardText } from '../../cards/card.js';
import { fixedClock } from '../../clock.js';
import { dialectOf } from '../../db/database.js';
import { countOutboxByStatus, listOutbox, listOutboxItems, OUTBOX_STATUSES } from '../../db/outbox.repository.js';
import { rateSlotStore } from '../../db/rate.repository.js';
import { getSetting } from '../../db/setting.repository.js';
import type { OutboxStatus } from '../../db/schema.js';
import { OUTBOX_STATUS_NAMES_ZH, parseOutboxStatusWord } from '../../domain/option-words.js';
import { UserError } from '../../errors.js';
import type { Outbound } from '../../messaging/outbound.js';
import { PrintingOutbound } from '../../messaging/printing-outbound.js';
import type { CardData } from '../../scheduler/content.js';
import { digestCard } from '../../scheduler/digest-card.js';
import { cardPreviewFormatter, previewFormatter } from '../../scheduler/preview-format.js';
import { configuredWorkCalendar } from '../../services/calendar.service.js';
import { buildDigest } from '../../services/digest.service.js';
import { requireProgramme } from '../../services/programme.service.js';
import { LAST_PASS_SETTING, remindersStart, runPass, setRemindersStart, streamCardPreview, streamReminders, type PassResult } from '../../services/reminders.service.js';
import { addDays } from '../../tasks/dates.js';
import { isoInZone, localDate, parseInstant, parseIsoDate, readableTime, zonedInstant } from '../../time.js';
import { actingAs, withContext, type CliContext, type CommonOptions } from '../context.js';
import { cliIo } from '../io.js';

function instantArg(text: string | undefined, field: string, tz: string): number {
  const at = text === undefined ? undefined : parseInstant(text, tz);
  if (at === undefined) throw new UserError('bad_argument', `应为日期或时间，例如 2026-03-02 或 2026-03-02T09:00（收到「${text ?? ''}」）`, field);
  return at;
}

const KIND_ZH: Record<string, string> = { daily: '每日卡片' };

/**
 * Why a card was not sent, in Chinese. The stored reasons stay as they are (the digest counts
 * 「too late」 rows by their prefix, and older databases hold them): they are translated for people here.
 */
const REASONS_ZH: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^too late: not sent within (\d+) h of its time/, (m) => `太晚：到时间后 ${m[1]} 小时内没有发出`],
  [/^too late: held since (\S+), more than a working day before this card/, (m) => `太晚：自 ${m[1]} 起留待发送，已超过一个工作日`],
  [/^held: the chat had its card today/, () => '暂存：本群今天已收到卡片，随下一张卡片发出'],
  [/^nothing changed/, () => '没有变化，不再发送'],
  [/^completed: every item on the card was marked done/, () => '已完成：卡片上的事项在发出前都已标记完成'],
  [/^completed: the item was marked done/, () => '已完成：事项在组卡前已标记完成'],
  [/^removed: the task or period is no longer on the list/, () => '已移除：任务或期次已不在清单上'],
  [/^no chat: neither (.+) nor the leadership group has a bound chat/, (m) => `没有群可发：${m[1]}和领导小组都没有绑定群聊`],
  [/^no chat: the leadership group has no a bound chat/, () => '没有群可发：领导小组没有绑定群聊'],
  [
    /^claim expired more than (\d+) min after it began.*?delivery unknown, not re-sent to avoid a duplicate(?:; previous error: (.*))?$/s,
    (m) => `发送超时：开始发送 ${m[1]} 分钟后仍无结果（发送进程可能中断），是否送达未知，为免重复不再重发${m[2] ? `；上一次的错误：${reasonZh(m[2])}` : ''}`,
  ],
  [
    /^lark (\w+) (\S+) failed: code=(-?\d+) msg=(.*) \((http \d+|no response), attempts (\d+)\)/s,
    (m) => `飞书接口调用失败（${m[1]} ${m[2]}，错误码 ${m[3]}，${m[5] === 'no response' ? '无响应' : m[5]!.replace('http', 'HTTP')}，共尝试 ${m[6]} 次）：${m[4]}`,
  ],
];

function reasonZh(text: string): string {
  for (const [re, zh] of REASONS_ZH) {
    const m = re.exec(text);
    if (m) return zh(m);
  }
  return text;
}

/** An ISO instant as people read it (「3月2日 09:00」). */
function readableIso(iso: string, ctx: CliContext): string {
  const at = parseInstant(iso, ctx.config.timeZone);
  return at === undefined ? iso : readableTime(at, ctx.config.timeZone, ctx.clock.now().getTime());
}

function calendarFor(ctx: CliContext, years: number[]) {
  const { calendar, warnings } = configuredWorkCalendar(ctx.config, years);
  for (const w of warnings) ctx.log.warn(w);
  return calendar;
}

const yearsBetween = (from: number, to: number, tz: string): number[] => {
  const out: number[] = [];
  for (let y = Number(localDate(from, tz).slice(0, 4)); y <= Number(localDate(to, tz).slice(0, 4)); y++) out.push(y);
  return out;
};

function passText(r: PassResult, readable: (iso: string) => string): string {
  const d = r.dispatch;
  const lines = [
    `${readable(r.at)} 扫描（回看到 ${readable(r.window.from)}）：到期提醒 ${r.due} 条，新事项 ${r.inserted} 条，组成卡片 ${r.cards} 张${r.late > 0 ? `（其中补发 ${r.late} 条）` : ''}，留待各群下一张卡片 ${r.held} 条`,
  ];
  if (r.skippedTooLate + r.skippedNoChat > 0) lines.push(`记为未发：太晚 ${r.skippedTooLate} 条，没有群可发 ${r.skippedNoChat} 条`);
  if (!d.inWindow) lines.push('不在推送时段内（默认工作日 08:30–18:00）：本次不发送，到期的事项等下一个推送时段');
  else {
    lines.push(`已发送提醒 ${d.sent} 条（${d.messages} 条消息）；不再需要的卡片 ${d.dropped} 张（事项都已完成），过期 ${d.stale} 张；待重试 ${d.retrying} 张，失败 ${d.failed} 张`);
    if (d.released + d.lostClaims > 0) lines.push(`发送超时：重新排队 ${d.released} 张，记为失败 ${d.lostClaims} 张（是否送达未知）`);
  }
  return lines.join('\n');
}

/** The end of a preview window: a date alone means the whole of that day. */
function windowEnd(text: string, tz: string): number {
  const date = parseIsoDate(text.trim());
  return date ? zonedInstant(addDays(date, 1), '00:00', tz) - 1 : instantArg(text, '--to', tz);
}

const START_SOURCE_ZH: Record<string, string> = { env: '环境变量 REMINDERS_START', database: '数据库记录（首次绑定群聊之日，或 reminders start 所设）', first_binding: '最早一次绑定群聊之日' };

export const runRemindersPreview = async (opts: CommonOptions & { from: string; to: string; raw?: boolean }) =>
  withContext(opts, async (ctx) => {
    const tz = ctx.config.timeZone;
    const from = instantArg(opts.from, '--from', tz);
    const to = windowEnd(opts.to, tz);
    if (to < from) throw new UserError('bad_argument', `不能早于 --from（${opts.from}）`, '--to');
    await requireProgramme(ctx.db);
    const settings = ctx.config.scheduler;
    const calendar = calendarFor(ctx, yearsBetween(from, to, tz));
    const deps = { db: ctx.db, plan: ctx.plan, config: ctx.config, clock: ctx.clock, calendar, settings };
    // Streamed: a year's preview can hold hundreds of thousands of reminders.
    const io = cliIo();
    let buffer = '';
    const write = (text: string) => {
      buffer += text;
      if (buffer.length > 65_536) {
        io.out(buffer);
        buffer = '';
      }
    };
    let count = 0;
    let noChat = 0;
    if (ctx.json) write('[');
    const sep = () => (count === 0 ? '\n' : ',\n');
    if (opts.raw) {
      const format = previewFormatter(tz);
      await streamReminders(deps, { from, to }, (i) => {
        const row = format.row(i);
        if (i.chatId === null) noChat++;
        write(ctx.json ? `${sep()}${format.json(row)}` : `${format.text(row)}\n`);
        count++;
      });
    } else {
      const format = cardPreviewFormatter(tz);
      await streamCardPreview(deps, { from, to }, (c) => {
        const row = format.row(c);
        if (c.chatId === null) noChat++;
        write(ctx.json ? `${sep()}${format.json(row)}` : `${format.text(row)}\n`);
        count++;
      });
    }
    const hint = '用 dangjian chat bind --chat oc_… --to 领导小组 绑定一个群';
    if (ctx.json) write(count === 0 ? ']\n' : '\n]\n');
    else write(opts.raw ? `${count} 条提醒${noChat > 0 ? `，其中 ${noChat} 条没有群可发（${hint}）` : ''}\n` : `${count} 张卡片${noChat > 0 ? `，其中 ${noChat} 张没有群可发（${hint}）` : ''}\n`);
    io.out(buffer);
    if (noChat > 0 && ctx.json) io.err(`警告：${noChat} ${opts.raw ? '条提醒' : '张卡片'}没有群可发（chatId 为 null）；${hint}\n`);
  });

export const runRemindersStatus = async (opts: CommonOptions) =>
  withContext(opts, async (ctx) => {
    const tz = ctx.config.timeZone;
    const start = await remindersStart({ db: ctx.db, settings: ctx.config.scheduler, config: ctx.config });
    const last = await getSetting(ctx.db, LAST_PASS_SETTING);
    const counts = await countOutboxByStatus(ctx.db);
    const held = (await listOutboxItems(ctx.db, { status: 'pending' })).length;
    const data = { remindersStart: start.date, source: start.source, lastPass: last === undefined ? null : isoInZone(Number(last), tz), cards: counts, heldItems: held };
    ctx.print(data, () =>
      [
        `提醒起始日期：${start.date ?? '未设定（尚未绑定任何群聊）'}${start.source ? `（来源：${START_SOURCE_ZH[start.source]}）` : ''}`,
        '  此前逾期的事项只计入每日卡片的统计和合并行，不逐条补发；可用 dangjian reminders start --date YYYY-MM-DD 修改。',
        `上一次扫描：${last === undefined ? '尚未运行' : readableTime(Number(last), tz, ctx.clock.now().getTime())}`,
        `卡片：待发 ${counts.pending}，发送中 ${counts.sending}，已发 ${counts.sent}，失败 ${counts.failed}，未发 ${counts.skipped}；留待下一张卡片的事项 ${held} 条`,
      ].join('\n'),
    );
  });

export const runRemindersStart = async (opts: CommonOptions & { date: string; by?: string }) =>
  withContext(opts, async (ctx) => {
    const r = await setRemindersStart({ db: ctx.db, clock: ctx.clock, settings: ctx.config.scheduler, config: ctx.config }, await actingAs(ctx, opts.by), opts.date);
    const shadowed = r.source === 'env' ? `\n注意：环境变量 REMINDERS_START=${r.date} 优先于数据库记录，当前生效的仍是它。` : '';
    ctx.print(r, () => `提醒起始日期已设为 ${opts.date.trim()}（原为 ${r.previous ?? '未设定'}）。${shadowed}`);
  });

export const runTick = async (opts: CommonOptions & { at?: string }) =>
  withContext(opts, async (ctx) => {
    const tz = ctx.config.timeZone;
    const at = opts.at === undefined ? ctx.clock.now().getTime() : instantArg(opts.at, '--at', tz);
    await requireProgramme(ctx.db);
    const settings = ctx.config.scheduler;
    const calendar = calendarFor(ctx, yearsBetween(at - settings.catchUpHours * 3_600_000, at, tz));
    const lark = ctx.config.lark;
    // Loaded here only: the Lark SDK takes longer to load than most commands take to run.
    // On PostgreSQL a tick shares the app's quota with the running replicas (their slots in the database).
    const sharedSlots = dialectOf(ctx.db) === 'postgres' ? rateSlotStore(ctx.db) : undefined;
    const sender = lark ? (await import('../../lark/sender.js')).createLarkSender({ ...lark, log: ctx.log, sharedSlots }) : undefined;
    const printer = sender ? undefined : new PrintingOutbound(ctx.json ? null : (text) => cliIo().out(text));
    const outbound: Outbound = sender ?? printer!;
    try {
      const result = await runPass({ db: ctx.db, plan: ctx.plan, config: ctx.config, clock: fixedClock(at), log: ctx.log, outbound, calendar, settings }, at);
      const data = { ...result, transport: printer ? 'console' : lark!.domain, ...(printer && ctx.json ? { printed: printer.printed } : {}) };
      ctx.print(data, () => passText(result, (iso) => readableIso(iso, ctx)));
    } finally {
      await sender?.close();
    }
  });

export const runDigest = async (opts: CommonOptions & { week?: string }) =>
  withContext(opts, async (ctx) => {
    const now = ctx.clock.now().getTime();
    const settings = ctx.config.scheduler;
    const calendar = calendarFor(ctx, [Number(localDate(now, ctx.config.timeZone).slice(0, 4))]);
    const d = await buildDigest({ db: ctx.db, plan: ctx.plan, config: ctx.config, clock: ctx.clock, calendar, settings }, { weekStart: opts.week, at: now });
    ctx.print(d, () => renderCardText(digestCard(d)).text);
  });

export const runOutbox = async (opts: CommonOptions & { status?: string; limit?: string }) =>
  withContext(opts, async (ctx) => {
    const tz = ctx.config.timeZone;
    const status: OutboxStatus | undefined = opts.status === undefined ? undefined : parseOutboxStatusWord(opts.status);
    let limit: number | undefined;
    if (opts.limit !== undefined) {
      if (!/^\d{1,6}$/.test(opts.limit.trim()) || Number(opts.limit) < 1) throw new UserError('bad_argument', `应为正整数（收到「${opts.limit}」）`, '--limit');
      limit = Number(opts.limit);
    }
    let rows = await listOutbox(ctx.db, { status });
    if (limit !== undefined) rows = rows.slice(-limit);
    const data = rows.map((r) => {
      const p = (r.payload ?? {}) as Partial<CardData> & { late?: boolean };
      return {
        key: r.key,
        kind: r.kind,
        chatId: r.chatId === '' ? null : r.chatId,
        taskSeq: r.taskSeq,
        period: r.period,
        status: r.status,
        dueAt: isoInZone(r.dueAt, tz),
        notBefore: isoInZone(r.notBefore, tz),
        sentAt: r.sentAt === null ? null : isoInZone(r.sentAt, tz),
        messageId: r.messageId,
        attempts: r.attempts,
        lastError: r.lastError,
        late: p.late === true,
        items: Array.isArray(p.items) ? p.items.map((i) => i.key) : [r.key],
      };
    });
    const counts = status === undefined ? await countOutboxByStatus(ctx.db) : undefined;
    ctx.print(data, () => {
      const lines = data.map((r) => {
        const what =
          r.status === 'sent' ? `已发 ${readableIso(r.sentAt ?? '', ctx)} ${r.messageId ?? ''}` : r.status === 'pending' ? `待发，不早于 ${readableIso(r.notBefore, ctx)}` : `${OUTBOX_STATUS_NAMES_ZH[r.status]}${r.lastError ? `：${reasonZh(r.lastError)}` : ''}`;
        return `${readableIso(r.dueAt, ctx)}  ${KIND_ZH[r.kind] ?? r.kind} → ${r.chatId ?? '（无群）'}  ${what}${r.late ? ' 〔补发〕' : ''}  ${r.key}（${r.items.length} 项）`;
      });
      if (counts) lines.push(OUTBOX_STATUSES.map((s) => `${OUTBOX_STATUS_NAMES_ZH[s]} ${counts[s]}`).join('，'));
      else lines.push(`共 ${data.length} 张`);
      return lines.join('\n');
    });
  });
