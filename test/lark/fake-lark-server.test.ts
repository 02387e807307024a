import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { createLarkSender } from '../../src/lark/sender.js';
import { spawnFakeLark, startFakeLark, type FakeLark, type FakeLarkOptions, type FakeLarkState } from '../support/fake-lark-server.js';

const APP_ID = 'cli_fake_server_test_03';
const APP_SECRET = 'fake-server-test-secret';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(fake: { url: string }, method: string, path: string, body?: unknown, token?: string): Promise<Answer> {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

async function tokenFor(fake: FakeLark): Promise<string> {
  const a = await call(fake, 'POST', '/open-apis/auth/v3/tenant_access_token/internal', { app_id: fake.appId, app_secret: fake.appSecret });
  return a.body.tenant_access_token as string;
}

const sendText = (fake: FakeLark, token: string, receiveId: string, extra: Record<string, unknown> = {}, type = 'chat_id') =>
  call(fake, 'POST', `/open-apis/im/v1/messages?receive_id_type=${type}`, { receive_id: receiveId, msg_type: 'text', content: JSON.stringify({ text: 'hi' }), ...extra }, token);

const started: FakeLark[] = [];
async function fakeWith(options: FakeLarkOptions = {}): Promise<FakeLark> {
  const f = await startFakeLark({ appId: APP_ID, appSecret: APP_SECRET, ...options });
  started.push(f);
  return f;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((f) => f.close()));
});

describe('fake Lark server: auth', () => {
  it('issues a tenant token for the right credentials and refuses wrong ones', async () => {
    const fake = await fakeWith();
    const good = await call(fake, 'POST', '/open-apis/auth/v3/tenant_access_token/internal', { app_id: APP_ID, app_secret: APP_SECRET });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ code: 0, expire: 7200, tenant_access_token: expect.stringMatching(/^t-/) });
    const again = await call(fake, 'POST', '/open-apis/auth/v3/tenant_access_token/internal', { app_id: APP_ID, app_secret: APP_SECRET });
    expect(again.body.tenant_access_token).toBe(good.body.tenant_access_token);
    const badSecret = await call(fake, 'POST', '/open-apis/auth/v3/tenant_access_token/internal', { app_id: APP_ID, app_secret: 'nope' });
    expect(badSecret).toMatchObject({ status: 400, body: { code: 10014 } });
    const badApp = await call(fake, 'POST', '/open-apis/auth/v3/tenant_access_token/internal', { app_id: 'cli_other', app_secret: APP_SECRET });
    expect(badApp).toMatchObject({ status: 400, body: { code: 10003 } });
    expect(fake.rejected.auth).toBe(2);
  });

  it('requires a valid, unexpired Bearer token on API calls', async () => {
    let t = 1_000_000;
    const fake = await fakeWith({ now: () => t });
    expect(await sendText(fake, '', 'oc_1')).toMatchObject({ status: 400, body: { code: 99991661 } });
    expect(await sendText(fake, 't-forged', 'oc_1')).toMatchObject({ status: 400, body: { code: 99991663 } });
    const token = await tokenFor(fake);
    expect(await sendText(fake, token, 'oc_1')).toMatchObject({ status: 200, body: { code: 0 } });
    t += 7200 * 1000;
    expect(await sendText(fake, token, 'oc_1')).toMatchObject({ status: 400, body: { code: 99991663 } });
    const fresh = await tokenFor(fake);
    expect(fresh).not.toBe(token);
    fake.revokeTokens();
    expect(await sendText(fake, fresh, 'oc_1')).toMatchObject({ status: 400, body: { code: 99991663 } });
    expect(fake.messages).toHaveLength(1);
  });
});

describe('fake Lark server: messages', () => {
  it('dedups a uuid within an hour and accepts it again after', async () => {
    let t = 5_000_000;
    const fake = await fakeWith({ now: () => t });
    const token = await tokenFor(fake);
    const a = await sendText(fake, token, 'oc_1', { uuid: 'same-uuid' });
    t += 3_599_000;
    const b = await sendText(fake, token, 'oc_2', { uuid: 'same-uuid' });
    expect((b.body.data as { message_id: string }).message_id).toBe((a.body.data as { message_id: string }).message_id);
    expect(fake.messages).toHaveLength(1);
    expect(fake.stats.deduplicated).toBe(1);
    t += 2_000;
    const c = await sendText(fake, token, 'oc_1', { uuid: 'same-uuid' });
    expect((c.body.data as { message_id: string }).message_id).not.toBe((a.body.data as { message_id: string }).message_id);
    expect(fake.messages).toHaveLength(2);
  });

  it('validates sends like Lark (receive_id_type, content JSON, text field, size)', async () => {
    const fake = await fakeWith();
    const token = await tokenFor(fake);
    expect(await call(fake, 'POST', '/open-apis/im/v1/messages', { receive_id: 'oc_1', msg_type: 'text', content: '{"text":"x"}' }, token)).toMatchObject({
      status: 400,
      body: { code: 99992402 },
    });
    expect(await sendText(fake, token, 'oc_1', { content: 'not json' })).toMatchObject({ status: 400, body: { code: 99992402 } });
    expect(await sendText(fake, token, 'oc_1', { content: '{"txt":"x"}' })).toMatchObject({ status: 400, body: { code: 99992402 } });
    expect(await sendText(fake, token, 'oc_1', { content: JSON.stringify({ text: 'x'.repeat(151 * 1024) }) })).toMatchObject({ status: 400, body: { code: 230025 } });
    expect(await sendText(fake, token, 'oc_1', { uuid: 'u'.repeat(51) })).toMatchObject({ status: 400, body: { code: 99992402 } });
    expect(fake.messages).toHaveLength(0);
    expect(fake.rejected.invalid).toBe(5);
    expect(fake.received).toHaveLength(6); // the token call included
  });

  it('records replies in the chat of a known message and patches only existing cards', async () => {
    const fake = await fakeWith();
    const token = await tokenFor(fake);
    fake.addInboundMessage({ messageId: 'om_user', chatId: 'oc_group' });
    const r = await call(fake, 'POST', '/open-apis/im/v1/messages/om_user/reply', { msg_type: 'text', content: '{"text":"ok"}', reply_in_thread: true }, token);
    expect(r.body).toMatchObject({ code: 0, data: { chat_id: 'oc_group', parent_id: 'om_user' } });
    const card = await sendText(fake, token, 'oc_group', { msg_type: 'interactive', content: JSON.stringify({ schema: '2.0', body: { elements: [] } }) });
    const cardId = (card.body.data as { message_id: string }).message_id;
    const textId = (r.body.data as { message_id: string }).message_id;
    expect(await call(fake, 'PATCH', `/open-apis/im/v1/messages/${cardId}`, { content: '{"schema":"2.0","body":{"elements":[{"tag":"hr"}]}}' }, token)).toMatchObject({ status: 200 });
    expect(await call(fake, 'PATCH', `/open-apis/im/v1/messages/${textId}`, { content: '{"a":1}' }, token)).toMatchObject({ status: 400, body: { code: 99992402 } });
    expect(await call(fake, 'PATCH', '/open-apis/im/v1/messages/om_nothing', { content: '{"a":1}' }, token)).toMatchObject({ status: 400, body: { code: 230001 } });
    expect(fake.messagesTo('oc_group').map((m) => m.kind)).toEqual(['reply', 'send']);
    expect(fake.messages[1]).toMatchObject({ patchCount: 1, content: { schema: '2.0', body: { elements: [{ tag: 'hr' }] } } });
  });

  it('keeps tokens valid across reset() but forgets messages, requests and counters', async () => {
    const fake = await fakeWith();
    const token = await tokenFor(fake);
    await sendText(fake, token, 'oc_1', { uuid: 'u1' });
    fake.reset();
    expect(fake.messages).toHaveLength(0);
    expect(fake.received).toHaveLength(0);
    expect(fake.stats.messagesCreated).toBe(0);
    expect(await sendText(fake, token, 'oc_1', { uuid: 'u1' })).toMatchObject({ status: 200 });
    expect(fake.messages).toHaveLength(1);
    expect(fake.stats.deduplicated).toBe(0);
  });
});

describe('fake Lark server: rate limits', () => {
  it('enforces the per-chat limit over a sliding second with 429, code 99991400 and x-ogw headers', async () => {
    let t = 0;
    const fake = await fakeWith({ now: () => t, rateLimits: { perChatPerSecond: 5 } });
    const token = await tokenFor(fake);
    for (let i = 0; i < 5; i++) {
      t = i * 100;
      expect((await sendText(fake, token, 'oc_a')).status).toBe(200);
    }
    t = 999;
    const limited = await sendText(fake, token, 'oc_a');
    expect(limited).toMatchObject({ status: 429, body: { code: 99991400 } });
    expect(limited.headers.get('x-ogw-ratelimit-limit')).toBe('5');
    expect(limited.headers.get('x-ogw-ratelimit-reset')).toBe('1');
    expect((await sendText(fake, token, 'oc_b')).status).toBe(200);
    t = 1000; // the first one (t=0) has left the window (t-1000, t]
    expect((await sendText(fake, token, 'oc_a')).status).toBe(200);
    expect(fake.rejected.rateLimited).toBe(1);
    expect(fake.stats.rateLimitedBy.chat).toBe(1);
    expect(fake.messagesTo('oc_a')).toHaveLength(6);
  });

  it('enforces the per-app second and minute windows across chats, and the per-user limit', async () => {
    let t = 0;
    const fake = await fakeWith({ now: () => t, rateLimits: { perAppPerSecond: 3, perAppPerMinute: 5, perUserPerSecond: 1 } });
    const token = await tokenFor(fake);
    const statuses = async (n: number, chat = (i: number) => `oc_${i}`) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await sendText(fake, token, chat(i))).status);
      return out;
    };
    expect(await statuses(4)).toEqual([200, 200, 200, 429]);
    t = 1000;
    expect(await statuses(3)).toEqual([200, 200, 429]);
    expect(fake.stats.rateLimitedBy).toMatchObject({ app_second: 1, app_minute: 1 });
    t = 60_000;
    expect(await statuses(1)).toEqual([200]);
    t = 62_000;
    expect((await sendText(fake, token, 'ou_u', {}, 'open_id')).status).toBe(200);
    expect((await sendText(fake, token, 'ou_u', {}, 'open_id')).status).toBe(429);
    expect(fake.stats.rateLimitedBy.user).toBe(1);
  });

  it('answers 230020 when one card is patched more often than its limit', async () => {
    let t = 0;
    const fake = await fakeWith({ now: () => t, rateLimits: { perMessagePatchPerSecond: 2 } });
    const token = await tokenFor(fake);
    const card = await sendText(fake, token, 'oc_c', { msg_type: 'interactive', content: '{"schema":"2.0","body":{"elements":[]}}' });
    const id = (card.body.data as { message_id: string }).message_id;
    const patch = () => call(fake, 'PATCH', `/open-apis/im/v1/messages/${id}`, { content: '{"schema":"2.0","body":{"elements":[]}}' }, token);
    expect((await patch()).status).toBe(200);
    t = 10;
    expect((await patch()).status).toBe(200);
    t = 20;
    expect(await patch()).toMatchObject({ status: 400, body: { code: 230020 } });
  });
});

describe('fake Lark server: faults', () => {
  it('injects the same faults for the same seed, and different ones for another seed', async () => {
    const run = async (seed: number) => {
      const fake = await fakeWith({ seed, faults: { serverErrorRate: 0.3, rateLimitRate: 0.2 } });
      const token = await tokenFor(fake);
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await sendText(fake, token, 'oc_1')).status);
      return out;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
    expect(a).toContain(500);
    expect(a).toContain(429);
    expect(a).toContain(200);
  });

  it('plays a fault script in order and then answers normally', async () => {
    const fake = await fakeWith();
    const token = await tokenFor(fake);
    fake.setFaults({ script: [{ kind: 'status', status: 503 }, { kind: 'rate_limit', resetSeconds: 3 }, { kind: 'invalid_token' }, { kind: 'drop' }] });
    expect((await sendText(fake, token, 'oc_1')).status).toBe(503);
    const limited = await sendText(fake, token, 'oc_1');
    expect(limited).toMatchObject({ status: 429, body: { code: 99991400 } });
    expect(limited.headers.get('x-ogw-ratelimit-reset')).toBe('3');
    expect(await sendText(fake, token, 'oc_1')).toMatchObject({ status: 400, body: { code: 99991663 } });
    await expect(sendText(fake, token, 'oc_1')).rejects.toThrow();
    expect((await sendText(fake, token, 'oc_1')).status).toBe(200);
    expect(fake.rejected).toMatchObject({ injected5xx: 1, injected429: 1, injectedInvalidToken: 1, dropped: 1 });
    expect(fake.messages).toHaveLength(1);
  });
});

describe('fake Lark server in another process', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fake-lark-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the sender, exposes its state over HTTP and in the state file, and resumes uuids after a restart', async () => {
    const stateFile = join(dir, 'lark-state.json');
    const opts = { appId: 'cli_fake_child_proc_04', appSecret: 'child-secret', stateFile, rateLimits: { perChatPerSecond: 50 } };
    const first = await spawnFakeLark(opts);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const sender = createLarkSender({ appId: first.appId, appSecret: 'child-secret', domain: first.url, log: silentLogger, retry: { baseDelayMs: 1, maxDelayMs: 5 } });
    const sent = await sender.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_x', msgType: 'text', content: { text: '一' }, idempotencyKey: 'child-1' });
    await first.setFaults({ script: [{ kind: 'status', status: 500 }] });
    await sender.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_x', msgType: 'text', content: { text: '二' }, idempotencyKey: 'child-2' });
    const live = await first.state();
    expect(live.messages.map((m) => m.content)).toEqual([{ text: '一' }, { text: '二' }]);
    expect(live.stats.rejected.injected5xx).toBe(1);
    await first.stop();
    await sender.close();
    const onDisk = JSON.parse(readFileSync(stateFile, 'utf8')) as FakeLarkState;
    expect(onDisk.messages.map((m) => m.messageId)).toEqual(live.messages.map((m) => m.messageId));

    const second = await spawnFakeLark({ ...opts, resume: true });
    const again = createLarkSender({ appId: second.appId, appSecret: 'child-secret', domain: second.url, log: silentLogger });
    const resent = await again.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_x', msgType: 'text', content: { text: '一' }, idempotencyKey: 'child-1' });
    expect(resent.messageId).toBe(sent.messageId);
    expect((await second.state()).messages).toHaveLength(2);
    await again.close();
    await second.stop();
  });
});
