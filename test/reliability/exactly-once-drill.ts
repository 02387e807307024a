/**
 * The exactly-once drill: every write command a chat can send (exactly-once-commands.ts) and a
 * button press, each sent to the real service (`node bin/start.js`, webhook mode) whose process
 * kills itself with SIGKILL at an exact moment of handling that very command
 * (DANGJIAN_TEST_CRASH_AT, src/bot/crash-point.ts): before the command's transaction commits,
 * right after it commits (writes, dedup marks and the reply's outbox row in; reply not sent, inbox
 * row pending), or after the reply went out (inbox row still pending). Each crash is followed by a
 * new life on the same database, which handles what its inbox holds before the next command.
 *
 * A reference run sends the same commands to a copy of the same seeded database with no crash.
 * The proof: every table's row count equals the reference run's (a command applied twice, or
 * lost, changes a count), and every command got exactly one reply request at Lark — the same
 * answer (card header) as in the reference run.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import type { CrashPoint } from '../../src/bot/crash-point.js';
import { APPLICATION_FORM_ACTION } from '../../src/bot/commands/application.js';
import { COMPLETE_UNIT_ITEM_ACTION } from '../../src/cards/actions.js';
import { syncUnitItems } from '../../src/db/unit-item.repository.js';
import { addMember } from '../../src/services/members.service.js';
import { recordChecked } from '../support/evidence.js';
import { spawnFakeLark, type SpawnedFakeLark } from '../support/fake-lark-server.js';
import { GROUP, makeBot, OPEN_IDS } from '../bot/support.js';
import { cardEvent, messageEvent } from '../bot/lark-events.js';
import { readDb, serviceEnv, spawnService, waitFor, workingHoursNow, type ServiceChild } from './support.js';
import { SUB_GROUP, UNBOUND_NAME, WRITE_COMMANDS } from './exactly-once-commands.js';

const APP_ID = 'cli_0e0c0ffee0123456';
const APP_SECRET = 'exactly-once-secret';
/** Rows the scheduler writes on its own clock (reminder cards): not the commands' effects. */
const SCHEDULER_TABLES = new Set(['outbox', 'outbox_item']);

type MessagePoint = Extract<CrashPoint, `message-${string}`>;
type CardPoint = Extract<CrashPoint, `card-${string}`>;

interface Step {
  label: string;
  kind: 'message' | 'card';
  payload: (run: string, botOpenId: string, pressed?: string) => { id: string; body: Record<string, unknown>; chatId: string };
}

/** A card the bot sent (through the fake's own Open API), to be pressed: a late answer patches it. */
async function botCard(fake: SpawnedFakeLark, chatId: string): Promise<string> {
  const auth = (await (await fetch(`${fake.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: APP_ID, app_secret: APP_SECRET }) })).json()) as { tenant_access_token: string };
  const card = { schema: '2.0', header: { title: { tag: 'plain_text', content: '事项' } }, body: { elements: [] } };
  const res = await fetch(`${fake.url}/open-apis/im/v1/messages?receive_id_type=chat_id`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${auth.tenant_access_token}` },
    body: JSON.stringify({ receive_id: chatId, msg_type: 'interactive', content: JSON.stringify(card) }),
  });
  const sent = (await res.json()) as { data?: { message_id?: string } };
  if (!sent.data?.message_id) throw new Error(`the fake did not take the card: ${JSON.stringify(sent)}`);
  return sent.data.message_id;
}

/** Button presses that write: each answers with a success toast (checked in the reference run). */
const CARD_PRESSES: ReadonlyArray<{ label: string; value: Record<string, unknown>; form?: { name: string; value: Record<string, unknown> }; acted: string }> = [
  { label: '标记完成 button (unit item done)', value: { action: COMPLETE_UNIT_ITEM_ACTION, id: 1 }, acted: '"type":"success"' },
  {
    label: '申报 保存草稿 form (application draft)',
    value: { action: APPLICATION_FORM_ACTION, unit: '城东社区', year: 2026, go: 'save' },
    form: { name: 'save', value: { registeredHouseholds: '3200', registeredPopulation: '8100', measures: '每月固定议事日' } },
    acted: '"type":"success"',
  },
  // Its answer is the command's card, in place of the pressed one.
  { label: 'a command button (录分 城西社区)', value: { action: 'command', text: '录分 城西社区 6.2 6' }, acted: '已录分' },
];

const steps: Step[] = [
  ...WRITE_COMMANDS.map(
    (c, i): Step => ({
      label: c.label,
      kind: 'message',
      payload: (run, botOpenId) => {
        const id = `om_${run}_${i}`;
        const chatId = c.chatId === 'group' ? GROUP : SUB_GROUP;
        const mentions = [{ key: '@_user_1', openId: botOpenId, name: '党建助手' }, ...(c.mentions ?? [])];
        return { id, chatId, body: messageEvent({ eventId: `ev_${run}_${i}`, messageId: id, chatId, senderOpenId: OPEN_IDS.office, text: `@_user_1 ${c.text}`, mentions, token: '' }) };
      },
    }),
  ),
  ...CARD_PRESSES.map(
    (c, i): Step => ({
      label: c.label,
      kind: 'card',
      payload: (run, _bot, pressed) => {
        const id = `ev_${run}_card_${i}`;
        return { id, chatId: GROUP, body: cardEvent({ eventId: id, operatorOpenId: OPEN_IDS.office, value: c.value, messageId: pressed ?? `om_${run}_pressed_${i}`, chatId: GROUP, token: '', ...(c.form ? { form: c.form } : {}) }) };
      },
    }),
  ),
];

async function seed(dbFile: string): Promise<void> {
  const bot = await makeBot({ dbFile });
  const base = { db: bot.opened.db, plan: bot.deps.plan, clock: bot.clock, tz: bot.deps.tz };
  await addMember(base, operatorActor('test'), { name: UNBOUND_NAME, role: 'secretary', unit: '城西社区' });
  // One unit item (a self-check measure), id 1: 完成事项 / 撤销事项 / the button act on it.
  const unit = await bot.opened.db.selectFrom('unit').select('id').where('name', '=', '城东社区').executeTakeFirstOrThrow();
  const desired = [{ ref: 'self_check:2026:drill', title: '每月固定议事日', dueDate: '2027-06-30' }];
  await bot.opened.db.transaction().execute((trx) => syncUnitItems(trx, { unitId: unit.id, year: 2026, source: 'self_check', refPrefix: 'self_check:2026:', desired, at: bot.clock.now().getTime() }));
  await bot.close();
}

const rowCounts = (dbFile: string) =>
  readDb(dbFile, (db) => {
    const tables = (db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as Array<{ name: string }>).map((t) => t.name);
    return Object.fromEntries(tables.filter((t) => !SCHEDULER_TABLES.has(t)).map((t) => [t, (db.prepare(`select count(*) as n from "${t}"`).get() as { n: number }).n]));
  });

async function postFor(url: string, body: object): Promise<{ status: number | 'no answer'; text: string }> {
  try {
    const res = await fetch(`${url}/webhook/event`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 'no answer', text: '' };
  }
}

const post = async (url: string, body: object) => (await postFor(url, body)).status;

async function startLife(env: Record<string, string>, crashAt?: string): Promise<{ life: ServiceChild; url: string }> {
  const life = spawnService(crashAt ? { ...env, DANGJIAN_TEST_CRASH_AT: crashAt } : env);
  const url = await life.started(60_000);
  await waitFor('the bot identity', () => life.logs.some((l) => l.msg === 'bot identity known'), 20_000);
  return { life, url };
}

const replyPath = (messageId: string) => `/open-apis/im/v1/messages/${messageId}/reply`;

/** The answer's identity: the card's header (title and colour), or the text. */
function answerOf(content: unknown): string {
  const c = content as { header?: unknown; text?: unknown } | null;
  return JSON.stringify(c?.header ?? c?.text ?? c);
}

/** Waits until the message's reply reached Lark, or the card press's completion is in the database. */
async function waitAnswered(fake: SpawnedFakeLark, dbFile: string, step: Step, id: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `the answer to ${step.label}`,
    async () =>
      step.kind === 'message'
        ? (await fake.state()).messages.some((m) => m.parentId === id) || undefined
        : readDb(dbFile, (db) => (db.prepare("select count(*) as n from inbox where event_id = ? and status = 'done'").get(id) as { n: number }).n === 1) || undefined,
    timeoutMs,
    50,
  );
}

/** The database right after the crash: what the window left behind (nothing, or all of the transaction). */
function windowState(dbFile: string, step: Step, id: string, eventId: string) {
  return readDb(dbFile, (db) => ({
    marked: (db.prepare('select count(*) as n from processed_event where event_id = ?').get(eventId) as { n: number }).n === 1,
    reply: (db.prepare('select status from outbox where key = ?').get(`reply:${id}`) as { status: string } | undefined)?.status ?? null,
    inbox: (db.prepare('select status from inbox where event_id = ?').get(eventId) as { status: string } | undefined)?.status ?? null,
    kind: step.kind,
  }));
}

/** What each crash point leaves in the database, as checked in `windowsAsIntended`. */
const WINDOW: Record<CrashPoint, string> = {
  'message-before-commit': 'before the commit: nothing of the command, no reply row',
  'message-after-commit': 'after the commit: its writes, dedup marks, reply row (pending) and the inbox row marked done',
  'message-after-reply': 'after the reply: reply row sent, the inbox row done',
  'card-before-commit': 'press before the commit: nothing of it',
  'card-after-commit': 'press after the commit: its writes and dedup mark, the inbox row pending',
};

export interface ExactlyOnceDrill {
  evidenceId: string;
  /** Where the k-th message command's life crashes. */
  messagePoint: (k: number) => MessagePoint;
  /** Where the k-th button press's life crashes. */
  cardPoint: (k: number) => CardPoint;
}

export async function runExactlyOnceDrill(o: ExactlyOnceDrill): Promise<void> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'dangjian-exactly-once-'));
  const seeded = join(dir, 'seeded.db');
  await seed(seeded);
  const refFile = join(dir, 'reference.db');
  const crashFile = join(dir, 'crash.db');
  copyFileSync(seeded, refFile);
  copyFileSync(seeded, crashFile);
  const fake = await spawnFakeLark({ appId: APP_ID, appSecret: APP_SECRET });
  const hours = workingHoursNow(dir);
  const envOf = (dbFile: string) => serviceEnv({ dbFile, fakeUrl: fake.url, appId: APP_ID, appSecret: APP_SECRET, hours, extra: { SCHEDULER_TICK_SECONDS: '1' } });
  const lives: ServiceChild[] = [];
  try {
    for (const s of steps) {
      const p = s.payload('ref', fake.botOpenId);
      if (s.kind === 'message') await fake.addInboundMessage({ messageId: p.id, chatId: p.chatId });
    }
    // The reference: the same commands, one life, no crash.
    const ref = await startLife(envOf(refFile));
    lives.push(ref.life);
    const refToasts: string[] = [];
    for (const s of steps) {
      const p = s.payload('ref', fake.botOpenId);
      const { status, text } = await postFor(ref.url, p.body);
      if (status !== 200) throw new Error(`reference run: ${s.label} answered ${String(status)}`);
      if (s.kind === 'card') refToasts.push(text);
      await waitAnswered(fake, refFile, s, p.id);
    }
    await ref.life.kill('SIGTERM');
    const reference = rowCounts(refFile);

    // The drill: each command in a life that crashes while handling it.
    const crashes: Array<{ label: string; point: CrashPoint; exit: string; ack: number | 'no answer'; window: ReturnType<typeof windowState> }> = [];
    let k = 0;
    let c = 0;
    const pressedCards: Array<string | undefined> = [];
    for (const s of steps) {
      const pressed = s.kind === 'card' ? await botCard(fake, GROUP) : undefined;
      pressedCards.push(pressed);
      const p = s.payload('crash', fake.botOpenId, pressed);
      if (s.kind === 'message') await fake.addInboundMessage({ messageId: p.id, chatId: p.chatId });
      const point: CrashPoint = s.kind === 'message' ? o.messagePoint(k++) : o.cardPoint(c++);
      const { life, url } = await startLife(envOf(crashFile), `${point}@${p.id}`);
      lives.push(life);
      // What the previous life left pending is handled first (the next command may depend on it).
      const prev = crashes.at(-1);
      if (prev) {
        const prevStep = steps[crashes.length - 1]!;
        if (prev.window.inbox === null) await post(url, prevStep.payload('crash', fake.botOpenId, pressedCards[crashes.length - 1]).body);
        await waitAnswered(fake, crashFile, prevStep, prevStep.payload('crash', fake.botOpenId).id);
      }
      let ack = await post(url, p.body);
      const exit = await Promise.race([life.exited, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
      const eventId = (p.body.header as { event_id: string }).event_id;
      const window = windowState(crashFile, s, p.id, eventId);
      // Not recorded before the crash (no 200): Lark delivers it again, to the next life.
      if (ack !== 200 && window.inbox === null) ack = 'no answer';
      crashes.push({ label: s.label, point, exit: exit ? String(exit.signal ?? exit.code) : 'still running', ack, window });
      if (exit === null) await life.kill('SIGKILL');
    }
    // The last life: no crash; it handles what the last one left, and anything not acknowledged is delivered again.
    const last = await startLife(envOf(crashFile));
    lives.push(last.life);
    if (crashes.at(-1)?.window.inbox === null) await post(last.url, steps.at(-1)!.payload('crash', fake.botOpenId, pressedCards.at(-1)).body);
    for (const s of steps) await waitAnswered(fake, crashFile, s, s.payload('crash', fake.botOpenId).id, 60_000);
    await waitFor('every inbox row done', () => readDb(crashFile, (db) => (db.prepare("select count(*) as n from inbox where status != 'done'").get() as { n: number }).n === 0) || undefined, 30_000);
    // Anything sent twice would arrive within the scheduler's next ticks.
    await new Promise((r) => setTimeout(r, 2500));
    await last.life.kill('SIGTERM');
    const drilled = rowCounts(crashFile);
    const state = await fake.state();
    const perCommand = steps.map((s) => {
      const crashId = s.payload('crash', fake.botOpenId).id;
      const refId = s.payload('ref', fake.botOpenId).id;
      if (s.kind === 'card') return { label: s.label, replyRequests: null, replies: null, sameAnswer: true };
      const replies = state.messages.filter((m) => m.parentId === crashId);
      const refReply = state.messages.find((m) => m.parentId === refId);
      return {
        label: s.label,
        replyRequests: state.received.filter((r) => r.method === 'POST' && r.path === replyPath(crashId)).length,
        replies: replies.length,
        sameAnswer: replies.length === 1 && refReply !== undefined && answerOf(replies[0]!.content) === answerOf(refReply.content),
      };
    });
    const differing = Object.keys({ ...reference, ...drilled }).filter((t) => reference[t] !== drilled[t]);
    const messageSteps = perCommand.filter((c) => c.replies !== null);
    const killedAtPoint = crashes.filter((c) => c.exit === 'SIGKILL').length;
    // The window as intended: before the commit nothing of the command is in; after it all of it,
    // a message's inbox row marked done with it (a card press's row is marked after its answer).
    const windowsAsIntended = crashes.filter((c) => {
      const w = c.window;
      if (c.point === 'message-before-commit' || c.point === 'card-before-commit') return !w.marked && w.reply === null && (w.inbox === 'pending' || w.inbox === null);
      if (c.point === 'message-after-commit') return w.marked && w.reply === 'pending' && w.inbox === 'done';
      if (c.point === 'message-after-reply') return w.marked && w.reply === 'sent' && w.inbox === 'done';
      return w.marked && w.inbox === 'pending';
    }).length;
    const errorLines = lives.flatMap((l) => l.logs).filter((l) => (l.level as number) >= 50);
    const errors = errorLines.length;
    const errorKinds = [...new Set(errorLines.map((l) => `${String(l.msg)}${(l.err as { message?: string } | undefined)?.message ? ` (${(l.err as { message: string }).message.slice(0, 80)})` : ''}`))];
    const byPoint = crashes.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.point]: (acc[c.point] ?? 0) + 1 }), {});
    const runtimeS = (performance.now() - started) / 1000;
    const tablesCompared = Object.keys(reference).length;
    await recordChecked(
      {
        id: o.evidenceId,
        test: 'Exactly once across a crash inside a command',
        load: `${messageSteps.length} write commands from chat (${WRITE_COMMANDS.map((c) => c.label.split(' (')[0]).join('、')}) and ${CARD_PRESSES.length} button presses (${CARD_PRESSES.map((p) => p.label).join('、')}), one after another, to the real service (webhook mode) on a seeded database`,
        injected: `SIGKILL from inside the service at an exact point of each command's handling (${Object.entries(byPoint)
          .map(([p, n]) => `${p} × ${n}`)
          .join(', ')}), a new life on the same database after each; an event the crash left unacknowledged delivered again`,
        result: `${killedAtPoint}/${crashes.length} lives killed at their point, ${windowsAsIntended}/${crashes.length} leaving the window as intended (${[...new Set(crashes.map((c) => WINDOW[c.point]))].join('; ')}); after the restarts ${tablesCompared - differing.length}/${tablesCompared} tables with the reference run's row counts${differing.length > 0 ? ` (differing: ${differing.join(', ')})` : ''}; ${messageSteps.filter((c) => c.replyRequests === 1).length}/${messageSteps.length} commands with exactly one reply request at Lark, ${messageSteps.filter((c) => c.sameAnswer).length} of them the reference run's answer; ${errors} error log lines${errors > 0 ? `: ${errorKinds.join('; ')}` : ''}; ${runtimeS.toFixed(0)} s`,
        method:
          'Each command runs in one transaction with its dedup marks and its reply’s outbox row (src/db/unit-of-work.ts); the crash point (DANGJIAN_TEST_CRASH_AT=<point>@<message id>) SIGKILLs the process there. A reference run of the same commands without crashes on a copy of the seeded database gives the expected row count of every table (reminder cards, written on the scheduler’s clock, excluded); replies are counted as POST …/reply requests at the fake Lark server, not after its uuid dedup.',
        metrics: { commands: messageSteps.length, presses: CARD_PRESSES.length, lives: lives.length, killedAtPoint, windowsAsIntended, tablesCompared, tablesDiffering: differing.length, replyRequestsOnce: messageSteps.filter((c) => c.replyRequests === 1).length, sameAnswer: messageSteps.filter((c) => c.sameAnswer).length, errors, runtimeS: Math.round(runtimeS) },
      },
      () => {
        expect(CARD_PRESSES.filter((p, i) => !refToasts[i]?.includes(p.acted)).map((p, i) => `${p.label}: ${refToasts[i]?.slice(0, 200)}`)).toEqual([]);
        expect(crashes.map((c) => `${c.label} ${c.exit}`)).toEqual(crashes.map((c) => `${c.label} SIGKILL`));
        expect(windowsAsIntended).toBe(crashes.length);
        expect(differing).toEqual([]);
        expect(drilled.score_entry).toBeGreaterThan(0);
        expect(messageSteps.map((c) => [c.label, c.replyRequests, c.replies, c.sameAnswer])).toEqual(messageSteps.map((c) => [c.label, 1, 1, true]));
        expect(errors).toBe(0);
      },
    );
  } finally {
    for (const l of lives) await l.kill('SIGKILL');
    await fake.stop();
  }
}
