/**
 * Files: the fake Open API's im/v1/files (the checks a real server makes) and `file` messages,
 * and the sender's uploadFile through the real SDK client over real HTTP: the 30 MB and
 * empty-file limits, the upload quota, retries, and uuid idempotency of the file message.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LarkApiError } from '../../src/lark/lark-error.js';
import { createLarkSender, larkFileType, type LarkSender, type LarkSenderOptions } from '../../src/lark/sender.js';
import { silentLogger } from '../../src/log.js';
import { MAX_FILE_BYTES } from '../../src/messaging/outbound.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';

const APP_ID = 'cli_files_test_00001';
const APP_SECRET = 'files-test-secret';
const NO_PACING = { perAppPerSecond: 10_000, perAppPerMinute: 1_000_000, perChatPerSecond: 10_000, perUserPerSecond: 10_000, uploadsPerSecond: 10_000, uploadsPerMinute: 1_000_000 };

let fake: FakeLark;
const senders: LarkSender[] = [];
const sender = (over: Partial<LarkSenderOptions> = {}) => {
  const s = createLarkSender({ appId: APP_ID, appSecret: APP_SECRET, domain: fake.url, log: silentLogger, limits: NO_PACING, retry: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 10_000 }, ...over });
  senders.push(s);
  return s;
};

beforeAll(async () => {
  fake = await startFakeLark({ appId: APP_ID, appSecret: APP_SECRET });
});
afterEach(async () => {
  await Promise.all(senders.splice(0).map((s) => s.close()));
  fake.setRateLimits({});
  fake.reset();
});
afterAll(async () => {
  await fake.close();
});

async function token(): Promise<string> {
  const res = await fetch(`${fake.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: APP_ID, app_secret: APP_SECRET }) });
  return ((await res.json()) as { tenant_access_token: string }).tenant_access_token;
}

/** A raw multipart upload (fetch's FormData), parts left out or changed at will. */
async function upload(parts: { file_type?: string; file_name?: string; file?: Uint8Array | null }, auth: string | null): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  if (parts.file_type !== undefined) form.append('file_type', parts.file_type);
  if (parts.file_name !== undefined) form.append('file_name', parts.file_name);
  if (parts.file) form.append('file', new Blob([parts.file]), 'x.xlsx');
  const res = await fetch(`${fake.url}/open-apis/im/v1/files`, { method: 'POST', body: form, headers: auth ? { authorization: `Bearer ${auth}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function sendFileMessage(auth: string, content: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${fake.url}/open-apis/im/v1/messages?receive_id_type=chat_id`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
    body: JSON.stringify({ receive_id: 'oc_files', msg_type: 'file', content: JSON.stringify(content) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

describe('fake Open API: im/v1/files', () => {
  it('stores a well-formed upload and returns its file_key; a file message must name a known key', async () => {
    const auth = await token();
    const ok = await upload({ file_type: 'xls', file_name: '评分表-2026.xlsx', file: bytes(1234) }, auth);
    expect(ok).toMatchObject({ status: 200, body: { code: 0, data: { file_key: expect.stringMatching(/^file_v3_/) } } });
    const key = (ok.body.data as { file_key: string }).file_key;
    expect(fake.files).toEqual([expect.objectContaining({ fileKey: key, fileName: '评分表-2026.xlsx', fileType: 'xls', size: 1234 })]);
    expect(fake.fileBytes(key)).toEqual(Buffer.from(bytes(1234)));
    expect(await sendFileMessage(auth, { file_key: key })).toMatchObject({ status: 200, body: { code: 0 } });
    expect(fake.messages.at(-1)).toMatchObject({ msgType: 'file', content: { file_key: key } });
    expect(await sendFileMessage(auth, { file_key: 'file_v3_unknown' })).toMatchObject({ status: 400, body: { code: 230001 } });
    expect(await sendFileMessage(auth, { name: 'x' })).toMatchObject({ status: 400, body: { code: 99992402 } });
    expect(fake.messages).toHaveLength(1);
  });

  it('answers like Lark to a bad upload: missing or unknown fields 234001, an empty file 234010, over 30 MB 234006, no token 99991661', async () => {
    const auth = await token();
    expect((await upload({ file_name: 'a.xlsx', file: bytes(10) }, auth)).body.code).toBe(234001);
    expect((await upload({ file_type: 'xlsx', file_name: 'a.xlsx', file: bytes(10) }, auth)).body.code).toBe(234001);
    expect((await upload({ file_type: 'xls', file: bytes(10) }, auth)).body.code).toBe(234001);
    expect((await upload({ file_type: 'xls', file_name: ' ', file: bytes(10) }, auth)).body.code).toBe(234001);
    expect((await upload({ file_type: 'xls', file_name: 'a.xlsx' }, auth)).body.code).toBe(234001);
    expect(await upload({ file_type: 'xls', file_name: 'a.xlsx', file: bytes(0) }, auth)).toMatchObject({ status: 400, body: { code: 234010 } });
    expect(await upload({ file_type: 'xls', file_name: 'a.xlsx', file: bytes(MAX_FILE_BYTES + 1) }, auth)).toMatchObject({ status: 400, body: { code: 234006 } });
    expect((await upload({ file_type: 'xls', file_name: 'a.xlsx', file: bytes(10) }, null)).body.code).toBe(99991661);
    const json = await fetch(`${fake.url}/open-apis/im/v1/files`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` }, body: JSON.stringify({ file_type: 'xls', file_name: 'a.xlsx' }) });
    expect(((await json.json()) as { code: number }).code).toBe(234001);
    expect(fake.files).toHaveLength(0);
  });

  it('enforces its own upload quota when configured (HTTP 429)', async () => {
    fake.setRateLimits({ uploadsPerSecond: 2 });
    const auth = await token();
    const answers = await Promise.all([1, 2, 3].map(() => upload({ file_type: 'stream', file_name: 'a.bin', file: bytes(5) }, auth)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 429]);
    expect(fake.stats.rateLimitedBy.upload).toBe(1);
  });
});

describe('sender: uploadFile and file messages', () => {
  it('uploads through the SDK client (multipart, file_type from the extension) and sends the key as a file message', async () => {
    const s = sender();
    const { fileKey } = await s.uploadFile({ fileName: '任务台账-2026.xlsx', bytes: bytes(2048, 9) });
    expect(fake.files.at(-1)).toMatchObject({ fileKey, fileName: '任务台账-2026.xlsx', fileType: 'xls', size: 2048 });
    expect(fake.fileBytes(fileKey)).toEqual(Buffer.from(bytes(2048, 9)));
    const first = await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_x', msgType: 'file', content: { file_key: fileKey }, idempotencyKey: 'export:1' });
    // The same message again (a retry after a crash): Lark's uuid dedup keeps one.
    const again = await s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_x', msgType: 'file', content: { file_key: fileKey }, idempotencyKey: 'export:1' });
    expect(again.messageId).toBe(first.messageId);
    expect(fake.messages.filter((m) => m.msgType === 'file')).toHaveLength(1);
    expect(larkFileType('a.xlsx')).toBe('xls');
    expect(larkFileType('a.PDF')).toBe('pdf');
    expect(larkFileType('a.bin')).toBe('stream');
  });

  it('carries files larger than axios’ default body limit (12 MB)', async () => {
    const { fileKey } = await sender().uploadFile({ fileName: 'big.xlsx', bytes: bytes(12 * 1024 * 1024, 3) });
    expect(fake.files.find((f) => f.fileKey === fileKey)?.size).toBe(12 * 1024 * 1024);
  });

  it('refuses an empty file, one over 30 MB and a file message without file_key before calling Lark', async () => {
    const s = sender();
    for (const p of [s.uploadFile({ fileName: 'a.xlsx', bytes: bytes(0) }), s.uploadFile({ fileName: 'a.xlsx', bytes: bytes(MAX_FILE_BYTES + 1) }), s.sendMessage({ receiveIdType: 'chat_id', receiveId: 'oc_x', msgType: 'file', content: { name: 'a' }, idempotencyKey: 'k' })]) {
      const err = await p.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LarkApiError);
      expect(err).toMatchObject({ retryable: false, attempts: 0 });
    }
    expect(fake.received.filter((r) => r.path !== '/open-apis/auth/v3/tenant_access_token/internal')).toHaveLength(0);
  });

  it('retries an upload that failed with a 5xx', async () => {
    fake.setFaults({ match: '^POST /open-apis/im/v1/files$', script: [{ kind: 'status', status: 503 }] });
    const { fileKey } = await sender().uploadFile({ fileName: 'a.xlsx', bytes: bytes(10) });
    expect(fake.files.map((f) => f.fileKey)).toEqual([fileKey]);
    expect(fake.received.filter((r) => r.path === '/open-apis/im/v1/files')).toHaveLength(2);
  });

  it('paces uploads by the upload quota so that Lark never answers 429', async () => {
    fake.setRateLimits({ uploadsPerSecond: 4 });
    const s = sender({ limits: { ...NO_PACING, uploadsPerSecond: 4 } });
    const started = performance.now();
    await Promise.all(Array.from({ length: 8 }, (_, i) => s.uploadFile({ fileName: `f${i}.xlsx`, bytes: bytes(100) })));
    expect(fake.stats.rateLimitedBy.upload).toBe(0);
    expect(fake.files).toHaveLength(8);
    // 8 uploads at 4 per second cannot all fit in the first second.
    expect(performance.now() - started).toBeGreaterThan(900);
  });
});
