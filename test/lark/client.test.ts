import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { TokenCache, createLarkHttp, sdkLogger } from '../../src/lark/client.js';
import { createLarkSender } from '../../src/lark/sender.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { captureLogger } from './helpers.js';

const APP_ID = 'cli_client_test_000005';
const APP_SECRET = 'client-test-secret';

let fake: FakeLark;
let proxy: http.Server;
let proxyUrl: string;
const proxied: string[] = [];

beforeAll(async () => {
  fake = await startFakeLark({ appId: APP_ID, appSecret: APP_SECRET });
  // A "proxy" that only records what reaches it.
  proxy = http.createServer((req, res) => {
    proxied.push(`${req.method} ${req.url}`);
    res.writeHead(502).end();
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await fake.close();
  proxy.closeAllConnections();
  await new Promise<void>((r) => proxy.close(() => r()));
});

describe('lark client wiring', () => {
  it('does not go through HTTP(S)_PROXY, unlike the SDK default instance', async () => {
    const saved = { ...process.env };
    try {
      process.env.HTTP_PROXY = proxyUrl;
      process.env.http_proxy = proxyUrl;
      process.env.HTTPS_PROXY = proxyUrl;
      delete process.env.NO_PROXY;
      delete process.env.no_proxy;
      // Control: the SDK's default axios instance is proxied (so the check below means something).
      await expect(lark.defaultHttpInstance.get(`${fake.url}/open-apis/bot/v3/info`)).rejects.toThrow();
      expect(proxied).toHaveLength(1);
      const sender = createLarkSender({ appId: APP_ID, appSecret: APP_SECRET, domain: fake.url, log: silentLogger });
      await expect(sender.getBotInfo()).resolves.toMatchObject({ openId: fake.botOpenId });
      await sender.close();
      expect(proxied).toHaveLength(1);
    } finally {
      process.env = saved;
    }
  });

  it('accepts a domain with a trailing slash', async () => {
    const sender = createLarkSender({ appId: APP_ID, appSecret: APP_SECRET, domain: `${fake.url}/`, log: silentLogger });
    await expect(sender.getBotInfo()).resolves.toMatchObject({ openId: fake.botOpenId });
    await sender.close();
    expect(fake.received.at(-1)?.path).toBe('/open-apis/bot/v3/info');
  });

  it('resolves SDK calls to the response body, or to {data, headers} with $return_headers', async () => {
    const h = createLarkHttp(2_000);
    const body = await h.instance.post(`${fake.url}/open-apis/auth/v3/tenant_access_token/internal`, { app_id: APP_ID, app_secret: APP_SECRET });
    expect(body).toMatchObject({ code: 0, tenant_access_token: expect.any(String) });
    const withHeaders = (await h.instance.request({
      method: 'POST',
      url: `${fake.url}/open-apis/auth/v3/tenant_access_token/internal`,
      data: { app_id: APP_ID, app_secret: APP_SECRET },
      $return_headers: true,
    })) as { data: unknown; headers: Record<string, string> };
    expect(withHeaders.data).toMatchObject({ code: 0 });
    expect(withHeaders.headers['x-tt-logid']).toMatch(/^fake/);
    h.destroy();
  });

  it('keeps tokens per cache instance, honours expiry and can be cleared', async () => {
    let now = 1_000;
    const cache = new TokenCache(() => now);
    await cache.set(lark.CTenantAccessToken, 't-1', 2_000, { namespace: APP_ID });
    expect(await cache.get(lark.CTenantAccessToken, { namespace: APP_ID })).toBe('t-1');
    expect(await new TokenCache().get(lark.CTenantAccessToken, { namespace: APP_ID })).toBeUndefined();
    now = 2_000;
    expect(await cache.get(lark.CTenantAccessToken, { namespace: APP_ID })).toBeUndefined();
    await cache.set(lark.CTenantAccessToken, 't-2', undefined, { namespace: APP_ID });
    cache.clear();
    expect(await cache.get(lark.CTenantAccessToken, { namespace: APP_ID })).toBeUndefined();
  });

  it('forwards SDK log calls without objects that may carry secrets', () => {
    const cap = captureLogger();
    const log = sdkLogger(cap.log);
    const axiosLike = {
      isAxiosError: true,
      message: 'Request failed with status code 400',
      code: 'ERR_BAD_REQUEST',
      config: { headers: { Authorization: 'Bearer t-secret-token' }, data: '{"app_secret":"s3cr3t"}' },
      response: { status: 400, data: { code: 10014, msg: 'app secret invalid' } },
    };
    log.error([axiosLike]);
    log.error([[{ message: 'boom', config: { data: { app_secret: 's3cr3t' } } }, { code: 230002, msg: 'gone' }]]);
    const out = cap.text();
    expect(out).not.toContain('s3cr3t');
    expect(out).not.toContain('t-secret-token');
    expect(cap.entries().map((e) => e.sdk)).toEqual([
      [{ message: 'Request failed with status code 400', code: 'ERR_BAD_REQUEST', status: 400 }],
      [[{ message: 'boom' }, { code: 230002, msg: 'gone' }]],
    ]);
  });
});
