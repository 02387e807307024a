/**
 * Redelivery, as Feishu does it when an answer is late or lost: the same signed event posted to
 * the real service process (`node bin/start.js`, webhook mode) five times, two of them at once and
 * two after the process was SIGKILLed and restarted on the same database; a card button press
 * (标记完成) delivered twice, before and after the restart, then pressed again. Counted at the
 * fake Lark server (replies) and in the database (score entries, completions, audit rows).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import { systemClock } from '../../src/clock.js';
import { bindChat } from '../../src/db/chat.repository.js';
import { openDatabase } from '../../src/db/database.js';
import { bindMemberOpenId, findMemberByName } from '../../src/db/member.repository.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { initProgramme } from '../../src/services/init.service.js';
import { addUnit } from '../../src/services/units.service.js';
import { occurrencesFor } from '../../src/tasks/occurrences.js';
import { listTasks } from '../../src/db/task.repository.js';
import { recordChecked } from '../support/evidence.js';
import { spawnFakeLark, type SpawnedFakeLark } from '../support/fake-lark-server.js';
import { cardEvent, encryptBody, messageEvent, signedHeaders } from '../bot/lark-events.js';
import { plan, readDb, serviceEnv, spawnService, waitFor, zoneAtLocalHour, type ServiceChild } from './support.js';

const ENCRYPT_KEY = 'redelivery-encrypt-key';
const TOKEN = 'redelivery-token';
const APP_ID = 'cli_2ede11e2ede11e2e';
const GROUP = 'oc_redelivery_group';
const OFFICE = 'ou_redelivery_office';

let fake: SpawnedFakeLark | undefined;
const lives: ServiceChild[] = [];
afterAll(async () => {
  for (const l of lives) await l.kill('SIGKILL');
  await fake?.stop();
});

async function post(url: string, payload: object): Promise<{ status: number; body: string }> {
  const raw = JSON.stringify(encryptBody(payload, ENCRYPT_KEY));
  const res = await fetch(`${url}/webhook/event`, { method: 'POST', body: raw, headers: { 'content-type': 'application/json', ...signedHeaders(raw, ENCRYPT_KEY, Math.floor(Date.now() / 1000)) } });
  return { status: res.status, body: await res.text() };
}

describe('redelivery', () => {
  it('acts once on an event delivered five times (also after a restart) and completes once on a button press delivered twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dangjian-redelivery-'));
    const dbFile = join(dir, 'service.db');
    // Night in the service's zone: the scheduler records but sends nothing, so every message at
    // the fake is a reply of the bot.
    const { tz, localDate } = zoneAtLocalHour(2);
    const year = Number(localDate.slice(0, 4));
    const opened = openDatabase(dbFile);
    let task: { seq: number; period: string };
    try {
      await migrateToLatest(opened.db);
      const base = { db: opened.db, plan, clock: systemClock, tz };
      await initProgramme(base, operatorActor('reliability'), { year, sampleRoster: true });
      await addUnit(base, operatorActor('reliability'), { name: '城东社区', level: 'community' });
      const office = await findMemberByName(opened.db, '王博文');
      await bindMemberOpenId(opened.db, office!.id, OFFICE);
      await bindChat(opened.db, { chatId: GROUP, target: { kind: 'leadership' }, by: 'reliability', at: Date.now() });
      const t = (await listTasks(opened.db, { year })).find((x) => x.cadence === null)!;
      task = { seq: t.seq, period: occurrencesFor(t)[0]!.period };
    } finally {
      await opened.close();
    }

    fake = await spawnFakeLark({ appId: APP_ID, appSecret: 'redelivery-secret' });
    const env = serviceEnv({ dbFile, fakeUrl: fake.url, appId: APP_ID, appSecret: 'redelivery-secret', hours: { tz, localDate, localYear: year, holidayFile: '' }, extra: { LARK_ENCRYPT_KEY: ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: TOKEN, HOLIDAY_FILE: '' } });
    const start = async () => {
      const svc = spawnService(env);
      lives.push(svc);
      const url = await svc.started(60_000);
      await waitFor('the bot identity', () => svc.logs.some((l) => l.msg === 'bot identity known'), 20_000);
      return { svc, url };
    };

    const messageId = 'om_redelivered_1';
    await fake.addInboundMessage({ messageId, chatId: GROUP });
    const event = messageEvent({ eventId: 'ev_redelivered_1', messageId, chatId: GROUP, senderOpenId: OFFICE, text: '@_user_1 录分 城东社区 6.2 8', mentions: [{ key: '@_user_1', openId: fake.botOpenId, name: '党建助手' }], token: TOKEN });
    const value = { action: 'task.complete', year, seq: task.seq, period: task.period };
    const press = (eventId: string) => cardEvent({ eventId, operatorOpenId: OFFICE, value, messageId: 'om_task_card', chatId: GROUP, token: TOKEN });
    const replies = async () => (await fake!.state()).messages.filter((m) => m.parentId === messageId);
    /** The service's work queue is idle (GET /healthz reports what is queued): every acknowledged message answered. */
    const idle = (url: string) =>
      waitFor('the work queue to be idle', async () => ((await (await fetch(new URL('/healthz', url))).json()) as { queued: number }).queued === 0 || undefined, 10_000, 10);

    // Life 1: two deliveries at once, a third after the reply; the button press once.
    const a = await start();
    const statuses: number[] = [];
    statuses.push(...(await Promise.all([post(a.url, event), post(a.url, event)])).map((r) => r.status));
    await waitFor('the reply', async () => ((await replies()).length > 0 ? true : undefined), 10_000);
    statuses.push((await post(a.url, event)).status);
    const firstPress = await post(a.url, press('ev_press_1'));
    await idle(a.url);
    await a.svc.kill('SIGKILL');

    // Life 2 on the same database: two more deliveries, the same press again, then a new press.
    const b = await start();
    statuses.push((await post(b.url, event)).status);
    await idle(b.url);
    statuses.push((await post(b.url, event)).status);
    const pressAgain = await post(b.url, press('ev_press_1'));
    const secondPress = await post(b.url, press('ev_press_2'));
    await idle(b.url);
    const stopped = await b.svc.kill('SIGTERM');

    const replyCount = (await replies()).length;
    const counts = readDb(dbFile, (db) => ({
      scores: (db.prepare("select count(*) as n from score_entry where item_code = '6.2'").get() as { n: number }).n,
      scoreAudits: (db.prepare("select count(*) as n from audit_log where action = 'score.set' and outcome = 'ok'").get() as { n: number }).n,
      completions: (db.prepare('select count(*) as n from task_completion c join task t on t.id = c.task_id where t.year = ? and t.seq = ? and c.period = ?').get(year, task.seq, task.period) as { n: number }).n,
      completionAudits: (db.prepare("select count(*) as n from audit_log where action = 'task.done' and outcome = 'ok'").get() as { n: number }).n,
    }));
    const firstToast = (JSON.parse(firstPress.body) as { toast?: { type: string } }).toast?.type;
    const againBody = JSON.parse(pressAgain.body) as Record<string, unknown>;
    const secondToast = (JSON.parse(secondPress.body) as { toast?: { type: string; content: string } }).toast;

    await recordChecked(
      {
        id: 'redelivery-message',
        test: 'Redelivery of a message event',
        load: 'one signed, encrypted 录分 event from the office, real service process (webhook mode), fake Lark in its own process',
        injected: `the same event delivered ${statuses.length} times: 2 at once, 1 after the reply, 2 after SIGKILL and restart on the same database`,
        result: `answered ${statuses.join(', ')}; ${replyCount} reply at Lark, ${counts.scores} score entry, ${counts.scoreAudits} audited write`,
        method: 'The bot records event_id and message id in processed_event in one transaction before acting; the count is taken at the fake (replies to that message) and in the database.',
        metrics: { deliveries: statuses.length, replies: replyCount, scoreEntries: counts.scores, audits: counts.scoreAudits },
      },
      () => {
        expect(statuses).toEqual([200, 200, 200, 200, 200]);
        expect(replyCount).toBe(1);
        expect(counts.scores).toBe(1);
        expect(counts.scoreAudits).toBe(1);
      },
    );
    await recordChecked(
      {
        id: 'redelivery-card',
        test: 'Redelivery of a card button press',
        load: `「标记完成」 on task ${task.seq} (${task.period}) pressed by the office, same service process`,
        injected: 'the same card.action.trigger delivered twice (before and after SIGKILL + restart), then a second press (new event)',
        result: `answers: ${firstToast ?? 'none'} toast, ${Object.keys(againBody).length === 0 ? 'empty answer {} (duplicate)' : JSON.stringify(againBody).slice(0, 60)}, ${secondToast?.type ?? 'none'} toast ("${secondToast?.content ?? ''}"); ${counts.completions} completion, ${counts.completionAudits} audited; service exit ${String(stopped.code)} on SIGTERM`,
        method: 'Card actions are deduplicated by event_id in processed_event; a second press is refused by the task service (already done).',
        metrics: { completions: counts.completions, audits: counts.completionAudits },
      },
      () => {
        expect([firstPress.status, pressAgain.status, secondPress.status]).toEqual([200, 200, 200]);
        expect(firstToast).toBe('success');
        expect(againBody).toEqual({});
        expect(secondToast?.type).toBe('info');
        expect(counts.completions).toBe(1);
        expect(counts.completionAudits).toBe(1);
        expect(stopped.code).toBe(0);
      },
    );
  }, 180_000);
});
