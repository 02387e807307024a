/**
 * One gate for typing and pressing: a button that runs a command passes the same access check as
 * typing that command in the chat where it is pressed — the subscription of a group included. A
 * press counts as one-to-one only on a card sent into that very one-to-one chat.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleCardAction, handleMessage } from '../../src/bot/dispatch.js';
import type { ButtonValue, Card } from '../../src/cards/card.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { recordChecked } from '../support/evidence.js';
import { buttonsOf, GROUP, makeBotFromTemplate, message, OPEN_IDS, UNBOUND_GROUP, type TestBot } from './support.js';

let bot: TestBot;
beforeEach(async () => {
  bot = await makeBotFromTemplate();
});
afterEach(async () => {
  await bot.close();
});

let n = 0;
const title = (c: Card | undefined) => c?.header.title.content;

/** The help card as sent into a chat (what Lark would show there). */
async function helpCardIn(o: { chatId?: string; chatType?: 'p2p' | 'group'; from?: string }): Promise<Card> {
  const before = bot.outbound.replies.length;
  await handleMessage(message('帮助', o), bot.deps);
  const sent = bot.outbound.replies[before];
  expect(sent?.msgType).toBe('interactive');
  return sent!.content as Card;
}

const buttonFor = (card: Card, text: string): ButtonValue => {
  const b = buttonsOf(card).find((v) => v.text === text);
  if (!b) throw new Error(`no button for ${text}`);
  return b;
};

/** Every press and what it got back, for the evidence (docs/reliability.md). */
const presses: Array<{ chatId: string; answer: string | undefined }> = [];
/** Presses whose answer was compared with typing the same command in the same chat, and how many were equal. */
const comparedWithTyping = { presses: 0, equal: 0 };
let deniedAudits: string[] = [];

async function press(value: ButtonValue, chatId: string, presser: string = OPEN_IDS.leader) {
  n++;
  const r = await handleCardAction({ eventId: `ev_gate_${n}`, operatorOpenId: presser, value: { ...value }, messageId: `om_gate_${n}`, chatId, token: null }, bot.deps);
  presses.push({ chatId, answer: title(r.card) });
  return r;
}

function sameAsTyped(pressed: Card | undefined, typedReply: Card): void {
  comparedWithTyping.presses++;
  expect(pressed).toEqual(typedReply);
  comparedWithTyping.equal++;
}

async function typed(text: string, o: { chatId?: string; chatType?: 'p2p' | 'group'; from?: string }) {
  const before = bot.outbound.replies.length;
  await handleMessage(message(text, o), bot.deps);
  return bot.outbound.replies[before]!.content as Card;
}

describe('button presses pass the gate of the chat they are pressed in', () => {
  it('in a group that is not subscribed, 「排名」 and 「逾期任务」 pressed by a bound member are refused exactly like typing them there, and audited', async () => {
    const help = await helpCardIn({ chatId: UNBOUND_GROUP });
    for (const text of ['排名', '任务 逾期']) {
      const typedReply = await typed(text, { chatId: UNBOUND_GROUP, from: OPEN_IDS.leader });
      expect(title(typedReply)).toBe('本群尚未订阅');
      const pressed = await press(buttonFor(help, text), UNBOUND_GROUP);
      expect(title(pressed.card)).toBe('本群尚未订阅');
      sameAsTyped(pressed.card, typedReply);
    }
    const denials = (await listAudit(bot.opened.db)).filter((a) => a.outcome === 'denied' && a.subject === UNBOUND_GROUP);
    deniedAudits = denials.map((a) => a.source).sort();
    expect(deniedAudits).toEqual(['card', 'card', 'chat', 'chat']);
  });

  it('in the subscribed group, the same buttons answer', async () => {
    const help = await helpCardIn({ chatId: GROUP });
    const ranking = await press(buttonFor(help, '排名'), GROUP);
    expect(title(ranking.card)).toBe(title(await typed('排名', { chatId: GROUP, from: OPEN_IDS.leader })));
    expect(title(ranking.card)).toContain('排名');
  });

  it('in a one-to-one chat, a bound member gets the answer; forwarded into an unsubscribed group the same card is gated as a group', async () => {
    const p2pChat = `oc_p2p_${OPEN_IDS.leader}`;
    const help = await helpCardIn({ chatType: 'p2p', from: OPEN_IDS.leader });
    const rank = buttonFor(help, '排名');
    expect(rank.p2p).toBe(p2pChat);
    const answered = await press(rank, p2pChat);
    expect(title(answered.card)).toContain('排名');
    // The answer keeps the mark, so its own buttons work in that chat too.
    for (const b of buttonsOf(answered.card!).filter((v) => v.action === 'command')) expect(b.p2p).toBe(p2pChat);
    expect(title((await press(rank, UNBOUND_GROUP)).card)).toBe('本群尚未订阅');
  });

  it('a command button without the mark (an old card, or one forged for another chat) is gated as a group', async () => {
    const unmarked: ButtonValue = { action: 'command', text: '排名' };
    expect(title((await press(unmarked, UNBOUND_GROUP)).card)).toBe('本群尚未订阅');
    expect(title((await press({ ...unmarked, p2p: 'oc_p2p_someone_else' }, UNBOUND_GROUP)).card)).toBe('本群尚未订阅');
  });

  it('someone not on the roster pressing in a one-to-one chat is asked to bind first, as when typing', async () => {
    const p2pChat = `oc_p2p_${OPEN_IDS.unbound}`;
    const help = await helpCardIn({ chatType: 'p2p', from: OPEN_IDS.unbound });
    const pressed = await press(buttonFor(help, '排名'), p2pChat, OPEN_IDS.unbound);
    expect(title(pressed.card)).toBe('需要先绑定');
    sameAsTyped(pressed.card, await typed('排名', { chatType: 'p2p', from: OPEN_IDS.unbound }));
  });

  // Last in the file: what the tests above checked, as evidence (run on SQLite; the PostgreSQL
  // project runs the same assertions without writing it).
  it('records what was checked: presses refused where typing is, answered where typing is', async () => {
    const inUnsubscribed = presses.filter((p) => p.chatId === UNBOUND_GROUP);
    const refusedThere = inUnsubscribed.filter((p) => p.answer === '本群尚未订阅').length;
    const answered = presses.filter((p) => p.answer?.includes('排名')).length;
    const askedToBind = presses.filter((p) => p.answer === '需要先绑定').length;
    const check = () => {
      expect(refusedThere).toBe(inUnsubscribed.length);
      expect(inUnsubscribed.length).toBeGreaterThanOrEqual(5);
      expect(answered).toBeGreaterThanOrEqual(2);
      expect(askedToBind).toBe(1);
      expect(comparedWithTyping.equal).toBe(comparedWithTyping.presses);
      expect(deniedAudits).toEqual(['card', 'card', 'chat', 'chat']);
    };
    if (process.env.DANGJIAN_TEST_DIALECT === 'postgres') return check();
    await recordChecked(
      {
        id: 'button-gate',
        test: 'Button presses pass the chat gate (subscription, binding)',
        load: `${presses.length} presses of command buttons (「排名」, 「任务 逾期」) from help cards: in an unsubscribed group, the subscribed group, a one-to-one chat; by a bound leader and by someone not on the roster`,
        injected: 'a card posted in an unsubscribed group; a one-to-one card forwarded into that group; buttons without the one-to-one mark or marked for another chat',
        result: `${refusedThere}/${inUnsubscribed.length} presses in the unsubscribed group refused (本群尚未订阅), ${answered} answered where typing is answered, ${askedToBind} asked to bind first; ${comparedWithTyping.equal}/${comparedWithTyping.presses} pressed answers identical to typing the command in that chat; denials audited: ${deniedAudits.join(', ')}`,
        method: 'The real dispatcher (handleMessage / handleCardAction) on a real SQLite file; the help card sent into each chat supplies the buttons pressed.',
        metrics: { presses: presses.length, pressesInUnsubscribed: inUnsubscribed.length, refusedThere, answered, askedToBind, comparedWithTyping: comparedWithTyping.presses, identical: comparedWithTyping.equal },
      },
      check,
    );
  });
});
