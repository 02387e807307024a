/**
 * A Lark answer far larger than any real one (150 MB) is not buffered whole: the sender stops
 * reading at MAX_RESPONSE_BYTES, the call fails once (not retried) and the service goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES } from '../../src/lark/client.js';
import { createLarkSender, type LarkSender } from '../../src/lark/sender.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { captureLogger } from './helpers.js';

const HUGE = 150 * 1024 * 1024;
let fake: FakeLark;
let sender: LarkSender;

beforeAll(async () => {
  fake = await startFakeLark({ appId: 'cli_responsecap0001' });
  sender = createLarkSender({ appId: fake.appId, appSecret: fake.appSecret, domain: fake.url, log: captureLogger().log, retry: { maxAttempts: 3, baseDelayMs: 10 } });
});

afterAll(async () => {
  await sender?.close();
  await fake?.close();
});

describe('response size cap', () => {
  it('a 150 MB answer fails the call after at most a few MB past the cap, without a retry; the next call works', async () => {
    fake.setFaults({ match: 'GET /open-apis/bot/v3/info', script: [{ kind: 'oversize', bytes: HUGE }] });
    await expect(sender.getBotInfo()).rejects.toThrow(/maxContentLength/);
    const until = Date.now() + 3000;
    while (fake.oversizeWritten.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(fake.oversizeWritten).toHaveLength(1);
    // What the server got out before the client hung up: the cap plus what sat in socket buffers.
    expect(fake.oversizeWritten[0]!).toBeLessThan(MAX_RESPONSE_BYTES + 16 * 1024 * 1024);
    expect(fake.received.filter((r) => r.path === '/open-apis/bot/v3/info')).toHaveLength(1);
    expect((await sender.getBotInfo()).openId).toBe(fake.botOpenId);
  });
});
