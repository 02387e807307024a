/**
 * Builds the SDK Client the sender uses. Three SDK defaults are replaced:
 * - httpInstance: the SDK's default axios instance honours HTTP(S)_PROXY (fatal for a loopback
 *   fake behind a corporate proxy) and has no timeout. Ours is `defaultHttpInstance.create(...)`
 *   (a fresh axios instance, no axios import of our own) with proxy:false, a timeout and our own
 *   keep-alive agent, plus the SDK's response interceptor (resolve to `resp.data`, or
 *   `{data, headers}` when `$return_headers` is set) that every SDK method relies on.
 * - cache: the SDK's `internalCache` is process-wide, keyed by appId only (shared across domains)
 *   and never invalidated. Ours belongs to one client and can be cleared on 99991663.
 * - logger: the SDK logs raw axios errors (config.headers.Authorization, and app_secret in the
 *   token request body). Ours keeps only strings and a few safe fields, at debug level.
 */
import http from 'node:http';
import https from 'node:https';
import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../log.js';

/** A per-client tenant token cache implementing the SDK's `Cache` interface, clearable. */
export class TokenCache implements lark.Cache {
  private readonly values = new Map<string, { value: unknown; expiredTime: number | undefined }>();

  constructor(private readonly now: () => number = Date.now) {}

  // The SDK's Cache interface types keys as `string | Symbol` (the wrapper type).
  private static key(key: string | Symbol, namespace?: string): string {
    return `${namespace ?? ''}/${key.toString()}`;
  }

  async get(key: string | Symbol, options?: { namespace?: string }): Promise<unknown> {
    const entry = this.values.get(TokenCache.key(key, options?.namespace));
    if (!entry) return undefined;
    if (entry.expiredTime !== undefined && entry.expiredTime <= this.now()) return undefined;
    return entry.value;
  }

  async set(key: string | Symbol, value: unknown, expiredTime?: number, options?: { namespace?: string }): Promise<boolean> {
    this.values.set(TokenCache.key(key, options?.namespace), { value, expiredTime });
    return true;
  }

  /** Forget every cached token (after Lark said the token is invalid). */
  clear(): void {
    this.values.clear();
  }

  get size(): number {
    return this.values.size;
  }
}

const safeValue = (v: unknown): unknown => {
  if (typeof v === 'string') return v.length > 300 ? `${v.slice(0, 300)}…` : v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return v;
  if (Array.isArray(v)) return v.map(safeValue);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    if (typeof o.message === 'string') out.message = o.message;
    if (typeof o.code === 'string' || typeof o.code === 'number') out.code = o.code;
    if (typeof o.msg === 'string') out.msg = o.msg;
    const response = o.response as Record<string, unknown> | undefined;
    if (response && typeof response === 'object' && typeof response.status === 'number') out.status = response.status;
    return out;
  }
  return typeof v;
};

/** An SDK logger that never forwards objects wholesale (they may hold tokens or the secret). */
export function sdkLogger(log: Logger): lark.Logger {
  const forward = (level: 'debug' | 'trace') => (...msg: unknown[]) => {
    // LoggerProxy passes its arguments as one array.
    const flat = msg.length === 1 && Array.isArray(msg[0]) ? (msg[0] as unknown[]) : msg;
    log[level]({ sdk: flat.map(safeValue) }, 'lark sdk');
  };
  return { error: forward('debug'), warn: forward('debug'), info: forward('trace'), debug: forward('trace'), trace: forward('trace') };
}

export interface LarkHttp {
  instance: lark.HttpInstance;
  /** Destroys pooled sockets. */
  destroy(): void;
}

/**
 * The largest Lark answer read. Every call the bot makes is answered in a few KB; a larger
 * answer is a fault, and is dropped while it arrives instead of buffered whole (a 150 MB answer
 * cost +600 MB of memory). The call fails (not retried) and is logged like any other failure.
 */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** An axios instance with the SDK's resp.data semantics, no proxy, a timeout, a response size cap and its own agents. */
export function createLarkHttp(timeoutMs: number): LarkHttp {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
  const instance = lark.defaultHttpInstance.create({ proxy: false, timeout: timeoutMs, maxContentLength: MAX_RESPONSE_BYTES, httpAgent, httpsAgent });
  instance.interceptors.response.use((resp) => {
    if ((resp.config as unknown as Record<string, unknown>)['$return_headers']) return { data: resp.data, headers: resp.headers } as never;
    return resp.data as never;
  });
  return {
    instance: instance as unknown as lark.HttpInstance,
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

export interface LarkClientBundle {
  client: lark.Client;
  tokenCache: TokenCache;
  http: LarkHttp;
}

export function createLarkClient(o: { appId: string; appSecret: string; domain: string; log: Logger; timeoutMs: number }): LarkClientBundle {
  const http = createLarkHttp(o.timeoutMs);
  const tokenCache = new TokenCache();
  const client = new lark.Client({
    appId: o.appId,
    appSecret: o.appSecret,
    domain: o.domain.replace(/\/+$/, ''),
    appType: lark.AppType.SelfBuild,
    // LoggerLevel.fatal is 0 and the SDK does `loggerLevel || info`: warn is the quietest real choice.
    loggerLevel: lark.LoggerLevel.warn,
    logger: sdkLogger(o.log),
    cache: tokenCache,
    httpInstance: http.instance,
  });
  return { client, tokenCache, http };
}
