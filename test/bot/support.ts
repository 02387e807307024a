/** A programme on a real SQLite file, a roster with every role bound to an open_id, and a recording Outbound. */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { operatorActor } from '../../src/auth/actor.js';
import type { Card } from '../../src/cards/card.js';
import { renderCardText } from '../../src/cards/card.js';
import { fixedClock } from '../../src/clock.js';
import { bindChat } from '../../src/db/chat.repository.js';
import type { AnyOpenedDatabase } from '../../src/db/database.js';
import { onPostgres, openTestDatabase } from '../support/database.js';
import { bindMemberOpenId, findMemberByName } from '../../src/db/member.repository.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { silentLogger } from '../../src/log.js';
import type { Outbound, OutgoingFile, OutgoingMessage, OutgoingReply } from '../../src/messaging/outbound.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import { addMember } from '../../src/services/members.service.js';
import { initProgramme } from '../../src/services/init.service.js';
import { addUnit } from '../../src/services/units.service.js';
import type { BotDeps, ChatMessage, Reply } from '../../src/bot/types.js';
import { DEFAULT_SCHEDULER_SETTINGS, type SchedulerSettings } from '../../src/config/scheduler-settings.js';
import { createBotRuntime, type BotRuntime } from '../../src/runtime/bot-runtime.js';
import { createWorkCalendar } from '../../src/tasks/work-calendar.js';
import { getProgramme } from '../../src/db/setting.repository.js';

export const TZ = 'Asia/Shanghai';
/** Tuesday 10 March 2026, 10:00 in Shanghai. */
export const NOW = '2026-03-10T10:00:00+08:00';
export const BOT_OPEN_ID = 'ou_bot_dangjian';

/** open_ids of the roster members bound in `makeBot` (one per role, plus two lead units). */
export const OPEN_IDS = {
  leader: 'ou_leader',
  deputy: 'ou_deputy',
  member: 'ou_member',
  office: 'ou_office',
  /** 社管中心: co-lead of tasks 1–4. */
  leadUnit: 'ou_lead_sgzx',
  /** 社会治理办: leads task 8 only. */
  otherLeadUnit: 'ou_lead_shzlb',
  secretary: 'ou_secretary',
  unbound: 'ou_stranger',
} as const;

export const NAMES = {
  leader: '张建虹',
  deputy: '刘子龙',
  member: '卫忠',
  office: '王博文',
  leadUnit: '李社管',
  otherLeadUnit: '赵治理',
  secretary: '钱书记',
} as const;

export const GROUP = 'oc_group_leadership';
export const UNBOUND_GROUP = 'oc_group_new';

export class RecordingOutbound implements Outbound {
  replies: Array<OutgoingReply & { chatId?: string }> = [];
  sent: OutgoingMessage[] = [];
  patches: Array<{ messageId: string; card: object }> = [];
  files: Array<OutgoingFile & { fileKey: string }> = [];
  async sendMessage(m: OutgoingMessage) {
    this.sent.push(m);
    return { messageId: `om_sent_${this.sent.length}` };
  }
  async replyMessage(r: OutgoingReply) {
    this.replies.push(r);
    return { messageId: `om_reply_${this.replies.length}` };
  }
  async patchCard(p: { messageId: string; card: object }) {
    this.patches.push(p);
    return {};
  }
  uploadFile = async (f: OutgoingFile) => {
    const fileKey = `file_rec_${this.files.length + 1}`;
    this.files.push({ ...f, fileKey });
    return { fileKey };
  };
}

export interface TestBot {
  runtime: BotRuntime;
  deps: BotDeps;
  opened: AnyOpenedDatabase;
  outbound: RecordingOutbound;
  clock: ReturnType<typeof fixedClock>;
  dbFile: string;
  close(): Promise<void>;
}

/** Street (from init) → 城东社区 (→ 城东花园小区, 城东新村小区), 城西社区; roster bound; GROUP bound to 领导小组. */
export async function makeBot(options: { dbFile?: string; now?: string; outbound?: Outbound; cardDeadlineMs?: number; queueCapacity?: number; botOpenId?: string | null; settings?: SchedulerSettings } = {}): Promise<TestBot> {
  const dbFile = options.dbFile ?? join(mkdtempSync(join(tmpdir(), 'dangjian-bot-')), 'test.db');
  const opened = await openTestDatabase(dbFile);
  await migrateToLatest(opened.db);
  const plan = loadPlan();
  const clock = fixedClock(options.now ?? NOW);
  const base = { db: opened.db, plan, clock, tz: TZ };
  // A database already seeded (a template's copy, or the same database "restarted") is used as it is.
  if (!(await getProgramme(opened.db))) await seed(opened, base, clock);
  const outbound = new RecordingOutbound();
  const runtime = createBotRuntime({
    ...base,
    log: silentLogger,
    outbound: options.outbound ?? outbound,
    calendar,
    settings: options.settings ?? DEFAULT_SCHEDULER_SETTINGS,
    botOpenId: () => (options.botOpenId === undefined ? BOT_OPEN_ID : options.botOpenId),
    cardDeadlineMs: options.cardDeadlineMs,
    ...(options.queueCapacity === undefined ? {} : { queue: { capacity: options.queueCapacity } }),
  });
  return { runtime, deps: runtime.deps, opened, outbound, clock, dbFile, close: () => opened.close() };
}

const { calendar } = createWorkCalendar();

let template: Promise<string> | undefined;

/** Like makeBot, but copies a database seeded once per test file (fast for many small cases). */
export async function makeBotFromTemplate(options: { outbound?: Outbound } = {}): Promise<TestBot> {
  // PostgreSQL: each test database is a fresh schema; seeding it again is the copy.
  if (onPostgres) return makeBot(options);
  template ??= (async () => {
    const t = await makeBot();
    await t.close();
    return t.dbFile;
  })();
  const file = join(mkdtempSync(join(tmpdir(), 'dangjian-bot-')), 'test.copy.db');
  copyFileSync(await template, file);
  return makeBot({ ...options, dbFile: file });
}

async function seed(opened: AnyOpenedDatabase, base: { db: AnyOpenedDatabase['db']; plan: ReturnType<typeof loadPlan>; clock: ReturnType<typeof fixedClock>; tz: string }, clock: ReturnType<typeof fixedClock>): Promise<void> {
  const admin = operatorActor('test');
  await initProgramme(base, admin, { year: 2026, sampleRoster: true });
  for (const [name, level, parent] of [
    ['城东社区', 'community', undefined],
    ['城西社区', 'community', undefined],
    ['城东花园小区', 'compound', '城东社区'],
    ['城东新村小区', 'compound', '城东社区'],
  ] as const) {
    await addUnit(base, admin, { name, level, parent });
  }
  await addMember(base, admin, { name: NAMES.leadUnit, role: 'lead_unit', unit: '社管中心', openId: OPEN_IDS.leadUnit });
  await addMember(base, admin, { name: NAMES.otherLeadUnit, role: 'lead_unit', unit: '社会治理办', openId: OPEN_IDS.otherLeadUnit });
  await addMember(base, admin, { name: NAMES.secretary, role: 'secretary', unit: '城东社区', openId: OPEN_IDS.secretary });
  for (const role of ['leader', 'deputy', 'member', 'office'] as const) {
    const m = await findMemberByName(opened.db, NAMES[role]);
    if (!m) throw new Error(`roster has no ${NAMES[role]}`);
    await bindMemberOpenId(opened.db, m.id, OPEN_IDS[role]);
  }
  await bindChat(opened.db, { chatId: GROUP, target: { kind: 'leadership' }, by: 'test', at: clock.now().getTime() });
}

let seq = 0;

/** A group message @-mentioning the bot (or a p2p message with `chatType: 'p2p'`). */
export function message(text: string, o: Partial<ChatMessage> & { from?: string } = {}): ChatMessage {
  seq++;
  const chatType = o.chatType ?? 'group';
  const mention = chatType === 'group' ? [{ key: '@_user_1', openId: BOT_OPEN_ID, name: '党建助手' }] : [];
  return {
    eventId: o.eventId ?? `ev_${process.pid}_${seq}`,
    messageId: o.messageId ?? `om_in_${process.pid}_${seq}`,
    chatId: o.chatId ?? (chatType === 'group' ? GROUP : `oc_p2p_${o.from ?? OPEN_IDS.office}`),
    chatType,
    senderOpenId: o.from ?? OPEN_IDS.office,
    senderType: o.senderType ?? 'user',
    text: o.text !== undefined ? o.text : chatType === 'group' ? `@_user_1 ${text}` : text,
    mentions: o.mentions ?? mention,
  };
}

/** The reply as console text (title, fields, tables, numbered buttons). */
export function replyText(reply: Reply): string {
  if (reply.kind === 'file') return `[文件] ${reply.fileName}`;
  return reply.kind === 'text' ? reply.text : renderCardText(reply.card).text;
}

export function cardOf(reply: Reply): Card {
  if (reply.kind !== 'card') throw new Error(`expected a card, got ${reply.kind === 'text' ? `text: ${reply.text}` : `file ${reply.fileName}`}`);
  return reply.card;
}

/** Every button value on a card, in display order. */
export function buttonsOf(card: Card) {
  return renderCardText(card).buttons;
}
