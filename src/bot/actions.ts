/**
 * Button handlers. Button values (ButtonValue, in card JSON `behaviors[0].value`, built in
 * src/cards/actions.ts):
 *   { action: 'command', text: '得分 城东社区' }                 — runs the command for the presser; its card replaces this one
 *   { action: 'task.complete', year: 2026, seq: 5, period: '2026-03' } — 标记完成
 *   { action: 'reminder.snooze', key: '<outbox key>' }          — 明天再提醒
 * Errors become toasts in one place (toastForError, ./errors.ts).
 */
import { z } from 'zod';
import { COMPLETE_TASK_ACTION, SNOOZE_REMINDER_ACTION } from '../cards/actions.js';
import { audit } from '../db/audit.repository.js';
import type { Logger } from '../log.js';
import { snoozeReminder } from '../services/snooze.service.js';
import { inZone } from '../time.js';
import { resolveActor, unboundActorName, UNBOUND_HINT } from './access.js';
import { completeFromCard } from './commands/tasks.js';
import { shortToast, toastForError } from './errors.js';
import { runCommandText } from './run-command.js';
import type { BotDeps, CardAction, CardActionResult } from './types.js';

const commandValue = z.object({ action: z.literal('command'), text: z.string().min(1).max(200) });
const completeValue = z.object({
  action: z.literal(COMPLETE_TASK_ACTION),
  year: z.coerce.number().int().min(2000).max(2100),
  seq: z.coerce.number().int().positive(),
  period: z.string().min(1).max(20).optional(),
});
const snoozeValue = z.object({ action: z.literal(SNOOZE_REMINDER_ACTION), key: z.string().min(1).max(200) });

/** A press by someone not on the roster: audited as refused, answered with how to get bound. */
async function refuseUnbound(deps: BotDeps, action: CardAction, auditAction: string, subject: string, now: Date): Promise<CardActionResult> {
  await audit(deps.db, { at: now.getTime(), actor: unboundActorName(action.operatorOpenId), source: 'card', action: auditAction, subject, outcome: 'denied', detail: { reason: 'unbound' } });
  return { toast: { type: 'error', content: shortToast(UNBOUND_HINT) } };
}

async function run(name: string, action: CardAction, deps: BotDeps, now: Date, log: Logger): Promise<CardActionResult> {
  switch (name) {
    case 'command': {
      const v = commandValue.parse(action.value);
      const reply = await runCommandText(v.text, action, deps, now);
      if (reply.kind === 'file') return { toast: { type: 'info', content: shortToast(`文件请在聊天中发送「${v.text}」获取`) } };
      return reply.kind === 'card' ? { card: reply.card } : { toast: { type: 'info', content: shortToast(reply.text) } };
    }
    case COMPLETE_TASK_ACTION: {
      const v = completeValue.parse(action.value);
      const actor = await resolveActor(deps, action.operatorOpenId, 'card');
      if (!actor) return refuseUnbound(deps, action, 'task.done', `task:${v.year}:${v.seq}`, now);
      return await completeFromCard(deps, actor, { year: v.year, seq: v.seq, period: v.period }, now);
    }
    case SNOOZE_REMINDER_ACTION: {
      const v = snoozeValue.parse(action.value);
      const actor = await resolveActor(deps, action.operatorOpenId, 'card');
      if (!actor) return refuseUnbound(deps, action, 'reminder.snooze', v.key, now);
      const r = await snoozeReminder({ db: deps.db, clock: deps.clock, config: { timeZone: deps.tz }, calendar: deps.calendar, settings: deps.settings }, v.key, actor);
      const when = inZone(Date.parse(r.notBefore), deps.tz).format('M月D日 HH:mm');
      return { toast: { type: 'success', content: shortToast(r.alreadySnoozed ? `已经设置过，将于 ${when} 再提醒` : `好的，将于 ${when} 再提醒`) } };
    }
    default:
      log.warn({ action: name }, 'unknown card action');
      return { toast: { type: 'error', content: '无法识别的按钮' } };
  }
}

export async function runCardAction(name: string, action: CardAction, deps: BotDeps, now: Date, log: Logger): Promise<CardActionResult> {
  try {
    return await run(name, action, deps, now, log);
  } catch (err) {
    return toastForError(err, log, { action: name, value: action.value });
  }
}
