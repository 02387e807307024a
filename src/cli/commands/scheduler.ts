/**
 * Scheduler commands: `reminders preview`, `tick`, `digest`, `outbox`.
 *
 * `tick --at ISO` runs one pass as if it were that instant. With LARK_APP_ID and LARK_APP_SECRET
 * it sends through the Lark API at LARK_DOMAIN; without them it prints the cards to stdout (and
 * records them as sent with `console-…` message ids, exactly as a real pass would).
 */
import type { Command } from 'commander';
import { renderCardText } from '../../cards/card.js';
import { fixedClock } from '../../clock.js';
import { countOutboxByStatus, listOutbox, OUTBOX_STATUSES } from '../../db/outbox.repository.js';
import type { OutboxStatus } from '../../db/schema.js';
import { UserError } from '../../errors.js';
import { createLarkSender } from '../../lark/sender.js';
import type { Outbound } from '../../messaging/outbound.js';
import { PrintingOutbound } from '../../messaging/printing-outbound.js';
import type { ReminderPayload } from '../../scheduler/content.js';
import { digestCard } from '../../scheduler/digest-card.js';
import { previewFormatter } from '../../scheduler/preview-format.js';
import { configuredWorkCalendar } from '../../services/calendar.service.js';
import { buildDigest } from '../../services/digest.service.js';
import { requireProgramme } from '../../services/programme.service.js';
import { runPass, streamReminders, type PassResult } from '../../services/reminders.service.js';
import { isoInZone, localDate, parseInstant } from '../../time.js';
import { cliIo, withCommonOptions, withContext, type CliContext, type CommonOptions } from '../context.js';

function instantArg(text: string | undefined, field: string, tz: string): number {
  const at = text === undefined ? undefined : parseInstant(text, tz);
  if (at === undefined) throw new UserError('bad_argument', `expected an ISO date/time such as 2026-03-02T09:00:00+08:00 (got "${text ?? ''}")`, field);
  return at;
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

function passText(r: PassResult): string {
  const d = r.dispatch;
  const lines = [
    `pass at ${r.at} (looked back to ${r.window.from}): ${r.due} reminder(s) due, ${r.inserted} new to send${r.late > 0 ? ` (${r.late} 补发)` : ''}`,
  ];
  if (r.skippedTooLate + r.skippedNoChat > 0) lines.push(`recorded as skipped: ${r.skippedTooLate} too late, ${r.skippedNoChat} without a chat`);
  if (!d.inWindow) lines.push('outside the push window (working days 08:30–18:00 by default): nothing sent; pending reminders wait for the next window');
  else {
    lines.push(`sent ${d.sent} reminder(s) in ${d.messages} message(s); dropped ${d.dropped} (done meanwhile), ${d.stale} stale; ${d.retrying} to retry, ${d.failed} failed`);
    if (d.released + d.lostClaims > 0) lines.push(`expired claims: ${d.released} re-queued, ${d.lostClaims} marked failed (delivery unknown)`);
  }
  return lines.join('\n');
}

export function registerSchedulerCommands(program: Command): void {
  const reminders = program.command('reminders').description('the reminder rules');
  withCommonOptions(
    reminders
      .command('preview')
      .description('every reminder the rules would produce in a window, without sending')
      .requiredOption('--from <ISO>', 'window start, e.g. 2026-03-01 or 2026-03-01T00:00:00+08:00')
      .requiredOption('--to <ISO>', 'window end (inclusive)'),
  ).action(async (opts: CommonOptions & { from: string; to: string }) =>
    withContext(opts, async (ctx) => {
      const tz = ctx.config.timeZone;
      const from = instantArg(opts.from, '--from', tz);
      const to = instantArg(opts.to, '--to', tz);
      if (to < from) throw new UserError('bad_argument', `must not be before --from (${opts.from})`, '--to');
      await requireProgramme(ctx.db);
      const settings = ctx.config.scheduler;
      const calendar = calendarFor(ctx, yearsBetween(from, to, tz));
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
      const format = previewFormatter(tz);
      await streamReminders({ db: ctx.db, plan: ctx.plan, config: ctx.config, clock: ctx.clock, calendar, settings }, { from, to }, (i) => {
        const row = format.row(i);
        if (i.chatId === null) noChat++;
        write(ctx.json ? `${count === 0 ? '\n' : ',\n'}${format.json(row)}` : `${format.text(row)}\n`);
        count++;
      });
      const hint = 'bind one with `dangjian chat bind --chat oc_… --to leadership`';
      if (ctx.json) write(count === 0 ? ']\n' : '\n]\n');
      else write(`${count} reminder(s)${noChat > 0 ? `, ${noChat} without a chat: ${hint}` : ''}\n`);
      io.out(buffer);
      if (noChat > 0 && ctx.json) io.err(`warning: ${noChat} reminder(s) have no chat to go to (chatId null): ${hint}\n`);
    }),
  );

  withCommonOptions(
    program
      .command('tick')
      .description('run one scheduler pass as if it were --at (default now); sends through LARK_DOMAIN, or prints the cards without Lark credentials')
      .option('--at <ISO>', 'the instant of the pass, e.g. 2026-03-02T09:00:00+08:00'),
  ).action(async (opts: CommonOptions & { at?: string }) =>
    withContext(opts, async (ctx) => {
      const tz = ctx.config.timeZone;
      const at = opts.at === undefined ? ctx.clock.now().getTime() : instantArg(opts.at, '--at', tz);
      await requireProgramme(ctx.db);
      const settings = ctx.config.scheduler;
      const calendar = calendarFor(ctx, yearsBetween(at - settings.catchUpHours * 3_600_000, at, tz));
      const lark = ctx.config.lark;
      const sender = lark ? createLarkSender({ ...lark, log: ctx.log }) : undefined;
      const printer = sender ? undefined : new PrintingOutbound(ctx.json ? null : (text) => cliIo().out(text));
      const outbound: Outbound = sender ?? printer!;
      try {
        const result = await runPass({ db: ctx.db, plan: ctx.plan, config: ctx.config, clock: fixedClock(at), log: ctx.log, outbound, calendar, settings }, at);
        const data = { ...result, transport: printer ? 'console' : lark!.domain, ...(printer && ctx.json ? { printed: printer.printed } : {}) };
        ctx.print(data, () => passText(result));
      } finally {
        await sender?.close();
      }
    }),
  );

  withCommonOptions(
    program
      .command('digest')
      .description("the weekly digest's content (周报)")
      .option('--week <YYYY-MM-DD>', 'any date of the week (default: this week, as of now)'),
  ).action(async (opts: CommonOptions & { week?: string }) =>
    withContext(opts, async (ctx) => {
      const now = ctx.clock.now().getTime();
      const settings = ctx.config.scheduler;
      const calendar = calendarFor(ctx, [Number(localDate(now, ctx.config.timeZone).slice(0, 4))]);
      const d = await buildDigest({ db: ctx.db, plan: ctx.plan, config: ctx.config, clock: ctx.clock, calendar, settings }, { weekStart: opts.week, at: now });
      ctx.print(d, () => renderCardText(digestCard(d)).text);
    }),
  );

  withCommonOptions(
    program
      .command('outbox')
      .description('scheduled messages: what was sent, when, with the Lark message id; what failed, with the last error')
      .option('--status <status>', `only rows with this status (${OUTBOX_STATUSES.join('|')})`)
      .option('--limit <n>', 'at most this many rows (the latest)'),
  ).action(async (opts: CommonOptions & { status?: string; limit?: string }) =>
    withContext(opts, async (ctx) => {
      const tz = ctx.config.timeZone;
      let status: OutboxStatus | undefined;
      if (opts.status !== undefined) {
        status = OUTBOX_STATUSES.find((s) => s === opts.status?.trim());
        if (!status) throw new UserError('bad_argument', `expected one of ${OUTBOX_STATUSES.join(', ')} (got "${opts.status}")`, '--status');
      }
      let limit: number | undefined;
      if (opts.limit !== undefined) {
        if (!/^\d{1,6}$/.test(opts.limit.trim()) || Number(opts.limit) < 1) throw new UserError('bad_argument', `expected a positive whole number (got "${opts.limit}")`, '--limit');
        limit = Number(opts.limit);
      }
      let rows = await listOutbox(ctx.db, { status });
      if (limit !== undefined) rows = rows.slice(-limit);
      const data = rows.map((r) => {
        const p = (r.payload ?? {}) as Partial<ReminderPayload>;
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
          batch: p.batch ?? null,
        };
      });
      const counts = status === undefined ? await countOutboxByStatus(ctx.db) : undefined;
      ctx.print(data, () => {
        const lines = data.map((r) => {
          const what = r.status === 'sent' ? `sent ${r.sentAt} ${r.messageId}` : r.status === 'pending' ? `pending, not before ${r.notBefore}` : `${r.status}${r.lastError ? `: ${r.lastError}` : ''}`;
          return `${r.dueAt}  ${r.kind.padEnd(10)} → ${r.chatId ?? '（无群）'}  ${what}${r.late ? ' 〔补发〕' : ''}  ${r.key}`;
        });
        if (counts) lines.push(OUTBOX_STATUSES.map((s) => `${s} ${counts[s]}`).join(', '));
        else lines.push(`${data.length} row(s)`);
        return lines.join('\n');
      });
    }),
  );
}
