/**
 * One error type for every failed Lark call, whatever failed underneath (axios, the SDK's token
 * manager, a Lark body with code !== 0). It never carries the raw axios error (whose config holds
 * the Authorization header and, for the token call, the app secret).
 */

/** Lark asks us to slow down (HTTP 429 or 400 with this body code). */
const RATE_LIMIT_CODE = 99991400;
/** Card patched too often (per-message 5 QPS). */
const CARD_PATCH_RATE_LIMIT_CODE = 230020;
/** Tenant token invalid / missing / expired: clear the token cache and retry once. */
const TOKEN_INVALID_CODES: ReadonlySet<number> = new Set([99991661, 99991663, 99991677]);

const RETRYABLE_CODES: ReadonlySet<number> = new Set([RATE_LIMIT_CODE, CARD_PATCH_RATE_LIMIT_CODE]);

const RETRYABLE_ERRNOS: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED', // axios timeout (clarifyTimeoutError off)
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_NETWORK',
  'UND_ERR_SOCKET',
]);

export interface LarkApiErrorFields {
  /** Lark's business code, or -1 when there is none (network failure, non-JSON body). */
  code: number;
  msg: string;
  /** HTTP status of the answer, or null when no answer arrived. */
  httpStatus: number | null;
  retryable: boolean;
  /** HTTP attempts made for this call (0 when refused before any attempt). */
  attempts: number;
  method: string;
  /** URL path without query string, e.g. /open-apis/im/v1/messages. */
  path: string;
  /** Node/axios error code for transport failures (ECONNRESET, ECONNABORTED, ...). */
  errno?: string | undefined;
  /** Delay Lark asked for (x-ogw-ratelimit-reset), in ms. */
  retryAfterMs?: number | undefined;
  /** x-tt-logid of the answer, for Lark support. */
  logId?: string | undefined;
}

export class LarkApiError extends Error implements LarkApiErrorFields {
  readonly code: number;
  readonly msg: string;
  readonly httpStatus: number | null;
  readonly retryable: boolean;
  readonly attempts: number;
  readonly method: string;
  readonly path: string;
  readonly errno?: string | undefined;
  readonly retryAfterMs?: number | undefined;
  readonly logId?: string | undefined;

  constructor(f: LarkApiErrorFields) {
    const status = f.httpStatus === null ? 'no response' : `http ${f.httpStatus}`;
    super(`lark ${f.method} ${f.path} failed: code=${f.code} msg=${f.msg} (${status}, attempts ${f.attempts})`);
    this.name = 'LarkApiError';
    this.code = f.code;
    this.msg = f.msg;
    this.httpStatus = f.httpStatus;
    this.retryable = f.retryable;
    this.attempts = f.attempts;
    this.method = f.method;
    this.path = f.path;
    this.errno = f.errno;
    this.retryAfterMs = f.retryAfterMs;
    this.logId = f.logId;
  }

  /** A copy with other `attempts` / `retryable` (the final error reports the whole call). */
  with(patch: Partial<Pick<LarkApiErrorFields, 'attempts' | 'retryable'>>): LarkApiError {
    return new LarkApiError({ ...this.fields(), ...patch });
  }

  fields(): LarkApiErrorFields {
    return {
      code: this.code,
      msg: this.msg,
      httpStatus: this.httpStatus,
      retryable: this.retryable,
      attempts: this.attempts,
      method: this.method,
      path: this.path,
      errno: this.errno,
      retryAfterMs: this.retryAfterMs,
      logId: this.logId,
    };
  }

  get isTokenInvalid(): boolean {
    return TOKEN_INVALID_CODES.has(this.code);
  }

  get isRateLimited(): boolean {
    return this.httpStatus === 429 || this.code === RATE_LIMIT_CODE || this.code === CARD_PATCH_RATE_LIMIT_CODE;
  }
}

const isLarkApiError = (e: unknown): e is LarkApiError => e instanceof LarkApiError;

interface Where {
  method: string;
  path: string;
  attempts: number;
}

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null;

function header(headers: unknown, name: string): string | undefined {
  if (!isDict(headers)) return undefined;
  const get = (headers as { get?: unknown }).get;
  const v = typeof get === 'function' ? (get as (n: string) => unknown).call(headers, name) : headers[name];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** x-ogw-ratelimit-reset is seconds until the window resets. */
function parseResetMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = Number(v);
  return Number.isFinite(s) && s >= 0 ? Math.round(s * 1000) : undefined;
}

function pathOf(url: unknown, fallback: string): string {
  if (typeof url !== 'string') return fallback;
  try {
    return new URL(url, 'http://x').pathname;
  } catch {
    return fallback;
  }
}

function retryableFor(httpStatus: number | null, code: number, errno: string | undefined): boolean {
  if (TOKEN_INVALID_CODES.has(code)) return true; // retried once after a token refresh
  if (RETRYABLE_CODES.has(code)) return true;
  if (httpStatus === 429) return true;
  if (httpStatus !== null && httpStatus >= 500) return true;
  if (httpStatus === null) return errno !== undefined && RETRYABLE_ERRNOS.has(errno);
  return false;
}

/** A Lark answer that arrived (HTTP 2xx) but carries code !== 0. */
export function errorFromBody(body: unknown, where: Where, httpStatus = 200): LarkApiError {
  const code = isDict(body) && typeof body.code === 'number' ? body.code : -1;
  const msg = isDict(body) && typeof body.msg === 'string' ? body.msg : 'unexpected answer without code';
  return new LarkApiError({ code, msg, httpStatus, retryable: retryableFor(httpStatus, code, undefined), ...where });
}

const TOKEN_ERROR = /^failed to get (\w+), code: (-?\d+|unknown), msg: (.*)$/s;

/** Turns anything thrown by the SDK / axios into a LarkApiError (no secrets kept). */
export function toLarkApiError(e: unknown, where: Where): LarkApiError {
  if (e instanceof LarkApiError) return e;
  if (isDict(e) && e.isAxiosError === true) {
    const response = isDict(e.response) ? e.response : undefined;
    const config = isDict(e.config) ? e.config : undefined;
    const path = pathOf(config?.url, where.path);
    const method = typeof config?.method === 'string' ? config.method.toUpperCase() : where.method;
    const errno = typeof e.code === 'string' ? e.code : undefined;
    if (!response) {
      const message = typeof e.message === 'string' ? e.message : 'request failed';
      return new LarkApiError({
        code: -1,
        msg: message,
        httpStatus: null,
        retryable: retryableFor(null, -1, errno),
        attempts: where.attempts,
        method,
        path,
        errno,
      });
    }
    const httpStatus = typeof response.status === 'number' ? response.status : null;
    const data = response.data;
    const code = isDict(data) && typeof data.code === 'number' ? data.code : -1;
    const msg =
      isDict(data) && typeof data.msg === 'string'
        ? data.msg
        : typeof data === 'string' && data.length > 0
          ? data.slice(0, 200)
          : `HTTP ${httpStatus ?? '?'}`;
    return new LarkApiError({
      code,
      msg,
      httpStatus,
      retryable: retryableFor(httpStatus, code, undefined),
      attempts: where.attempts,
      method,
      path,
      retryAfterMs: parseResetMs(header(response.headers, 'x-ogw-ratelimit-reset')),
      logId: header(response.headers, 'x-tt-logid'),
    });
  }
  if (e instanceof Error) {
    // TokenManager turns an HTTP-200 token answer without a token into this plain Error.
    const m = TOKEN_ERROR.exec(e.message);
    if (m) {
      const code = m[2] === 'unknown' ? -1 : Number(m[2]);
      return new LarkApiError({
        code,
        msg: m[3] ?? e.message,
        httpStatus: 200,
        retryable: retryableFor(200, code, undefined),
        attempts: where.attempts,
        method: 'POST',
        path: '/open-apis/auth/v3/tenant_access_token/internal',
      });
    }
    const rawCode: unknown = (e as Error & { code?: unknown }).code;
    const errno = typeof rawCode === 'string' ? rawCode : undefined;
    return new LarkApiError({ code: -1, msg: e.message, httpStatus: null, retryable: retryableFor(null, -1, errno), ...where, errno });
  }
  return new LarkApiError({ code: -1, msg: String(e), httpStatus: null, retryable: false, ...where });
}
