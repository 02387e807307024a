/**
 * A fake Lark Open API on a real node:http server (127.0.0.1, port 0 by default), for tests and
 * benchmarks that drive the real SDK Client over real HTTP.
 *
 * Implements: tenant_access_token/internal, im/v1/messages (send), .../:id/reply, PATCH .../:id,
 * bot/v3/info, interactive/v1/card/update, im/v1/files (multipart upload; `file` messages must
 * reference an uploaded file_key), contact/v3/users/batch_get_id (a directory of users by mobile
 * and e-mail; unknown ones answered without user_id), im/v1/chats/:chat_id/members/is_in_chat,
 * im/v1/messages/:id/resources/:file_key (the files users send, see addInboundMessage).
 * Scopes: a call whose endpoint needs a scope listed in `missingScopes` (src/lark/scopes.ts says
 * which) gets Lark's HTTP 400 {code: 99991672}. Requires `Authorization: Bearer <token>`, dedups `uuid`
 * like Lark (same uuid within 1 h → the same message, nothing new recorded), enforces rate limits
 * when configured (sliding windows, HTTP 429 {code: 99991400} with x-ogw-ratelimit-* headers; card
 * patches over the per-message limit get HTTP 400 {code: 230020}), and injects faults (scripted, or
 * by probability with a seeded RNG).
 *
 * Control endpoints (no auth), also used from other processes: GET /__fake/state,
 * POST /__fake/faults, /__fake/rate-limits, /__fake/reset, /__fake/revoke-tokens, /__fake/inbound-message.
 * `spawnFakeLark()` runs it as a child process (test/support/fake-lark-main.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import { endpointOf, MISSING_SCOPE_CODE } from '../../src/lark/scopes.js';
import { mulberry32 } from './prng.js';

export interface FakeLarkRateLimits {
  /** Requests per app in any 1000 ms (all API calls except the token call). */
  perAppPerSecond?: number;
  /** Requests per app in any 60 000 ms. */
  perAppPerMinute?: number;
  /** Messages to one chat (send to chat_id, reply into a known chat) in any 1000 ms. */
  perChatPerSecond?: number;
  /** Messages to one open_id in any 1000 ms. */
  perUserPerSecond?: number;
  /** Card patches of one message in any 1000 ms (over → HTTP 400 code 230020). */
  perMessagePatchPerSecond?: number;
  /** File uploads in any 1000 ms / 60 000 ms (im/v1/files has its own quota: 50/s, 1000/min at Lark). */
  uploadsPerSecond?: number;
  uploadsPerMinute?: number;
}

/** One fault, consumed by the next matching request. */
export type ScriptedFault =
  | { kind: 'status'; status: number; code?: number; msg?: string; headers?: Record<string, string> }
  /** HTTP 429 {code: 99991400}; x-ogw-ratelimit-reset: resetSeconds (default 1). */
  | { kind: 'rate_limit'; resetSeconds?: number }
  /** Destroy the socket before processing: nothing recorded, client sees ECONNRESET / socket hang up. */
  | { kind: 'drop' }
  /** Process normally (message recorded), then destroy the socket instead of answering. */
  | { kind: 'drop_after' }
  /** Wait `ms`, then process normally (even if the client gave up meanwhile). */
  | { kind: 'stall'; ms: number }
  /** HTTP 400 {code: 99991663} although the token is valid. */
  | { kind: 'invalid_token' }
  /** HTTP 200 with a valid JSON body of about `bytes` bytes, streamed as the client reads (stops when it hangs up). */
  | { kind: 'oversize'; bytes: number };

export interface FakeLarkFaults {
  /** Reseeds the fault RNG (mulberry32). Default: the server's seed. */
  seed?: number;
  /** Probability of HTTP 500. */
  serverErrorRate?: number;
  /** Probability of HTTP 429 {code: 99991400}. */
  rateLimitRate?: number;
  /** Probability of a stall of `stallMs` before processing. */
  stallRate?: number;
  stallMs?: number;
  /** Probability of socket.destroy() before processing. */
  dropRate?: number;
  /** Probability of processing and then socket.destroy() (the answer is lost). */
  dropAfterRate?: number;
  /** Consumed in order, one per matching request, before any probability is rolled. */
  script?: ScriptedFault[];
  /** Only requests whose `${METHOD} ${path}` matches this regex source get faults. Default: every API call but the token call. */
  match?: string;
  /** Also inject faults into the token call. Default false. */
  includeToken?: boolean;
}

export interface FakeLarkOptions {
  appId?: string;
  appSecret?: string;
  host?: string;
  port?: number;
  botOpenId?: string;
  botName?: string;
  /** Default 7200. */
  tokenTtlSeconds?: number;
  /** uuid dedup window. Default 3 600 000 (1 h). */
  uuidTtlMs?: number;
  rateLimits?: FakeLarkRateLimits;
  faults?: FakeLarkFaults;
  /** Fault RNG seed. Default 1. */
  seed?: number;
  /** Epoch ms, may be fractional. Default: performance.timeOrigin + performance.now(). */
  now?: () => number;
  /** JSON snapshot written (≤ 25 ms after each change, and on close). */
  stateFile?: string;
  /** Load messages (and their uuids) from this state file first (restart of the fake). */
  resumeFrom?: string;
  /** Oldest `received` entries are dropped beyond this. Default 100 000. */
  maxReceived?: number;
  /** Users the contact look-up knows. Default none. */
  directory?: FakeDirectoryUser[];
  /** The chats the bot is a member of (is_in_chat). Default: every chat. */
  botChats?: string[];
  /** Scopes the app has not been granted (calls needing them get 99991672). Default none. */
  missingScopes?: string[];
}

export interface FakeDirectoryUser {
  openId: string;
  mobile?: string;
  email?: string;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
  at: number;
}

export interface FakeMessage {
  messageId: string;
  kind: 'send' | 'reply';
  /** The chat the message went to (p2p chats of open_id receivers get a derived oc_ id; null for a reply to an unknown message). */
  chatId: string | null;
  receiveId: string | null;
  receiveIdType: string | null;
  parentId: string | null;
  replyInThread: boolean;
  msgType: string;
  /** Parsed content (latest version after patches). */
  content: unknown;
  uuid: string | null;
  at: number;
  patchCount: number;
  updatedAt: number | null;
}

export interface FakePatch {
  messageId: string;
  content: unknown;
  at: number;
}

export interface FakeCardUpdate {
  token: string;
  card: unknown;
  at: number;
}

export type RateScope = 'app_second' | 'app_minute' | 'chat' | 'user' | 'message' | 'upload';

/** An uploaded file (metadata; the bytes: `fileBytes(fileKey)`). */
export interface FakeFile {
  fileKey: string;
  fileName: string;
  fileType: string;
  size: number;
  sha256: string;
  at: number;
}

export interface FakeLarkStats {
  requests: number;
  /** Answers with code 0 (token calls included). */
  ok: number;
  messagesCreated: number;
  /** Sends/replies answered from the uuid dedup table. */
  deduplicated: number;
  patches: number;
  cardUpdates: number;
  filesUploaded: number;
  tokensIssued: number;
  stalled: number;
  /** Processed but the answer was dropped (drop_after). */
  droppedAfter: number;
  rejected: {
    /** Real limit enforcement (429 / 230020). */
    rateLimited: number;
    injected429: number;
    injected5xx: number;
    injectedStatus: number;
    injectedInvalidToken: number;
    dropped: number;
    /** Missing / unknown / expired token, bad app credentials. */
    auth: number;
    /** Validation failures (400). */
    invalid: number;
    notFound: number;
  };
  rateLimitedBy: Record<RateScope, number>;
}

export interface FakeLarkState {
  url: string;
  appId: string;
  botOpenId: string;
  messages: FakeMessage[];
  patches: FakePatch[];
  cardUpdates: FakeCardUpdate[];
  files: FakeFile[];
  received: ReceivedRequest[];
  stats: FakeLarkStats;
  writtenAt: number;
}

export interface FakeLark {
  url: string;
  appId: string;
  appSecret: string;
  botOpenId: string;
  /** Live arrays / objects (mutated in place; reset() empties them). */
  messages: FakeMessage[];
  patches: FakePatch[];
  cardUpdates: FakeCardUpdate[];
  files: FakeFile[];
  received: ReceivedRequest[];
  stats: FakeLarkStats;
  rejected: FakeLarkStats['rejected'];
  /** Bytes written for each `oversize` answer before the client hung up (or the whole of it). */
  oversizeWritten: number[];
  /** Every token issued so far (to check that none was logged). */
  issuedTokens: string[];
  /** Replaces the fault configuration (`{}` clears it). */
  setFaults(faults: FakeLarkFaults): void;
  /** Replaces the rate limits (`{}` disables them) and clears the windows. */
  setRateLimits(limits: FakeLarkRateLimits): void;
  /** Invalidates every issued token (next call with one gets 99991663). */
  revokeTokens(): void;
  /** Replaces the users the contact look-up knows. */
  setDirectory(users: FakeDirectoryUser[]): void;
  /** The chats the bot is in (undefined: every chat). */
  setBotChats(chatIds: string[] | undefined): void;
  /** Scopes the app lacks. */
  setMissingScopes(scopes: string[]): void;
  /**
   * Makes a user message known, so replies to it land in (and are paced by) `chatId`. With a
   * file, the message is a file message: returns its file_key, served by
   * GET im/v1/messages/:message_id/resources/:file_key?type=file.
   */
  addInboundMessage(m: { messageId: string; chatId: string; file?: { name: string; bytes: Buffer } }): string | undefined;
  /** Messages of one chat, in order. */
  messagesTo(chatId: string): FakeMessage[];
  /** The bytes of an uploaded file. */
  fileBytes(fileKey: string): Buffer | undefined;
  state(): FakeLarkState;
  /** Forgets messages, requests, counters, uuids, rate windows and faults; tokens stay valid. */
  reset(): void;
  close(): Promise<void>;
}

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const TEXT_MAX_BYTES = 150 * 1024;
const CARD_MAX_BYTES = 30 * 1024;
const FILES_PATH = '/open-apis/im/v1/files';
const RESOURCE_PATH = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/resources\/([^/]+)$/;
const FILE_MAX_BYTES = 30 * 1024 * 1024;
const FILE_TYPES = ['opus', 'mp4', 'pdf', 'doc', 'xls', 'ppt', 'stream'];
const BATCH_GET_ID_PATH = '/open-apis/contact/v3/users/batch_get_id';
const IS_IN_CHAT_PATH = /^\/open-apis\/im\/v1\/chats\/[^/]+\/members\/is_in_chat$/;


const emptyStats = (): FakeLarkStats => ({
  requests: 0,
  ok: 0,
  messagesCreated: 0,
  deduplicated: 0,
  patches: 0,
  cardUpdates: 0,
  filesUploaded: 0,
  tokensIssued: 0,
  stalled: 0,
  droppedAfter: 0,
  rejected: { rateLimited: 0, injected429: 0, injected5xx: 0, injectedStatus: 0, injectedInvalidToken: 0, dropped: 0, auth: 0, invalid: 0, notFound: 0 },
  rateLimitedBy: { app_second: 0, app_minute: 0, chat: 0, user: 0, message: 0, upload: 0 },
});

/** Resets counters in place so that references handed out stay live. */
function clearStats(s: FakeLarkStats): void {
  const fresh = emptyStats();
  Object.assign(s.rejected, fresh.rejected);
  Object.assign(s.rateLimitedBy, fresh.rateLimitedBy);
  const { rejected: _r, rateLimitedBy: _b, ...counters } = fresh;
  Object.assign(s, counters);
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Binary content (a message resource) instead of the JSON body. */
  bytes?: Buffer;
}

const ok = (body: Record<string, unknown>): Answer => ({ status: 200, body: { code: 0, msg: 'success', ...body } });
/** A 200 answer of about `bytes` bytes of valid JSON, written as the client reads; resolves to the bytes written. */
function streamOversize(res: http.ServerResponse, bytes: number): Promise<number> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const head = '{"code":0,"msg":"success","data":{"pad":"';
    const tail = '"}}';
    let written = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve(written);
    };
    res.on('close', finish);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.write(head);
    written += head.length;
    const pump = () => {
      while (!done && written < bytes) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!done) res.end(tail, finish);
    };
    pump();
  });
}

const fail = (status: number, code: number, msg: string, headers?: Record<string, string>): Answer => ({ status, body: { code, msg }, ...(headers ? { headers } : {}) });

class SlidingWindow {
  private readonly times = new Map<string, number[]>();
  /** ms until a slot frees in key's window, or 0 when one is free now. */
  check(key: string, limit: number, windowMs: number, now: number): number {
    const list = this.times.get(key);
    if (!list) return 0;
    while (list.length > 0 && (list[0] as number) <= now - windowMs) list.shift();
    if (list.length < limit) return 0;
    return (list[list.length - limit] as number) + windowMs - now;
  }
  add(key: string, now: number): void {
    let list = this.times.get(key);
    if (!list) {
      list = [];
      this.times.set(key, list);
    }
    list.push(now);
  }
  clear(): void {
    this.times.clear();
  }
}

/** A parsed multipart/form-data body: text fields, and file parts (with a filename or a binary type). */
interface Multipart {
  fields: Record<string, string>;
  files: Record<string, { filename: string | null; contentType: string | null; data: Buffer }>;
}

/** Parses multipart/form-data (RFC 7578) strictly enough to refuse what a real server refuses. */
function parseMultipart(body: Buffer, contentType: string): Multipart | { error: string } {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundaryText = m?.[1] ?? m?.[2];
  if (!boundaryText) return { error: 'multipart body without boundary' };
  const boundary = Buffer.from(`--${boundaryText}`);
  const delimiter = Buffer.concat([Buffer.from('\r\n'), boundary]);
  const out: Multipart = { fields: {}, files: {} };
  let pos = body.indexOf(boundary);
  if (pos !== 0) return { error: 'multipart body does not start with its boundary' };
  for (;;) {
    pos += boundary.length;
    const after = body.subarray(pos, pos + 2).toString('latin1');
    if (after === '--') return out;
    if (after !== '\r\n') return { error: 'malformed multipart boundary line' };
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) return { error: 'multipart part without headers' };
    const headers = body.subarray(pos, headerEnd).toString('utf8');
    const end = body.indexOf(delimiter, headerEnd + 4);
    if (end < 0) return { error: 'unterminated multipart body' };
    const data = body.subarray(headerEnd + 4, end);
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1];
    const name = disposition ? /;\s*name="([^"]*)"/i.exec(disposition)?.[1] : undefined;
    if (name === undefined) return { error: 'multipart part without a form-data name' };
    const filename = disposition ? (/;\s*filename="([^"]*)"/i.exec(disposition)?.[1] ?? null) : null;
    const type = /^content-type:\s*(.+)$/im.exec(headers)?.[1]?.trim() ?? null;
    // A part is a file when it says so (filename) or carries a non-text type (form-data sends Buffers as octet-stream).
    if (filename !== null || (type !== null && !/^text\//i.test(type))) out.files[name] = { filename, contentType: type, data };
    else out.fields[name] = data.toString('utf8');
    pos = end + 2;
  }
}

/** What `received` records of a multipart request (never the file bytes). */
function multipartSummary(upload: Multipart | { error: string }): unknown {
  if ('error' in upload) return { multipartError: upload.error };
  return { fields: upload.fields, files: Object.fromEntries(Object.entries(upload.files).map(([k, f]) => [k, { filename: f.filename, contentType: f.contentType, size: f.data.length }])) };
}

export async function startFakeLark(options: FakeLarkOptions = {}): Promise<FakeLark> {
  const appId = options.appId ?? `cli_fake${randomBytes(6).toString('hex')}`;
  const appSecret = options.appSecret ?? `secret-${randomBytes(12).toString('hex')}`;
  const botOpenId = options.botOpenId ?? `ou_bot${createHash('sha256').update(appId).digest('hex').slice(0, 26)}`;
  const botName = options.botName ?? '党建助手(fake)';
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 7200;
  const uuidTtlMs = options.uuidTtlMs ?? 3_600_000;
  const maxReceived = options.maxReceived ?? 100_000;
  const now = options.now ?? (() => performance.timeOrigin + performance.now());
  const serverSeed = options.seed ?? 1;

  let faults: FakeLarkFaults = options.faults ?? {};
  let script: ScriptedFault[] = [...(faults.script ?? [])];
  let rng = mulberry32(faults.seed ?? serverSeed);
  let limits: FakeLarkRateLimits = options.rateLimits ?? {};
  const windows = new SlidingWindow();

  const messages: FakeMessage[] = [];
  const patches: FakePatch[] = [];
  const cardUpdates: FakeCardUpdate[] = [];
  const files: FakeFile[] = [];
  const fileData = new Map<string, Buffer>();
  const received: ReceivedRequest[] = [];
  const oversizeWritten: number[] = [];
  const stats = emptyStats();
  const issuedTokens: string[] = [];
  const tokens = new Map<string, number>(); // token → expiresAt
  const byId = new Map<string, FakeMessage>();
  const byUuid = new Map<string, { message: FakeMessage; at: number }>();
  const inbound = new Map<string, string>(); // user message id → chat id
  let directory: FakeDirectoryUser[] = options.directory ?? [];
  let botChats: Set<string> | undefined = options.botChats ? new Set(options.botChats) : undefined;
  let missingScopes = new Set(options.missingScopes ?? []);
  const inboundFiles = new Map<string, Buffer>(); // '<message id>/<file key>' → the file a user sent
  let messageSeq = 0;
  let logSeq = 0;
  let url = '';

  if (options.resumeFrom && existsSync(options.resumeFrom)) {
    const prior = JSON.parse(readFileSync(options.resumeFrom, 'utf8')) as Partial<FakeLarkState>;
    for (const m of prior.messages ?? []) {
      messages.push(m);
      byId.set(m.messageId, m);
      if (m.uuid) byUuid.set(m.uuid, { message: m, at: m.at });
    }
    patches.push(...(prior.patches ?? []));
    cardUpdates.push(...(prior.cardUpdates ?? []));
    // Bytes are not in the state file: a resumed fake knows the keys (messages stay valid), not the contents.
    files.push(...(prior.files ?? []));
    messageSeq = messages.length;
  }

  const newMessageId = () => `om_${createHash('sha256').update(`${appId}/${serverSeed}/${messageSeq++}`).digest('hex').slice(0, 32)}`;
  const p2pChat = (openId: string) => `oc_p2p${createHash('sha256').update(`${appId}/${openId}`).digest('hex').slice(0, 26)}`;

  // ---- state file ---------------------------------------------------------------------------
  let writeTimer: NodeJS.Timeout | undefined;
  const snapshot = (): FakeLarkState => ({
    url,
    appId,
    botOpenId,
    messages,
    patches,
    cardUpdates,
    files,
    received,
    stats,
    writtenAt: Date.now(),
  });
  const writeState = () => {
    if (!options.stateFile) return;
    const tmp = `${options.stateFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(snapshot()));
    renameSync(tmp, options.stateFile);
  };
  const changed = () => {
    if (!options.stateFile || writeTimer) return;
    writeTimer = setTimeout(() => {
      writeTimer = undefined;
      writeState();
    }, 25);
  };

  // ---- faults -------------------------------------------------------------------------------
  const faultApplies = (method: string, path: string): boolean => {
    if (path.startsWith('/__fake/')) return false;
    if (path === TOKEN_PATH && !faults.includeToken) return false;
    if (faults.match !== undefined) return new RegExp(faults.match).test(`${method} ${path}`);
    return true;
  };
  const nextFault = (method: string, path: string): ScriptedFault | undefined => {
    if (!faultApplies(method, path)) return undefined;
    const scripted = script.shift();
    if (scripted) return scripted;
    const roll = (p: number | undefined) => p !== undefined && p > 0 && rng() < p;
    if (roll(faults.dropRate)) return { kind: 'drop' };
    if (roll(faults.serverErrorRate)) return { kind: 'status', status: 500, code: -1, msg: 'fake: injected server error' };
    if (roll(faults.rateLimitRate)) return { kind: 'rate_limit' };
    if (roll(faults.stallRate)) return { kind: 'stall', ms: faults.stallMs ?? 0 };
    if (roll(faults.dropAfterRate)) return { kind: 'drop_after' };
    return undefined;
  };

  // ---- rate limits --------------------------------------------------------------------------
  const rateLimitHeaders = (limit: number, waitMs: number) => ({
    'x-ogw-ratelimit-limit': String(limit),
    'x-ogw-ratelimit-reset': String(Math.max(1, Math.ceil(waitMs / 1000))),
  });
  /** Checks every scope; records the request in all of them only when all allow it. */
  const admit = (scopes: Array<{ scope: RateScope; key: string; limit: number | undefined; windowMs: number }>, t: number): Answer | undefined => {
    for (const s of scopes) {
      if (s.limit === undefined) continue;
      const wait = windows.check(`${s.scope}/${s.key}`, s.limit, s.windowMs, t);
      if (wait > 0) {
        stats.rejected.rateLimited++;
        stats.rateLimitedBy[s.scope]++;
        if (s.scope === 'message') return fail(400, 230020, 'This message is being updated too frequently', rateLimitHeaders(s.limit, wait));
        return fail(429, 99991400, 'request trigger frequency limit', rateLimitHeaders(s.limit, wait));
      }
    }
    for (const s of scopes) if (s.limit !== undefined) windows.add(`${s.scope}/${s.key}`, t);
    return undefined;
  };
  const appScopes = () => [
    { scope: 'app_second' as const, key: appId, limit: limits.perAppPerSecond, windowMs: 1000 },
    { scope: 'app_minute' as const, key: appId, limit: limits.perAppPerMinute, windowMs: 60_000 },
  ];

  // ---- handlers -----------------------------------------------------------------------------
  const invalid = (msg: string): Answer => {
    stats.rejected.invalid++;
    return fail(400, 99992402, `field validation failed: ${msg}`);
  };

  /** Validates msg_type + content (a JSON string); returns the parsed content or an error answer. */
  const parseContent = (msgType: unknown, content: unknown): { parsed: unknown } | Answer => {
    if (typeof msgType !== 'string' || !['text', 'post', 'image', 'interactive', 'share_chat', 'share_user', 'file', 'audio', 'media', 'sticker'].includes(msgType)) {
      return invalid('msg_type');
    }
    if (typeof content !== 'string') return invalid('content must be a JSON string');
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      return invalid('content is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalid('content must be a JSON object');
    if (msgType === 'text' && typeof (parsed as { text?: unknown }).text !== 'string') return invalid('content.text');
    if (msgType === 'file') {
      const refused = checkFileMessage(parsed as Record<string, unknown>);
      if (refused) return refused;
    }
    const bytes = Buffer.byteLength(content);
    if ((msgType === 'text' && bytes > TEXT_MAX_BYTES) || (msgType !== 'text' && bytes > CARD_MAX_BYTES)) {
      stats.rejected.invalid++;
      return fail(400, 230025, 'The length of the message content reaches its limit');
    }
    return { parsed };
  };

  const messageBody = (m: FakeMessage) => ({
    data: {
      message_id: m.messageId,
      root_id: m.parentId ?? undefined,
      parent_id: m.parentId ?? undefined,
      msg_type: m.msgType,
      create_time: String(Math.floor(m.at)),
      update_time: String(Math.floor(m.updatedAt ?? m.at)),
      deleted: false,
      updated: m.patchCount > 0,
      chat_id: m.chatId ?? undefined,
      sender: { id: appId, id_type: 'app_id', sender_type: 'app', tenant_key: 'fake-tenant' },
      body: { content: JSON.stringify(m.content) },
    },
  });

  const dedup = (uuid: unknown, t: number): FakeMessage | undefined => {
    if (typeof uuid !== 'string') return undefined;
    const hit = byUuid.get(uuid);
    if (hit && t - hit.at < uuidTtlMs) return hit.message;
    return undefined;
  };

  const record = (m: FakeMessage) => {
    messages.push(m);
    byId.set(m.messageId, m);
    if (m.uuid) byUuid.set(m.uuid, { message: m, at: m.at });
    stats.messagesCreated++;
  };

  const handleSend = (query: Record<string, string>, body: Record<string, unknown>, t: number): Answer => {
    const type = query.receive_id_type;
    if (!type || !['open_id', 'user_id', 'union_id', 'email', 'chat_id'].includes(type)) return invalid('receive_id_type');
    const receiveId = body.receive_id;
    if (typeof receiveId !== 'string' || receiveId === '') return invalid('receive_id');
    if (body.uuid !== undefined && (typeof body.uuid !== 'string' || body.uuid.length > 50)) return invalid('uuid');
    const scope =
      type === 'chat_id'
        ? { scope: 'chat' as const, key: receiveId, limit: limits.perChatPerSecond, windowMs: 1000 }
        : { scope: 'user' as const, key: receiveId, limit: limits.perUserPerSecond, windowMs: 1000 };
    const limited = admit([...appScopes(), scope], t);
    if (limited) return limited;
    const content = parseContent(body.msg_type, body.content);
    if ('status' in content) return content;
    const seen = dedup(body.uuid, t);
    if (seen) {
      stats.deduplicated++;
      return ok(messageBody(seen));
    }
    const m: FakeMessage = {
      messageId: newMessageId(),
      kind: 'send',
      chatId: type === 'chat_id' ? receiveId : p2pChat(receiveId),
      receiveId,
      receiveIdType: type,
      parentId: null,
      replyInThread: false,
      msgType: body.msg_type as string,
      content: content.parsed,
      uuid: typeof body.uuid === 'string' ? body.uuid : null,
      at: t,
      patchCount: 0,
      updatedAt: null,
    };
    record(m);
    return ok(messageBody(m));
  };

  const handleReply = (parentId: string, body: Record<string, unknown>, t: number): Answer => {
    if (body.uuid !== undefined && (typeof body.uuid !== 'string' || body.uuid.length > 50)) return invalid('uuid');
    const chatId = byId.get(parentId)?.chatId ?? inbound.get(parentId) ?? null;
    const scopes: Parameters<typeof admit>[0] = [...appScopes()];
    if (chatId) scopes.push({ scope: 'chat', key: chatId, limit: limits.perChatPerSecond, windowMs: 1000 });
    const limited = admit(scopes, t);
    if (limited) return limited;
    const content = parseContent(body.msg_type, body.content);
    if ('status' in content) return content;
    const seen = dedup(body.uuid, t);
    if (seen) {
      stats.deduplicated++;
      return ok(messageBody(seen));
    }
    const m: FakeMessage = {
      messageId: newMessageId(),
      kind: 'reply',
      chatId,
      receiveId: null,
      receiveIdType: null,
      parentId,
      replyInThread: body.reply_in_thread === true,
      msgType: body.msg_type as string,
      content: content.parsed,
      uuid: typeof body.uuid === 'string' ? body.uuid : null,
      at: t,
      patchCount: 0,
      updatedAt: null,
    };
    record(m);
    return ok(messageBody(m));
  };

  const handlePatch = (messageId: string, body: Record<string, unknown>, t: number): Answer => {
    const limited = admit([...appScopes(), { scope: 'message', key: messageId, limit: limits.perMessagePatchPerSecond, windowMs: 1000 }], t);
    if (limited) return limited;
    const m = byId.get(messageId);
    if (!m) {
      stats.rejected.notFound++;
      return fail(400, 230001, `message not found: ${messageId}`);
    }
    if (m.msgType !== 'interactive') return invalid('only interactive (card) messages can be patched');
    const content = parseContent('interactive', body.content);
    if ('status' in content) return content;
    m.content = content.parsed;
    m.patchCount++;
    m.updatedAt = t;
    patches.push({ messageId, content: content.parsed, at: t });
    stats.patches++;
    return ok({ data: {} });
  };

  const handleCardUpdate = (body: Record<string, unknown>, t: number): Answer => {
    const limited = admit(appScopes(), t);
    if (limited) return limited;
    if (typeof body.token !== 'string' || body.token === '') return invalid('token');
    if (typeof body.card !== 'object' || body.card === null) return invalid('card');
    cardUpdates.push({ token: body.token, card: body.card, at: t });
    stats.cardUpdates++;
    return ok({ data: {} });
  };

  const handleToken = (body: Record<string, unknown>, t: number): Answer => {
    if (body.app_id !== appId) {
      stats.rejected.auth++;
      return fail(400, 10003, 'invalid param: app_id not found');
    }
    if (body.app_secret !== appSecret) {
      stats.rejected.auth++;
      return fail(400, 10014, 'app secret invalid');
    }
    // Like Lark: the current token is returned again while it has more than 30 minutes left.
    for (const [token, expiresAt] of tokens) {
      if (expiresAt - t > 30 * 60_000) return { status: 200, body: { code: 0, msg: 'ok', tenant_access_token: token, expire: Math.floor((expiresAt - t) / 1000) } };
    }
    const token = `t-fake${randomBytes(16).toString('hex')}`;
    tokens.set(token, t + tokenTtlSeconds * 1000);
    issuedTokens.push(token);
    stats.tokensIssued++;
    return { status: 200, body: { code: 0, msg: 'ok', tenant_access_token: token, expire: tokenTtlSeconds } };
  };

  const checkAuth = (headers: IncomingMessage['headers'], t: number): Answer | undefined => {
    const auth = headers.authorization;
    const m = typeof auth === 'string' ? /^Bearer (\S+)$/.exec(auth) : null;
    if (!m) {
      stats.rejected.auth++;
      return fail(400, 99991661, 'Missing access token for authorization. Please make a request with token attached.');
    }
    const expiresAt = tokens.get(m[1] as string);
    if (expiresAt === undefined || expiresAt <= t) {
      stats.rejected.auth++;
      return fail(400, 99991663, 'Invalid access token for authorization. Please make a request with token attached.');
    }
    return undefined;
  };

  const route = (method: string, path: string, query: Record<string, string>, body: Record<string, unknown>, headers: IncomingMessage['headers'], t: number, upload: Multipart | { error: string }): Answer => {
    if (method === 'POST' && path === TOKEN_PATH) return handleToken(body, t);
    const known =
      (method === 'POST' && path === '/open-apis/im/v1/messages') ||
      (method === 'POST' && /^\/open-apis\/im\/v1\/messages\/[^/]+\/reply$/.test(path)) ||
      (method === 'PATCH' && /^\/open-apis\/im\/v1\/messages\/[^/]+$/.test(path)) ||
      (method === 'GET' && path === '/open-apis/bot/v3/info') ||
      (method === 'POST' && path === '/open-apis/interactive/v1/card/update') ||
      (method === 'POST' && path === FILES_PATH) ||
      (method === 'POST' && path === BATCH_GET_ID_PATH) ||
      (method === 'GET' && IS_IN_CHAT_PATH.test(path)) ||
      (method === 'GET' && RESOURCE_PATH.test(path));
    if (!known) {
      stats.rejected.notFound++;
      return fail(404, 404, `fake lark: no route ${method} ${path}`);
    }
    const unauthorised = checkAuth(headers, t);
    if (unauthorised) return unauthorised;
    const needed = endpointOf(method, path)?.scopes ?? [];
    if (needed.length > 0 && needed.every((scope) => missingScopes.has(scope))) {
      stats.rejected.auth++;
      return fail(400, MISSING_SCOPE_CODE, `Access denied. One of the following scopes is required: [${needed.join(', ')}]. 应用尚未开通所需的应用身份权限`);
    }
    if (path === BATCH_GET_ID_PATH) return handleBatchGetId(query, body, t);
    if (IS_IN_CHAT_PATH.test(path)) return handleIsInChat(decodeURIComponent(path.split('/')[5] as string), t);
    if (path === '/open-apis/im/v1/messages') return handleSend(query, body, t);
    if (path === FILES_PATH) return handleUpload(upload, t);
    if (RESOURCE_PATH.test(path)) return handleResource(path, query, t);
    if (path === '/open-apis/bot/v3/info') {
      const limited = admit(appScopes(), t);
      if (limited) return limited;
      return { status: 200, body: { code: 0, msg: 'ok', bot: { activate_status: 2, app_name: botName, avatar_url: '', ip_white_list: [], open_id: botOpenId } } };
    }
    if (path === '/open-apis/interactive/v1/card/update') return handleCardUpdate(body, t);
    const id = decodeURIComponent(path.split('/')[5] as string);
    if (method === 'PATCH') return handlePatch(id, body, t);
    return handleReply(id, body, t);
  };

  // ---- contacts and chats -------------------------------------------------------------------
  /** Like Lark: user_id_type must be open_id / union_id / user_id; at most 50 mobiles and 50 emails; one entry per asked value, user_id only for known ones. */
  const handleBatchGetId = (query: Record<string, string>, body: Record<string, unknown>, t: number): Answer => {
    const limited = admit(appScopes(), t);
    if (limited) return limited;
    if (query.user_id_type !== undefined && !['open_id', 'union_id', 'user_id'].includes(query.user_id_type)) return invalid('user_id_type');
    const list = (v: unknown): string[] | undefined => (v === undefined ? [] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined);
    const mobiles = list(body.mobiles);
    const emails = list(body.emails);
    if (!mobiles) return invalid('mobiles');
    if (!emails) return invalid('emails');
    if (mobiles.length > 50 || emails.length > 50) return invalid('at most 50 mobiles and 50 emails');
    const digits = (m: string) => m.replace(/^\+86/, '');
    const userList = [
      ...mobiles.map((m) => {
        const u = directory.find((d) => d.mobile !== undefined && digits(d.mobile) === digits(m));
        return u ? { user_id: u.openId, mobile: m } : { mobile: m };
      }),
      ...emails.map((e) => {
        const u = directory.find((d) => d.email !== undefined && d.email.toLowerCase() === e.toLowerCase());
        return u ? { user_id: u.openId, email: e } : { email: e };
      }),
    ];
    return ok({ data: { user_list: userList } });
  };

  const handleIsInChat = (chatId: string, t: number): Answer => {
    const limited = admit(appScopes(), t);
    if (limited) return limited;
    if (!/^oc_[A-Za-z0-9_-]+$/.test(chatId)) return invalid('chat_id');
    return ok({ data: { is_in_chat: botChats === undefined || botChats.has(chatId) } });
  };

  // ---- files --------------------------------------------------------------------------------
  /** GET a file of a user's message: only with type=file|image, only a key of that very message. */
  const handleResource = (path: string, query: Record<string, string>, t: number): Answer => {
    const limited = admit(appScopes(), t);
    if (limited) return limited;
    const [, messageId, fileKey] = RESOURCE_PATH.exec(path) as RegExpExecArray;
    if (query.type !== 'file' && query.type !== 'image') return invalid('type');
    const bytes = inboundFiles.get(`${decodeURIComponent(messageId!)}/${decodeURIComponent(fileKey!)}`);
    if (!bytes) {
      stats.rejected.invalid++;
      return fail(400, 234003, 'File not in msg.');
    }
    return { status: 200, body: { code: 0 }, bytes, headers: { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${encodeURIComponent(fileKey!)}"` } };
  };

  const newFileKey = () => `file_v3_${createHash('sha256').update(`${appId}/${serverSeed}/file/${files.length}/${randomBytes(4).toString('hex')}`).digest('hex').slice(0, 24)}`;

  /** A `file` message's content: `{ file_key }` of a file uploaded here. */
  const checkFileMessage = (content: Record<string, unknown>): Answer | undefined => {
    const key = content.file_key;
    if (typeof key !== 'string' || key === '') return invalid('content.file_key');
    if (!files.some((f) => f.fileKey === key)) {
      stats.rejected.invalid++;
      return fail(400, 230001, `invalid file_key: ${key}`);
    }
    return undefined;
  };

  /** POST im/v1/files: multipart with file_type, file_name and a non-empty file of at most 30 MB. */
  const handleUpload = (upload: Multipart | { error: string }, t: number): Answer => {
    const limited = admit([...appScopes(), { scope: 'upload', key: appId, limit: limits.uploadsPerSecond, windowMs: 1000 }, { scope: 'upload', key: `${appId}/minute`, limit: limits.uploadsPerMinute, windowMs: 60_000 }], t);
    if (limited) return limited;
    const badParam = (what: string): Answer => {
      stats.rejected.invalid++;
      return fail(400, 234001, `Invalid request param: ${what}`);
    };
    if ('error' in upload) return badParam(upload.error);
    const fileType = upload.fields.file_type;
    const fileName = upload.fields.file_name;
    const file = upload.files.file;
    if (fileType === undefined || !FILE_TYPES.includes(fileType)) return badParam('file_type');
    if (fileName === undefined || fileName.trim() === '') return badParam('file_name');
    if (!file) return badParam('file');
    if (file.data.length === 0) {
      stats.rejected.invalid++;
      return fail(400, 234010, "File's size can't be 0.");
    }
    if (file.data.length > FILE_MAX_BYTES) {
      stats.rejected.invalid++;
      return fail(400, 234006, 'The file size exceed the max value.');
    }
    const entry: FakeFile = { fileKey: newFileKey(), fileName, fileType, size: file.data.length, sha256: createHash('sha256').update(file.data).digest('hex'), at: t };
    files.push(entry);
    fileData.set(entry.fileKey, Buffer.from(file.data));
    stats.filesUploaded++;
    return ok({ data: { file_key: entry.fileKey } });
  };

  // ---- control endpoints --------------------------------------------------------------------
  const api: FakeLark = {
    url: '',
    appId,
    appSecret,
    botOpenId,
    messages,
    patches,
    cardUpdates,
    files,
    received,
    stats,
    rejected: stats.rejected,
    oversizeWritten,
    issuedTokens,
    setFaults(f) {
      faults = { ...f };
      script = [...(f.script ?? [])];
      rng = mulberry32(f.seed ?? serverSeed);
    },
    setRateLimits(l) {
      limits = { ...l };
      windows.clear();
    },
    revokeTokens() {
      tokens.clear();
    },
    addInboundMessage(m) {
      inbound.set(m.messageId, m.chatId);
      if (!m.file) return undefined;
      const fileKey = `file_v3_in_${createHash('sha256').update(`${m.messageId}/${m.file.name}`).digest('hex').slice(0, 20)}`;
      inboundFiles.set(`${m.messageId}/${fileKey}`, m.file.bytes);
      return fileKey;
    },
    setDirectory(users) {
      directory = [...users];
    },
    setBotChats(chatIds) {
      botChats = chatIds === undefined ? undefined : new Set(chatIds);
    },
    setMissingScopes(scopes) {
      missingScopes = new Set(scopes);
    },
    messagesTo: (chatId) => messages.filter((m) => m.chatId === chatId),
    fileBytes: (fileKey) => fileData.get(fileKey),
    state: snapshot,
    reset() {
      messages.length = 0;
      patches.length = 0;
      cardUpdates.length = 0;
      files.length = 0;
      fileData.clear();
      received.length = 0;
      byId.clear();
      byUuid.clear();
      inbound.clear();
      inboundFiles.clear();
      windows.clear();
      clearStats(stats);
      api.setFaults({});
      changed();
    },
    close: async () => undefined,
  };

  const control = (method: string, path: string, body: Record<string, unknown>): Answer => {
    if (method === 'GET' && path === '/__fake/state') return { status: 200, body: snapshot() };
    if (method === 'POST' && path === '/__fake/faults') {
      api.setFaults(body as FakeLarkFaults);
      return { status: 200, body: { ok: true } };
    }
    if (method === 'POST' && path === '/__fake/rate-limits') {
      api.setRateLimits(body as FakeLarkRateLimits);
      return { status: 200, body: { ok: true } };
    }
    if (method === 'POST' && path === '/__fake/reset') {
      api.reset();
      return { status: 200, body: { ok: true } };
    }
    if (method === 'POST' && path === '/__fake/revoke-tokens') {
      api.revokeTokens();
      return { status: 200, body: { ok: true } };
    }
    if (method === 'POST' && path === '/__fake/inbound-message' && typeof body.messageId === 'string' && typeof body.chatId === 'string') {
      api.addInboundMessage({ messageId: body.messageId, chatId: body.chatId });
      return { status: 200, body: { ok: true } };
    }
    return { status: 404, body: { ok: false, error: `no control route ${method} ${path}` } };
  };

  // ---- HTTP plumbing ------------------------------------------------------------------------
  const stallTimers = new Set<NodeJS.Timeout>();
  const pendingStalls = new Set<() => void>();
  let closing = false;
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stallTimers.delete(timer);
        pendingStalls.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stallTimers.add(timer);
      pendingStalls.add(done);
    });

  const send = (res: ServerResponse, a: Answer) => {
    if (a.bytes) {
      res.writeHead(a.status, { 'content-length': a.bytes.length, 'x-tt-logid': `fake${String(++logSeq).padStart(12, '0')}`, ...(a.headers ?? {}) });
      res.end(a.bytes);
      return;
    }
    const payload = JSON.stringify(a.body);
    res.writeHead(a.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      'x-tt-logid': `fake${String(++logSeq).padStart(12, '0')}`,
      ...(a.headers ?? {}),
    });
    res.end(payload);
  };

  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const parsedUrl = new URL(req.url ?? '/', 'http://fake');
    const path = parsedUrl.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const query = Object.fromEntries(parsedUrl.searchParams.entries());
    const bytes = await readBody(req);
    const contentType = req.headers['content-type'] ?? '';
    const isMultipart = /^multipart\/form-data/i.test(contentType);
    const upload = isMultipart ? parseMultipart(bytes, contentType) : { error: 'not multipart/form-data' };
    const raw = isMultipart ? '' : bytes.toString('utf8');
    let body: unknown = isMultipart ? multipartSummary(upload) : undefined;
    let badJson = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        badJson = true;
        body = raw;
      }
    }
    const bodyObj = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;

    if (path.startsWith('/__fake/')) {
      send(res, control(method, path, bodyObj));
      return;
    }

    const t = now();
    stats.requests++;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    received.push({ method, path, query, body, headers, at: t });
    if (received.length > maxReceived) received.splice(0, received.length - maxReceived);
    changed();

    let dropAfter = false;
    const fault = nextFault(method, path);
    if (fault) {
      switch (fault.kind) {
        case 'drop':
          stats.rejected.dropped++;
          req.socket.destroy();
          return;
        case 'status':
          if (fault.status >= 500) stats.rejected.injected5xx++;
          else stats.rejected.injectedStatus++;
          send(res, fail(fault.status, fault.code ?? -1, fault.msg ?? `fake: injected HTTP ${fault.status}`, fault.headers));
          return;
        case 'rate_limit':
          stats.rejected.injected429++;
          send(res, fail(429, 99991400, 'request trigger frequency limit', { 'x-ogw-ratelimit-limit': '50', 'x-ogw-ratelimit-reset': String(fault.resetSeconds ?? 1) }));
          return;
        case 'invalid_token':
          stats.rejected.injectedInvalidToken++;
          send(res, fail(400, 99991663, 'Invalid access token for authorization. Please make a request with token attached.'));
          return;
        case 'stall':
          stats.stalled++;
          await delay(fault.ms);
          if (closing) {
            req.socket.destroy();
            return;
          }
          break;
        case 'drop_after':
          dropAfter = true;
          break;
        case 'oversize':
          oversizeWritten.push(await streamOversize(res, fault.bytes));
          return;
      }
    }

    // The window and dedup clock is the arrival time, except after a stall (processing time).
    const at = fault?.kind === 'stall' ? now() : t;
    const answer = badJson ? invalid('body is not valid JSON') : route(method, path, query, bodyObj, req.headers, at, upload);
    if ((answer.body as { code?: unknown }).code === 0) stats.ok++;
    changed();
    if (dropAfter) {
      stats.droppedAfter++;
      req.socket.destroy();
      return;
    }
    send(res, answer);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, fail(500, -1, `fake lark crashed: ${String(e)}`));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.address}:${address.port}`;
  api.url = url;
  writeState();

  api.close = async () => {
    if (closing) return;
    closing = true;
    for (const done of [...pendingStalls]) done();
    for (const t of stallTimers) clearTimeout(t);
    if (writeTimer) clearTimeout(writeTimer);
    writeTimer = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    writeState();
  };
  return api;
}

// ---- running the fake in another process ------------------------------------------------------

export interface SpawnedFakeLark {
  url: string;
  appId: string;
  appSecret: string;
  botOpenId: string;
  pid: number;
  child: ChildProcess;
  state(): Promise<FakeLarkState>;
  setFaults(faults: FakeLarkFaults): Promise<void>;
  setRateLimits(limits: FakeLarkRateLimits): Promise<void>;
  reset(): Promise<void>;
  revokeTokens(): Promise<void>;
  addInboundMessage(m: { messageId: string; chatId: string }): Promise<void>;
  /** SIGTERM (state file flushed) and wait for exit. */
  stop(): Promise<void>;
}

export interface SpawnFakeLarkOptions {
  appId?: string;
  appSecret?: string;
  port?: number;
  seed?: number;
  stateFile?: string;
  resume?: boolean;
  rateLimits?: FakeLarkRateLimits;
  faults?: Omit<FakeLarkFaults, 'script' | 'match' | 'includeToken'>;
  /** Project root (where bin/run-ts.js is). Default process.cwd(). */
  cwd?: string;
}

/** Command-line arguments for test/support/fake-lark-main.ts. */
function fakeLarkArgs(o: Omit<SpawnFakeLarkOptions, 'cwd'>): string[] {
  const args: string[] = [];
  const add = (flag: string, v: string | number | undefined) => {
    if (v !== undefined) args.push(flag, String(v));
  };
  add('--app-id', o.appId);
  add('--app-secret', o.appSecret);
  add('--port', o.port);
  add('--seed', o.seed);
  add('--state-file', o.stateFile);
  if (o.resume) args.push('--resume');
  add('--app-per-second', o.rateLimits?.perAppPerSecond);
  add('--app-per-minute', o.rateLimits?.perAppPerMinute);
  add('--chat-per-second', o.rateLimits?.perChatPerSecond);
  add('--user-per-second', o.rateLimits?.perUserPerSecond);
  add('--message-patch-per-second', o.rateLimits?.perMessagePatchPerSecond);
  add('--p-5xx', o.faults?.serverErrorRate);
  add('--p-429', o.faults?.rateLimitRate);
  add('--p-stall', o.faults?.stallRate);
  add('--stall-ms', o.faults?.stallMs);
  add('--p-drop', o.faults?.dropRate);
  add('--p-drop-after', o.faults?.dropAfterRate);
  return args;
}

async function control(url: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  if (!res.ok) throw new Error(`fake lark control ${method} ${path}: HTTP ${res.status}`);
  return res.json();
}

/** Control client for a fake running anywhere (another process included). */
function fakeLarkControl(url: string) {
  return {
    state: async () => (await control(url, 'GET', '/__fake/state')) as FakeLarkState,
    setFaults: async (faults: FakeLarkFaults) => void (await control(url, 'POST', '/__fake/faults', faults)),
    setRateLimits: async (limits: FakeLarkRateLimits) => void (await control(url, 'POST', '/__fake/rate-limits', limits)),
    reset: async () => void (await control(url, 'POST', '/__fake/reset', {})),
    revokeTokens: async () => void (await control(url, 'POST', '/__fake/revoke-tokens', {})),
    addInboundMessage: async (m: { messageId: string; chatId: string }) => void (await control(url, 'POST', '/__fake/inbound-message', m)),
  };
}

/** Starts `node bin/run-ts.js test/support/fake-lark-main.ts ...` and waits for its `{"url":...}` line. */
export async function spawnFakeLark(options: SpawnFakeLarkOptions = {}): Promise<SpawnedFakeLark> {
  const cwd = options.cwd ?? process.cwd();
  const child = spawn(process.execPath, [resolvePath(cwd, 'bin/run-ts.js'), resolvePath(cwd, 'test/support/fake-lark-main.ts'), ...fakeLarkArgs(options)], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve(line));
    child.once('exit', (code) => reject(new Error(`fake lark exited with ${code} before starting: ${stderr.trim()}`)));
  });
  const info = JSON.parse(first) as { url: string; appId: string; appSecret: string; botOpenId: string; pid: number };
  return {
    ...info,
    child,
    ...fakeLarkControl(info.url),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
