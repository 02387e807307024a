/** Runs one command for a sender: access check, arguments, the handler; every failure becomes a reply. */
import { isDatabaseUnavailable } from '../db/database.js';
import { readOnlyView } from '../db/unit-of-work.js';
import { checkAccess, resolveSender, type Sender } from './access.js';
import { helpCard, markOneToOne, usageErrorCard } from './cards.js';
import { registry } from './commands/index.js';
import { replyForError } from './errors.js';
import { positionalInput, tokenize, type AnyCommand, type CommandContext } from './registry.js';
import { cardReply, type BotDeps, type CardAction, type ChatMessage, type Reply } from './types.js';

export interface RunInput {
  deps: BotDeps;
  msg: ChatMessage;
  log: CommandContext['log'];
  now: Date;
  chatType: 'p2p' | 'group';
  chatId: string | null;
  senderOpenId: string;
  source: 'chat' | 'card';
  /** The sender and chat, when read already (beside the inbox record, before the transaction). */
  sender?: Sender | undefined;
}

export async function runCommand(command: AnyCommand, rest: string, r: RunInput): Promise<Reply> {
  try {
    const tokens = tokenize(rest);
    const input = command.toInput ? command.toInput(tokens) : positionalInput(command.params, tokens);
    // A read-only command reads through a guarded view: a write it tried would fail, not be written outside a transaction.
    const deps = command.readOnly ? { ...r.deps, db: readOnlyView(r.deps.db) } : r.deps;
    // A read-only command's first reads go beside the sender's; used only once the sender may run it.
    const early = command.readOnly && command.readAhead && input._extra === undefined ? command.args.safeParse(input) : undefined;
    const ahead: unknown = early?.success ? command.readAhead!(deps, early.data, r.now) : undefined;
    const { actor, chat } = r.sender ?? (await resolveSender(r.deps, r.senderOpenId, { type: r.chatType, id: r.chatId }, r.source));
    const refusal = await checkAccess({ deps: r.deps, command, actor, chat, chatType: r.chatType, senderOpenId: r.senderOpenId, chatId: r.chatId, source: r.source, at: r.now.getTime() });
    if (refusal) return refusal;
    if (input._extra !== undefined) return cardReply(usageErrorCard(`多余的参数「${String(input._extra).slice(0, 40)}」`, command));
    const args: unknown = command.args.parse(input);
    const ctx: CommandContext = { deps, msg: r.msg, actor, chat, log: r.log, now: r.now, commands: registry.commands };
    return await command.run(ctx, args, ahead);
  } catch (err) {
    // The database could not take the write now (locked, full): no answer; the event is tried again.
    if (isDatabaseUnavailable(err)) throw err;
    return replyForError(err, command, r.log);
  }
}

/**
 * Runs a command typed as text on behalf of a card button's presser (the `command` button
 * action), through the same gate as typing it in that chat: a group unless the button was
 * marked for this very one-to-one chat (`markOneToOne`). A card answer keeps that mark.
 */
export async function runCommandText(text: string, oneToOneChat: string | undefined, action: CardAction, deps: BotDeps, now: Date): Promise<Reply> {
  const matched = registry.match(text);
  const log = deps.log.child({ eventId: action.eventId });
  const chatType = action.chatId !== null && oneToOneChat === action.chatId ? 'p2p' : 'group';
  const mark = (reply: Reply): Reply => (chatType === 'p2p' && reply.kind === 'card' ? cardReply(markOneToOne(reply.card, action.chatId!)) : reply);
  if (!matched) return mark(cardReply(helpCard(registry.commands)));
  const msg: ChatMessage = {
    eventId: action.eventId,
    messageId: action.messageId ?? action.eventId,
    chatId: action.chatId ?? '',
    chatType,
    senderOpenId: action.operatorOpenId,
    senderType: 'user',
    text,
    mentions: [],
  };
  return mark(await runCommand(matched.command, matched.rest, { deps, msg, log, now, chatType, chatId: action.chatId, senderOpenId: action.operatorOpenId, source: 'card' }));
}
