/**
 * A fake Lark long-connection endpoint on loopback (node:http + `ws`), speaking the protocol of
 * the SDK's WSClient, so that our long-connection transport can be tested over a real socket.
 *
 * What WSClient (@larksuiteoapi/node-sdk 1.74.0, `class WSClient` in lib/index.js) expects:
 * - Endpoint: `POST {domain}/callback/ws/endpoint` with JSON `{AppID, AppSecret}` →
 *   `{code: 0, data: {URL, ClientConfig: {ReconnectCount, ReconnectInterval, ReconnectNonce, PingInterval}}}`.
 *   Intervals are seconds, multiplied by 1000 (fractions work). A transport failure or code
 *   1000040343 (internal error) is retried; any other non-zero code (1 system busy, 403, 514 auth
 *   failed, 1000040350 too many connections) makes the client give up for good and call onError.
 *   device_id and service_id are read with `qs.parse(URL)`: the first query parameter keeps the
 *   URL in its key, so they must not come first (Lark's URLs start with fpid=…).
 * - Frames: every socket message is a protobuf `pbbp2.Frame` {SeqID uint64, LogID uint64,
 *   service int32, method int32 (required), headers [{key, value}], payload_encoding, payload_type,
 *   payload bytes, LogIDNew}. method 0 = control, 1 = data. The SDK ships only generated code (no
 *   .proto, nothing exported), so the schema below is written out, as Lark's server has its own.
 * - Ping: on open and then every PingInterval the client sends a control frame (service =
 *   service_id, header type=ping). The server answers type=pong with a ClientConfig JSON payload,
 *   which the client adopts (ping interval and reconnect settings can change on the fly).
 * - Data: headers type=event, message_id, sum, seq, trace_id; payload = the event's JSON bytes
 *   (schema 2.0). With sum > 1 the bytes are split over frames seq 0…sum-1, merged by message_id
 *   (fragments expire after 10 s). card.action.trigger rides type=event as well; type=card frames
 *   (the old card protocol) are dropped by the SDK without an answer.
 * - Answer: the client runs `eventDispatcher.invoke(event, {needCheck: false})` and sends the frame
 *   back (same SeqID and headers, plus biz_rt) with payload JSON `{code: 200, data?: base64(JSON of
 *   the handler's return)}`, or `{code: 500}` when the handler threw. For a card callback `data` is
 *   `{toast, card}`: this answer is how the toast and the updated card reach Lark.
 * - Reconnect: on the socket's 'close' the client waits ReconnectNonce·random() s, then tries
 *   endpoint + socket, again every ReconnectInterval s, ReconnectCount times (-1 = forever).
 *   `start()` resolves before the first connection is made.
 * - Half-open: nothing notices a socket that silently stops carrying frames unless
 *   `wsConfig.pingTimeout` (seconds) is set: each ping then arms a timer that any inbound frame
 *   clears; when it fires the socket is terminated and the reconnect runs. Each ping re-arms the
 *   timer, so it can only fire when pingTimeout < PingInterval.
 *
 * The SDK attaches its message handler only after the socket has opened (and sent the first
 * ping): a frame that arrives in between is lost without an answer. The fake therefore pushes on
 * a connection only once its first ping has come in. Like Lark, it pushes an event again on the
 * next connection when the connection it went out on was lost (dropped, or half-open) before the
 * client answered it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

const PBBP2 = `
syntax = "proto2";
package pbbp2;
message Header {
  required string key = 1;
  required string value = 2;
}
message Frame {
  required uint64 SeqID = 1;
  required uint64 LogID = 2;
  required int32 service = 3;
  required int32 method = 4;
  repeated Header headers = 5;
  optional string payload_encoding = 6;
  optional string payload_type = 7;
  optional bytes payload = 8;
  optional string LogIDNew = 9;
}
`;
const FrameType = protobuf.parse(PBBP2).root.lookupType('pbbp2.Frame');

const FRAME_CONTROL = 0;
const FRAME_DATA = 1;
const ENDPOINT_PATH = '/callback/ws/endpoint';
const WS_PATH = '/ws/v2';

export interface FrameHeader {
  key: string;
  value: string;
}

export interface Frame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: FrameHeader[];
  payloadEncoding?: string;
  payloadType?: string;
  payload?: Uint8Array;
  LogIDNew?: string;
}

function encodeFrame(frame: Frame): Uint8Array {
  return FrameType.encode(FrameType.fromObject(frame)).finish();
}

function decodeFrame(bytes: Uint8Array): Frame {
  return FrameType.toObject(FrameType.decode(bytes), { longs: Number, arrays: true }) as Frame;
}

/** What the endpoint and every pong hand the client. Seconds; fractions allowed. */
export interface ClientConfig {
  PingInterval: number;
  ReconnectCount: number;
  ReconnectInterval: number;
  ReconnectNonce: number;
}

/** The values Lark hands out (and the SDK's own defaults). */
const LARK_CLIENT_CONFIG: ClientConfig = { PingInterval: 120, ReconnectCount: -1, ReconnectInterval: 120, ReconnectNonce: 30 };

/** Error codes of the endpoint, as the SDK names them. */
export const ENDPOINT_CODES = { systemBusy: 1, forbidden: 403, authFailed: 514, internalError: 1000040343, exceedConnLimit: 1000040350 } as const;

export interface FakeLarkWsOptions {
  /** Must look like a real app id (cli_ + 16 hex) or WSClient.start does nothing. Default: random. */
  appId?: string;
  appSecret?: string;
  /** Merged over LARK_CLIENT_CONFIG; shrink the intervals to keep tests fast. */
  clientConfig?: Partial<ClientConfig>;
  /** Every request other than the endpoint is forwarded here (e.g. the fake Open API), so one base URL serves both. */
  openApiUrl?: string;
  serviceId?: number;
}

export interface EndpointRequest {
  appId: unknown;
  /** The code answered (0 = a URL was handed out). */
  code: number;
  at: number;
}

/** The client's answer to a data frame, decoded. */
export interface FrameAnswer {
  /** The frame's message_id header. */
  messageId: string;
  /** 200, or 500 when the client's handler threw. */
  code: number;
  /** The handler's return value (base64 JSON decoded); undefined when it returned nothing. */
  data: unknown;
  /** The headers sent back (the frame's own, plus biz_rt). */
  headers: Record<string, string>;
  /** How many times the event had been pushed when this answer came (1 = answered on the first push). */
  deliveries: number;
  /** Which connection answered (1 = the first accepted). */
  connectionId: number;
  at: number;
}

export interface FakeLarkWs {
  /** Base URL to give the client as its domain. */
  url: string;
  appId: string;
  appSecret: string;
  /** Connections open and answering (not dropped, not half-open), first ping received. */
  readonly connections: number;
  /** Connections accepted since start. */
  readonly accepted: number;
  /** Pings received (and answered). */
  readonly pings: number;
  endpointRequests: EndpointRequest[];
  /** Every answer to a data frame, in arrival order (also answers to a push already answered). */
  answers: FrameAnswer[];
  /** Frames the fake could not decode. */
  protocolErrors: string[];
  /** Changes what later endpoint answers and pongs carry. */
  setClientConfig(config: Partial<ClientConfig>): void;
  /** The next `times` endpoint requests get this code instead of a URL. */
  refuseEndpoint(code: number, times?: number): void;
  /**
   * Pushes an event (schema 2.0 JSON: a message, a card callback…) as data frames to the newest
   * connection, or to the next one if none is open; pushed again on the next connection if the
   * one it went out on is lost before the answer. Resolves with the client's answer.
   */
  pushEvent(event: object, options?: { parts?: number }): Promise<FrameAnswer>;
  /** Resolves when `count` connections have been accepted since start and one is open and has pinged. */
  waitForAccepted(count: number, timeoutMs?: number): Promise<void>;
  /** Closes every open connection from the server side (TCP close, no close frame). */
  dropAll(): void;
  /** Every open connection stops reading and writing, without closing the TCP socket. */
  goHalfOpen(): void;
  close(): Promise<void>;
}

interface Connection {
  id: number;
  socket: WebSocket;
  /** Not dropped, not half-open. */
  live: boolean;
  /** Its first ping came in: the client listens for data frames. */
  ready: boolean;
}

interface Push {
  messageId: string;
  traceId: string;
  order: number;
  chunks: Buffer[];
  deliveries: number;
  connection: Connection | undefined;
  resolve: (answer: FrameAnswer) => void;
  reject: (err: Error) => void;
}

const headerMap = (headers: FrameHeader[]): Record<string, string> => Object.fromEntries(headers.map((h) => [h.key, h.value]));

function split(bytes: Buffer, parts: number): Buffer[] {
  if (!Number.isInteger(parts) || parts < 1 || parts > bytes.length) throw new Error(`cannot split ${bytes.length} bytes into ${parts} parts`);
  const size = Math.ceil(bytes.length / parts);
  return Array.from({ length: parts }, (_, i) => bytes.subarray(i * size, Math.min(bytes.length, (i + 1) * size)));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const rawBytes = (data: RawData): Buffer => (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer));

export async function startFakeLarkWs(options: FakeLarkWsOptions = {}): Promise<FakeLarkWs> {
  const appId = options.appId ?? `cli_${randomBytes(8).toString('hex')}`;
  const appSecret = options.appSecret ?? `secret-${randomBytes(12).toString('hex')}`;
  const serviceId = options.serviceId ?? 33_554_678;
  let clientConfig: ClientConfig = { ...LARK_CLIENT_CONFIG, ...options.clientConfig };
  let refusal: { code: number; times: number } | undefined;

  const endpointRequests: EndpointRequest[] = [];
  const answers: FrameAnswer[] = [];
  const protocolErrors: string[] = [];
  const connections: Connection[] = [];
  const tickets = new Set<string>();
  /** Pushes waiting for a connection, in push order. */
  const waiting: Push[] = [];
  /** Pushes sent and not answered yet, by message_id. */
  const inFlight = new Map<string, Push>();
  const acceptWaiters: Array<() => void> = [];
  let pings = 0;
  let pushSeq = 0;
  let frameSeq = 0;
  let closing = false;
  let url = '';

  const liveConnection = (): Connection | undefined => connections.filter((c) => c.live && c.ready).at(-1);

  const send = (c: Connection, frame: Frame) => c.socket.send(encodeFrame(frame));

  function deliver(p: Push, c: Connection): void {
    p.deliveries++;
    p.connection = c;
    inFlight.set(p.messageId, p);
    p.chunks.forEach((chunk, seq) => {
      frameSeq++;
      send(c, {
        SeqID: frameSeq,
        LogID: frameSeq,
        service: serviceId,
        method: FRAME_DATA,
        headers: [
          { key: 'type', value: 'event' },
          { key: 'message_id', value: p.messageId },
          { key: 'sum', value: String(p.chunks.length) },
          { key: 'seq', value: String(seq) },
          { key: 'trace_id', value: p.traceId },
        ],
        payload: chunk,
      });
    });
  }

  function flush(): void {
    const c = liveConnection();
    if (!c) return;
    for (const p of waiting.splice(0)) deliver(p, c);
  }

  /** The connection no longer carries frames: what it left unanswered goes out again on the next one. */
  function lose(c: Connection): void {
    c.live = false;
    for (const p of inFlight.values()) {
      if (p.connection !== c) continue;
      inFlight.delete(p.messageId);
      p.connection = undefined;
      waiting.push(p);
    }
    waiting.sort((a, b) => a.order - b.order);
    if (!closing) flush();
  }

  function onFrame(c: Connection, bytes: Buffer): void {
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (err) {
      protocolErrors.push(String(err));
      return;
    }
    const headers = headerMap(frame.headers);
    if (frame.method === FRAME_CONTROL) {
      if (headers.type !== 'ping') return;
      pings++;
      send(c, {
        SeqID: 0,
        LogID: 0,
        service: frame.service,
        method: FRAME_CONTROL,
        headers: [{ key: 'type', value: 'pong' }],
        payload: Buffer.from(JSON.stringify(clientConfig)),
      });
      if (!c.ready) {
        c.ready = true;
        flush();
        for (const wake of acceptWaiters.splice(0)) wake();
      }
      return;
    }
    if (frame.method !== FRAME_DATA) {
      protocolErrors.push(`unknown method ${frame.method}`);
      return;
    }
    const messageId = headers.message_id ?? '';
    let body: { code: number; data?: string };
    let data: unknown;
    try {
      body = JSON.parse(Buffer.from(frame.payload ?? []).toString('utf8')) as { code: number; data?: string };
      data = body.data === undefined ? undefined : JSON.parse(Buffer.from(body.data, 'base64').toString('utf8'));
    } catch (err) {
      protocolErrors.push(`answer to ${messageId}: ${String(err)}`);
      return;
    }
    const push = inFlight.get(messageId);
    const answer: FrameAnswer = { messageId, code: body.code, data, headers, deliveries: push?.deliveries ?? 0, connectionId: c.id, at: Date.now() };
    answers.push(answer);
    if (push && push.connection === c) {
      inFlight.delete(messageId);
      push.resolve(answer);
    }
  }

  async function endpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (code: number, msg: string, data: unknown = {}) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code, msg, data }));
    };
    let body: { AppID?: unknown; AppSecret?: unknown } = {};
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      body = {};
    }
    const record = (code: number) => endpointRequests.push({ appId: body.AppID, code, at: Date.now() });
    if (refusal && refusal.times > 0) {
      refusal.times--;
      record(refusal.code);
      return reply(refusal.code, 'refused by the fake');
    }
    if (body.AppID !== appId || body.AppSecret !== appSecret) {
      record(ENDPOINT_CODES.authFailed);
      return reply(ENDPOINT_CODES.authFailed, 'app id or secret is wrong');
    }
    const ticket = randomUUID();
    tickets.add(ticket);
    record(0);
    const wsUrl = `${url.replace(/^http/, 'ws')}${WS_PATH}?fpid=493&aid=552564&device_id=${endpointRequests.length}&access_key=${randomBytes(8).toString('hex')}&service_id=${serviceId}&ticket=${ticket}`;
    reply(0, 'ok', { URL: wsUrl, ClientConfig: clientConfig });
  }

  function forward(req: IncomingMessage, res: ServerResponse): void {
    if (!options.openApiUrl) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 404, msg: 'not found' }));
      return;
    }
    const target = new URL(req.url ?? '/', options.openApiUrl);
    const upstream = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  }

  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === ENDPOINT_PATH) {
      endpoint(req, res).catch(() => res.destroy());
      return;
    }
    forward(req, res);
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const u = new URL(req.url ?? '/', 'http://fake');
    const ticket = u.searchParams.get('ticket') ?? '';
    if (closing || u.pathname !== WS_PATH || !tickets.delete(ticket)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Connection = { id: connections.length + 1, socket: ws, live: true, ready: false };
      connections.push(c);
      ws.on('message', (data) => {
        if (c.live) onFrame(c, rawBytes(data));
      });
      ws.on('close', () => lose(c));
      ws.on('error', () => lose(c));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.address}:${address.port}`;

  return {
    url,
    appId,
    appSecret,
    get connections() {
      return connections.filter((c) => c.live && c.ready).length;
    },
    get accepted() {
      return connections.length;
    },
    get pings() {
      return pings;
    },
    endpointRequests,
    answers,
    protocolErrors,
    setClientConfig(config) {
      clientConfig = { ...clientConfig, ...config };
    },
    refuseEndpoint(code, times = 1) {
      refusal = { code, times };
    },
    pushEvent(event, o = {}) {
      return new Promise<FrameAnswer>((resolve, reject) => {
        if (closing) return reject(new Error('fake long-connection endpoint is closed'));
        const order = ++pushSeq;
        waiting.push({
          messageId: `fake_ws_msg_${order}`,
          traceId: randomUUID(),
          order,
          chunks: split(Buffer.from(JSON.stringify(event)), o.parts ?? 1),
          deliveries: 0,
          connection: undefined,
          resolve,
          reject,
        });
        flush();
      });
    },
    async waitForAccepted(count, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (!(connections.length >= count && liveConnection())) {
        const left = until - Date.now();
        if (left <= 0) throw new Error(`fake long-connection endpoint: ${connections.length} connection(s) accepted, ${count} awaited for ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          acceptWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    dropAll() {
      for (const c of connections.filter((x) => x.live)) {
        lose(c);
        c.socket.terminate();
      }
    },
    goHalfOpen() {
      for (const c of connections.filter((x) => x.live)) {
        // Stop reading (what the client sends stays in the kernel) and never write again.
        c.socket.pause();
        lose(c);
      }
    },
    async close() {
      if (closing) return;
      closing = true;
      const gone = new Error('fake long-connection endpoint closed');
      for (const p of [...waiting.splice(0), ...inFlight.values()]) p.reject(gone);
      inFlight.clear();
      for (const c of connections) {
        c.live = false;
        c.socket.terminate();
      }
      for (const wake of acceptWaiters.splice(0)) wake();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
