/**
 * The scheduler CLI against a real database file and the fake Lark server: preview, tick (twice,
 * and two at once as two real `dangjian` processes), outbox, digest. Most runs go through the
 * CLI program in-process; the concurrency check spawns the real bin twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listOutbox } from '../../src/db/outbox.repository.js';
import { openDatabase } from '../../src/db/database.js';
import { cliOkInProcess, runCli as runCliProcess, runCliInProcess as runCli, tempDbFile } from '../support/cli.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';
import { CHATS, openProgramme } from './support.js';

const APP_ID = 'cli_scheduler_cli_0001';
const APP_SECRET = 'scheduler-cli-secret';

let fake: FakeLark;
let db: string;
let lark: Record<string, string>;

beforeAll(async () => {
  fake = await startFakeLark({ appId: APP_ID, appSecret: APP_SECRET });
  lark = { LARK_APP_ID: APP_ID, LARK_APP_SECRET: APP_SECRET, LARK_DOMAIN: fake.url };
  db = tempDbFile();
  await (await openProgramme(db)).close();
});
afterAll(async () => {
  await fake?.close();
});

interface TickJson {
  inserted: number;
  cards: number;
  due: number;
  late: number;
  dispatch: { inWindow: boolean; sent: number; messages: number; failed: number; retrying: number };
  transport: string;
  printed?: Array<{ chatId: string; idempotencyKey: string; content: unknown }>;
}

async function rows() {
  const opened = openDatabase(db, { readonly: true });
  try {
    return await listOutbox(opened.db);
  } finally {
    await opened.close();
  }
}

interface PreviewCardJson {
  key: string;
  at: string;
  chatId: string | null;
  sections: string[];
  itemCount: number;
  items: string[];
}

describe('dangjian reminders preview / tick / outbox / digest', () => {
  it('preview shows each chat\'s card of the day; --raw keeps the per-reminder contract; a date-only --to includes that day; errors; tick without Lark prints the cards', async () => {
    const empty = tempDbFile();
    expect((await runCli(['migrate', '--db', empty])).code).toBe(0);
    const consoleDb = tempDbFile();
    await (await openProgramme(consoleDb)).close();
    const [cards, raw, rawDay, badFrom, uninitialised, consoleTick] = await Promise.all([
      runCli(['reminders', 'preview', '--from', '2026-03-09', '--to', '2026-03-09', '--json', '--db', db]),
      runCli(['reminders', 'preview', '--raw', '--from', '2026-03-09', '--to', '2026-03-09T09:00:00+08:00', '--json', '--db', db]),
      runCli(['reminders', 'preview', '--raw', '--from', '2026-03-31', '--to', '2026-03-31', '--json', '--db', db]),
      runCli(['reminders', 'preview', '--from', 'next week', '--to', '2026-03-09', '--db', db]),
      runCli(['reminders', 'preview', '--from', '2026-03-09', '--to', '2026-03-10', '--db', empty]),
      runCli(['tick', '--at', '2026-03-09T09:00:00+08:00', '--db', consoleDb]),
    ]);
    expect(cards.code, cards.stderr).toBe(0);
    const perCard = JSON.parse(cards.stdout) as PreviewCardJson[];
    expect(perCard.map((c) => [c.key, c.at, c.chatId])).toEqual([
      ['daily:2026-03-09:oc_djb', '2026-03-09T09:00:00+08:00', CHATS.office],
      ['daily:2026-03-09:oc_lead', '2026-03-09T09:00:00+08:00', CHATS.leadership],
      ['daily:2026-03-09:oc_sg', '2026-03-09T09:00:00+08:00', CHATS.community],
    ]);
    const office = perCard[0]!;
    expect(office.sections).toEqual(['before_due', 'overdue']);
    expect(office.items).toContain('due:4:2026:d1:oc_djb');
    expect(office.itemCount).toBe(office.items.length);
    expect(perCard[1]!.sections).toEqual(['overdue', 'escalation', 'digest']);
    // --raw: exactly the old contract, one row per reminder.
    expect(raw.code).toBe(0);
    expect(JSON.parse(raw.stdout)).toEqual([
      { key: 'due:4:2026:d1:oc_djb', at: '2026-03-09T09:00:00+08:00', kind: 'before_due', chatId: CHATS.office, taskSeq: 4, period: '2026' },
      { key: 'due:4:2026:d1:oc_sg', at: '2026-03-09T09:00:00+08:00', kind: 'before_due', chatId: CHATS.community, taskSeq: 4, period: '2026' },
      { key: 'digest:2026-03-09:oc_lead', at: '2026-03-09T09:00:00+08:00', kind: 'digest', chatId: CHATS.leadership, taskSeq: null, period: null },
    ]);
    // The card rows carry exactly the raw reminders of their day.
    const rawAllDay = JSON.parse((await runCli(['reminders', 'preview', '--raw', '--from', '2026-03-09', '--to', '2026-03-09', '--json', '--db', db])).stdout) as Array<{ key: string }>;
    expect(perCard.flatMap((c) => c.items).sort()).toEqual(rawAllDay.map((r) => r.key).sort());
    // From 31 March to 31 March: the whole of that day (issue 16, reading 6).
    const day = JSON.parse(rawDay.stdout) as Array<{ at: string }>;
    expect(day.length).toBeGreaterThan(0);
    expect(day.every((r) => r.at.startsWith('2026-03-31T'))).toBe(true);
    expect(badFrom.code).toBe(2);
    expect(badFrom.stderr).toMatch(/^错误：--from：应为日期或时间/);
    expect(uninitialised.code).toBe(2);
    expect(uninitialised.stderr).toMatch(/尚未初始化.*dangjian init --year/);
    expect(consoleTick.code).toBe(0);
    expect(consoleTick.stdout).toContain(`📣 推送 → 群 ${CHATS.leadership}`);
    expect(consoleTick.stdout).toContain('今日待办｜党建办(组织) 3月9日（周一）');
    expect(consoleTick.stdout).toContain('周报｜XX街道 2026-03-09 至 2026-03-15');
    expect(consoleTick.stdout).toMatch(/（3 条消息）/);
    expect(fake.messages).toHaveLength(0);
  }, 60_000);

  it('preview --help says that a date-only --to includes that whole day', async () => {
    const help = await runCli(['reminders', 'preview', '--help']);
    expect(help.stdout).toContain('只写日期（如 2026-03-31）表示包含这一整天');
    expect(help.stdout).toContain('--raw');
  }, 30_000);

  it('tick sends through LARK_DOMAIN once: a second tick for the same instant, or two at once, sends nothing twice; failures show in outbox and the digest', async () => {
    fake.setFaults({ script: [{ kind: 'status', status: 400, code: 230002, msg: 'Bot/User can NOT be out of the chat.' }] });
    const first = await runCli(['tick', '--at', '2026-03-09T09:00:00+08:00', '--json', '--db', db], { env: lark });
    expect(first.code).toBe(0);
    const r1 = JSON.parse(first.stdout) as TickJson;
    expect(r1).toMatchObject({ cards: 3, transport: fake.url, dispatch: { inWindow: true, messages: 2, failed: 1 } });
    expect(r1.inserted).toBeGreaterThan(20);
    expect(fake.messages).toHaveLength(2);

    const again = await runCli(['tick', '--at', '2026-03-09T09:30:00+08:00', '--json', '--db', db], { env: lark });
    expect(JSON.parse(again.stdout)).toMatchObject({ inserted: 0, cards: 0, dispatch: { sent: 0, messages: 0 } });
    expect(fake.messages).toHaveLength(2);

    // Two processes at once on the same database file: Tuesday's three cards, each once.
    const [a, b] = await Promise.all([
      runCliProcess(['tick', '--at', '2026-03-10T09:30:00+08:00', '--json', '--db', db], { env: lark }),
      runCliProcess(['tick', '--at', '2026-03-10T09:30:00+08:00', '--json', '--db', db], { env: lark }),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    // Only warnings on stderr (lead units without a chat), each one readable line (no pino JSON), no errors.
    const stderrLines = (a.stderr + b.stderr).split('\n').filter((l) => l !== '');
    expect(stderrLines.filter((l) => !l.startsWith('警告：'))).toEqual([]);
    const ra = JSON.parse(a.stdout) as TickJson;
    const rb = JSON.parse(b.stdout) as TickJson;
    const all = await rows();
    const tuesday = all.filter((r) => r.key.startsWith('daily:2026-03-10:'));
    expect(tuesday.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    expect(ra.cards + rb.cards).toBe(3);
    expect(ra.dispatch.messages + rb.dispatch.messages).toBe(3);
    const uuids = fake.messages.map((m) => m.uuid);
    expect(new Set(uuids).size).toBe(uuids.length);
    expect(fake.stats.deduplicated).toBe(0);
    expect(new Set(all.filter((r) => r.status === 'sent').map((r) => r.messageId))).toEqual(new Set(fake.messages.map((m) => m.messageId)));

    const [failed, digest] = await Promise.all([
      runCli(['outbox', '--status', 'failed', '--json', '--db', db]),
      runCli(['digest', '--week', '2026-03-16', '--json', '--db', db]),
    ]);
    const failedRows = JSON.parse(failed.stdout) as Array<{ key: string; status: string; lastError: string; attempts: number; messageId: string | null; items: string[] }>;
    expect(failedRows).toHaveLength(1);
    expect(failedRows[0]).toMatchObject({ status: 'failed', attempts: 1, messageId: null });
    expect(failedRows[0]?.key).toMatch(/^daily:2026-03-09:/);
    expect(failedRows[0]?.items.length).toBeGreaterThan(1);
    const failedText = await runCli(['outbox', '--status', '失败', '--db', db]);
    expect(failedText.stdout).toContain('失败：飞书接口调用失败（POST /open-apis/im/v1/messages，错误码 230002，HTTP 400，共尝试 1 次）：Bot/User can NOT be out of the chat.');
    expect(failedText.stdout).toMatch(/^(2026年)?3月9日 \d\d:\d\d {2}每日卡片 → /);
    expect(failedText.stdout.endsWith('共 1 张\n')).toBe(true);
    expect(failedRows[0]?.lastError).toContain('230002');
    const d = JSON.parse(digest.stdout) as { weekStart: string; failedMessages: Array<{ key: string }> };
    expect(d.weekStart).toBe('2026-03-16');
    expect(d.failedMessages.map((f) => f.key)).toEqual([failedRows[0]?.key]);
  }, 90_000);

  it('outbox takes the state in Chinese and refuses an unknown one, naming the option', async () => {
    const failed = JSON.parse(await cliOkInProcess(db, ['outbox', '--status', '失败', '--json'])) as Array<{ status: string }>;
    expect(failed.map((r) => r.status)).toEqual(['failed']);
    const r = await runCli(['outbox', '--status', 'lost', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('错误：--status：不认识的状态「lost」，可填：待发、发送中、已发、失败、未发\n');
  }, 30_000);
});
