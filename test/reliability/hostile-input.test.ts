/**
 * Hostile chat input, property-based (fast-check): 10,000 generated commands, and 1,000 button
 * presses, through the bot's one entry (handleMessage / handleCardAction) on a real SQLite file,
 * from a mix of actors (office, lead units, a community secretary, a leader, an unbound user),
 * in the leadership group, a group that is not subscribed, and one-to-one chats.
 *
 * Input: command words and aliases with arguments drawn from valid values and from hostile
 * ones (random Unicode, control and bidi characters, SQL fragments, huge and non-finite numbers,
 * negative and fractional points, unknown units and items, mentions of unbound users, 2,000+
 * characters), or no command at all.
 *
 * Every change to the database is caught by triggers added to the test database (bookkeeping
 * tables excepted: processed_event, audit_log). Per command the test checks:
 *   - handleMessage never throws, and every reply is a well-formed card (schema 2.0, known
 *     elements, under Lark's 30 KB) or non-empty text, with no stack trace or internal error name;
 *   - the domain tables change only for a write command by a member the rules permit (roles
 *     modelled here from the documented rules, read from the database before each command), by
 *     exactly the rows that command writes, with values within the plan's rules, audited;
 *   - a success reply comes with that change, and any other reply with none.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleCardAction, handleMessage, messageText } from '../../src/bot/dispatch.js';
import type { CardAction, ChatMessage, Reply } from '../../src/bot/types.js';
import { chartElementSchema } from '../../src/cards/chart-element.js';
import { findSubItem } from '../../src/plan/load-plan.js';
import { recordChecked } from '../support/evidence.js';
import { BOT_OPEN_ID, GROUP, makeBot, NAMES, OPEN_IDS, UNBOUND_GROUP, type TestBot } from '../bot/support.js';

const COMMANDS = 10_000;
const BUTTON_PRESSES = 1_000;
const SEED = 20_261_128;

const DOMAIN_TABLES = ['setting', 'unit', 'member', 'chat', 'score_entry', 'veto', 'task', 'task_completion', 'outbox'] as const;
const OFFICE_LEAD_UNIT = '党建办(组织)';

let bot: TestBot;
let raw: SQLite.Database;

beforeAll(async () => {
  const dbFile = join(mkdtempSync(join(tmpdir(), 'dangjian-hostile-')), 'hostile.db');
  bot = await makeBot({ dbFile });
  raw = new SQLite(dbFile);
  raw.pragma('busy_timeout = 10000');
  raw.exec('create table _changes (id integer primary key, tbl text not null, op text not null, rid integer, info text)');
  for (const t of DOMAIN_TABLES) {
    // Replies are recorded in the outbox (kind 'reply') for every answered message: bookkeeping, not a domain change.
    const onlyDomain = t === 'outbox' ? " when new.kind != 'reply'" : '';
    raw.exec(`create trigger _c_${t}_i after insert on "${t}"${onlyDomain} begin insert into _changes (tbl, op, rid) values ('${t}', 'insert', new.rowid); end`);
    raw.exec(`create trigger _c_${t}_u after update on "${t}"${onlyDomain} begin insert into _changes (tbl, op, rid) values ('${t}', 'update', new.rowid); end`);
    raw.exec(`create trigger _c_${t}_d after delete on "${t}" begin insert into _changes (tbl, op, rid) values ('${t}', 'delete', old.rowid); end`);
  }
  raw.exec(`create trigger _c_audit after insert on audit_log begin insert into _changes (tbl, op, rid, info) values ('audit_log', 'insert', new.rowid, new.action || ' ' || new.outcome); end`);
});

afterAll(async () => {
  raw?.close();
  await bot?.close();
});

// ---------------------------------------------------------------- generators

const hostileTokens = [
  "'; DROP TABLE score_entry; --",
  "城东社区' OR '1'='1",
  '" OR ""="',
  '1; DELETE FROM member',
  'UNION SELECT * FROM audit_log',
  '%',
  '_',
  '\\',
  '`rm -rf /`',
  '${process.exit()}',
  '<at id=ou_office></at>',
  '**粗体**',
  '[链接](javascript:alert(1))',
  '1e308',
  '1e309',
  '9'.repeat(400),
  '-0',
  'NaN',
  'Infinity',
  '0x1F',
  '1_000',
  '-3',
  '-0.5',
  '0.25',
  '7.75',
  '8.5',
  '８．５',
  '９',
  '8分',
  '½',
  '3.0000000000000001',
  '火星社区',
  '城东',
  '社区',
  '小区',
  '@_user_1',
  '@_user_2',
  '@_user_99',
  OPEN_IDS.unbound,
  'ou_',
  'ou_' + 'x'.repeat(70),
  '2026',
  '1999',
  '9999',
  '２０２６年',
  '6.2.1',
  '-6.2',
  '6,2',
  '６．２',
  '2026-13',
  'Q5',
  '第五季度',
  '\u0000',
  '\u202e',
  '\u200b',
  '\t',
  '\r\n',
  '\ud800',
];

const validTokens = {
  unit: ['城东社区', '城西社区', '城东花园小区', '城东新村小区', 'XX街道', '城东'],
  item: ['6.1', '6.2', '9.1', '10.1', '11.1', '13.1', '1.1', '2.1', '2.3', '29.1'],
  points: ['0', '1', '2.5', '4', '5', '5.5', '8', '10', '10.5', '11', '0.5'],
  reason: ['发生重大安全事故', '测试', '原因 很长'],
  seq: ['1', '2', '3', '4', '5', '8', '12', '25', '#4', '第8', '26', '0'],
  period: ['2026-01', '2026-02', '2026-03', '3月', '2026', 'Q1', '2026-Q1', '2026-03-上'],
  name: [NAMES.leader, NAMES.deputy, NAMES.member, NAMES.office, NAMES.leadUnit, NAMES.otherLeadUnit, NAMES.secretary, '不存在的人'],
  target: ['领导小组', '社管中心', '社会治理办', '城东社区', '党建办', '火星'],
  filter: ['我的', '逾期', '本周', '全部', '1', '8', '99'],
  level: ['社区', '小区', '全部', '楼宇'],
};

const COMMAND_WORDS: Record<string, string[]> = {
  help: ['帮助', 'help', '?', '菜单'],
  score: ['得分', 'score', '分数'],
  rank: ['排名', 'rank', '排行'],
  tasks: ['任务', 'tasks', 'task'],
  done: ['完成', 'done'],
  undo: ['撤销', 'undo'],
  digest: ['周报', 'digest'],
  targets: ['目标', 'targets', '进度'],
  setscore: ['录分', 'setscore', '打分'],
  veto: ['否决', 'veto'],
  subscribe: ['订阅', 'subscribe'],
  bind: ['绑定', 'bind'],
};

/** The arguments of each command, by position (usage order). */
const ARG_POOLS: Record<string, Array<keyof typeof validTokens>> = {
  help: [],
  score: ['unit', 'period'],
  rank: ['level', 'unit'],
  tasks: ['filter', 'period'],
  done: ['seq', 'period', 'reason'],
  undo: ['seq', 'period'],
  digest: [],
  targets: ['period'],
  setscore: ['unit', 'item', 'points', 'period'],
  veto: ['unit', 'reason'],
  subscribe: ['target'],
  bind: ['name'],
};

const anyUnicode = fc.string({ unit: 'binary', maxLength: 40 });
const controlChars = fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 10 });

/** One argument: usually a value valid for its position, otherwise something hostile. */
function tokenArb(pool: keyof typeof validTokens): fc.Arbitrary<string> {
  return fc.oneof({ weight: 14, arbitrary: fc.constantFrom(...validTokens[pool]) }, { weight: 4, arbitrary: fc.constantFrom(...hostileTokens) }, { weight: 1, arbitrary: anyUnicode }, { weight: 1, arbitrary: fc.double().map(String) }, { weight: 1, arbitrary: fc.bigInt().map(String) });
}

const structured = fc.constantFrom(...Object.keys(COMMAND_WORDS)).chain((cmd) => {
  const pools = ARG_POOLS[cmd]!;
  const positional = fc.tuple(...pools.map(tokenArb), fc.option(tokenArb('unit'), { nil: undefined, freq: 6 })).chain((all) => fc.integer({ min: 0, max: all.length }).map((n) => all.slice(0, n).filter((t): t is string => t !== undefined)));
  return fc.tuple(fc.constantFrom(...COMMAND_WORDS[cmd]!), fc.integer({ min: 0, max: 9 }), positional, fc.constantFrom(' ', ' ', ' ', '  ', '\u3000', '\t')).map(([word, slash, args, sep]) => `${slash === 0 ? '/' : ''}${word}${args.length > 0 ? sep : ''}${args.join(sep)}`);
});

/** Well-formed write commands (whether the sender may use them is up to the actor drawn). */
const validWrite = fc.oneof(
  fc.constantFrom(['城东社区', ['6.1', '6.2', '9.1', '10.1']] as const, ['城东花园小区', ['11.1', '13.1']] as const, ['XX街道', ['1.1', '2.1']] as const).chain(([unit, items]) =>
    fc.tuple(fc.constantFrom(...items), fc.integer({ min: 0, max: 20 })).map(([item, half]) => `录分 ${unit} ${item} ${half / 2}`),
  ),
  fc.constantFrom(...validTokens.unit.slice(0, 4)).map((u) => `否决 ${u} 发生重大安全事故`),
  fc.tuple(fc.integer({ min: 1, max: 25 }), fc.option(fc.constantFrom('2026-01', '2026-02', '2026-03', '2026'), { nil: undefined })).map(([n, p]) => `完成 ${n}${p ? ` ${p}` : ''}`),
  fc.integer({ min: 1, max: 25 }).map((n) => `撤销 ${n}`),
  fc.constantFrom(...validTokens.target).map((t) => `订阅 ${t}`),
  fc.constantFrom(...validTokens.name).map((n) => `绑定 ${n} @_user_2`),
);

const textArb = fc.oneof(
  { weight: 4, arbitrary: validWrite },
  { weight: 10, arbitrary: structured },
  { weight: 2, arbitrary: anyUnicode },
  { weight: 1, arbitrary: controlChars },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('帮助 ', '录分 城东社区 6.2 ', '否决 城东社区 '), fc.integer({ min: 1990, max: 2600 })).map(([p, n]) => p + 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...hostileTokens), { minLength: 1, maxLength: 6 }).map((t) => t.join(' ')) },
);

type ActorKey = 'office' | 'leadUnit' | 'otherLeadUnit' | 'secretary' | 'leader' | 'unbound';
const actorArb = fc.constantFrom<ActorKey>('office', 'office', 'office', 'leadUnit', 'leadUnit', 'otherLeadUnit', 'secretary', 'leader', 'unbound', 'unbound');
const chatArb = fc.constantFrom<'group' | 'unbound-group' | 'p2p'>('group', 'group', 'group', 'group', 'group', 'unbound-group', 'p2p', 'p2p');
const extraMentionArb = fc.option(fc.record({ key: fc.constantFrom('@_user_2', '@_user_3'), openId: fc.constantFrom<string | null>(OPEN_IDS.unbound, OPEN_IDS.office, OPEN_IDS.secretary, BOT_OPEN_ID, 'ou_random_x', null), name: fc.constantFrom('某人', '') }), { nil: undefined });

const commandArb = fc.record({ actor: actorArb, chat: chatArb, text: textArb, omitMention: fc.integer({ min: 0, max: 19 }), extra: extraMentionArb });
type GeneratedCommand = typeof commandArb extends fc.Arbitrary<infer T> ? T : never;

// ---------------------------------------------------------------- the oracle

interface Change {
  tbl: string;
  op: string;
  rid: number;
  info: string | null;
}

const takeChanges = (): Change[] => {
  const rows = raw.prepare('select tbl, op, rid, info from _changes order by id').all() as Change[];
  raw.exec('delete from _changes');
  return rows;
};

interface MemberNow {
  role: string;
  lead_unit: string | null;
  name: string;
}

const memberOf = (openId: string): MemberNow | undefined => raw.prepare('select role, lead_unit, name from member where open_id = ?').get(openId) as MemberNow | undefined;

/** The documented rules: office-only commands need the office (or the office's own lead-unit members). */
const isOfficeMember = (m: MemberNow | undefined) => m !== undefined && (m.role === 'office' || (m.role === 'lead_unit' && m.lead_unit === OFFICE_LEAD_UNIT));
/** Completing / undoing a task: the office, the leadership group, or a member of one of the task's lead units. */
function mayComplete(m: MemberNow | undefined, taskId: number): boolean {
  if (!m) return false;
  if (isOfficeMember(m) || ['leader', 'deputy', 'member'].includes(m.role)) return true;
  if (m.role !== 'lead_unit' || m.lead_unit === null) return false;
  const task = raw.prepare('select lead_units from task where id = ?').get(taskId) as { lead_units: string } | undefined;
  return task !== undefined && (JSON.parse(task.lead_units) as string[]).includes(m.lead_unit);
}

const TEMPLATES = new Set(['blue', 'wathet', 'turquoise', 'green', 'yellow', 'orange', 'red', 'carmine', 'violet', 'purple', 'indigo', 'grey']);
const LEAK = /\n\s+at |\bat [\w$.<>]+ \(|node_modules|\.ts:\d+|\.js:\d+|\b(?:Sqlite|Type|Reference|Range|Syntax|Zod|Kysely)Error\b|SQLITE_|undefined is not|Cannot read prop/;

function cardProblems(cardValue: unknown): string[] {
  const problems: string[] = [];
  const c = cardValue as Record<string, unknown>;
  if (c?.schema !== '2.0') problems.push('schema is not 2.0');
  const header = c?.header as { title?: { tag?: unknown; content?: unknown }; template?: unknown } | undefined;
  if (header?.title?.tag !== 'plain_text' || typeof header.title.content !== 'string' || header.title.content.trim() === '') problems.push('header title');
  if (typeof header?.template !== 'string' || !TEMPLATES.has(header.template)) problems.push(`template ${String(header?.template)}`);
  const elements = (c?.body as { elements?: unknown } | undefined)?.elements;
  if (!Array.isArray(elements)) problems.push('body.elements');
  const walk = (els: unknown[]) => {
    for (const e of els as Array<Record<string, unknown>>) {
      switch (e?.tag) {
        case 'markdown':
          if (typeof e.content !== 'string') problems.push('markdown content');
          break;
        case 'hr':
          break;
        case 'button': {
          const b = e.behaviors as Array<{ type?: unknown; value?: { action?: unknown } }> | undefined;
          if (!Array.isArray(b) || b[0]?.type !== 'callback' || typeof b[0]?.value?.action !== 'string') problems.push('button behaviour');
          if (typeof (e.text as { content?: unknown } | undefined)?.content !== 'string') problems.push('button text');
          break;
        }
        case 'table':
          if (!Array.isArray(e.columns) || !Array.isArray(e.rows)) problems.push('table');
          break;
        case 'column_set':
          for (const col of (e.columns as Array<{ elements?: unknown[] }> | undefined) ?? []) walk(col.elements ?? []);
          break;
        case 'chart':
          if (!chartElementSchema.safeParse(e).success) problems.push('chart element');
          break;
        default:
          problems.push(`unknown element ${String(e?.tag)}`);
      }
    }
  };
  if (Array.isArray(elements)) walk(elements);
  const bytes = Buffer.byteLength(JSON.stringify(cardValue), 'utf8');
  if (bytes > 30 * 1024) problems.push(`card of ${bytes} bytes`);
  return problems;
}

function replyProblems(reply: Reply, input: string): string[] {
  const problems = reply.kind === 'card' ? cardProblems(reply.card) : reply.kind === 'file' ? (reply.bytes.length === 0 ? ['empty file'] : []) : reply.text.trim() === '' ? ['empty text'] : [];
  const text = JSON.stringify(reply);
  const leak = LEAK.exec(text);
  if (leak && !input.includes(leak[0].trim())) problems.push(`internal detail in the reply: ${leak[0]}`);
  return problems;
}

const WRITES: Record<string, { table: string; ops: string[]; audit: string; success: (reply: string) => boolean; officeOnly: boolean }> = {
  setscore: { table: 'score_entry', ops: ['insert'], audit: 'score.set ok', success: (r) => r.includes('"已录分 · '), officeOnly: true },
  veto: { table: 'veto', ops: ['insert'], audit: 'veto.set ok', success: (r) => r.includes('"一票否决 · '), officeOnly: true },
  subscribe: { table: 'chat', ops: ['insert', 'update'], audit: 'chat.bind ok', success: (r) => r.includes('"本群已订阅"'), officeOnly: true },
  bind: { table: 'member', ops: ['update'], audit: 'member.bind ok', success: (r) => r.includes('"绑定成功"'), officeOnly: true },
  done: { table: 'task_completion', ops: ['insert'], audit: 'task.done ok', success: (r) => /已将任务 \d+ 的 .+ 标记完成/.test(r), officeOnly: false },
  undo: { table: 'task_completion', ops: ['update'], audit: 'task.undo ok', success: (r) => /撤销了任务 \d+ 的 /.test(r), officeOnly: false },
};

const commandOf = (text: string): string | null => {
  const first = text.trim().replace(/^[/／]\s*/, '').split(/\s+/u)[0] ?? '';
  const folded = first.normalize('NFKC').toLowerCase();
  for (const [cmd, words] of Object.entries(COMMAND_WORDS)) if (words.some((w) => w.toLowerCase() === folded)) return cmd;
  // Glued Chinese names (「录分城东社区」) are matched by prefix, longest first, as the registry does.
  const chinese = Object.entries(COMMAND_WORDS).flatMap(([cmd, words]) => words.filter((w) => /[^\x00-\x7f]/.test(w)).map((w) => [cmd, w] as const));
  chinese.sort((a, b) => b[1].length - a[1].length);
  for (const [cmd, w] of chinese) if (folded.startsWith(w)) return cmd;
  return null;
};

/** What the oracle found wrong with one command's effect. */
function effectProblems(p: { command: string | null; actor: MemberNow | undefined; reply: string; changes: Change[]; chatType: 'group' | 'p2p' }): string[] {
  const spec = p.command ? WRITES[p.command] : undefined;
  // The first chat binding also records the go-live date (REMINDERS_START): an insert of that one setting, never an update.
  const goLive = (c: Change) => p.command === 'subscribe' && c.tbl === 'setting' && c.op === 'insert' && (raw.prepare('select key from setting where rowid = ?').get(c.rid) as { key: string } | undefined)?.key === 'reminders_start';
  const domain = p.changes.filter((c) => c.tbl !== 'audit_log' && !goLive(c));
  const audits = p.changes.filter((c) => c.tbl === 'audit_log').map((c) => c.info ?? '');
  if (!spec) return domain.length > 0 ? [`a non-writing command changed ${JSON.stringify(domain)}`] : [];
  const succeeded = spec.success(p.reply);
  if (domain.length === 0) return succeeded ? ['a success reply without a change'] : [];
  const problems: string[] = [];
  if (!succeeded) problems.push('a change without a success reply');
  if (domain.length !== 1 || domain[0]!.tbl !== spec.table || !spec.ops.includes(domain[0]!.op)) problems.push(`unexpected rows written: ${JSON.stringify(domain)}`);
  if (!audits.includes(spec.audit)) problems.push(`write not audited (${JSON.stringify(audits)})`);
  const row = domain[0]!;
  if (spec.officeOnly && !isOfficeMember(p.actor)) problems.push(`written by a non-office sender (${JSON.stringify(p.actor ?? 'unbound')})`);
  if (row.tbl === 'task_completion') {
    const c = raw.prepare('select task_id from task_completion where rowid = ?').get(row.rid) as { task_id: number };
    if (!mayComplete(p.actor, c.task_id)) problems.push(`task completion by a sender who may not (${JSON.stringify(p.actor ?? 'unbound')})`);
  }
  if (row.tbl === 'score_entry') {
    const e = raw.prepare('select s.points, s.item_code, u.level from score_entry s join unit u on u.id = s.unit_id where s.rowid = ?').get(row.rid) as { points: number; item_code: string; level: string };
    const sub = findSubItem(bot.deps.plan, e.item_code);
    if (!sub) problems.push(`score for an item not in the plan: ${e.item_code}`);
    else {
      if (sub.level !== e.level) problems.push(`item ${e.item_code} of level ${sub.level} scored for a ${e.level}`);
      if (!(Number.isFinite(e.points) && e.points >= 0 && e.points <= sub.subItem.points && Number.isInteger(e.points * 2))) problems.push(`points ${e.points} outside 0…${sub.subItem.points} in steps of 0.5`);
    }
  }
  if (row.tbl === 'chat' && p.chatType !== 'group') problems.push('a one-to-one chat was subscribed');
  return problems;
}

// ---------------------------------------------------------------- the properties

let seq = 0;

function toMessage(c: GeneratedCommand): ChatMessage {
  seq++;
  const openId = OPEN_IDS[c.actor];
  const chatType = c.chat === 'p2p' ? 'p2p' : 'group';
  const chatId = c.chat === 'group' ? GROUP : c.chat === 'unbound-group' ? UNBOUND_GROUP : `oc_p2p_${openId}`;
  // In groups the bot is mentioned, except now and then (the message must then be ignored).
  const mentioned = chatType === 'group' && c.omitMention !== 0;
  const mentions = [...(mentioned ? [{ key: '@_user_1', openId: BOT_OPEN_ID, name: '党建助手' }] : []), ...(c.extra ? [c.extra] : [])];
  return { eventId: `ev_hostile_${seq}`, messageId: `om_hostile_${seq}`, chatId, chatType, senderOpenId: openId, senderType: 'user', text: mentioned ? `@_user_1 ${c.text}` : c.text, mentions };
}

const stats = { officeSenders: 0, commands: 0, replies: 0, ignored: 0, cards: 0, texts: 0, writesAccepted: 0, writesRefusedOrInvalid: 0, readsOrOther: 0, presses: 0, pressWrites: 0, byCommand: {} as Record<string, number> };

describe('hostile chat input', () => {
  it(`${COMMANDS.toLocaleString('en')} generated commands and ${BUTTON_PRESSES.toLocaleString('en')} button presses: no crash, well-formed replies, the database changed only by valid commands from permitted members`, async () => {
    const started = performance.now();
    const failures: string[] = [];
    takeChanges();
    await fc.assert(
      fc.asyncProperty(commandArb, async (c) => {
        const msg = toMessage(c);
        const actor = memberOf(msg.senderOpenId);
        if (isOfficeMember(actor)) stats.officeSenders++;
        const outcome = await handleMessage(msg, bot.deps); // never throws
        const changes = takeChanges();
        stats.commands++;
        const problems: string[] = [];
        if (outcome.status === 'failed') problems.push('outcome failed');
        else if (outcome.status === 'ignored') {
          stats.ignored++;
          if (!(outcome.reason === 'not_mentioned' && msg.chatType === 'group' && !msg.mentions.some((m) => m.openId === BOT_OPEN_ID))) problems.push(`ignored: ${outcome.reason}`);
          if (changes.some((x) => x.tbl !== 'audit_log')) problems.push('an ignored message changed the database');
        } else {
          stats.replies++;
          if (outcome.reply.kind === 'card') stats.cards++;
          else stats.texts++;
          problems.push(...replyProblems(outcome.reply, msg.text ?? ''));
          const command = commandOf(messageText(msg, BOT_OPEN_ID) ?? '');
          const replyJson = JSON.stringify(outcome.reply);
          problems.push(...effectProblems({ command, actor, reply: replyJson, changes, chatType: msg.chatType }));
          stats.byCommand[command ?? '(none)'] = (stats.byCommand[command ?? '(none)'] ?? 0) + 1;
          if (command && WRITES[command]) {
            if (changes.some((x) => x.tbl !== 'audit_log')) stats.writesAccepted++;
            else stats.writesRefusedOrInvalid++;
          } else stats.readsOrOther++;
        }
        if (problems.length > 0) throw new Error(`${JSON.stringify({ actor: c.actor, chat: c.chat, text: msg.text })}: ${problems.join('; ')}`);
      }),
      { numRuns: COMMANDS, seed: SEED, endOnFailure: true },
    ).catch((err: unknown) => failures.push(String((err as Error).message)));

    const valueArb = fc.oneof(
      fc.record({ action: fc.constant('task.complete'), year: fc.oneof(fc.constant(2026), fc.integer(), fc.constantFrom('2026', 'x', null)), seq: fc.oneof(fc.integer({ min: 1, max: 26 }), fc.integer(), fc.constantFrom('1; drop table task', -1, 1e308, null)), period: fc.option(fc.constantFrom(...validTokens.period, ...hostileTokens.slice(0, 10)), { nil: undefined }) }),
      fc.record({ action: fc.constant('reminder.snooze'), key: fc.oneof(anyUnicode, fc.constantFrom("due:4:2026:d1:oc_djb", "' OR 1=1 --")) }),
      fc.record({ action: fc.oneof(anyUnicode, fc.constantFrom('command', 'task.complete', '__proto__')), text: anyUnicode }),
      fc.dictionary(anyUnicode, fc.jsonValue(), { maxKeys: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ actor: actorArb, value: valueArb, chat: fc.constantFrom(GROUP, UNBOUND_GROUP, null) }), async (p) => {
        seq++;
        const action: CardAction = { eventId: `ev_press_${seq}`, operatorOpenId: OPEN_IDS[p.actor], value: p.value as Record<string, unknown>, messageId: `om_card_${seq}`, chatId: p.chat, token: null };
        const actor = memberOf(action.operatorOpenId);
        const result = await handleCardAction(action, bot.deps); // never throws
        const changes = takeChanges();
        stats.presses++;
        const problems: string[] = [];
        const keys = Object.keys(result);
        if (keys.some((k) => k !== 'toast' && k !== 'card')) problems.push(`unexpected keys ${keys.join(',')}`);
        if (result.toast && (!['success', 'error', 'info', 'warning'].includes(result.toast.type) || result.toast.content.trim() === '')) problems.push('toast');
        if (result.card) problems.push(...cardProblems(result.card));
        const leak = LEAK.exec(JSON.stringify(result));
        if (leak && !JSON.stringify(p.value).includes(leak[0].trim())) problems.push(`internal detail: ${leak[0]}`);
        const domain = changes.filter((x) => x.tbl !== 'audit_log');
        if (domain.length > 0) {
          stats.pressWrites++;
          const action_ = (p.value as { action?: unknown }).action;
          if (action_ === 'task.complete') {
            if (domain.length !== 1 || domain[0]!.tbl !== 'task_completion' || domain[0]!.op !== 'insert') problems.push(`unexpected rows ${JSON.stringify(domain)}`);
            else {
              const c = raw.prepare('select task_id from task_completion where rowid = ?').get(domain[0]!.rid) as { task_id: number };
              if (!mayComplete(actor, c.task_id)) problems.push('completed by a presser who may not');
            }
            if (result.toast?.type !== 'success') problems.push('a change without a success toast');
          } else if (action_ === 'command') {
            const cmd = commandOf(String((p.value as { text?: unknown }).text ?? ''));
            problems.push(...effectProblems({ command: cmd, actor, reply: JSON.stringify(result.card ?? {}), changes, chatType: p.chat === null ? 'p2p' : 'group' }));
          } else problems.push(`button ${String(action_)} changed ${JSON.stringify(domain)}`);
        } else if ((p.value as { action?: unknown }).action === 'task.complete' && result.toast?.type === 'success') problems.push('a success toast without a change');
        if (problems.length > 0) throw new Error(`press ${JSON.stringify(p)}: ${problems.join('; ')}`);
      }),
      { numRuns: BUTTON_PRESSES, seed: SEED + 1, endOnFailure: true },
    ).catch((err: unknown) => failures.push(String((err as Error).message)));
    const seconds = (performance.now() - started) / 1000;
    const counts = raw.prepare(`select ${DOMAIN_TABLES.map((t) => `(select count(*) from "${t}") as "${t}"`).join(', ')}`).get() as Record<string, number>;
    const integrity = String(raw.pragma('integrity_check', { simple: true }));

    await recordChecked(
      {
        id: 'hostile-input',
        test: 'Hostile chat input (property-based)',
        load: `${stats.commands.toLocaleString('en')} generated commands + ${stats.presses.toLocaleString('en')} button presses from 6 kinds of sender in 3 kinds of chat, one real SQLite file (fast-check seed ${SEED})`,
        injected: 'random Unicode, control and bidi characters, SQL fragments, huge / non-finite / negative / fractional numbers, unknown units, items and periods, mentions of unbound users, 2,000+ character messages, malformed button values',
        result: `0 crashes; ${stats.replies.toLocaleString('en')} replies (${stats.cards.toLocaleString('en')} cards, ${stats.texts} texts) all well-formed, ${stats.ignored} ignored (no mention); ${stats.writesAccepted} writes accepted and ${stats.pressWrites} by buttons, each by a permitted member, valid and audited; ${stats.writesRefusedOrInvalid.toLocaleString('en')} write commands refused or invalid with no change; integrity_check ${integrity}; ${seconds.toFixed(1)} s`,
        method:
          'fast-check properties over handleMessage / handleCardAction (the entry every receiver uses), in process, on a real SQLite file whose domain tables carry test-only triggers logging every insert, update and delete; the oracle models who may write from the documented rules and the member table before each command, checks each write against the plan (item level, 0…max in 0.5 steps) and requires an audit row.',
        metrics: { ...stats, byCommand: JSON.stringify(stats.byCommand), seconds: Number(seconds.toFixed(1)), ...Object.fromEntries(Object.entries(counts).map(([k, v]) => [`rows_${k}`, v])), integrity },
      },
      () => {
        expect(failures).toEqual([]);
        expect(stats.commands).toBeGreaterThanOrEqual(COMMANDS);
        expect(stats.presses).toBeGreaterThanOrEqual(BUTTON_PRESSES);
        // The generator reaches both sides: writes that are accepted and writes that are refused.
        expect(stats.writesAccepted).toBeGreaterThan(10);
        expect(stats.writesRefusedOrInvalid).toBeGreaterThan(100);
        expect(integrity).toBe('ok');
      },
    );
  }, 240_000);
});
