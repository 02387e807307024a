/**
 * Button handlers. Button values (ButtonValue, in card JSON `behaviors[0].value`, built in
 * src/cards/actions.ts):
 *   { action: 'command', text: '得分 城东社区', p2p? }             — runs the command for the presser, gated as typed in this chat; its card replaces this one
 *   { action: 'task.complete', year, seq, period, card? | listTitle? } — 标记完成; the pressed card updated in place
 *   { action: 'reminder.snooze', key: '<item key>', card? }       — 明天再提醒
 *   { action: 'task.complete_overdue', year, seq, card }           — 全部标记完成 (after the client's confirmation)
 *   { action: 'reminder.list', card }                             — 查看全部: the card's every item, sent to the presser
 *   { action: 'unit_item.complete', id }                          — 标记完成 of a unit's own item on its daily card (toast only)
 *   { action: 'self_check.form', unit, year, page, go }           — a self-check form page saved (form_value), then turned or submitted
 *   { action: 'application.form', unit, year, go }                — the application form saved (form_value), or submitted
 *   { action: 'application.review', unit, year, decision }        — the office approves / returns with its opinion (form_value.opinion)
 * Errors become toasts in one place (toastForError, ./errors.ts).
 */
import { z } from 'zod';
import { COMPLETE_OVERDUE_ACTION, COMPLETE_TASK_ACTION, COMPLETE_UNIT_ITEM_ACTION, LIST_CARD_ACTION, SNOOZE_REMINDER_ACTION } from '../cards/actions.js';
import { completeUnitItem } from '../services/unit-items.service.js';
import { audit } from '../db/audit.repository.js';
import type { Logger } from '../log.js';
import { fullCardList } from '../services/cards.service.js';
import { snoozeReminder } from '../services/snooze.service.js';
import { inZone } from '../time.js';
import { resolveActor, unboundActorName, UNBOUND_HINT } from './access.js';
import { APPLICATION_FORM_ACTION, APPLICATION_REVIEW_ACTION, applicationFormAction, applicationReviewAction } from './commands/application.js';
import { selfCheckFormAction, SELF_CHECK_FORM_ACTION } from './commands/self-check.js';
import { completeFromCard, completeOverdueFromCard, patchScheduledCard, type PressedCard } from './commands/tasks.js';
import { shortToast, toastForError } from './errors.js';
import { runCommandText } from './run-command.js';
import type { BotDeps, CardAction, CardActionResult } from './types.js';

const commandValue = z.object({ action: z.literal('command'), text: z.string().min(1).max(200), p2p: z.string().max(100).optional() });
const cardKey = z.string().min(1).max(200);
const seqList = z
  .string()
  .max(400)
  .regex(/^(\d{1,4}(,\d{1,4})*)?$/)
  .transform((s) => (s === '' ? [] : s.split(',').map(Number)));
const completeValue = z.object({
  action: z.literal(COMPLETE_TASK_ACTION),
  year: z.coerce.number().int().min(2000).max(2100),
  seq: z.coerce.number().int().positive(),
  period: z.string().min(1).max(20).optional(),
  card: cardKey.optional(),
  listTitle: z.string().min(1).max(100).optional(),
  listSeqs: seqList.optional(),
  listButtons: seqList.optional(),
});
const snoozeValue = z.object({ action: z.literal(SNOOZE_REMINDER_ACTION), key: z.string().min(1).max(200), card: cardKey.optional() });
const completeOverdueValue = z.object({ action: z.literal(COMPLETE_OVERDUE_ACTION), year: z.coerce.number().int().min(2000).max(2100), seq: z.coerce.number().int().positive(), card: cardKey });
const listValue = z.object({ action: z.literal(LIST_CARD_ACTION), card: cardKey });
const unitItemValue = z.object({ action: z.literal(COMPLETE_UNIT_ITEM_ACTION), id: z.coerce.number().int().positive() });

const UNRECOGNISED: CardActionResult = { toast: { type: 'error', content: '无法识别的按钮' } };

/** The button's value checked against its action's shape; null (logged at warn, no internal error) when it does not fit. */
function valueOf<T>(schema: z.ZodType<T>, action: CardAction, log: Logger): T | null {
  const parsed = schema.safeParse(action.value);
  if (parsed.success) return parsed.data;
  log.warn({ value: action.value, problem: parsed.error.issues[0]?.message }, 'button value not understood');
  return null;
}

const cardDeps = (deps: BotDeps) => ({ db: deps.db, tz: deps.tz, outbound: deps.outbound, settings: deps.settings });

/** A press by someone not on the roster: audited as refused, answered with how to get bound. */
async function refuseUnbound(deps: BotDeps, action: CardAction, auditAction: string, subject: string, now: Date): Promise<CardActionResult> {
  await audit(deps.db, { at: now.getTime(), actor: unboundActorName(action.operatorOpenId), source: 'card', action: auditAction, subject, outcome: 'denied', detail: { reason: 'unbound' } });
  return { toast: { type: 'error', content: shortToast(UNBOUND_HINT) } };
}

async function run(name: string, action: CardAction, deps: BotDeps, now: Date, log: Logger): Promise<CardActionResult> {
  switch (name) {
    case 'command': {
      const v = valueOf(commandValue, action, log);
      if (!v) return UNRECOGNISED;
      const reply = await runCommandText(v.text, v.p2p, action, deps, now);
      if (reply.kind === 'file') return { toast: { type: 'info', content: shortToast(`文件请在聊天中发送「${v.text}」获取`) } };
      return reply.kind === 'card' ? { card: reply.card } : { toast: { type: 'info', content: shortToast(reply.text) } };
    }
    case COMPLETE_TASK_ACTION: {
      const v = valueOf(completeValue, action, log);
      if (!v) return UNRECOGNISED;
      const actor = await resolveActor(deps, action.operatorOpenId, 'card');
      if (!actor) return refuseUnbound(deps, action, 'task.done', `task:${v.year}:${v.seq}`, now);
      const on: PressedCard = v.card
        ? { kind: 'scheduled', key: v.card }
        : v.listTitle && v.listSeqs
          ? { kind: 'list', ref: { title: v.listTitle, seqs: v.listSeqs, buttons: v.listButtons ?? [] } }
          : { kind: 'task' };
      return await completeFromCard(deps, actor, { year: v.year, seq: v.seq, period: v.period }, on, now, action.messageId);
    }
    case SNOOZE_REMINDER_ACTION: {
      const v = valueOf(snoozeValue, action, log);
      if (!v) return UNRECOGNISED;
      const actor = await resolveActor(deps, action.operatorOpenId, 'card');
      if (!actor) return refuseUnbound(deps, action, 'reminder.snooze', v.key, now);
      const r = await snoozeReminder({ db: deps.db, clock: deps.clock, config: { timeZone: deps.tz }, calendar: deps.calendar, settings: deps.settings }, v.key, actor);
      if (v.card && !r.alreadySnoozed) await patchScheduledCard(deps, v.card, action.messageId);
      const when = inZone(Date.parse(r.notBefore), deps.tz).format('M月D日 HH:mm');
      return { toast: { type: 'success', content: shortToast(r.alreadySnoozed ? `已经设置过，将于 ${when} 再提醒` : `好的，将于 ${when} 再提醒`) } };
    }
    case COMPLETE_OVERDUE_ACTION: {
      const v = valueOf(completeOverdueValue, action, log);
      if (!v) return UNRECOGNISED;
      const actor = await resolveActor(deps, action.operatorOpenId, 'card');
      if (!actor) return refuseUnbound(deps, action, 'task.done', `task:${v.year}:${v.seq}`, now);
      return await completeOverdueFromCard(deps, actor, { year: v.year, seq: v.seq, card: v.card }, now, action.messageId);
    }
    case LIST_CARD_ACTION: {
      const v = valueOf(listValue, action, log);
      if (!v) return UNRECOGNISED;
      const card = await fullCardList(cardDeps(deps), v.card);
      // To the presser alone: the group keeps its one card.
      await deps.outbound.sendMessage({ receiveIdType: 'open_id', receiveId: action.operatorOpenId, msgType: 'interactive', content: card, idempotencyKey: `list:${action.eventId}` });
      return { toast: { type: 'success', content: '完整清单已私信发给你' } };
    }
    case COMPLETE_UNIT_ITEM_ACTION: {
      const v = unitItemValue.parse(action.value);
      const actor = await resolveActor(deps, action.operatorOpenId, 'card');
      if (!actor) return refuseUnbound(deps, action, 'unit_item.done', `unit_item:${v.id}`, now);
      const r = await completeUnitItem(deps, actor, v.id);
      return { toast: { type: 'success', content: shortToast(r.already ? `事项 ${v.id} 已经完成` : `已完成：${r.item.title}（发送「撤销事项 ${v.id}」可撤销）`) } };
    }
    case SELF_CHECK_FORM_ACTION: {
      const actor = await resolveActor(deps, action.operatorOpenId, 'card');
      if (!actor) return refuseUnbound(deps, action, 'self_check.save', String(action.value.unit ?? ''), now);
      return await selfCheckFormAction(deps, actor, action.value, action.formValue ?? {});
    }
    case APPLICATION_FORM_ACTION:
    case APPLICATION_REVIEW_ACTION: {
      const actor = await resolveActor(deps, action.operatorOpenId, 'card');
      const audited = name === APPLICATION_FORM_ACTION ? 'application.save' : 'application.review';
      if (!actor) return refuseUnbound(deps, action, audited, String(action.value.unit ?? ''), now);
      const run = name === APPLICATION_FORM_ACTION ? applicationFormAction : applicationReviewAction;
      return await run(deps, actor, action.value, action.formValue ?? {});
    }
    default:
      log.warn({ action: name }, 'unknown card action');
      return UNRECOGNISED;
  }
}

export async function runCardAction(name: string, action: CardAction, deps: BotDeps, now: Date, log: Logger): Promise<CardActionResult> {
  try {
    return await run(name, action, deps, now, log);
  } catch (err) {
    return toastForError(err, log, { action: name, value: action.value });
  }
}
