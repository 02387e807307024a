/**
 * The inbox drill: the real service (`node bin/start.js`, webhook mode) takes 100 commands in
 * one busy group or spread over many subscribed groups — writes (完成) and reads — each
 * acknowledged with a 200, and is killed right after the 100th acknowledgement (SIGKILL, or
 * SIGTERM), with Lark healthy or slow to answer. A second life on the same database must apply
 * every acknowledged write exactly once and deliver every reply exactly once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { expect } from 'vitest';
import { recordChecked } from '../support/evidence.js';
import { spawnFakeLark } from '../support/fake-lark-server.js';
import { bindChat } from '../../src/db/chat.repository.js';
import { GROUP, makeBot, OPEN_IDS } from '../bot/support.js';
import { messageEvent } from '../bot/lark-events.js';
import { readDb, serviceEnv, spawnService, waitFor, workingHoursNow } from './support.js';

const APP_ID = 'cli_1b0c0ffee0123456';
const DEFAULT_COMMANDS = 100;

/**
 * `groups`: how many subscribed group chats the commands go round-robin to (default 1, the busy
 * group). `larkDelayMs`: every message call to Lark (send and reply) is answered only after this
 * delay, from before the first command on (default 0, a healthy Lark).
 */
export async function runInboxDrill(o: {
  signal: 'SIGKILL' | 'SIGTERM';
  evidenceId: string;
  groups?: number;
  larkDelayMs?: number;
  /** Default 100. */
  commands?: number;
  /** Kill after this many acknowledgements (default: all); the rest go to the second life. */
  killAfterAcks?: number;
}): Promise<void> {
  const drillStarted = performance.now();
  const COMMANDS = o.commands ?? DEFAULT_COMMANDS;
  const killAfter = Math.min(o.killAfterAcks ?? COMMANDS, COMMANDS);
  const midRun = killAfter < COMMANDS;
  const groups = o.groups ?? 1;
  const larkDelayMs = o.larkDelayMs ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'dangjian-inbox-'));
  const dbFile = join(dir, 'service.db');
  const seeded = await makeBot({ dbFile });
  // GROUP is bound to 领导小组 by makeBot; the others are subscribed the same way.
  const chats = [GROUP, ...Array.from({ length: groups - 1 }, (_, k) => `oc_drill_group_${k + 2}`)];
  for (const chatId of chats.slice(1)) await bindChat(seeded.opened.db, { chatId, target: { kind: 'leadership' }, by: 'test', at: seeded.clock.now().getTime() });
  const tasks = (await seeded.opened.db.selectFrom('task').select('seq').where('year', '=', 2026).orderBy('seq').execute()).map((t) => t.seq);
  await seeded.close();
  const fake = await spawnFakeLark({ appId: APP_ID, appSecret: 'inbox-drill-secret' });
  const env = serviceEnv({ dbFile, fakeUrl: fake.url, appId: APP_ID, appSecret: 'inbox-drill-secret', hours: workingHoursNow(dir), extra: { SCHEDULER_TICK_SECONDS: '1', REMINDER_CLAIM_LEASE_MINUTES: '0.05' } });
  const lives = [spawnService(env)];
  try {
    const url = await lives[0]!.started(60_000);
    await waitFor('the bot identity', () => lives[0]!.logs.some((l) => l.msg === 'bot identity known'), 20_000);
    if (larkDelayMs > 0) await fake.setFaults({ match: '^POST /open-apis/im/v1/messages', stallRate: 1, stallMs: larkDelayMs });
    const writes = Math.min(tasks.length, Math.round(COMMANDS * 0.6));
    const commands = Array.from({ length: COMMANDS }, (_, i) => (i < writes ? `完成 ${tasks[i]}` : `任务 ${tasks[i % tasks.length]}`));
    const acks: number[] = [];
    const ids = commands.map((_, i) => ({ eventId: `ev_drill_${o.signal}_${i}`, messageId: `om_drill_${o.signal}_${i}`, chatId: chats[i % chats.length]! }));
    // The fake then knows each command's chat: replies land in (and are paced by) that chat.
    for (const id of ids) await fake.addInboundMessage({ messageId: id.messageId, chatId: id.chatId });
    const postCommand = async (to: string, i: number) => {
      const payload = messageEvent({ ...ids[i]!, senderOpenId: OPEN_IDS.office, text: `@_user_1 ${commands[i]}`, mentions: [{ key: '@_user_1', openId: fake.botOpenId, name: '党建助手' }], token: '' });
      const res = await fetch(`${to}/webhook/event`, { method: 'POST', body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
      await res.text();
      acks.push(res.status);
    };
    for (let i = 0; i < killAfter; i++) await postCommand(url, i);
    const handledBeforeKill = readDb(dbFile, (db) => (db.prepare("select count(*) as n from inbox where status = 'done'").get() as { n: number }).n);
    const first = await lives[0]!.kill(o.signal);
    lives.push(spawnService(env));
    const secondUrl = await lives[1]!.started(60_000);
    // Mid-run: the commands not yet sent go to the second life (Lark keeps talking to the app).
    for (let i = killAfter; i < COMMANDS; i++) await postCommand(secondUrl, i);
    const replied = () => {
      const msgs = fakeMessages;
      return ids.every((id) => msgs.filter((m) => m.parentId === id.messageId).length >= 1);
    };
    let fakeMessages: Array<{ parentId: string | null }> = [];
    await waitFor(
      'every reply and every inbox row done',
      async () => {
        fakeMessages = (await fake.state()).messages;
        // A reply can reach Lark just before its inbox row is marked done: wait for both.
        return (replied() && readDb(dbFile, (db) => (db.prepare("select count(*) as n from inbox where status != 'done'").get() as { n: number }).n) === 0) || undefined;
      },
      Number(process.env.INBOX_DRILL_WAIT_MS ?? 90_000) + COMMANDS * larkDelayMs,
      250,
    ).catch((err: unknown) => {
      const diag = readDb(dbFile, (db) => ({
        inbox: db.prepare('select status, count(*) n from inbox group by status').all(),
        outbox: db.prepare('select kind, status, count(*) n, max(last_error) e from outbox group by kind, status').all(),
      }));
      const replies = ids.filter((id) => fakeMessages.some((m) => m.parentId === id.messageId)).length;
      const errs = lives[1]!.logs.filter((l) => (l.level as number) >= 40 || String(l.msg).startsWith('inbox')).filter((l) => !String(l.msg).includes('is not set') && !String(l.msg).startsWith('lead units')).slice(0, 6);
      throw new Error(`${String(err)}; replies ${replies}; ${JSON.stringify(diag)}; ${JSON.stringify(errs).slice(0, 1500)}`);
    });
    await lives[1]!.kill('SIGTERM');
    const state = await fake.state();
    const repliesPer = ids.map((id) => state.messages.filter((m) => m.parentId === id.messageId).length);
    const repliedInItsChat = ids.filter((id) => state.messages.some((m) => m.parentId === id.messageId && m.chatId === id.chatId)).length;
    const completions = readDb(dbFile, (db) => db.prepare("select t.seq as seq, count(*) as n from task_completion c join task t on t.id = c.task_id where c.undone_at is null group by t.seq").all() as Array<{ seq: number; n: number }>);
    const completedOnce = tasks.slice(0, writes).filter((seq) => completions.find((c) => c.seq === seq)?.n === 1).length;
    const completedTwice = completions.filter((c) => c.n > 1).length;
    const pendingRows = readDb(dbFile, (db) => (db.prepare("select count(*) as n from inbox where status != 'done'").get() as { n: number }).n);
    // Per group: its commands, and how many of them were answered exactly once in that group.
    const perGroup = chats.map((chatId) => {
      const mine = ids.map((id, i) => ({ id, i })).filter((x) => x.id.chatId === chatId);
      return { chatId, commands: mine.length, answeredOnce: mine.filter((x) => repliesPer[x.i] === 1 && state.messages.some((m) => m.parentId === x.id.messageId && m.chatId === chatId)).length };
    });
    const groupsComplete = perGroup.filter((g) => g.answeredOnce === g.commands).length;
    const runtimeS = (performance.now() - drillStarted) / 1000;
    const errorLines = lives.flatMap((l) => l.logs).filter((l) => (l.level as number) >= 50);
    const errors = errorLines.length;
    const errorKinds = [...new Set(errorLines.map((l) => `${String(l.msg)}${(l.err as { message?: string } | undefined)?.message ? ` (${(l.err as { message: string }).message.slice(0, 80)})` : ''}`))];
    await recordChecked(
      {
        id: o.evidenceId,
        test: `${o.signal} ${midRun ? `mid-run, after ${killAfter} of ${COMMANDS} acknowledged commands` : `right after ${COMMANDS} acknowledged commands`}${groups > 1 ? `, ${groups} groups` : ''}${larkDelayMs > 0 ? ', slow Lark' : ''}`,
        load: `${COMMANDS} commands ${groups > 1 ? `spread round-robin over ${groups} subscribed group chats` : 'in one busy group'} (${writes} writes 「完成」, ${COMMANDS - writes} reads 「任务」), posted one after another to the real service (webhook mode); Lark ${larkDelayMs > 0 ? `answering every message call only after ${(larkDelayMs / 1000).toFixed(1)} s` : 'healthy'}`,
        injected: `${o.signal} the moment the ${killAfter}th command was acknowledged (${handledBeforeKill} of them handled by then), then a restart on the same database${midRun ? `, which receives the other ${COMMANDS - killAfter}` : ''}`,
        result: `${acks.filter((s) => s === 200).length}/${COMMANDS} acknowledged; first life exited ${first.signal ?? `code ${String(first.code)}`}; after the restart ${completedOnce}/${writes} writes applied exactly once (${completedTwice} twice), ${repliesPer.filter((n) => n === 1).length}/${COMMANDS} replies delivered exactly once (${repliedInItsChat} in the command's own chat), ${groups > 1 ? `${groupsComplete}/${groups} groups with every command answered exactly once in that group (${[...new Set(perGroup.map((g) => g.commands))].join('/')} commands each), ` : ''}${pendingRows} inbox rows left pending, ${errors} error log lines${errors > 0 ? `: ${errorKinds.join('; ')}` : ''}; ${runtimeS.toFixed(0)} s`,
        method: 'Each command is recorded in the inbox table before its 200; the restarted service queues the pending rows (router.resume) and replies through the outbox. Writes are counted in task_completion, replies at the fake Lark server by the message replied to.',
        metrics: { commands: COMMANDS, groups, groupsComplete, killAfterAcks: killAfter, larkDelayMs, writes, handledBeforeKill, repliedInItsChat, completedOnce, completedTwice, repliedOnce: repliesPer.filter((n) => n === 1).length, pendingRows, errors, runtimeS: Math.round(runtimeS) },
      },
      () => {
        expect(acks.every((s) => s === 200)).toBe(true);
        expect(completedOnce).toBe(writes);
        expect(completedTwice).toBe(0);
        expect(repliesPer.every((n) => n === 1)).toBe(true);
        expect(repliedInItsChat).toBe(COMMANDS);
        expect(pendingRows).toBe(0);
        expect(perGroup.map((g) => g.answeredOnce)).toEqual(perGroup.map((g) => g.commands));
      },
    );
  } finally {
    for (const l of lives) await l.kill('SIGKILL');
    await fake.stop();
  }
}

/**
 * Lark fails every reply for 60 s right after a write: the write stands, the reply is kept in
 * the outbox and arrives once when Lark is back (retried by the running service's dispatch).
 */
export async function runLarkOutageDrill(o: { outageMs: number; evidenceId: string }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dangjian-outage-'));
  const dbFile = join(dir, 'service.db');
  const seeded = await makeBot({ dbFile });
  await seeded.close();
  const fake = await spawnFakeLark({ appId: APP_ID, appSecret: 'inbox-drill-secret' });
  const env = serviceEnv({ dbFile, fakeUrl: fake.url, appId: APP_ID, appSecret: 'inbox-drill-secret', hours: workingHoursNow(dir), extra: { SCHEDULER_TICK_SECONDS: '1' } });
  const life = spawnService(env);
  try {
    const url = await life.started(60_000);
    await waitFor('the bot identity', () => life.logs.some((l) => l.msg === 'bot identity known'), 20_000);
    await fake.setFaults({ match: 'POST /open-apis/im/v1/messages/.*/reply', serverErrorRate: 1 });
    const outageStarted = Date.now();
    const id = { eventId: 'ev_outage_1', messageId: 'om_outage_1' };
    const payload = messageEvent({ ...id, chatId: GROUP, senderOpenId: OPEN_IDS.office, text: '@_user_1 完成 1', mentions: [{ key: '@_user_1', openId: fake.botOpenId, name: '党建助手' }], token: '' });
    const res = await fetch(`${url}/webhook/event`, { method: 'POST', body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
    await res.text();
    const written = await waitFor('the write', () => readDb(dbFile, (db) => (db.prepare('select count(*) as n from task_completion where undone_at is null').get() as { n: number }).n) || undefined, 20_000);
    const repliesDuringOutage = async () => (await fake.state()).messages.filter((m) => m.parentId === id.messageId).length;
    await new Promise((r) => setTimeout(r, Math.max(0, o.outageMs - (Date.now() - outageStarted))));
    const duringOutage = await repliesDuringOutage();
    await fake.setFaults({});
    const recovered = Date.now();
    await waitFor('the reply', async () => ((await repliesDuringOutage()) >= 1 ? true : undefined), 150_000, 500);
    const arrivedAfterMs = Date.now() - recovered;
    await new Promise((r) => setTimeout(r, 3000));
    const state = await fake.state();
    const replies = state.messages.filter((m) => m.parentId === id.messageId).length;
    const attempts = readDb(dbFile, (db) => (db.prepare('select attempts from outbox where key = ?').get(`reply:${id.messageId}`) as { attempts: number }).attempts);
    await life.kill('SIGTERM');
    await recordChecked(
      {
        id: o.evidenceId,
        test: 'Lark failing after a write',
        load: '「完成 1」 from the office to the real service (webhook mode)',
        injected: `every reply answered HTTP 500 for ${Math.round(o.outageMs / 1000)} s from the moment the command arrived`,
        result: `acknowledged ${res.status}; the write applied (${written} completion); ${duringOutage} replies during the outage; the reply arrived ${(arrivedAfterMs / 1000).toFixed(0)} s after Lark recovered, ${replies} in all, after ${attempts} outbox attempts`,
        method: 'The reply is recorded in the outbox (key reply:<message_id>) before its first attempt; the service’s dispatch retries it every 30 s × attempt; the fake counts replies by the message replied to.',
        metrics: { outageMs: o.outageMs, written, duringOutage, replies, attempts, arrivedAfterMs },
      },
      () => {
        expect(res.status).toBe(200);
        expect(written).toBe(1);
        expect(duringOutage).toBe(0);
        expect(replies).toBe(1);
      },
    );
  } finally {
    await life.kill('SIGKILL');
    await fake.stop();
  }
}

/**
 * Another process holds the write lock for `holdMs` during a burst of commands: every answer
 * comes within Lark's 3 s (200 once recorded, else 503), what was refused is delivered again,
 * and in the end every command is answered exactly once.
 */
export async function runHeldLockDrill(o: { holdMs: number; evidenceId: string }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dangjian-lock-'));
  const dbFile = join(dir, 'service.db');
  const seeded = await makeBot({ dbFile });
  await seeded.close();
  const fake = await spawnFakeLark({ appId: APP_ID, appSecret: 'inbox-drill-secret' });
  const env = serviceEnv({ dbFile, fakeUrl: fake.url, appId: APP_ID, appSecret: 'inbox-drill-secret', hours: workingHoursNow(dir), extra: { SCHEDULER_TICK_SECONDS: '1' } });
  const life = spawnService(env);
  try {
    const url = await life.started(60_000);
    await waitFor('the bot identity', () => life.logs.some((l) => l.msg === 'bot identity known'), 20_000);
    const holder = new SQLite(dbFile);
    holder.exec('BEGIN IMMEDIATE');
    holder.prepare("insert into setting (key, value) values ('drill_lock', 'held')").run();
    const heldAt = Date.now();
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        holder.exec('COMMIT');
        holder.close();
        resolve();
      }, o.holdMs),
    );
    const sent: Array<{ messageId: string; payload: object; status: number; ms: number }> = [];
    let i = 0;
    const post = async (payload: object) => {
      const t = performance.now();
      const res = await fetch(`${url}/webhook/event`, { method: 'POST', body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
      await res.text();
      return { status: res.status, ms: performance.now() - t };
    };
    // A burst of 5 concurrent commands every 500 ms while the lock is held.
    while (Date.now() - heldAt < o.holdMs - 1000) {
      const batch = Array.from({ length: 5 }, () => {
        i++;
        const messageId = `om_lock_${i}`;
        return { messageId, payload: messageEvent({ eventId: `ev_lock_${i}`, messageId, chatId: GROUP, senderOpenId: OPEN_IDS.office, text: '@_user_1 帮助', mentions: [{ key: '@_user_1', openId: fake.botOpenId, name: '党建助手' }], token: '' }) };
      });
      sent.push(...(await Promise.all(batch.map(async (b) => ({ ...b, ...(await post(b.payload)) })))));
      await new Promise((r) => setTimeout(r, 500));
    }
    await released;
    const refused = sent.filter((s) => s.status !== 200);
    const redelivered = await Promise.all(refused.map((s) => post(s.payload)));
    await waitFor(
      'every answer',
      async () => {
        const msgs = (await fake.state()).messages;
        return sent.every((s) => msgs.some((m) => m.parentId === s.messageId)) || undefined;
      },
      60_000,
      250,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const msgs = (await fake.state()).messages;
    const answeredOnce = sent.filter((s) => msgs.filter((m) => m.parentId === s.messageId).length === 1).length;
    const slowest = Math.max(...sent.map((s) => s.ms));
    const errors = life.logs.filter((l) => (l.level as number) >= 50).length;
    await life.kill('SIGTERM');
    await recordChecked(
      {
        id: o.evidenceId,
        test: 'A write lock held by another process during a burst',
        load: `${sent.length} commands in bursts of 5 every 0.5 s to the real service (webhook mode)`,
        injected: `another connection holding the write lock (BEGIN IMMEDIATE) for ${o.holdMs / 1000} s`,
        result: `slowest answer ${(slowest / 1000).toFixed(2)} s; ${sent.length - refused.length} acknowledged 200 and ${refused.length} answered 503 (delivered again: ${redelivered.filter((r) => r.status === 200).length} × 200); ${answeredOnce}/${sent.length} answered exactly once; ${errors} error log lines`,
        method: 'The service’s busy_timeout is 20 ms; the inbox record waits for the lock on timers up to 1 s, then answers 503; handling that meets the lock is tried again from the inbox row. The test posts the refused events again, as Lark would.',
        metrics: { commands: sent.length, refused: refused.length, slowestMs: Math.round(slowest), answeredOnce, errors },
      },
      () => {
        expect(slowest).toBeLessThan(3000);
        expect(redelivered.every((r) => r.status === 200)).toBe(true);
        expect(answeredOnce).toBe(sent.length);
        expect(errors).toBe(0);
      },
    );
  } finally {
    await life.kill('SIGKILL');
    await fake.stop();
  }
}
