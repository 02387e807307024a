/**
 * Every write command × every role: allowed or refused, the database changed or not, and an
 * audit row either way. Task 1 is led by 党建办(组织) and 社管中心 ('lead_unit' below is a
 * 社管中心 member; 'other_lead_unit' a 社会治理办 member).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/auth/actor.js';
import { handleCardAction, respondToMessage } from '../../src/bot/dispatch.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { findChat } from '../../src/db/chat.repository.js';
import { findMemberByName } from '../../src/db/member.repository.js';
import { activeVetoes, latestScores } from '../../src/db/score.repository.js';
import { findUnitByName } from '../../src/db/unit.repository.js';
import { activeCompletions, findTask } from '../../src/db/task.repository.js';
import { completeOccurrence } from '../../src/services/tasks.service.js';
import { GROUP, makeBotFromTemplate, message, NAMES, OPEN_IDS, replyText, UNBOUND_GROUP, type TestBot } from './support.js';

const ROLES = ['leader', 'deputy', 'member', 'office', 'lead_unit', 'other_lead_unit', 'secretary', 'unbound'] as const;
type RoleKey = (typeof ROLES)[number];

const who: Record<RoleKey, { openId: string; auditName: string }> = {
  leader: { openId: OPEN_IDS.leader, auditName: NAMES.leader },
  deputy: { openId: OPEN_IDS.deputy, auditName: NAMES.deputy },
  member: { openId: OPEN_IDS.member, auditName: NAMES.member },
  office: { openId: OPEN_IDS.office, auditName: NAMES.office },
  lead_unit: { openId: OPEN_IDS.leadUnit, auditName: NAMES.leadUnit },
  other_lead_unit: { openId: OPEN_IDS.otherLeadUnit, auditName: NAMES.otherLeadUnit },
  secretary: { openId: OPEN_IDS.secretary, auditName: NAMES.secretary },
  unbound: { openId: OPEN_IDS.unbound, auditName: `unbound:${OPEN_IDS.unbound}` },
};

const TASK_WRITERS: readonly RoleKey[] = ['leader', 'deputy', 'member', 'office', 'lead_unit'];
const OFFICE_ONLY: readonly RoleKey[] = ['office'];

interface WriteCase {
  name: string;
  auditAction: string;
  allowed: readonly RoleKey[];
  /** Prepares the database; returns nothing. */
  setup?: (bot: TestBot) => Promise<void>;
  act: (bot: TestBot, openId: string) => Promise<string>;
  /** The state the command changes, as a comparable value. */
  state: (bot: TestBot) => Promise<unknown>;
}

const task1Completions = async (bot: TestBot) => {
  const task = await findTask(bot.opened.db, 2026, 1);
  return (await activeCompletions(bot.opened.db, [task!.id])).map((c) => c.period);
};

async function say(bot: TestBot, text: string, openId: string, chatId = GROUP): Promise<string> {
  const r = await respondToMessage(message(text, { from: openId, chatId }), bot.deps);
  if (r.status !== 'replied') throw new Error(`not replied: ${r.reason}`);
  return replyText(r.reply);
}

const CASES: WriteCase[] = [
  { name: '完成', auditAction: 'task.done', allowed: TASK_WRITERS, act: (b, o) => say(b, '完成 1', o), state: task1Completions },
  {
    name: '撤销',
    auditAction: 'task.undo',
    allowed: TASK_WRITERS,
    setup: async (b) => {
      await completeOccurrence(b.deps, operatorActor('test'), { year: 2026, seq: 1 });
    },
    act: (b, o) => say(b, '撤销 1', o),
    state: task1Completions,
  },
  {
    name: '标记完成 button',
    auditAction: 'task.done',
    allowed: TASK_WRITERS,
    act: async (b, o) => {
      const r = await handleCardAction({ eventId: `ev_${o}`, operatorOpenId: o, value: { action: 'task.complete', year: 2026, seq: 1, period: '2026' }, messageId: 'om_c', chatId: GROUP, token: null }, b.deps);
      return r.toast?.content ?? '';
    },
    state: task1Completions,
  },
  {
    name: '录分',
    auditAction: 'score.set',
    allowed: OFFICE_ONLY,
    act: (b, o) => say(b, '录分 城西社区 6.2 8', o),
    state: async (b) => latestScores(b.opened.db, 2026, [(await findUnitByName(b.opened.db, '城西社区'))!.id]),
  },
  {
    name: '否决',
    auditAction: 'veto.set',
    allowed: OFFICE_ONLY,
    act: (b, o) => say(b, '否决 城西社区 安全事故', o),
    state: async (b) => (await activeVetoes(b.opened.db, 2026)).map((v) => v.reason),
  },
  {
    name: '订阅',
    auditAction: 'chat.bind',
    allowed: OFFICE_ONLY,
    act: (b, o) => say(b, '订阅 社管中心', o, UNBOUND_GROUP),
    state: async (b) => (await findChat(b.opened.db, UNBOUND_GROUP))?.target ?? null,
  },
  {
    name: '绑定',
    auditAction: 'member.bind',
    allowed: OFFICE_ONLY,
    act: (b, o) => say(b, '绑定 顾爱萍 ou_gu_aiping', o),
    state: async (b) => (await findMemberByName(b.opened.db, '顾爱萍'))?.open_id ?? null,
  },
];

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.close();
  bot = undefined;
});

describe.each(CASES)('$name', (c) => {
  it.each(ROLES)('%s', async (role) => {
    bot = await makeBotFromTemplate();
    await c.setup?.(bot);
    const before = await c.state(bot);
    const auditBefore = (await listAudit(bot.opened.db, { action: c.auditAction })).length;
    const answer = await c.act(bot, who[role].openId);
    const after = await c.state(bot);
    const all = await listAudit(bot.opened.db, { action: c.auditAction });
    // Newest first: the rows this command added.
    const audits = all.slice(0, all.length - auditBefore);
    expect(audits).toHaveLength(1);
    const row = audits[0]!;
    expect(row.actor).toBe(who[role].auditName);
    if (c.allowed.includes(role)) {
      expect(row.outcome).toBe('ok');
      expect(after).not.toEqual(before);
    } else {
      expect(row.outcome).toBe('denied');
      expect(after).toEqual(before);
      // The refusal says why: not on the roster, or not allowed for this command.
      expect(answer).toMatch(role === 'unbound' ? /还没有绑定花名册/ : /只有党建办|不是任务 1 的牵头单位/);
    }
  });
});
