/**
 * Runs the fake Lark Open API as its own process:
 *
 *   node bin/run-ts.js test/support/fake-lark-main.ts --port 0 --state-file /tmp/lark.json \
 *     [--app-id cli_x --app-secret s] [--seed 1] [--resume] \
 *     [--app-per-second 50 --app-per-minute 1000 --chat-per-second 5 --user-per-second 5 --message-patch-per-second 5] \
 *     [--p-5xx 0.1 --p-429 0.05 --p-stall 0.01 --stall-ms 12000 --p-drop 0.02 --p-drop-after 0.02]
 *
 * The first stdout line is `{"url":...,"appId":...,"appSecret":...,"botOpenId":...,"pid":...}`.
 * State: GET <url>/__fake/state (exact) or the --state-file JSON (rewritten ≤ 25 ms after each
 * change, and on SIGTERM/SIGINT before exiting 0). --resume reloads messages and uuids from it.
 */
import { parseArgs } from 'node:util';
import { startFakeLark, type FakeLarkFaults, type FakeLarkRateLimits } from './fake-lark-server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'app-id': { type: 'string' },
    'app-secret': { type: 'string' },
    seed: { type: 'string' },
    'state-file': { type: 'string' },
    resume: { type: 'boolean' },
    'app-per-second': { type: 'string' },
    'app-per-minute': { type: 'string' },
    'chat-per-second': { type: 'string' },
    'user-per-second': { type: 'string' },
    'message-patch-per-second': { type: 'string' },
    'p-5xx': { type: 'string' },
    'p-429': { type: 'string' },
    'p-stall': { type: 'string' },
    'stall-ms': { type: 'string' },
    'p-drop': { type: 'string' },
    'p-drop-after': { type: 'string' },
  },
  strict: true,
});

function num(name: keyof typeof values): number | undefined {
  const v = values[name];
  if (v === undefined || typeof v === 'boolean') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`error: --${name}: expected a non-negative number, got ${JSON.stringify(v)}\n`);
    process.exit(2);
  }
  return n;
}

const rateLimits: FakeLarkRateLimits = {};
const setIf = <K extends keyof FakeLarkRateLimits>(k: K, v: number | undefined) => {
  if (v !== undefined) rateLimits[k] = v;
};
setIf('perAppPerSecond', num('app-per-second'));
setIf('perAppPerMinute', num('app-per-minute'));
setIf('perChatPerSecond', num('chat-per-second'));
setIf('perUserPerSecond', num('user-per-second'));
setIf('perMessagePatchPerSecond', num('message-patch-per-second'));

const faults: FakeLarkFaults = {};
const faultIf = <K extends keyof FakeLarkFaults>(k: K, v: FakeLarkFaults[K] | undefined) => {
  if (v !== undefined) faults[k] = v;
};
faultIf('serverErrorRate', num('p-5xx'));
faultIf('rateLimitRate', num('p-429'));
faultIf('stallRate', num('p-stall'));
faultIf('stallMs', num('stall-ms'));
faultIf('dropRate', num('p-drop'));
faultIf('dropAfterRate', num('p-drop-after'));

const stateFile = values['state-file'];
const seed = num('seed');
const port = num('port');
const fake = await startFakeLark({
  ...(values['app-id'] ? { appId: values['app-id'] } : {}),
  ...(values['app-secret'] ? { appSecret: values['app-secret'] } : {}),
  ...(values.host ? { host: values.host } : {}),
  ...(port !== undefined ? { port } : {}),
  ...(seed !== undefined ? { seed } : {}),
  ...(stateFile ? { stateFile } : {}),
  ...(stateFile && values.resume ? { resumeFrom: stateFile } : {}),
  rateLimits,
  faults,
});

process.stdout.write(`${JSON.stringify({ url: fake.url, appId: fake.appId, appSecret: fake.appSecret, botOpenId: fake.botOpenId, pid: process.pid })}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  fake.close().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`fake lark close failed: ${String(e)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
