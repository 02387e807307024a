/**
 * The one entry for every receiver: `handleMessage` for chat messages and `handleCardAction`
 * for button presses. Receivers map their input to ChatMessage / CardAction and call these.
 */
import { z } from 'zod';
import { isBusy, isDatabaseUnavailable, type Db } from '../db/database.js';
import { inOneTransaction } from '../db/unit-of-work.js';
import { deferredOutbound, type DeferredOutbound } from '../messaging/deferred-outbound.js';
import { crashPoint } from './crash-point.js';
import { markEventProcessed, markEventsProcessed, settleMessage } from '../db/event.repository.js';
import { markInboxDone } from '../db/inbox.repository.js';
import { deliverReply, firstAttemptLeaseMs, recordReply, REPLY_KIND, replyKey, replyRecorded, startFirstAttempt, type ReplyPayload } from '../services/replies.service.js';
import { recordedOutboxMessage, type OutboxMessage, type OutboxRecord } from '../db/outbox.repository.js';
import type { MsgType, Outbound, OutgoingReply } from '../messaging/outbound.js';
import { resolveSender, type Sender } from './access.js';
import { runCardAction } from './actions.js';
import { helpCard, markOneToOne, noticeCard } from './cards.js';
import { registry } from './commands/index.js';
import { toastForError } from './errors.js';
import { fileMessageReply, MAX_CHAT_FILE_BYTES } from './file-import.js';
import { runCommand } from './run-command.js';
import { cardReply, type BotDeps, type CardAction, type CardActionResult, type ChatMessage, type Reply } from './types.js';

/** What to do with a message. */
export type MessageDecision =
  | { status: 'ignored'; reason: 'bot_sender' | 'not_mentioned' | 'bot_identity_unknown' | 'duplicate_event' | 'duplicate_message' }
  | { status: 'replied'; reply: Reply; command: string | null };

export type MessageOutcome =
  | MessageDecision
  /** The database failed before the event was recorded: nothing changed, nothing sent; the inbox row stays pending and is tried again. */
  | { status: 'failed' };

/**
 * The bot's mention removed, other people's mention placeholders kept (绑定 reads them).
 * Returns null when the message is in a group and does not mention the bot — and for every
 * group message while the bot's open_id is unknown: the leading @ may be a colleague
 * (「@某同事 完成 17」), so nothing in a group is taken as addressed to the bot until it knows itself.
 */
export function messageText(msg: ChatMessage, botOpenId: string | null): string | null {
  const text = msg.text ?? '';
  const botKeys = botOpenId ? msg.mentions.filter((m) => m.openId === botOpenId).map((m) => m.key) : [];
  if (msg.chatType === 'group' && botKeys.length === 0) return null;
  let out = text;
  for (const key of botKeys) out = out.split(key).join(' ');
  return out.replace(/\s+/gu, ' ').trim();
}

/** A message's dedup marks: its event id and its message id (Lark may deliver one message under two event ids). */
const eventKeys = (msg: ChatMessage): string[] => [msg.eventId, `message:${msg.messageId}`];

/** Which of the marks were there before. */
function repeatOf(msg: ChatMessage, newMarks: Set<string>): 'new' | 'duplicate_event' | 'duplicate_message' {
  return !newMarks.has(msg.eventId) ? 'duplicate_event' : !newMarks.has(`message:${msg.messageId}`) ? 'duplicate_message' : 'new';
}

/**
 * Whether the message only reads: a text for the bot that is not a file and is not a command
 * that writes (a read-only command, 帮助, an unknown word, a text too long). Such a message is
 * handled without a transaction; its marks and its answer are written together at the end.
 */
function onlyReads(msg: ChatMessage, deps: BotDeps): boolean {
  if (msg.senderType !== 'user' || msg.file) return false;
  const text = messageText(msg, deps.botOpenId());
  if (text === null) return false;
  if (msg.text === null || text === '' || text.length > deps.maxTextLength) return true;
  const matched = registry.match(text);
  return !matched || matched.command.readOnly === true;
}

/**
 * Decides the reply to a message without sending it (tests call this directly). A card for a
 * one-to-one chat has its command buttons marked for that chat (`markOneToOne`).
 */
export async function respondToMessage(msg: ChatMessage, deps: BotDeps, marking: Marking = { when: 'first' }): Promise<MessageDecision> {
  const decision = await decide(msg, deps, marking);
  if (decision.status !== 'replied' || msg.chatType !== 'p2p' || decision.reply.kind !== 'card') return decision;
  return { ...decision, reply: cardReply(markOneToOne(decision.reply.card, msg.chatId)) };
}

/** The inbox row a handling settles: marked done in its transaction (`done` once written there). */
interface InboxSettlement {
  eventId: string;
  done: boolean;
}

/**
 * When the event's dedup marks are written: first, in the handling's transaction (with the inbox
 * row's done mark), before the command acts; or with the answer, after a read-only command
 * (settleMessage), which decides then whether it was a repeat.
 */
type Marking = { when: 'first'; inbox?: InboxSettlement | undefined; sender?: Sender | undefined } | { when: 'with-answer' };

async function decide(msg: ChatMessage, deps: BotDeps, marking: Marking): Promise<MessageDecision> {
  if (msg.senderType !== 'user') return { status: 'ignored', reason: 'bot_sender' };
  const botOpenId = deps.botOpenId();
  const text = messageText(msg, botOpenId);
  if (text === null) {
    if (botOpenId !== null) return { status: 'ignored', reason: 'not_mentioned' };
    deps.log.warn({ messageId: msg.messageId, chatId: msg.chatId }, 'group message ignored: the bot does not know its own open_id yet');
    return { status: 'ignored', reason: 'bot_identity_unknown' };
  }
  const now = deps.clock.now();
  if (marking.when === 'first') {
    // Persisted before acting: a redelivery hours later, or after a restart, has no second effect.
    // Both keys in one statement, with the inbox row's done mark.
    const marked = await markEventsProcessed(deps.db, eventKeys(msg), now.getTime(), { inboxDone: marking.inbox?.eventId });
    if (marking.inbox) marking.inbox.done = true;
    const fresh = repeatOf(msg, marked);
    // Marked but never answered: the marks, the command's writes and the reply commit together
    // (handleMessage), so this is a file reply whose upload or record was cut short (the command
    // behind it only reads), or a row from before that: act again, so that the person is answered.
    if (fresh !== 'new' && (await replyRecorded(deps.db, msg.messageId))) return { status: 'ignored', reason: fresh };
  }
  const log = deps.log.child({ messageId: msg.messageId, chatId: msg.chatId });
  if (msg.file) return { status: 'replied', command: 'file', reply: await fileMessageReply({ ...msg, file: msg.file }, deps, log) };
  if (msg.text === null) return { status: 'replied', command: null, reply: cardReply(noticeCard('只认识文字命令', 'grey', ['请发送文字命令，例如「帮助」。'])) };
  const max = deps.maxTextLength;
  if (text.length > max) {
    return { status: 'replied', command: null, reply: cardReply(noticeCard('消息太长', 'orange', [`❌ 命令不能超过 ${max} 个字（这条有 ${text.length} 个字），没有执行。`])) };
  }
  if (text === '') return { status: 'replied', command: 'help', reply: cardReply(helpCard(registry.commands)) };
  const matched = registry.match(text);
  if (!matched) {
    const first = text.split(/\s/u)[0] ?? text;
    return { status: 'replied', command: null, reply: cardReply(helpCard(registry.commands, `没有「${first.slice(0, 20)}」这个命令，可用的命令如下：`)) };
  }
  const reply = await runCommand(matched.command, matched.rest, {
    deps,
    msg,
    log,
    now,
    chatType: msg.chatType,
    chatId: msg.chatId,
    senderOpenId: msg.senderOpenId,
    source: 'chat',
    sender: marking.when === 'first' ? marking.sender : undefined,
  });
  return { status: 'replied', command: matched.command.names[1] ?? matched.command.names[0]!, reply };
}

/** A text or card reply as Lark content. */
function inlinePayload(reply: Exclude<Reply, { kind: 'file' }>): { msgType: MsgType; content: object } {
  return reply.kind === 'card' ? { msgType: 'interactive', content: reply.card } : { msgType: 'text', content: { text: reply.text } };
}

/** The reply as Lark content; a file is uploaded first and goes out as `{ file_key }`. */
async function replyPayload(reply: Reply, outbound: Outbound): Promise<{ msgType: MsgType; content: object }> {
  if (reply.kind !== 'file') return inlinePayload(reply);
  const { fileKey } = await outbound.uploadFile({ fileName: reply.fileName, bytes: reply.bytes });
  return { msgType: 'file', content: { file_key: fileKey } };
}

/** The content to send: the reply's, or a notice when a file could not be uploaded (nothing was sent yet). */
async function payloadOrNotice(reply: Reply, deps: BotDeps, messageId: string): Promise<{ msgType: MsgType; content: object }> {
  try {
    return await replyPayload(reply, deps.outbound);
  } catch (err) {
    deps.log.error({ err, messageId }, 'file upload failed');
    return { msgType: 'interactive', content: noticeCard('文件没有发出', 'orange', ['❌ 上传文件到飞书失败，请稍后再发一次。']) };
  }
}

/** A file message's file, downloaded before the transaction (no Lark call holds it open). */
async function prefetchFile(msg: ChatMessage, deps: BotDeps): Promise<Outbound['downloadMessageFile']> {
  const download = deps.outbound.downloadMessageFile;
  if (!msg.file || !download || msg.senderType !== 'user' || messageText(msg, deps.botOpenId()) === null) return undefined;
  if (await replyRecorded(deps.db, msg.messageId)) return undefined;
  const got = await download.call(deps.outbound, { messageId: msg.messageId, fileKey: msg.file.key, maxBytes: MAX_CHAT_FILE_BYTES }).then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
  return () => ('err' in got ? Promise.reject(got.err) : Promise.resolve(got.value));
}

export interface HandleOptions {
  /** The inbox row of this message: marked done in the handling's own transaction (`inboxDone` in the outcome). */
  inboxEventId?: string;
  /**
   * The delivery's inbox record, still being made when the handling starts: nothing is written
   * before it resolves true; false (a redelivery of a recorded event) or a failure, and the
   * handling stops without writing or sending anything.
   */
  recorded?: Promise<boolean>;
}

/** Whether this delivery may act: its record made (or no record to wait for). */
const recordMade = (options: HandleOptions): Promise<boolean> | boolean => options.recorded?.then((fresh) => fresh, () => false) ?? true;

/** What became of a message; `inboxDone` when its inbox row was marked done with it. */
export type HandledMessage = MessageOutcome & { inboxDone?: true };

/**
 * Decides the reply and records it in the outbox (key `reply:<messageId>`) in ONE transaction
 * with the event's dedup marks and everything the command wrote: a crash leaves either all of it
 * (the restart finds the reply recorded and only sends it) or none of it (the inbox row is
 * handled again from the start). Lark calls the command makes are held until the commit. Then
 * the first attempt. Never throws.
 */
export async function handleMessage(msg: ChatMessage, deps: BotDeps, options: HandleOptions = {}): Promise<HandledMessage> {
  const now = deps.clock.now().getTime();
  let decided: Decided | 'not-recorded';
  try {
    decided = onlyReads(msg, deps) ? await decideReadOnly(msg, deps, options, now) : await decideInTransaction(msg, deps, options, now);
  } catch (err) {
    // The database failed (locked, full, …): the transaction rolled back, nothing was changed and
    // nothing sent (its idempotency key would swallow the real answer when the inbox row is tried again).
    deps.log[isBusy(err) ? 'warn' : 'error']({ err, messageId: msg.messageId }, 'message handling failed; its inbox row is tried again');
    return { status: 'failed' };
  }
  // Another delivery's record, or none: that delivery (or the next one) handles the message.
  if (decided === 'not-recorded') return { status: 'ignored', reason: 'duplicate_event' };
  const { outcome, recorded, held } = decided;
  crashPoint('message-after-commit', msg.messageId);
  const settled = decided.inboxDone ? ({ inboxDone: true } as const) : {};
  await held.flush(deps.log);
  if (outcome.status !== 'replied') {
    // A redelivery, or the inbox row of a message handled before a crash: its reply, if still pending, goes now.
    if (outcome.reason === 'duplicate_event' || outcome.reason === 'duplicate_message') await deliverQuietly(deps, msg.messageId, now);
    return { ...outcome, ...settled };
  }
  if (!recorded && outcome.reply.kind === 'file') {
    // A file is uploaded first (outside the transaction; the command behind it only reads).
    const { msgType, content } = await payloadOrNotice(outcome.reply, deps, msg.messageId);
    try {
      await recordReply(deps.db, { chatId: msg.chatId, payload: { messageId: msg.messageId, msgType, content }, at: now });
    } catch (err) {
      deps.log.error({ err, messageId: msg.messageId }, 'reply could not be recorded; sending it directly');
      const reply: OutgoingReply = { messageId: msg.messageId, msgType, content, idempotencyKey: replyKey(msg.messageId), chatId: msg.chatId };
      await deps.outbound.replyMessage(reply).catch((e: unknown) => deps.log.error({ err: e, messageId: msg.messageId, command: outcome.command }, 'reply failed'));
      return { ...outcome, ...settled };
    }
  }
  // The payload this handling recorded is not read back from the outbox.
  if (!decided.delivered) {
    await deliverQuietly(deps, msg.messageId, now, recorded && outcome.reply.kind !== 'file' ? { messageId: msg.messageId, ...inlinePayload(outcome.reply) } : undefined, decided.claimed, decided.started);
  }
  crashPoint('message-after-reply', msg.messageId);
  return { ...outcome, ...settled };
}

/** What a handling decided and committed: the outcome, whether its reply was recorded, the Lark calls held until then. */
interface Decided {
  outcome: MessageDecision;
  recorded: boolean;
  /** The reply's row when it was recorded claimed for the first attempt. */
  claimed?: OutboxRecord;
  /** That first attempt, when it went out beside the recording (a read-only answer) and failed. */
  started?: Promise<{ messageId: string }>;
  /** The reply went out before it was recorded, and was recorded sent. */
  delivered?: true;
  held: DeferredOutbound;
  inboxDone: boolean;
}

/** A message that may write: everything in one transaction, the marks written first. */
async function decideInTransaction(msg: ChatMessage, deps: BotDeps, options: HandleOptions, now: number): Promise<Decided | 'not-recorded'> {
  let recorded = false;
  const inbox = options.inboxEventId === undefined ? undefined : { eventId: options.inboxEventId, done: false };
  const senderRead = commandSender(msg, deps);
  const held = deferredOutbound(deps.outbound, await prefetchFile(msg, deps));
  const outbound = held.outbound;
  if (!(await recordMade(options))) return 'not-recorded';
  // Read beside the record (on a database server, one round trip fewer inside the transaction)
  // and settled before the transaction opens: on SQLite that holds the one connection.
  const sender = await senderRead;
  const outcome = await inOneTransaction(deps.db, async (db) => {
    if (inbox) inbox.done = false;
    const decision = await respondToMessage(msg, { ...deps, db, outbound }, { when: 'first', inbox, sender });
    if (decision.status === 'replied' && decision.reply.kind !== 'file') {
      // Recorded before the first attempt: a reply that fails now (Lark down, a crash) is sent later, once.
      recorded = await recordReply(db, { chatId: msg.chatId, payload: { messageId: msg.messageId, ...inlinePayload(decision.reply) }, at: now });
    }
    // The inbox row is marked done in the same commit (with the dedup marks, or here for a
    // message not for the bot); not while the bot does not know itself (the row is tried again).
    if (inbox && !inbox.done && !(decision.status === 'ignored' && decision.reason === 'bot_identity_unknown')) {
      await markInboxDone(db, inbox.eventId, now);
      inbox.done = true;
    }
    crashPoint('message-before-commit', msg.messageId);
    return decision;
  });
  return { outcome, recorded, held, inboxDone: inbox?.done === true };
}

/**
 * The sender and chat of a typed command, read before its transaction; undefined for anything
 * else, or when the read failed (the handling reads them again in its transaction).
 */
function commandSender(msg: ChatMessage, deps: BotDeps): Promise<Sender | undefined> {
  if (msg.senderType !== 'user' || msg.file || msg.text === null) return Promise.resolve(undefined);
  const text = messageText(msg, deps.botOpenId());
  if (text === null || text === '' || text.length > deps.maxTextLength || !registry.match(text)) return Promise.resolve(undefined);
  return resolveSender(deps, msg.senderOpenId, { type: msg.chatType, id: msg.chatId }, 'chat').catch(() => undefined);
}

/**
 * A message that only reads: no transaction (no BEGIN and COMMIT round trips); the marks, the
 * inbox row's done mark and the answer are written at the end in one statement (settleMessage),
 * which also tells a repeat: a redelivery computes the answer again and finds one recorded. A
 * delivery just recorded by this process sends its answer first and settles it as sent.
 */
async function decideReadOnly(msg: ChatMessage, deps: BotDeps, options: HandleOptions, now: number): Promise<Decided | 'not-recorded'> {
  const held = deferredOutbound(deps.outbound);
  const decision = await respondToMessage(msg, { ...deps, outbound: held.outbound }, { when: 'with-answer' });
  if (!(await recordMade(options))) return 'not-recorded';
  const payload: ReplyPayload | undefined = decision.status === 'replied' && decision.reply.kind !== 'file' ? { messageId: msg.messageId, ...inlinePayload(decision.reply) } : undefined;
  crashPoint('message-before-commit', msg.messageId);
  // A delivery this process has just recorded as new: its answer goes out before the settle, not
  // after it (on a database server one round trip fewer before the person sees it). Nothing was
  // written that the answer depends on. Should the settle find the message answered before (under
  // another event id) or fail, or the process die before the outcome is recorded, the answer sent
  // again is the same uuid, which Lark deduplicates (1 h; Lark redelivers within minutes). A row
  // resumed from the inbox settles first, as do replies whose command wrote (decideInTransaction).
  const started = payload !== undefined && options.recorded !== undefined ? startFirstAttempt(deps.outbound, { chatId: msg.chatId, payload }) : undefined;
  // Its outcome is settled with the marks (one write, not a second one to mark it sent); a
  // failed attempt is recorded claimed and marked failed as any first attempt is (deliverReply).
  const sent = started === undefined ? undefined : await started.then((s) => s, () => undefined);
  // Otherwise recorded claimed for the first attempt that follows (one statement fewer than claiming it then).
  const answer: OutboxMessage | undefined =
    payload === undefined
      ? undefined
      : { key: replyKey(msg.messageId), kind: REPLY_KIND, chatId: msg.chatId, payload, at: now, claim: { worker: deps.workerId, leaseMs: firstAttemptLeaseMs(deps.settings) }, sent };
  const settled = await settleMessage(deps.db, { eventIds: eventKeys(msg), at: now, inboxDone: options.inboxEventId, answer });
  const inboxDone = options.inboxEventId !== undefined;
  const repeat = repeatOf(msg, settled.newMarks);
  if (answer !== undefined && settled.answerId !== undefined) {
    if (sent !== undefined) return { outcome: decision, recorded: true, delivered: true, held, inboxDone };
    return { outcome: decision, recorded: true, claimed: recordedOutboxMessage(answer, settled.answerId), started, held, inboxDone };
  }
  if (answer === undefined && repeat === 'new') return { outcome: decision, recorded: false, held, inboxDone };
  // Answered before (or, for a file answer, marked before and answered: act again only when not).
  if (answer === undefined && !(await replyRecorded(deps.db, msg.messageId))) return { outcome: decision, recorded: false, held, inboxDone };
  return { outcome: { status: 'ignored', reason: repeat === 'new' ? 'duplicate_message' : repeat }, recorded: false, held, inboxDone };
}

async function deliverQuietly(deps: BotDeps, messageId: string, now: number, recorded?: ReplyPayload, claimed?: OutboxRecord, started?: Promise<{ messageId: string }>): Promise<void> {
  try {
    await deliverReply(deps, messageId, now, recorded, claimed, started);
  } catch (err) {
    // The database failed around the attempt: the row stays in the outbox (its claim expires and it is sent again).
    deps.log.error({ err, messageId }, 'reply delivery not recorded');
  }
}

const cardActionEnvelope = z.object({ action: z.string().min(1) }).passthrough();

/**
 * A button press: deduplicated by event id, the presser resolved, the action run — the dedup
 * mark and the action's writes in one transaction (a crash leaves both or neither; Lark calls
 * the action makes are held until the commit). Returns the toast and the card that replaces
 * the pressed one. Never throws.
 */
export async function handleCardAction(action: CardAction, deps: BotDeps): Promise<CardActionResult> {
  const log = deps.log.child({ eventId: action.eventId, messageId: action.messageId });
  const held = deferredOutbound(deps.outbound);
  let result: CardActionResult;
  try {
    result = await inOneTransaction(deps.db, async (db) => {
      const d: BotDeps = { ...deps, db, outbound: held.outbound };
      const now = deps.clock.now();
      if (!(await markEventProcessed(db, action.eventId, now.getTime()))) return {};
      const envelope = cardActionEnvelope.safeParse(action.value);
      if (!envelope.success) return { toast: { type: 'error', content: '无法识别的按钮' } };
      let r: CardActionResult;
      try {
        r = await runCardAction(envelope.data.action, action, d, now, log);
      } catch (err) {
        // The database could not take the write now: all of it rolls back, the press can be repeated.
        if (isDatabaseUnavailable(err)) throw err;
        r = toastForError(err, log, { value: action.value });
      }
      crashPoint('card-before-commit', action.eventId);
      return r;
    });
  } catch (err) {
    return toastForError(err, log, { value: action.value });
  }
  crashPoint('card-after-commit', action.eventId);
  await held.flush(log);
  return result;
}
