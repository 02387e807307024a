/**
 * `dangjian backup --out FILE` while the real service keeps writing: the service process
 * (`node bin/start.js`, webhook mode) receives a steady stream of signed 录分 messages from four
 * group chats, each of which commits two transactions (the event ids; the score entry with its
 * audit row) and sends a reply. The copy must open, pass the integrity check, hold every row
 * committed before the backup started, and contain whole transactions only.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import { systemClock } from '../../src/clock.js';
import { bindChat } from '../../src/db/chat.repository.js';
import { openDatabase } from '../../src/db/database.js';
import { bindMemberOpenId, findMemberByName } from '../../src/db/member.repository.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { initProgramme } from '../../src/services/init.service.js';
import { addUnit } from '../../src/services/units.service.js';
import { runCli } from '../support/cli.js';
import { recordChecked } from '../support/evidence.js';
import { spawnFakeLark, type SpawnedFakeLark } from '../support/fake-lark-server.js';
import { encryptBody, messageEvent, signedHeaders } from '../bot/lark-events.js';
import { plan, readDb, serviceEnv, spawnService, waitFor, zoneAtLocalHour, type ServiceChild } from './support.js';

const ENCRYPT_KEY = 'backup-encrypt-key';
const TOKEN = 'backup-token';
const APP_ID = 'cli_bac0bac0bac0bac0';
const OFFICE = 'ou_backup_office';
const GROUPS = ['oc_backup_1', 'oc_backup_2', 'oc_backup_3', 'oc_backup_4'];

let fake: SpawnedFakeLark | undefined;
let svc: ServiceChild | undefined;
afterAll(async () => {
  await svc?.kill('SIGKILL');
  await fake?.stop();
});

interface Snapshot {
  events: Set<string>;
  scores: Set<number>;
}

const snapshotOf = (db: SQLite.Database): Snapshot => ({
  events: new Set((db.prepare("select event_id from processed_event where event_id like '%backup%'").all() as Array<{ event_id: string }>).map((r) => r.event_id)),
  scores: new Set((db.prepare('select id from score_entry').all() as Array<{ id: number }>).map((r) => r.id)),
});

describe('backup', () => {
  it('makes a consistent online copy while the service writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dangjian-backup-'));
    const dbFile = join(dir, 'service.db');
    // Night in the service's zone: the scheduler sends nothing, the writes are the bot's.
    const { tz, localDate } = zoneAtLocalHour(2);
    const year = Number(localDate.slice(0, 4));
    const opened = openDatabase(dbFile);
    try {
      await migrateToLatest(opened.db);
      const base = { db: opened.db, plan, clock: systemClock, tz };
      await initProgramme(base, operatorActor('reliability'), { year, sampleRoster: true });
      await addUnit(base, operatorActor('reliability'), { name: '城东社区', level: 'community' });
      const office = await findMemberByName(opened.db, '王博文');
      await bindMemberOpenId(opened.db, office!.id, OFFICE);
      for (const g of GROUPS) await bindChat(opened.db, { chatId: g, target: { kind: 'leadership' }, by: 'reliability', at: Date.now() });
    } finally {
      await opened.close();
    }
    fake = await spawnFakeLark({ appId: APP_ID, appSecret: 'backup-secret' });
    svc = spawnService(serviceEnv({ dbFile, fakeUrl: fake.url, appId: APP_ID, appSecret: 'backup-secret', hours: { tz, localDate, localYear: year, holidayFile: '' }, extra: { LARK_ENCRYPT_KEY: ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: TOKEN, HOLIDAY_FILE: '' } }));
    const url = await svc.started(60_000);
    const botOpenId = fake.botOpenId;

    // The writer: four chats, one message after another in each, for as long as `writing`.
    let writing = true;
    let posted = 0;
    let refusedPosts = 0;
    const chain = async (chatId: string) => {
      while (writing) {
        const n = ++posted;
        const payload = messageEvent({ eventId: `ev_backup_${n}`, messageId: `om_backup_${n}`, chatId, senderOpenId: OFFICE, text: `@_user_1 录分 城东社区 6.2 ${n % 11}`, mentions: [{ key: '@_user_1', openId: botOpenId, name: '党建助手' }], token: TOKEN });
        const raw = JSON.stringify(encryptBody(payload, ENCRYPT_KEY));
        const res = await fetch(`${url}/webhook/event`, { method: 'POST', body: raw, headers: { 'content-type': 'application/json', ...signedHeaders(raw, ENCRYPT_KEY, Math.floor(Date.now() / 1000)) } });
        if (res.status !== 200) refusedPosts++;
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, 200)); // about what the service answers (replies are paced at 5/s per chat)
      }
    };
    const writers = GROUPS.map(chain);
    const out = join(dirname(dbFile), 'copy.db');
    let before!: Snapshot;
    let result!: Awaited<ReturnType<typeof runCli>>;
    let during!: number;
    try {
      await waitFor('the service to have written', () => readDb(dbFile, (db) => (db.prepare('select count(*) as n from score_entry').get() as { n: number }).n >= 20 || undefined), 60_000, 50);
      before = readDb(dbFile, snapshotOf);
      result = await runCli(['backup', '--out', out, '--db', dbFile, '--json'], { env: { DANGJIAN_TZ: tz } });
      during = readDb(dbFile, (db) => (db.prepare('select count(*) as n from score_entry').get() as { n: number }).n) - before.scores.size;
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    const serviceUp = svc.alive();
    await svc.kill('SIGTERM');

    const copy = new SQLite(out, { readonly: true });
    let integrity!: string;
    let inCopy!: Snapshot;
    let torn!: { eventsWithoutMessage: number; messagesWithoutEvent: number; scoresWithoutAudit: number; auditsWithoutScore: number };
    let tables!: number;
    try {
      integrity = String(copy.pragma('integrity_check', { simple: true }));
      inCopy = snapshotOf(copy);
      const ids = [...inCopy.events];
      const evs = new Set(ids.filter((e) => e.startsWith('ev_')).map((e) => e.slice('ev_backup_'.length)));
      const msgs = new Set(ids.filter((e) => e.startsWith('message:')).map((e) => e.slice('message:om_backup_'.length)));
      const scoreCount = (copy.prepare('select count(*) as n from score_entry').get() as { n: number }).n;
      const auditCount = (copy.prepare("select count(*) as n from audit_log where action = 'score.set' and outcome = 'ok'").get() as { n: number }).n;
      torn = {
        eventsWithoutMessage: [...evs].filter((n) => !msgs.has(n)).length,
        messagesWithoutEvent: [...msgs].filter((n) => !evs.has(n)).length,
        scoresWithoutAudit: Math.max(0, scoreCount - auditCount),
        auditsWithoutScore: Math.max(0, auditCount - scoreCount),
      };
      tables = (copy.prepare("select count(*) as n from sqlite_master where type = 'table'").get() as { n: number }).n;
    } finally {
      copy.close();
    }
    // The copy is a database the service can open and migrate (nothing to do).
    const reopened = openDatabase(out);
    const migrationsApplied = (await migrateToLatest(reopened.db)).length;
    await reopened.close();
    const again = await runCli(['backup', '--out', out, '--db', dbFile]);
    const missingEvents = [...before.events].filter((e) => !inCopy.events.has(e)).length;
    const missingScores = [...before.scores].filter((s) => !inCopy.scores.has(s)).length;

    await recordChecked(
      {
        id: 'backup-online',
        test: 'Online backup while the service writes',
        load: `the real service process answering ${posted} signed 录分 messages from ${GROUPS.length} group chats (2 transactions each), ${before.scores.size} scores committed when the backup started`,
        injected: '`dangjian backup --out FILE` (SQLite backup API) in another process while the writes go on',
        result: `copy: integrity_check ${integrity}, ${tables} tables, opens and migrates (${migrationsApplied} pending); ${before.scores.size - missingScores}/${before.scores.size} scores and ${before.events.size - missingEvents}/${before.events.size} event ids committed before the backup are in it; torn transactions: ${torn.eventsWithoutMessage + torn.messagesWithoutEvent + torn.scoresWithoutAudit + torn.auditsWithoutScore}; the service committed ${during} more scores during the backup and stayed up`,
        method: 'Rows committed before the backup are read on a read-only connection just before it starts; whole transactions are checked in the copy by their pairs (event id + message id; score entry + its audit row).',
        metrics: { posted, refusedPosts, committedBefore: before.scores.size, missingScores, missingEvents, writtenDuring: during, ...torn, integrity },
      },
      () => {
        expect(result.code, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout)).toMatchObject({ out });
        expect(integrity).toBe('ok');
        expect(before.scores.size).toBeGreaterThanOrEqual(20);
        expect(missingScores).toBe(0);
        expect(missingEvents).toBe(0);
        expect(torn).toEqual({ eventsWithoutMessage: 0, messagesWithoutEvent: 0, scoresWithoutAudit: 0, auditsWithoutScore: 0 });
        expect(migrationsApplied).toBe(0);
        expect(serviceUp).toBe(true);
        expect(refusedPosts).toBe(0);
        // Refuses to overwrite an existing file.
        expect(again.code).toBe(2);
        expect(again.stderr).toMatch(/^错误：--out：文件 .* 已存在/);
        expect(existsSync(out)).toBe(true);
      },
    );
  }, 180_000);
});
