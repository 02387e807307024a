/**
 * The one module through which every outgoing Lark call goes: pacing (local rate limiter),
 * idempotent sends (uuid from the caller's idempotency key), bounded retries with backoff,
 * token refresh on "invalid token", one error type and one log line per HTTP attempt.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@larksuiteoapi/node-sdk';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { MAX_FILE_BYTES, type OutgoingFile, type OutgoingMessage, type OutgoingReply } from '../messaging/outbound.js';
import { createLarkClient } from './client.js';
import { LarkApiError, errorFromBody, toLarkApiError } from './lark-error.js';
import { createRateLimiter, type RateLimiter, type RateRule, type RateTicket } from './rate-limiter.js';
import { createSharedRateLimiter, type RateSlotStore } from './shared-rate-limiter.js';

// The inputs are the Outbound interface's: the sender is its Lark implementation.
/** Same idempotency key → same Lark `uuid` → Lark sends at most one message within 1 hour. */
export type SendMessageInput = OutgoingMessage;
/** With `chatId` the reply is paced by that chat's limit. */
export type ReplyMessageInput = OutgoingReply;

export interface PatchCardInput {
  messageId: string;
  /** The whole new card (object or JSON). The card must be shared (`config.update_multi: true`). */
  card: object | string;
}

export interface SentMessage {
  messageId: string;
  /** The chat Lark put the message in, when the answer says so. */
  chatId: string | undefined;
}

export interface BotInfo {
  openId: string;
  appName: string | undefined;
}

/** One answer of contact/v3/users/batch_get_id: `userId` (the open_id) is absent for a number or address Lark does not know. */
export interface ContactUserId {
  userId: string | undefined;
  mobile: string | undefined;
  email: string | undefined;
}

export interface LarkRateLimits {
  /** Default 50. */
  perAppPerSecond: number;
  /** Default 1000. */
  perAppPerMinute: number;
  /** Per receive chat (sends to chat_id, replies with a known chatId). Default 5. */
  perChatPerSecond: number;
  /** Per open_id receiver. Default 5. */
  perUserPerSecond: number;
  /** Card patches per message. Default 5. */
  perMessagePatchPerSecond: number;
  /** File uploads (im/v1/files has its own quota besides the app's). Default 50. */
  uploadsPerSecond: number;
  /** Default 1000. */
  uploadsPerMinute: number;
  /**
   * Added to every window (ms). Jitter needs no margin (window entries are stamped when the answer
   * arrives); this only covers clock granularity at Lark. Default 5.
   */
  marginMs: number;
  /**
   * How far (ms) a waiting call released late may fall behind its smooth schedule and still catch
   * up, so that a busy event loop does not lower the rate (the window log still caps it; no burst
   * after idle). Default 50.
   */
  burstToleranceMs: number;
}

export interface LarkRetryOptions {
  /** HTTP attempts per call, the first included. Default 5. */
  maxAttempts: number;
  /** Backoff base: attempt n waits random() * min(maxDelayMs, baseDelayMs * 2^(n-1)). Default 250. */
  baseDelayMs: number;
  /** Default 10 000. */
  maxDelayMs: number;
  /** Upper bound for a wait requested by x-ogw-ratelimit-reset. Default 60 000. */
  maxRateLimitWaitMs: number;
  /** Per-request timeout (socket idle), ms. Default 10 000. */
  timeoutMs: number;
}

export interface LarkSenderOptions {
  appId: string;
  appSecret: string;
  /** Base URL, e.g. https://open.feishu.cn or http://127.0.0.1:PORT. */
  domain: string;
  log: Logger;
  /** Time for the rate limiter and durations. Default: a monotonic clock. */
  clock?: Clock;
  limits?: Partial<LarkRateLimits>;
  retry?: Partial<LarkRetryOptions>;
  /** Used for pacing and backoff waits. Default: setTimeout (cancelled by close()). */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
  /**
   * Pace in this store shared by every replica (the PostgreSQL rate_bucket rows) instead of in
   * memory, so the limits hold for all processes together. Default: in memory (one process).
   */
  sharedSlots?: RateSlotStore;
}

export interface LarkSender {
  sendMessage(input: SendMessageInput): Promise<SentMessage>;
  replyMessage(input: ReplyMessageInput): Promise<SentMessage>;
  patchCard(input: PatchCardInput): Promise<{ messageId: string }>;
  /**
   * POST /open-apis/im/v1/files (multipart). At most 30 MB, never empty; file_type from the
   * name's extension (see larkFileType). Retried like any call: a retry after a lost answer
   * uploads again (an unused file at Lark, harmless); the message sending the key has the uuid.
   */
  uploadFile(input: OutgoingFile): Promise<{ fileKey: string }>;
  /** GET im/v1/messages/:id/resources/:file_key?type=file: a file a user sent, read up to maxBytes. */
  downloadMessageFile(input: { messageId: string; fileKey: string; maxBytes: number }): Promise<{ bytes: Buffer } | { tooLarge: true }>;
  /** GET /open-apis/bot/v3/info. */
  getBotInfo(): Promise<BotInfo>;
  /** POST auth/v3/tenant_access_token/internal with the app's id and secret: fails with Lark's code (10003 unknown app, 10014 bad secret). */
  checkCredentials(): Promise<{ expireSeconds: number }>;
  /** POST contact/v3/users/batch_get_id (user_id_type open_id): at most 50 mobiles and 50 e-mails per call. */
  lookupUserIds(input: { mobiles: readonly string[]; emails: readonly string[] }): Promise<ContactUserId[]>;
  /** GET im/v1/chats/:chat_id/members/is_in_chat: whether the bot is a member of the chat. */
  isBotInChat(chatId: string): Promise<boolean>;
  /** Calls waiting for a rate-limit slot, and calls holding one (in flight). */
  stats(): { waiting: number; inFlight: number };
  /** Refuses new calls, rejects paced waiters, stops retries, destroys pooled sockets. */
  close(): Promise<void>;
}

export const DEFAULT_LIMITS: LarkRateLimits = {
  perAppPerSecond: 50,
  perAppPerMinute: 1000,
  perChatPerSecond: 5,
  perUserPerSecond: 5,
  perMessagePatchPerSecond: 5,
  uploadsPerSecond: 50,
  uploadsPerMinute: 1000,
  marginMs: 5,
  burstToleranceMs: 50,
};

export const DEFAULT_RETRY: LarkRetryOptions = {
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  maxRateLimitWaitMs: 60_000,
  timeoutMs: 10_000,
};

/** Lark `uuid` for an idempotency key: sha256 in UUID layout (36 chars; Lark allows 50). */
export function idempotencyUuid(idempotencyKey: string): string {
  const h = createHash('sha256').update(idempotencyKey, 'utf8').digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `{ text }` content for msgType 'text'. */
const textContent = (text: string): { text: string } => ({ text });

/** Rate limiter keys for a call. */
const limiterKeys = {
  app: 'app',
  chat: (chatId: string) => `chat:${chatId}`,
  user: (openId: string) => `user:${openId}`,
  message: (messageId: string) => `message:${messageId}`,
  upload: 'upload',
};

/** Lark's upload file_type: the few it names, 'stream' for anything else. */
export type LarkFileType = 'opus' | 'mp4' | 'pdf' | 'doc' | 'xls' | 'ppt' | 'stream';

/** file_type for a file name: .xlsx / .xls / .csv → 'xls' (spreadsheets), .docx → 'doc', …; else 'stream'. */
export function larkFileType(fileName: string): LarkFileType {
  const ext = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? '';
  const byExt: Record<string, LarkFileType> = { xls: 'xls', xlsx: 'xls', csv: 'xls', doc: 'doc', docx: 'doc', ppt: 'ppt', pptx: 'ppt', pdf: 'pdf', mp4: 'mp4', opus: 'opus' };
  return byExt[ext] ?? 'stream';
}

/** The rules per limiter key class for LarkRateLimits (both limiters). */
function larkRateRules(limits: LarkRateLimits): Record<string, RateRule[]> {
  return {
    app: [
      { limit: limits.perAppPerSecond, windowMs: 1000, smooth: true },
      { limit: limits.perAppPerMinute, windowMs: 60_000 },
    ],
    chat: [{ limit: limits.perChatPerSecond, windowMs: 1000, smooth: true }],
    user: [{ limit: limits.perUserPerSecond, windowMs: 1000, smooth: true }],
    message: [{ limit: limits.perMessagePatchPerSecond, windowMs: 1000, smooth: true }],
    upload: [
      { limit: limits.uploadsPerSecond, windowMs: 1000, smooth: true },
      { limit: limits.uploadsPerMinute, windowMs: 60_000 },
    ],
  };
}

/**
 * The limiter for LarkRateLimits: in memory (one process), or, with `shared`, in the store every
 * replica reserves its slots in (PostgreSQL, issue 17).
 */
export function createLarkRateLimiter(limits: LarkRateLimits, now: () => number, sleep: (ms: number) => Promise<void>, shared?: RateSlotStore): RateLimiter {
  const rules = larkRateRules(limits);
  if (shared) return createSharedRateLimiter({ store: shared, rules, marginMs: limits.marginMs, burstToleranceMs: limits.burstToleranceMs, now, sleep });
  return createRateLimiter({ now, sleep, marginMs: limits.marginMs, burstToleranceMs: limits.burstToleranceMs, rules });
}

class Closed extends Error {}
/** Carries the shared quota store's own error past the Lark error conversion. */
class QuotaStoreFailed {
  constructor(readonly cause: unknown) {}
}

interface CallSpec<T> {
  method: string;
  /** For logs and errors; ids are fine, content and tokens never go here. */
  path: string;
  keys: string[];
  target?: string;
  run: (client: Client) => Promise<unknown>;
  /** Extracts the result from a code-0 body. */
  pick: (body: Record<string, unknown>) => T;
}

function serialiseContent(content: object | string, what: string, method: string, path: string): string {
  if (typeof content === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null) {
      throw new LarkApiError({ code: -1, msg: `${what} must be a JSON object or its serialisation`, httpStatus: null, retryable: false, attempts: 0, method, path });
    }
    return content;
  }
  return JSON.stringify(content);
}

/** A `file` message must name the uploaded file: `{ "file_key": "…" }`. */
function checkMessageContent(msgType: string, content: string, method: string, path: string): void {
  if (msgType !== 'file') return;
  const parsed = JSON.parse(content) as { file_key?: unknown };
  if (typeof parsed.file_key !== 'string' || parsed.file_key.trim() === '') {
    throw new LarkApiError({ code: -1, msg: 'a file message needs content { file_key }', httpStatus: null, retryable: false, attempts: 0, method, path });
  }
}

function requireNonEmpty(value: string, what: string, method: string, path: string): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new LarkApiError({ code: -1, msg: `${what} must be a non-empty string`, httpStatus: null, retryable: false, attempts: 0, method, path });
  }
}

const messageData = (body: Record<string, unknown>): SentMessage => {
  const data = (body.data ?? {}) as Record<string, unknown>;
  if (typeof data.message_id !== 'string') throw new Error('answer without data.message_id');
  return { messageId: data.message_id, chatId: typeof data.chat_id === 'string' ? data.chat_id : undefined };
};

export function createLarkSender(options: LarkSenderOptions): LarkSender {
  const limits: LarkRateLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const retry: LarkRetryOptions = { ...DEFAULT_RETRY, ...options.retry };
  if (!(retry.maxAttempts >= 1)) throw new RangeError('retry.maxAttempts must be >= 1');
  const log = options.log.child({ name: 'lark' });
  const random = options.random ?? Math.random;
  const timers = new Set<NodeJS.Timeout>();
  const sleepCancels = new Set<() => void>();
  const sleep =
    options.sleep ??
    ((ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          sleepCancels.delete(resolve);
          resolve();
        }, ms);
        timers.add(t);
        sleepCancels.add(resolve);
      }));
  const origin = performance.now();
  const now = options.clock ? () => options.clock!.now().getTime() : () => performance.now() - origin;

  const { client, tokenCache, http } = createLarkClient({
    appId: options.appId,
    appSecret: options.appSecret,
    domain: options.domain,
    log,
    timeoutMs: retry.timeoutMs,
  });
  const limiter = createLarkRateLimiter(limits, now, sleep, options.sharedSlots);
  let closed = false;

  // Single-flight token fetch: without it, N concurrent first calls make N token requests.
  let tokenInFlight: Promise<unknown> | undefined;
  const ensureToken = (): Promise<unknown> => {
    tokenInFlight ??= client.tokenManager.getTenantAccessToken().finally(() => {
      tokenInFlight = undefined;
    });
    return tokenInFlight;
  };

  const backoffMs = (attempt: number, err: LarkApiError): number => {
    const exp = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
    const jitter = random() * exp;
    if (err.retryAfterMs !== undefined) return Math.min(retry.maxRateLimitWaitMs, Math.max(err.retryAfterMs, jitter));
    return jitter;
  };

  async function call<T>(spec: CallSpec<T>): Promise<T> {
    if (closed) throw closedError(spec, 0);
    let tokenRefreshed = false;
    for (let attempt = 1; ; attempt++) {
      if (closed) throw closedError(spec, attempt - 1);
      const where = { method: spec.method, path: spec.path, attempts: attempt };
      let started = now();
      let ticket: RateTicket | undefined;
      try {
        await ensureToken();
        if (closed) throw new Closed();
        try {
          ticket = await limiter.acquire(spec.keys);
        } catch (storeError) {
          // The shared quota store (PostgreSQL) failed: nothing reached Lark. Thrown as it is, a
          // database error, so that callers give the work back without counting a send attempt.
          if (storeError instanceof Closed || closed) throw storeError;
          throw new QuotaStoreFailed(storeError);
        }
        if (closed) throw new Closed();
        started = now();
        const body = (await spec.run(client)) as unknown;
        ticket.complete();
        const durationMs = Math.round(now() - started);
        if (typeof body !== 'object' || body === null || (body as { code?: unknown }).code !== 0) {
          throw errorFromBody(body, where);
        }
        let result: T;
        try {
          result = spec.pick(body as Record<string, unknown>);
        } catch (pickError) {
          throw new LarkApiError({ code: -1, msg: `unexpected answer: ${(pickError as Error).message}`, httpStatus: 200, retryable: false, ...where });
        }
        log.info({ method: spec.method, path: spec.path, target: spec.target, status: 200, code: 0, attempt, durationMs }, 'lark call ok');
        return result;
      } catch (e) {
        if (e instanceof QuotaStoreFailed) {
          log.warn({ method: spec.method, path: spec.path, target: spec.target, err: e.cause }, 'lark call not made: the shared quota store failed');
          throw e.cause;
        }
        if (e instanceof Closed || closed) {
          ticket?.complete();
          throw closedError(spec, attempt);
        }
        const err = toLarkApiError(e, where).with({ attempts: attempt });
        // Lark did not count a request it refused as rate limited: give the slot back to the window
        // logs, or a single 429 in a full minute would cost a whole extra minute.
        if (err.isRateLimited) ticket?.refund();
        else ticket?.complete();
        const durationMs = Math.round(now() - started);
        const fields = { method: err.method, path: err.path, target: spec.target, status: err.httpStatus, code: err.code, errno: err.errno, attempt, durationMs, logId: err.logId };
        if (err.isTokenInvalid) {
          tokenCache.clear();
          if (!tokenRefreshed && attempt < retry.maxAttempts) {
            tokenRefreshed = true;
            log.warn({ ...fields, larkMsg: err.msg }, 'lark token rejected, refreshing and retrying');
            continue;
          }
          log.warn({ ...fields, larkMsg: err.msg }, 'lark call failed');
          throw err.with({ retryable: false });
        }
        if (!err.retryable || attempt >= retry.maxAttempts) {
          log.warn({ ...fields, larkMsg: err.msg, retryable: err.retryable }, 'lark call failed');
          throw err;
        }
        const wait = backoffMs(attempt, err);
        log.warn({ ...fields, larkMsg: err.msg, retryInMs: Math.round(wait) }, 'lark call failed, retrying');
        await sleep(wait);
      }
    }
  }

  const closedError = (spec: { method: string; path: string }, attempts: number) =>
    new LarkApiError({ code: -1, msg: 'lark sender closed', httpStatus: null, retryable: false, attempts, method: spec.method, path: spec.path });

  return {
    async sendMessage(input) {
      const path = '/open-apis/im/v1/messages';
      requireNonEmpty(input.receiveId, 'receiveId', 'POST', path);
      requireNonEmpty(input.idempotencyKey, 'idempotencyKey', 'POST', path);
      const content = serialiseContent(input.content, 'content', 'POST', path);
      checkMessageContent(input.msgType, content, 'POST', path);
      const uuid = idempotencyUuid(input.idempotencyKey);
      const targetKey = input.receiveIdType === 'chat_id' ? limiterKeys.chat(input.receiveId) : limiterKeys.user(input.receiveId);
      return call({
        method: 'POST',
        path,
        target: input.receiveId,
        keys: [limiterKeys.app, targetKey],
        run: (c) =>
          c.im.v1.message.create({
            params: { receive_id_type: input.receiveIdType },
            data: { receive_id: input.receiveId, msg_type: input.msgType, content, uuid },
          }),
        pick: messageData,
      });
    },

    async replyMessage(input) {
      const path = `/open-apis/im/v1/messages/${input.messageId}/reply`;
      requireNonEmpty(input.messageId, 'messageId', 'POST', path);
      requireNonEmpty(input.idempotencyKey, 'idempotencyKey', 'POST', path);
      const content = serialiseContent(input.content, 'content', 'POST', path);
      checkMessageContent(input.msgType, content, 'POST', path);
      const uuid = idempotencyUuid(input.idempotencyKey);
      const keys = [limiterKeys.app];
      if (input.chatId) keys.push(limiterKeys.chat(input.chatId));
      return call({
        method: 'POST',
        path,
        target: input.chatId ?? input.messageId,
        keys,
        run: (c) =>
          c.im.v1.message.reply({
            path: { message_id: input.messageId },
            data: { msg_type: input.msgType, content, uuid, ...(input.replyInThread ? { reply_in_thread: true } : {}) },
          }),
        pick: messageData,
      });
    },

    async patchCard(input) {
      const path = `/open-apis/im/v1/messages/${input.messageId}`;
      requireNonEmpty(input.messageId, 'messageId', 'PATCH', path);
      const content = serialiseContent(input.card, 'card', 'PATCH', path);
      return call({
        method: 'PATCH',
        path,
        target: input.messageId,
        keys: [limiterKeys.app, limiterKeys.message(input.messageId)],
        run: (c) => c.im.v1.message.patch({ path: { message_id: input.messageId }, data: { content } }),
        pick: () => ({ messageId: input.messageId }),
      });
    },

    async uploadFile(input) {
      const path = '/open-apis/im/v1/files';
      requireNonEmpty(input.fileName, 'fileName', 'POST', path);
      const size = input.bytes.byteLength;
      if (size === 0 || size > MAX_FILE_BYTES) {
        const msg = size === 0 ? 'the file is empty' : `the file has ${size} bytes; Lark accepts at most ${MAX_FILE_BYTES}`;
        throw new LarkApiError({ code: -1, msg, httpStatus: null, retryable: false, attempts: 0, method: 'POST', path });
      }
      const file = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, size);
      return call({
        method: 'POST',
        path,
        target: input.fileName,
        keys: [limiterKeys.app, limiterKeys.upload],
        // client.request, not im.v1.file.create: that method returns only `data` (null on an
        // answer with code !== 0), while the one error path here reads the whole body.
        run: (c) =>
          c.request({
            method: 'POST',
            url: path,
            data: { file_type: larkFileType(input.fileName), file_name: input.fileName, file },
            headers: { 'Content-Type': 'multipart/form-data' },
          }),
        pick: (body) => {
          const data = (body.data ?? {}) as Record<string, unknown>;
          if (typeof data.file_key !== 'string' || data.file_key === '') throw new Error('answer without data.file_key');
          return { fileKey: data.file_key };
        },
      });
    },

    async downloadMessageFile(input) {
      const path = `/open-apis/im/v1/messages/${input.messageId}/resources/${input.fileKey}`;
      requireNonEmpty(input.messageId, 'messageId', 'GET', path);
      requireNonEmpty(input.fileKey, 'fileKey', 'GET', path);
      return call({
        method: 'GET',
        path,
        target: input.messageId,
        keys: [limiterKeys.app],
        run: async (c) => {
          try {
            // The answer is the file itself: read as bytes, at most maxBytes (axios stops beyond).
            const data = (await c.request({ method: 'GET', url: path, params: { type: 'file' }, responseType: 'arraybuffer', maxContentLength: input.maxBytes } as Parameters<typeof c.request>[0])) as ArrayBuffer | Buffer;
            return { code: 0, bytes: Buffer.isBuffer(data) ? data : Buffer.from(data) };
          } catch (e) {
            if (e instanceof Error && /maxContentLength/.test(e.message)) return { code: 0, tooLarge: true };
            throw e;
          }
        },
        pick: (body) => (body.tooLarge === true ? { tooLarge: true as const } : { bytes: body.bytes as Buffer }),
      });
    },

    async getBotInfo() {
      const path = '/open-apis/bot/v3/info';
      return call({
        method: 'GET',
        path,
        keys: [limiterKeys.app],
        run: (c) => c.request({ method: 'GET', url: path }),
        pick: (body) => {
          const bot = (body.bot ?? {}) as Record<string, unknown>;
          if (typeof bot.open_id !== 'string') throw new Error('bot info without bot.open_id');
          return { openId: bot.open_id, appName: typeof bot.app_name === 'string' ? bot.app_name : undefined };
        },
      });
    },

    async checkCredentials() {
      const path = '/open-apis/auth/v3/tenant_access_token/internal';
      return call({
        method: 'POST',
        path,
        keys: [limiterKeys.app],
        // Straight to the token endpoint (the SDK's token manager swallows the reason of a refusal).
        run: () => http.instance.post(`${options.domain.replace(/\/+$/, '')}${path}`, { app_id: options.appId, app_secret: options.appSecret }),
        pick: (body) => {
          if (typeof body.tenant_access_token !== 'string') throw new Error('answer without tenant_access_token');
          return { expireSeconds: typeof body.expire === 'number' ? body.expire : 0 };
        },
      });
    },

    async lookupUserIds(input) {
      const path = '/open-apis/contact/v3/users/batch_get_id';
      if (input.mobiles.length > 50 || input.emails.length > 50) {
        throw new LarkApiError({ code: -1, msg: 'at most 50 mobiles and 50 emails per call', httpStatus: null, retryable: false, attempts: 0, method: 'POST', path });
      }
      if (input.mobiles.length === 0 && input.emails.length === 0) return [];
      return call({
        method: 'POST',
        path,
        keys: [limiterKeys.app],
        run: (c) => c.contact.v3.user.batchGetId({ params: { user_id_type: 'open_id' }, data: { mobiles: [...input.mobiles], emails: [...input.emails] } }),
        pick: (body) => {
          const list = ((body.data ?? {}) as { user_list?: unknown }).user_list ?? [];
          if (!Array.isArray(list)) throw new Error('data.user_list is not a list');
          return list.map((u: Record<string, unknown>) => ({
            userId: typeof u.user_id === 'string' && u.user_id !== '' ? u.user_id : undefined,
            mobile: typeof u.mobile === 'string' ? u.mobile : undefined,
            email: typeof u.email === 'string' ? u.email : undefined,
          }));
        },
      });
    },

    async isBotInChat(chatId) {
      const path = `/open-apis/im/v1/chats/${chatId}/members/is_in_chat`;
      requireNonEmpty(chatId, 'chatId', 'GET', path);
      return call({
        method: 'GET',
        path,
        target: chatId,
        keys: [limiterKeys.app],
        run: (c) => c.im.v1.chatMembers.isInChat({ path: { chat_id: chatId } }),
        pick: (body) => {
          const data = (body.data ?? {}) as { is_in_chat?: unknown };
          if (typeof data.is_in_chat !== 'boolean') throw new Error('answer without data.is_in_chat');
          return data.is_in_chat;
        },
      });
    },

    stats: () => ({ waiting: limiter.pending(), inFlight: limiter.inFlight() }),

    async close() {
      if (closed) return;
      closed = true;
      limiter.close(new Closed('lark sender closed'));
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const resolve of sleepCancels) resolve();
      sleepCancels.clear();
      http.destroy();
    },
  };
}
