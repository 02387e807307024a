/**
 * One gate for typing and pressing: a button that runs a command passes the same access check as
 * typing that command in the chat where it is pressed — the subscription of a group included. A
 * press counts as one-to-one only on a card sent into that very one-to-one chat.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleCardAction, handleMessage } from '../../src/bot/dispatch.js';
import type { ButtonValue, Card } from '../../src/cards/card.js';
import { listAudit } from '../../src/db/audit.repository.js';
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

async function press(value: ButtonValue, chatId: string, presser: string = OPEN_IDS.leader) {
  n++;
  return handleCardAction({ eventId: `ev_gate_${n}`, operatorOpenId: presser, value: { ...value }, messageId: `om_gate_${n}`, chatId, token: null }, bot.deps);
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
      expect(pressed.card).toEqual(typedReply);
    }
    const denials = (await listAudit(bot.opened.db)).filter((a) => a.outcome === 'denied' && a.subject === UNBOUND_GROUP);
    expect(denials.map((a) => a.source).sort()).toEqual(['card', 'card', 'chat', 'chat']);
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
    expect(pressed.card).toEqual(await typed('排名', { chatType: 'p2p', from: OPEN_IDS.unbound }));
  });
});
