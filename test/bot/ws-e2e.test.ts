/**
 * The long-connection transport end to end: our `createLongConnectionReceiver` (the SDK's WSClient)
 * over a real socket to the fake endpoint in test/support/fake-lark-ws.ts, the bot built by
 * `createBotRuntime` on a real SQLite file, replies through the real Lark sender to the fake Open
 * API (reached through the endpoint's base URL, one domain as in production).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLongConnectionReceiver, type LongConnectionReceiver } from '../../src/bot/transport/lark-ws.js';
import { activeCompletions, findTask } from '../../src/db/task.repository.js';
import { createLarkSender, type LarkSender } from '../../src/lark/sender.js';
import { captureLogger } from '../lark/helpers.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { ENDPOINT_CODES, startFakeLarkWs, type ClientConfig, type FakeLarkWs } from '../support/fake-lark-ws.js';
import { cardEvent, messageEvent } from './lark-events.js';
import { BOT_OPEN_ID, GROUP, makeBotFromTemplate, OPEN_IDS, type TestBot } from './support.js';

const APP_ID = 'cli_0123456789abcdef';
const APP_SECRET = 'ws-e2e-secret';
/** Reconnect at once; Lark's own ping interval (120 s), so a healthy test never depends on ping timing. */
const QUIET: Partial<ClientConfig> = { ReconnectInterval: 0.1, ReconnectNonce: 0 };
/** Pings every 0.4 s, watched for 0.25 s: a half-open socket is noticed within 0.65 s. */
const WATCHFUL: Partial<ClientConfig> = { ...QUIET, PingInterval: 0.4 };
const WATCH_S = 0.25;
/** After WSClient gives up, the receiver starts it again this much later. */
const RESTART_MS = 200;

interface Rig {
  api: FakeLark;
  endpoint: FakeLarkWs;
  bot: TestBot;
  sender: LarkSender;
  connection: LongConnectionReceiver;
  logs: ReturnType<typeof captureLogger>;
}

let rig: Rig | undefined;

async function connect(o: { clientConfig: Partial<ClientConfig>; pingTimeoutSeconds?: number }): Promise<Rig> {
  const logs = captureLogger();
  const api = await startFakeLark({ appId: APP_ID, appSecret: APP_SECRET, botOpenId: BOT_OPEN_ID });
  const endpoint = await startFakeLarkWs({ appId: APP_ID, appSecret: APP_SECRET, clientConfig: o.clientConfig, openApiUrl: api.url });
  const sender = createLarkSender({ appId: APP_ID, appSecret: APP_SECRET, domain: endpoint.url, log: logs.log });
  const bot = await makeBotFromTemplate({ outbound: sender });
  const connection = createLongConnectionReceiver({
    appId: APP_ID,
    appSecret: APP_SECRET,
    domain: endpoint.url,
    router: bot.runtime.router,
    log: logs.log,
    restartDelayMs: RESTART_MS,
    ...(o.pingTimeoutSeconds !== undefined ? { pingTimeoutSeconds: o.pingTimeoutSeconds } : {}),
  });
  rig = { api, endpoint, bot, sender, connection, logs };
  await connection.start();
  await endpoint.waitForAccepted(1);
  return rig;
}

afterEach(async () => {
  if (!rig) return;
  const r = rig;
  rig = undefined;
  await r.connection.stop();
  await r.bot.runtime.close(2000);
  await r.sender.close();
  await r.endpoint.close();
  await r.api.close();
  await r.bot.close();
});

let seq = 0;
/** A group message @-mentioning the bot, from the office; Lark knows it, so the reply lands in GROUP. */
function groupMessage(r: Rig, text: string) {
  seq++;
  const ids = { eventId: `ev_wse_${seq}`, messageId: `om_wse_${seq}` };
  r.api.addInboundMessage({ messageId: ids.messageId, chatId: GROUP });
  const event = messageEvent({
    ...ids,
    chatId: GROUP,
    senderOpenId: OPEN_IDS.office,
    text: `@_user_1 ${text}`,
    mentions: [{ key: '@_user_1', openId: BOT_OPEN_ID, name: '党建助手' }],
    token: 'unused-on-ws',
  });
  return { ...ids, event };
}

const replyRequests = (r: Rig, messageId: string) => r.api.received.filter((q) => q.method === 'POST' && q.path === `/open-apis/im/v1/messages/${messageId}/reply`);

async function replyTitle(r: Rig, messageId: string): Promise<string> {
  const reply = await vi.waitFor(
    () => {
      const m = r.api.messages.find((x) => x.parentId === messageId);
      if (!m) throw new Error(`no reply to ${messageId} yet`);
      return m;
    },
    { timeout: 5000, interval: 20 },
  );
  expect(reply).toMatchObject({ kind: 'reply', chatId: GROUP, msgType: 'interactive' });
  return (reply.content as { header: { title: { content: string } } }).header.title.content;
}

describe('long connection over a real socket', () => {
  it('runs a command pushed as an event frame and replies through the Open API', async () => {
    const r = await connect({ clientConfig: QUIET });
    const m = groupMessage(r, '任务 8');
    const answer = await r.endpoint.pushEvent(m.event);
    // Acknowledged at once with an empty 200: the work is queued, not awaited.
    expect(answer).toMatchObject({ code: 200, data: undefined, deliveries: 1, connectionId: 1 });
    expect(answer.headers).toMatchObject({ type: 'event', message_id: answer.messageId });
    expect(await replyTitle(r, m.messageId)).toContain('任务 8');
    expect(replyRequests(r, m.messageId)).toHaveLength(1);
    expect(r.endpoint.endpointRequests).toEqual([expect.objectContaining({ appId: APP_ID, code: 0 })]);
    expect(r.endpoint.pings).toBeGreaterThanOrEqual(1);
    expect(r.endpoint.protocolErrors).toEqual([]);
    expect(r.connection.status()).toBe('connected');
  });

  it('reassembles an event split over several frames', async () => {
    const r = await connect({ clientConfig: QUIET });
    const m = groupMessage(r, '任务 8');
    const answer = await r.endpoint.pushEvent(m.event, { parts: 3 });
    expect(answer).toMatchObject({ code: 200, deliveries: 1 });
    expect(answer.headers).toMatchObject({ sum: '3' });
    expect(await replyTitle(r, m.messageId)).toContain('任务 8');
  });

  it('answers a card callback in the frame: toast and updated card', async () => {
    const r = await connect({ clientConfig: QUIET });
    const answer = await r.endpoint.pushEvent(
      cardEvent({ eventId: 'ev_wse_card', operatorOpenId: OPEN_IDS.leadUnit, value: { action: 'task.complete', year: 2026, seq: 3, period: '2026' }, messageId: 'om_wse_card', chatId: GROUP, token: 'v' }),
    );
    expect(answer.code).toBe(200);
    const data = answer.data as { toast: { type: string; content: string }; card: { type: string; data: { header: { title: { content: string } } } } };
    expect(data.toast).toEqual({ type: 'success', content: '已标记完成：任务 3 2026' });
    expect(data.card.type).toBe('raw');
    expect(data.card.data.header.title.content).toBe('任务 3 · 已完成');
    const task = await findTask(r.bot.opened.db, 2026, 3);
    expect(await activeCompletions(r.bot.opened.db, [task!.id])).toHaveLength(1);
    // The card went back in the answer: nothing was patched or sent separately.
    expect(r.api.patches).toHaveLength(0);
    expect(r.api.messages).toHaveLength(0);
  });

  it('reconnects after the server drops the connection and handles the next event', async () => {
    const r = await connect({ clientConfig: QUIET });
    r.endpoint.dropAll();
    await r.endpoint.waitForAccepted(2);
    const m = groupMessage(r, '任务 8');
    const answer = await r.endpoint.pushEvent(m.event);
    expect(answer).toMatchObject({ code: 200, connectionId: 2 });
    expect(await replyTitle(r, m.messageId)).toContain('任务 8');
    expect(r.endpoint.endpointRequests.map((e) => e.code)).toEqual([0, 0]);
    const messages = r.logs.entries().map((e) => e.msg);
    expect(messages).toContain('long connection lost, reconnecting');
    await vi.waitFor(() => expect(r.logs.entries().map((e) => e.msg)).toContain('long connection re-established'), { timeout: 2000, interval: 10 });
    expect(r.connection.status()).toBe('connected');
  });

  it('notices a half-open socket by the ping timeout and reconnects', async () => {
    const r = await connect({ clientConfig: WATCHFUL, pingTimeoutSeconds: WATCH_S });
    r.endpoint.goHalfOpen();
    await r.endpoint.waitForAccepted(2, 3000);
    // The server never closed the socket: only the client's watchdog can have ended it.
    expect(r.logs.text()).toContain(`no pong/inbound within ${WATCH_S}s of last ping, terminating to trigger reconnect`);
    const m = groupMessage(r, '任务 8');
    const answer = await r.endpoint.pushEvent(m.event);
    expect(answer).toMatchObject({ code: 200 });
    expect(answer.connectionId).toBeGreaterThanOrEqual(2);
    expect(await replyTitle(r, m.messageId)).toContain('任务 8');
  });

  it('stays on a half-open socket without a ping timeout (why the transport sets one)', async () => {
    const r = await connect({ clientConfig: WATCHFUL, pingTimeoutSeconds: 0 });
    r.endpoint.goHalfOpen();
    // Four ping intervals: the client keeps pinging into the void and believes it is connected.
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect(r.endpoint.accepted).toBe(1);
    expect(r.connection.status()).toBe('connected');
  });

  it('keeps reconnecting after the endpoint refuses once (the SDK alone gives up for good)', async () => {
    const r = await connect({ clientConfig: QUIET });
    r.endpoint.refuseEndpoint(ENDPOINT_CODES.systemBusy);
    r.endpoint.dropAll();
    await r.endpoint.waitForAccepted(2, 5000);
    expect(r.endpoint.endpointRequests.map((e) => e.code)).toEqual([0, ENDPOINT_CODES.systemBusy, 0]);
    const failed = r.logs.entries().find((e) => e.msg === 'long connection failed; starting it again later');
    expect(failed).toMatchObject({ level: 50, restartInMs: RESTART_MS });
    expect(String((failed?.err as { message?: string } | undefined)?.message)).toContain('code=1');
    const m = groupMessage(r, '任务 8');
    expect(await r.endpoint.pushEvent(m.event)).toMatchObject({ code: 200, connectionId: 2 });
    expect(await replyTitle(r, m.messageId)).toContain('任务 8');
  });

  it('acts once on an event left unanswered across a reconnect and pushed again', async () => {
    const r = await connect({ clientConfig: WATCHFUL, pingTimeoutSeconds: WATCH_S });
    const m = groupMessage(r, '完成 1');
    const answered = r.endpoint.pushEvent(m.event);
    // The frame is on its way; the client's answer will never be read.
    r.endpoint.goHalfOpen();
    const answer = await answered;
    expect(answer).toMatchObject({ code: 200, deliveries: 2 });
    expect(answer.connectionId).toBeGreaterThanOrEqual(2);
    await r.bot.runtime.queue.idle();
    expect(await replyTitle(r, m.messageId)).toContain('任务 1');
    // The second delivery was answered by the handlers, but only the first acted (event_id dedupe).
    expect(replyRequests(r, m.messageId)).toHaveLength(1);
    const task = await findTask(r.bot.opened.db, 2026, 1);
    expect(await activeCompletions(r.bot.opened.db, [task!.id])).toHaveLength(1);
  });
});
