/**
 * Bodies that never finish: 200 sockets send headers and part of a body, then hang up. Each is
 * logged once at info as a 400 refusal — no error lines — and nothing reaches the router.
 */
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookReceiver, type WebhookReceiver } from '../../src/bot/transport/lark-http.js';
import { fixedClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';

const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({ write: (chunk: Buffer, _e, done) => void (lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)), done()) });
let routed = 0;
let receiver: WebhookReceiver;

beforeAll(async () => {
  const router = {
    message: async () => {
      routed++;
      return 'queued' as const;
    },
    cardAction: async () => {
      routed++;
      return {};
    },
    resume: async () => 0,
    stop: () => undefined,
  };
  receiver = createWebhookReceiver({ router, encryptKey: 'k', verificationToken: 'tok', port: 0, host: '127.0.0.1', clock: fixedClock('2026-03-10T10:00:00+08:00'), log: createLogger('info', sink) });
  await receiver.start();
});

afterAll(async () => {
  await receiver?.stop();
});

function abortedPost(): Promise<void> {
  const { port } = new URL(receiver.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(`POST /webhook/event HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{"schema":"2.0","header":`);
      setTimeout(() => socket.destroy(), 20);
    });
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
}

describe('aborted webhook bodies', () => {
  it('are refused with a 400 logged at info, never at error, and nothing is routed', async () => {
    await Promise.all(Array.from({ length: 200 }, () => abortedPost()));
    const until = Date.now() + 3000;
    const refused = () => lines.filter((l) => l.msg === 'webhook request refused' && l.status === 400);
    while (refused().length < 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(refused()).toHaveLength(200);
    expect(refused().every((l) => l.level === 30 && String(l.reason).startsWith('request body aborted'))).toBe(true);
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
    expect(routed).toBe(0);
    // Still serving.
    expect((await fetch(`${receiver.url}/healthz`)).status).toBe(200);
  });
});
