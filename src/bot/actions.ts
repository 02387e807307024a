/**
 * Button handlers. Button values (ButtonValue, in card JSON `behaviors[0].value`):
 *   { action: 'command', text: '得分 城东社区' }                 — runs the command for the presser; its card replaces this one
 *   { action: 'task.complete', year: 2026, seq: 5, period: '2026-03' } — 标记完成
 *   { action: 'reminder.snooze', key: '<outbox key>' }          — 明天再提醒 (scheduler)
 */
import { z } from 'zod';
import { isUserError } from '../errors.js';
import type { Logger } from '../log.js';
import { audit } from '../db/audit.repository.js';
import { resolveActor, unboundActorName, UNBOUND_HINT } from './access.js';
import { completeFromCard } from './commands/tasks.js';
import { runCommandText } from './dispatch.js';
import type { BotDeps, CardAction, CardActionResult } from './types.js';

const commandValue = z.object({ action: z.literal('command'), text: z.string().min(1).max(200) });
const completeValue = z.object({
  action: z.literal('task.complete'),
  year: z.coerce.number().int().min(2000).max(2100),
  seq: z.coerce.number().int().positive(),
  period: z.string().min(1).max(20).optional(),
});
const snoozeValue = z.object({ action: z.literal('reminder.snooze'), key: z.string().min(1).max(200) });

const TOAST_MAX = 120;

/** A press by someone not on the roster: audited as refused, answered with how to get bound. */
async function refuseUnbound(deps: BotDeps, action: CardAction, auditAction: string, subject: string, now: Date): Promise<CardActionResult> {
  await audit(deps.db, { at: now.getTime(), actor: unboundActorName(action.operatorOpenId), source: 'card', action: auditAction, subject, outcome: 'denied', detail: { reason: 'unbound' } });
  return { toast: { type: 'error', content: short(UNBOUND_HINT) } };
}
function short(s: string): string {
  return s.length > TOAST_MAX ? `${s.slice(0, TOAST_MAX - 1)}…` : s;
}

export async function runCardAction(name: string, action: CardAction, deps: BotDeps, now: Date, log: Logger): Promise<CardActionResult> {
  switch (name) {
    case 'command': {
      const v = commandValue.parse(action.value);
      const reply = await runCommandText(v.text, action, deps, now);
      if (reply.kind === 'file') return { toast: { type: 'info', content: short(`文件请在聊天中发送「${v.text}」获取`) } };
      return reply.kind === 'card' ? { card: reply.card } : { toast: { type: 'info', content: short(reply.text) } };
    }
    case 'task.complete': {
      const v = completeValue.parse(action.value);
      const actor = await resolveActor(deps, action.operatorOpenId, 'card');
      if (!actor) return refuseUnbound(deps, action, 'task.done', `task:${v.year}:${v.seq}`, now);
      try {
        return await completeFromCard(deps, actor, { year: v.year, seq: v.seq, period: v.period }, now);
      } catch (err) {
        if (isUserError(err)) return { toast: { type: 'error', content: short(err.message) } };
        throw err;
      }
    }
    case 'reminder.snooze': {
      const v = snoozeValue.parse(action.value);
      const actor = await resolveActor(deps, action.operatorOpenId, 'card');
      if (!actor) return refuseUnbound(deps, action, 'reminder.snooze', v.key, now);
      if (!deps.snooze) return { toast: { type: 'warning', content: '稍后提醒暂不可用' } };
      try {
        const r = await deps.snooze({ key: v.key, actor, at: now });
        return { toast: { type: 'success', content: short(r.message) }, ...(r.card ? { card: r.card } : {}) };
      } catch (err) {
        if (isUserError(err)) return { toast: { type: 'error', content: short(err.message) } };
        throw err;
      }
    }
    default:
      log.warn({ action: name }, 'unknown card action');
      return { toast: { type: 'error', content: '无法识别的按钮' } };
  }
}
