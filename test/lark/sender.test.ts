import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { LarkApiError } from '../../src/lark/lark-error.js';
import { createLarkSender, idempotencyUuid, type LarkSender, type LarkSenderOptions } from '../../src/lark/sender.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { captureLogger, recordingSleep } from './helpers.js';

// The SDK's default token cache is process-wide per appId: every test file uses its own appId.
const APP_ID = 'cli_sender_test_0001';
const APP_SECRET = 'sender-test-secret-7f3a9c';

/** Limits high enough not to pace these functional tests. */
const NO_PACING = { perAppPerSecond: 10_000, perAppPerMinute: 1_000_000, perChatPerSecond: 10_000, perUserPerSecond: 10_000, perMessagePatchPerSecond: 10_000 };
const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 2_000 };

let fake: FakeLark;
const senders: LarkSender[] = [];

function sender(over: Partial<LarkSenderOptions> = {}): LarkSender {
  const s = createLarkSender({
    appId: APP_ID,
    appSecret: APP_SECRET,
    domain: fake.url,
    log: silentLogger,
    limits: NO_PACING,
    retry: FAST_RETRY,
    ...over,
  });
  senders.push(s);
  return s;
}

const apiCalls = (method: string, pathPrefix: string) => fake.received.filter((r) => r.method === method && r.path.startsWith(pathPrefix));

beforeAll(async () => {
  fake = await startFakeLark({ appId: APP_ID, appSecret: APP_SECRET });
});
afterEach(async () => {
  await Promise.all(senders.splice(0).map((s) => s.close()));
  fake.reset();
});
afterAll(async () => {
  await fake.close();
});

describe('lark sender against the fake Open API (real SDK client, real HTTP)', () => {
  it('sends a text message to a chat and the fake records it with a uuid derived from the idempotency key', async () => {
    const s = sender();
    const sent = await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_chat1', msgType: 'text', content: { text: '请于本周五前提交材料' }, idempotencyKey: 'remind:1' });
    expect(sent.chatId).toBe('oc_chat1');
    expect(fake.messages).toHaveLength(1);
    const m = fake.messages[0]!;
    expect(m).toMatchObject({ messageId: sent.messageId, chatId: 'oc_chat1', receiveIdType: 'chat_id', msgType: 'text', content: { text: '请于本周五前提交材料' }, uuid: idempotencyUuid('remind:1') });
    const post = apiCalls('POST', '/open-apis/im/v1/messages')[0]!;
    expect(post.query).toEqual({ receive_id_type: 'chat_id' });
    expect(post.headers.authorization).toMatch(/^Bearer t-fake/);
  });

  it('sends an interactive card to an open_id given as a JSON string', async () => {
    const s = sender();
    const card = { schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: '**提醒**' }] } };
    const sent = await s.sendMessage({ receiveIdType: 'open_id', receiveId: 'ou_member1', msgType: 'interactive', content: JSON.stringify(card), idempotencyKey: 'card:1' });
    expect(fake.messages[0]).toMatchObject({ messageId: sent.messageId, receiveId: 'ou_member1', receiveIdType: 'open_id', msgType: 'interactive', content: card });
    expect(sent.chatId).toMatch(/^oc_/);
  });

  it('replies to a message (in thread) into the chat of that message', async () => {
    const s = sender();
    fake.addInboundMessage({ messageId: 'om_user_cmd', chatId: 'oc_group' });
    const r = await s.replyMessage({ messageId: 'om_user_cmd', chatId: 'oc_group', msgType: 'text', content: { text: '收到' }, idempotencyKey: 'reply:om_user_cmd', replyInThread: true });
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({ messageId: r.messageId, kind: 'reply', parentId: 'om_user_cmd', chatId: 'oc_group', replyInThread: true, content: { text: '收到' }, uuid: idempotencyUuid('reply:om_user_cmd') });
    expect(r.chatId).toBe('oc_group');
  });

  it('patches a sent card and the fake keeps the new content', async () => {
    const s = sender();
    const v1 = { schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: 'v1' }] } };
    const v2 = { schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: 'v2' }] } };
    const sent = await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_c', msgType: 'interactive', content: v1, idempotencyKey: 'card:patch' });
    await expect(s.patchCard({ messageId: sent.messageId, card: v2 })).resolves.toEqual({ messageId: sent.messageId });
    expect(fake.patches).toEqual([{ messageId: sent.messageId, content: v2, at: expect.any(Number) }]);
    expect(fake.messages[0]).toMatchObject({ content: v2, patchCount: 1 });
  });

  it('reads the bot open_id', async () => {
    await expect(sender().getBotInfo()).resolves.toEqual({ openId: fake.botOpenId, appName: '党建助手(fake)' });
  });

  it('sends one message when the same idempotency key is sent twice (even from two senders)', async () => {
    const input = { receiveIdType: 'chat_id' as const, receiveId: 'oc_dup', msgType: 'text' as const, content: { text: 'once' }, idempotencyKey: 'dup-key' };
    const a = await sender().sendMessage(input);
    const b = await sender().sendMessage(input);
    expect(b.messageId).toBe(a.messageId);
    expect(fake.messages).toHaveLength(1);
    expect(fake.stats.deduplicated).toBe(1);
    expect(apiCalls('POST', '/open-apis/im/v1/messages')).toHaveLength(2);
  });

  it('retries HTTP 5xx and delivers exactly once with bounded attempts', async () => {
    const cap = captureLogger();
    const s = sender({ log: cap.log });
    fake.setFaults({ script: [{ kind: 'status', status: 500 }, { kind: 'status', status: 503 }] });
    await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_5xx', msgType: 'text', content: { text: 'x' }, idempotencyKey: 'k-5xx' });
    expect(fake.messages).toHaveLength(1);
    expect(apiCalls('POST', '/open-apis/im/v1/messages')).toHaveLength(3);
    const calls = cap.entries().filter((e) => e.name === 'lark' && typeof e.attempt === 'number');
    expect(calls.map((e) => [e.attempt, e.status])).toEqual([
      [1, 500],
      [2, 503],
      [3, 200],
    ]);
    for (const e of calls) expect(e).toMatchObject({ method: 'POST', path: '/open-apis/im/v1/messages', durationMs: expect.any(Number) });
  });

  it('retries a lost answer (processed, then connection dropped) without a second message thanks to the uuid', async () => {
    const s = sender();
    fake.setFaults({ script: [{ kind: 'drop_after' }] });
    const sent = await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_lost', msgType: 'text', content: { text: 'x' }, idempotencyKey: 'k-lost' });
    expect(fake.stats.droppedAfter).toBe(1);
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]!.messageId).toBe(sent.messageId);
    expect(fake.stats.deduplicated).toBe(1);
  });

  it('retries a connection dropped before processing', async () => {
    const cap = captureLogger();
    const s = sender({ log: cap.log });
    fake.setFaults({ script: [{ kind: 'drop' }, { kind: 'drop' }] });
    await s.replyMessage({ messageId: 'om_x', msgType: 'text', content: { text: 'x' }, idempotencyKey: 'k-drop' });
    expect(fake.rejected.dropped).toBe(2);
    expect(fake.messages).toHaveLength(1);
    const failures = cap.entries().filter((e) => e.msg === 'lark call failed, retrying');
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ status: null, code: -1, errno: 'ECONNRESET' });
  });

  it('times out a stalled request, retries it, and still records one message', async () => {
    const s = sender({ retry: { ...FAST_RETRY, timeoutMs: 150 } });
    fake.setFaults({ script: [{ kind: 'stall', ms: 800 }] });
    const sent = await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_stall', msgType: 'text', content: { text: 'x' }, idempotencyKey: 'k-stall' });
    // Delivered by the retry while the first request is still stalled at the fake.
    expect(fake.stats.stalled).toBe(1);
    expect(fake.stats.deduplicated).toBe(0);
    expect(fake.messages.map((m) => m.messageId)).toEqual([sent.messageId]);
    // When the stalled request is finally processed, the fake dedups it by uuid.
    await expect.poll(() => fake.stats.deduplicated, { timeout: 5_000, interval: 50 }).toBe(1);
    expect(fake.messages).toHaveLength(1);
  });

  it('waits as long as x-ogw-ratelimit-reset asks after a 429 and then succeeds', async () => {
    const rec = recordingSleep(5);
    const s = sender({ sleep: rec.sleep });
    fake.setFaults({ script: [{ kind: 'rate_limit', resetSeconds: 2 }] });
    await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_429', msgType: 'text', content: { text: 'x' }, idempotencyKey: 'k-429' });
    expect(fake.rejected.injected429).toBe(1);
    expect(fake.messages).toHaveLength(1);
    expect(rec.asked).toContain(2000);
  });

  it('does not count a request refused with 429 against the per-minute budget', async () => {
    const rec = recordingSleep(5);
    const s = sender({ sleep: rec.sleep, limits: { ...NO_PACING, perAppPerMinute: 3 } });
    fake.setFaults({ script: [{ kind: 'rate_limit', resetSeconds: 1 }] });
    const started = Date.now();
    for (let i = 0; i < 3; i++) await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_min', msgType: 'text', content: { text: `${i}` }, idempotencyKey: `k-min-${i}` });
    // 4 attempts for 3 messages: without the refund the last one would wait a whole minute.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(apiCalls('POST', '/open-apis/im/v1/messages')).toHaveLength(4);
    expect(fake.messages).toHaveLength(3);
  });

  it('treats code 99991400 in an HTTP 200 body as a rate limit and retries', async () => {
    const s = sender();
    fake.setFaults({ script: [{ kind: 'status', status: 200, code: 99991400, msg: 'request trigger frequency limit' }] });
    await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_200', msgType: 'text', content: { text: 'x' }, idempotencyKey: 'k-200-limit' });
    expect(fake.messages).toHaveLength(1);
    expect(apiCalls('POST', '/open-apis/im/v1/messages')).toHaveLength(2);
  });

  it('retries a card patch answered with 230020 (patched too often)', async () => {
    const s = sender();
    const card = { schema: '2.0', body: { elements: [] } };
    const sent = await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_p', msgType: 'interactive', content: card, idempotencyKey: 'k-p' });
    fake.setFaults({ script: [{ kind: 'status', status: 400, code: 230020, msg: 'This message is being updated too frequently' }] });
    await s.patchCard({ messageId: sent.messageId, card });
    expect(fake.patches).toHaveLength(1);
    expect(apiCalls('PATCH', '/open-apis/im/v1/messages/')).toHaveLength(2);
  });

  it('fails a permanent 400 at once with Lark code and msg, without retrying', async () => {
    const s = sender();
    fake.setFaults({ script: [{ kind: 'status', status: 400, code: 230002, msg: 'Bot/User can NOT be out of the chat.' }] });
    const err = await s
      .sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_gone', msgType: 'text', content: { text: 'x' }, idempotencyKey: 'k-400' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LarkApiError);
    expect(err).toMatchObject({ code: 230002, msg: 'Bot/User can NOT be out of the chat.', httpStatus: 400, retryable: false, attempts: 1, method: 'POST', path: '/open-apis/im/v1/messages' });
    expect(apiCalls('POST', '/open-apis/im/v1/messages')).toHaveLength(1);
    expect(fake.messages).toHaveLength(0);
  });

  it('fails a code !== 0 answer on HTTP 200 as a LarkApiError', async () => {
    const s = sender();
    fake.setFaults({ script: [{ kind: 'status', status: 200, code: 230001, msg: 'invalid receive_id' }] });
    await expect(s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_bad', msgType: 'text', content: { text: 'x' }, idempotencyKey: 'k-200' })).rejects.toMatchObject({
      name: 'LarkApiError',
      code: 230001,
      httpStatus: 200,
      retryable: false,
      attempts: 1,
    });
  });

  it('fails a code-0 answer without data.message_id as a LarkApiError, not a crash', async () => {
    const s = sender();
    fake.setFaults({ script: [{ kind: 'status', status: 200, code: 0, msg: 'success' }] });
    await expect(s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_odd', msgType: 'text', content: { text: 'x' }, idempotencyKey: 'k-odd' })).rejects.toMatchObject({
      name: 'LarkApiError',
      code: -1,
      msg: 'unexpected answer: answer without data.message_id',
      httpStatus: 200,
      retryable: false,
    });
  });

  it('reports a fake validation failure (text without text field) with its code', async () => {
    const s = sender();
    await expect(s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_v', msgType: 'text', content: { body: 'no text' }, idempotencyKey: 'k-v' })).rejects.toMatchObject({
      code: 99992402,
      httpStatus: 400,
      retryable: false,
    });
  });

  it('gives up after max attempts with a retryable LarkApiError', async () => {
    const s = sender({ retry: { ...FAST_RETRY, maxAttempts: 4 } });
    fake.setFaults({ serverErrorRate: 1 });
    const err = (await s
      .sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_down', msgType: 'text', content: { text: 'x' }, idempotencyKey: 'k-down' })
      .catch((e: unknown) => e)) as LarkApiError;
    expect(err).toBeInstanceOf(LarkApiError);
    expect(err).toMatchObject({ httpStatus: 500, retryable: true, attempts: 4 });
    expect(apiCalls('POST', '/open-apis/im/v1/messages')).toHaveLength(4);
    expect(s.stats()).toEqual({ waiting: 0, inFlight: 0 });
  });

  it('backs off exponentially with full jitter, capped', async () => {
    const rec = recordingSleep(1);
    const s = sender({ sleep: rec.sleep, random: () => 0.999, retry: { ...FAST_RETRY, maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 500 } });
    fake.setFaults({ serverErrorRate: 1 });
    await expect(s.getBotInfo()).rejects.toMatchObject({ attempts: 5, retryable: true });
    expect(rec.asked.map(Math.round)).toEqual([100, 200, 400, 500]);
  });

  it('refreshes the tenant token once when Lark says it is invalid', async () => {
    fake.revokeTokens();
    const s = sender();
    await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_t', msgType: 'text', content: { text: '1' }, idempotencyKey: 'k-t1' });
    expect(fake.stats.tokensIssued).toBe(1);
    fake.revokeTokens();
    await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_t', msgType: 'text', content: { text: '2' }, idempotencyKey: 'k-t2' });
    expect(fake.stats.tokensIssued).toBe(2);
    expect(fake.rejected.auth).toBe(1);
    expect(fake.messages.map((m) => m.content)).toEqual([{ text: '1' }, { text: '2' }]);
    const tokenCalls = apiCalls('POST', '/open-apis/auth/v3/tenant_access_token/internal');
    expect(tokenCalls).toHaveLength(2);
  });

  it('does not loop when the token is rejected again after a refresh', async () => {
    const s = sender();
    fake.setFaults({ script: [{ kind: 'invalid_token' }, { kind: 'invalid_token' }] });
    await expect(s.getBotInfo()).rejects.toMatchObject({ code: 99991663, retryable: false, attempts: 2 });
    expect(apiCalls('GET', '/open-apis/bot/v3/info')).toHaveLength(2);
  });

  it('fetches one token for many concurrent first calls', async () => {
    const s = sender();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => s.sendMessage({ receiveIdType: 'chat_id', receiveId: `oc_${i}`, msgType: 'text', content: { text: 'x' }, idempotencyKey: `k-conc-${i}` })),
    );
    expect(apiCalls('POST', '/open-apis/auth/v3/tenant_access_token/internal')).toHaveLength(1);
    expect(fake.messages).toHaveLength(20);
    expect(s.stats()).toEqual({ waiting: 0, inFlight: 0 });
  });

  it('fails with the token endpoint code when the app secret is wrong, without retrying', async () => {
    const s = sender({ appSecret: 'wrong-secret' });
    await expect(s.getBotInfo()).rejects.toMatchObject({
      name: 'LarkApiError',
      code: 10014,
      httpStatus: 400,
      retryable: false,
      attempts: 1,
      path: '/open-apis/auth/v3/tenant_access_token/internal',
    });
    expect(apiCalls('POST', '/open-apis/auth/v3/tenant_access_token/internal')).toHaveLength(1);
  });

  it('retries a 5xx on the token endpoint', async () => {
    const s = sender();
    fake.setFaults({ includeToken: true, match: 'tenant_access_token', script: [{ kind: 'status', status: 502 }] });
    await expect(s.getBotInfo()).resolves.toMatchObject({ openId: fake.botOpenId });
    expect(apiCalls('POST', '/open-apis/auth/v3/tenant_access_token/internal')).toHaveLength(2);
  });

  it('refuses content that is not a JSON object before calling Lark', async () => {
    const s = sender();
    await expect(s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_1', msgType: 'text', content: 'hello', idempotencyKey: 'k' })).rejects.toMatchObject({
      name: 'LarkApiError',
      code: -1,
      attempts: 0,
      retryable: false,
    });
    await expect(s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_1', msgType: 'text', content: { text: 'x' }, idempotencyKey: '' })).rejects.toMatchObject({
      attempts: 0,
      msg: 'idempotencyKey must be a non-empty string',
    });
    expect(fake.received).toHaveLength(0);
  });

  it('rejects paced calls still waiting when closed', async () => {
    const s = sender({ limits: { ...NO_PACING, perChatPerSecond: 1 } });
    const send = (i: number) => s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_slow', msgType: 'text', content: { text: `${i}` }, idempotencyKey: `k-close-${i}` });
    const first = send(1);
    const second = send(2);
    await first;
    expect(s.stats()).toEqual({ waiting: 1, inFlight: 0 });
    await s.close();
    await expect(second).rejects.toMatchObject({ name: 'LarkApiError', msg: 'lark sender closed', retryable: false });
    await expect(send(3)).rejects.toMatchObject({ msg: 'lark sender closed' });
    expect(fake.messages).toHaveLength(1);
  });

  it('throws the shared quota store\'s own error (not a LarkApiError) when the store fails, and sends nothing', async () => {
    const terminated = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const failingStore = {
      grant: () => Promise.reject(terminated),
      settle: () => Promise.resolve(),
    };
    const s = sender({ sharedSlots: failingStore });
    const sent = s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_store', msgType: 'text', content: { text: 'x' }, idempotencyKey: 'k-store' });
    await expect(sent).rejects.toBe(terminated);
    expect(fake.messages).toHaveLength(0);
    expect(apiCalls('POST', '/open-apis/im/v1/messages')).toHaveLength(0);
  });

  it('never logs the app secret or a tenant token, even at trace level and on failures', async () => {
    const cap = captureLogger();
    const s = sender({ log: cap.log });
    await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_log', msgType: 'text', content: { text: 'x' }, idempotencyKey: 'k-log1' });
    fake.revokeTokens();
    fake.setFaults({ script: [{ kind: 'status', status: 500 }, { kind: 'drop' }, { kind: 'status', status: 400, code: 230002, msg: 'gone' }] });
    await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_log', msgType: 'text', content: { text: 'y' }, idempotencyKey: 'k-log2' }).catch(() => undefined);
    await sender({ log: cap.log, appSecret: `${APP_SECRET}-wrong` }).getBotInfo().catch(() => undefined);
    const out = cap.text();
    expect(out).toContain('lark call failed');
    expect(out).toContain('"sdk"');
    expect(fake.issuedTokens.length).toBeGreaterThanOrEqual(2);
    for (const token of fake.issuedTokens) expect(out).not.toContain(token);
    expect(out).not.toContain(APP_SECRET);
    expect(out).not.toMatch(/Bearer/i);
  });
});
