/**
 * The one place where a failure becomes an answer: `replyForError` for a chat reply,
 * `toastForError` for a card button's toast. A UserError or a zod error is the sender's to
 * fix: the reply names what is wrong with the usage and an example. Anything else is logged
 * once and the sender gets a generic apology — never a stack trace.
 */
import { ZodError } from 'zod';
import { isUserError } from '../errors.js';
import type { Logger } from '../log.js';
import { apologyCard, refusalCard, usageErrorCard, noticeCard } from './cards.js';
import type { AnyCommand } from './registry.js';
import { cardReply, type CardActionResult, type Reply } from './types.js';

/** Toasts are one line on a phone. */
const TOAST_MAX = 120;

export function shortToast(s: string): string {
  return s.length > TOAST_MAX ? `${s.slice(0, TOAST_MAX - 1)}…` : s;
}

/** The first zod issue in words: 「〈单位〉：缺少单位名称」. */
function describeZodError(err: ZodError, command: AnyCommand | undefined): string {
  const issue = err.issues[0];
  if (!issue) return '参数有误';
  const key = issue.path[0];
  if (key === '_extra') return issue.message.startsWith('多余') ? issue.message : `多余的参数`;
  const param = command?.params.find((p) => p.key === key);
  const label = param?.label ?? (key === undefined ? '' : String(key));
  // zod's own English messages (types we did not word ourselves) become a generic Chinese one.
  const message = /[\u4e00-\u9fff]/.test(issue.message) ? issue.message : (issue as { input?: unknown }).input === undefined ? `缺少${label}` : `${label}格式不对`;
  return label && !message.includes(label) ? `${label}：${message}` : message;
}

export function replyForError(err: unknown, command: AnyCommand | undefined, log: Logger): Reply {
  if (err instanceof ZodError) return cardReply(usageErrorCard(describeZodError(err, command), command));
  if (isUserError(err)) {
    const field = err.field && !err.field.startsWith('--') ? `${err.field}：` : '';
    switch (err.code) {
      case 'forbidden':
        return cardReply(refusalCard(err.message));
      case 'bad_argument':
        return cardReply(usageErrorCard(`${field}${err.message}`, command));
      case 'not_initialised':
        return cardReply(noticeCard('尚未初始化', 'orange', [err.message]));
      case 'not_found':
        return cardReply(usageErrorCard(`${field}${err.message}`, command));
      default:
        return cardReply(noticeCard('无法完成', 'orange', [`❌ ${field}${err.message}`]));
    }
  }
  log.error({ err, command: command?.names[1] ?? command?.names[0] }, 'command failed');
  return cardReply(apologyCard());
}

/** A card button's failure as a toast: the UserError's message, or a generic apology (logged). */
export function toastForError(err: unknown, log: Logger, context: Record<string, unknown>): CardActionResult {
  if (err instanceof ZodError) return { toast: { type: 'error', content: '无法识别的按钮' } };
  if (isUserError(err)) return { toast: { type: 'error', content: shortToast(err.message) } };
  log.error({ err, ...context }, 'card action failed');
  return { toast: { type: 'error', content: '抱歉，操作没有完成，请稍后再试' } };
}
