/**
 * Webhook receiver (LARK_MODE=webhook): `POST /webhook/event` for messages and card callbacks,
 * `GET /healthz`. Not the SDK's adaptDefault: that matches URLs exactly and awaits the handler
 * before answering. Here every request is checked, recorded in the durable inbox, then
 * acknowledged; messages are processed afterwards from an in-process queue (503 when the
 * queue is full or the event could not be recorded: Lark delivers it again).
 *
 * Checks, in order (nothing processed when one fails):
 *   400 body aborted by the sender before its end (logged at info, like every refusal but 401)
 *   413 body over 1 MB (Content-Length, or counted while reading; the rest is discarded for at most 200 ms, then the connection is dropped)
 *   415 Content-Type not application/json;  400 malformed JSON
 *   401 signature (when LARK_ENCRYPT_KEY is set): sha256(timestamp + nonce + encryptKey + raw
 *       body), checked before decrypting; timestamp within 5 minutes of now
 *   401 body that cannot be decrypted (AES-256-CBC, key sha256(LARK_ENCRYPT_KEY), IV = first 16 bytes)
 *   401 verification token (header.token in schema 2.0, token in v1 and the challenge)
 *   401 no signature (when LARK_ENCRYPT_KEY is set) — except the URL-verification challenge,
 *       which Lark may send unsigned: it is answered once decrypted and its token checked.
 * Every 401 has the same body; the reason is logged.
 */
import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import { CARD_ACTION_EVENT, MESSAGE_EVENT, type EventRouter } from './events.js';
import type { Receiver } from './receiver.js';

const EVENT_PATH = '/webhook/event';
const HEALTH_PATH = '/healthz';
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** After a 413, how long the rest of the body is read and discarded before the connection is dropped. */
const OVERSIZE_GRACE_MS = 200;
/**
 * How long an idle kept-alive connection stays open (Node's default, stated): a proxy in front
 * (deploy/Caddyfile) must drop its idle upstream connections sooner, or it may send a request
 * into a connection this server is just closing and answer Lark 502.
 */
export const WEBHOOK_KEEP_ALIVE_MS = 5_000;

export interface WebhookOptions {
  router: EventRouter;
  encryptKey?: string | undefined;
  verificationToken?: string | undefined;
  port: number;
  /** Default 0.0.0.0 (all interfaces). */
  host?: string;
  clock: Clock;
  log: Logger;
  maxBodyBytes?: number;
  /** Extra fields for /healthz (queue depth ...). */
  health?: () => Record<string, unknown>;
}

export interface WebhookReceiver extends Receiver {
  /** The HTTP server (the bench times its requests). */
  readonly server: http.Server;
  /** http://host:port, once started. */
  readonly url: string;
}

/** Decrypts Lark's `encrypt` field. Throws when it cannot be decrypted. */
const aesKeys = new Map<string, Buffer>();

export function decryptLarkBody(encrypt: string, encryptKey: string): string {
  // The AES key is sha256(encryptKey): derive it once per key, not per request.
  let key = aesKeys.get(encryptKey);
  if (!key) {
    key = createHash('sha256').update(encryptKey).digest();
    aesKeys.set(encryptKey, key);
  }
  const buf = Buffer.from(encrypt, 'base64');
  if (buf.length < 32 || buf.length % 16 !== 0) throw new Error('ciphertext has a bad length');
  const decipher = createDecipheriv('aes-256-cbc', key, buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
}

function larkSignature(timestamp: string, nonce: string, encryptKey: string, rawBody: string): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey + rawBody).digest('hex');
}

const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads the body up to `max` bytes; rejects with 413 as soon as it is exceeded. */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        req.pause();
        reject(new HttpError(413, 'body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
    // A sender that gives up half-way (a slow or hostile socket) is no fault of ours: a 400, logged at info.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!done) {
        done = true;
        reject(new HttpError(400, `request body aborted (${err.code ?? err.message})`));
      }
    });
  });
}

export function createWebhookReceiver(o: WebhookOptions): WebhookReceiver {
  const log = o.log.child({ name: 'webhook' });
  const max = o.maxBodyBytes ?? MAX_BODY_BYTES;

  async function handleEvent(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const length = Number(header(req, 'content-length') ?? NaN);
    if (Number.isFinite(length) && length > max) throw new HttpError(413, 'body too large');
    const type = header(req, 'content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) throw new HttpError(415, 'content-type must be application/json');
    const raw = await readBody(req, max);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new HttpError(400, 'malformed JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'expected a JSON object');

    // The signature is checked on the raw body before anything is decrypted (no decryption
    // oracle); every 401 answers the same body, the reason goes to the log only.
    const ts = header(req, 'x-lark-request-timestamp');
    const nonce = header(req, 'x-lark-request-nonce');
    const signature = header(req, 'x-lark-signature');
    const signed = ts !== undefined && nonce !== undefined && signature !== undefined;
    if (o.encryptKey && signed && !safeEqual(larkSignature(ts, nonce, o.encryptKey, raw), signature.toLowerCase())) throw new HttpError(401, 'bad signature');
    if (ts !== undefined) {
      const seconds = Number(ts);
      if (!Number.isFinite(seconds) || Math.abs(o.clock.now().getTime() - seconds * 1000) > MAX_CLOCK_SKEW_MS) throw new HttpError(401, 'request timestamp outside the 5-minute window');
    }

    let payload = body as Record<string, unknown>;
    if (typeof payload.encrypt === 'string') {
      if (!o.encryptKey) throw new HttpError(400, 'encrypted body but LARK_ENCRYPT_KEY is not set');
      let plain: unknown;
      try {
        plain = JSON.parse(decryptLarkBody(payload.encrypt, o.encryptKey));
      } catch {
        throw new HttpError(401, 'body cannot be decrypted with LARK_ENCRYPT_KEY');
      }
      if (typeof plain !== 'object' || plain === null) throw new HttpError(401, 'decrypted body is not a JSON object');
      payload = plain as Record<string, unknown>;
    }
    const schema2 = payload.schema === '2.0';
    const head = (schema2 ? payload.header : payload) as Record<string, unknown> | undefined;
    const token = typeof head?.token === 'string' ? head.token : undefined;
    if (o.verificationToken && (token === undefined || !safeEqual(token, o.verificationToken))) throw new HttpError(401, 'verification token mismatch');

    if (payload.type === 'url_verification') {
      // The challenge may come unsigned (the token and the decryption vouch for it).
      send(res, 200, { challenge: payload.challenge });
      return;
    }
    if (o.encryptKey && !signed) throw new HttpError(401, 'missing signature headers');

    if (!schema2) {
      log.warn('event in the v1 schema ignored (subscribe with the 2.0 schema)');
      send(res, 200, {});
      return;
    }
    const eventType = typeof head?.event_type === 'string' ? head.event_type : '';
    const eventId = typeof head?.event_id === 'string' ? head.event_id : '';
    if (eventId === '') throw new HttpError(400, 'event without header.event_id');
    const event = payload.event;
    if (eventType === MESSAGE_EVENT) {
      // Answered only once the event is recorded in the inbox: nothing acknowledged is lost.
      const queued = await o.router.message(eventId, event);
      if (queued === 'full') throw new HttpError(503, 'busy; retry later');
      if (queued === 'failed') throw new HttpError(503, 'event not recorded; retry later');
      send(res, 200, {});
      return;
    }
    if (eventType === CARD_ACTION_EVENT) {
      const answer = await o.router.cardAction(eventId, event);
      if (answer === 'failed') throw new HttpError(503, 'card press not recorded; retry later');
      send(res, 200, answer);
      return;
    }
    log.debug({ eventType, eventId }, 'event type not handled');
    send(res, 200, {});
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === HEALTH_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      send(res, 200, { ok: true, ...(o.health?.() ?? {}) });
      return;
    }
    if (path !== EVENT_PATH) {
      send(res, 404, { error: 'not found' });
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      send(res, 405, { error: 'method not allowed' });
      return;
    }
    handleEvent(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (err.status === 401) log.warn({ reason: err.message }, 'webhook request rejected');
        else log.info({ status: err.status, reason: err.message }, 'webhook request refused');
        if (err.status === 413) {
          // Do not keep a huge body: answer, discard what still arrives for at most a moment (so
          // that the sender reads the 413 instead of a connection reset), then drop the connection.
          res.setHeader('connection', 'close');
          res.on('finish', () => {
            req.resume();
            setTimeout(() => req.destroy(), OVERSIZE_GRACE_MS).unref();
          });
        }
        send(res, err.status, { error: err.status === 401 ? 'unauthorized' : err.message });
        return;
      }
      log.error({ err }, 'webhook request failed');
      send(res, 500, { error: 'internal error' });
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = WEBHOOK_KEEP_ALIVE_MS;
  let url: string | undefined;
  return {
    server,
    // Lark's receivers never end by themselves.
    ended: new Promise<void>(() => undefined),
    get url() {
      if (url === undefined) throw new Error('the webhook receiver has not started');
      return url;
    },
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.host ?? '0.0.0.0', () => {
          server.off('error', reject);
          resolve();
        });
      });
      const port = (server.address() as AddressInfo).port;
      url = `http://${o.host && o.host !== '0.0.0.0' ? o.host : '127.0.0.1'}:${port}`;
      log.info({ port, path: EVENT_PATH, signed: Boolean(o.encryptKey), tokenChecked: Boolean(o.verificationToken) }, 'webhook listening');
      if (!o.encryptKey) log.warn('LARK_ENCRYPT_KEY is not set: webhook requests are not signed and cannot be verified');
      if (!o.verificationToken) log.warn('LARK_VERIFICATION_TOKEN is not set: the verification token is not checked');
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
