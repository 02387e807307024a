/**
 * Hostile text through every reply path that quotes input: the unknown-command hint, usage
 * errors (extra argument, unknown unit, bad number), 「帮助 X」, a refusal, a veto reason, a
 * completion note, a command run by a button, a batch refusal. What reaches Lark (the reply
 * handed to the Outbound, or the card a button answers with) is scanned: no markdown element
 * carries a mention of everyone, a link, bold, an HTML tag or card JSON from the input, and the
 * console rendering still shows the person's text as they typed it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordChecked } from '../support/evidence.js';
import { handleCardAction, handleMessage } from '../../src/bot/dispatch.js';
import { escapeMarkdown, renderCardText, type Card, type CardElement } from '../../src/cards/card.js';
import { GROUP, makeBotFromTemplate, message, OPEN_IDS, type TestBot } from './support.js';

/** Markup that must never come from a person's text into card markdown. Our own cards use none of it. */
const LIVE = [/<at\b/i, /<\/at>/i, /\]\(/, /\*\*粗体\*\*/, /<a\b/i, /<\/a>/i, /<font\b/i, /<script\b/i, /\{"tag"/, /:OK:/];

const AT_ALL = '<at id=all></at>';
const LINK = '[领奖](https://x.cn)';
const BOLD = '**粗体**';
const HTML = '<a href="https://x.cn">点我</a>';
const FONT = '<font color=red>红</font>';
const CARD_JSON = '{"tag":"markdown","content":"<at id=all></at>"}';

/** Every markdown text in a card (markdown elements and lark_md table cells), nested columns included. */
function markdownTexts(card: Card): string[] {
  const out: string[] = [];
  const walk = (els: CardElement[]) => {
    for (const e of els) {
      if (e.tag === 'markdown') out.push(e.content);
      if (e.tag === 'column_set') for (const c of e.columns) walk(c.elements);
      if (e.tag === 'table') for (const col of e.columns.filter((c) => c.data_type === 'lark_md')) for (const r of e.rows) out.push(String(r[col.name] ?? ''));
    }
  };
  walk(card.body.elements);
  return out;
}

/** What the tests below checked, for the evidence (docs/reliability.md). */
const tally = { cards: 0, texts: 0, live: 0, paths: new Set<string>() };

function expectInert(card: Card, path: string): void {
  tally.cards++;
  tally.paths.add(path);
  for (const text of markdownTexts(card)) {
    tally.texts++;
    tally.live += LIVE.filter((pattern) => pattern.test(text)).length;
    for (const pattern of LIVE) expect(text, `live markup ${pattern} in: ${text}`).not.toMatch(pattern);
  }
}

let bot: TestBot;
beforeEach(async () => {
  bot = await makeBotFromTemplate();
});
afterEach(async () => {
  await bot.close();
});

/** Sends the text as the office in the leadership group; returns the card that went to Lark and its console text. */
async function replyTo(text: string, from: string = OPEN_IDS.office): Promise<{ card: Card; shown: string }> {
  const before = bot.outbound.replies.length;
  const outcome = await handleMessage(message(text, { from }), bot.deps);
  expect(outcome.status).toBe('replied');
  const sent = bot.outbound.replies.slice(before);
  expect(sent).toHaveLength(1);
  expect(sent[0]!.msgType).toBe('interactive');
  const card = sent[0]!.content as Card;
  return { card, shown: renderCardText(card).text };
}

describe('user text in replies is shown, never live', () => {
  it('the escape turns every markup character into a character reference, and the console shows the original', () => {
    for (const t of [AT_ALL, LINK, BOLD, HTML, FONT, CARD_JSON, ':OK: &#60;at&#62; a\\b']) {
      const escaped = escapeMarkdown(t);
      for (const pattern of LIVE) expect(escaped).not.toMatch(pattern);
      expect(escaped).not.toMatch(/[<>*[\]()`\\]/);
      const card: Card = { schema: '2.0', config: { update_multi: true }, header: { title: { tag: 'plain_text', content: 't' }, template: 'blue' }, body: { elements: [{ tag: 'markdown', content: escaped }] } };
      expect(renderCardText(card).text).toContain(t);
    }
  });

  it('the unknown-command hint', async () => {
    for (const t of [LINK, BOLD, '<at', FONT.split(' ')[0]!, CARD_JSON]) {
      const { card, shown } = await replyTo(t);
      expectInert(card, '未知命令提示');
      expect(shown).toContain(`没有「${t.slice(0, 20)}」这个命令`);
    }
  });

  it('usage errors: an extra argument, 「帮助 X」 for no such command, an unknown unit, a bad score', async () => {
    const cases: Array<[string, string]> = [
      [`帮助 a ${AT_ALL}`, '多余的参数'],
      [`帮助 ${BOLD}`, BOLD],
      [`得分 ${LINK}`, LINK],
      [`得分 ${HTML}`, HTML],
      [`录分 城东社区 6.2 ${BOLD}`, '命令参数有误'],
      [`任务 ${LINK}`, '命令参数有误'],
    ];
    for (const [text, visible] of cases) {
      const { card, shown } = await replyTo(text);
      expectInert(card, '用法错误');
      expect(shown).toContain(visible);
    }
  });

  it('a refusal and the hint to bind quote nothing live', async () => {
    const refused = await replyTo(`录分 ${LINK} 6.2 8`, OPEN_IDS.leader);
    expectInert(refused.card, '无权限');
    const unbound = await replyTo(`完成 1 ${AT_ALL}`, OPEN_IDS.unbound);
    expectInert(unbound.card, '未绑定提示');
  });

  it('a veto reason and a completion note are quoted as text', async () => {
    const veto = await replyTo(`否决 城东社区 ${AT_ALL} ${BOLD} ${LINK}`);
    expectInert(veto.card, '否决理由');
    expect(veto.shown).toContain(`${AT_ALL} ${BOLD} ${LINK}`);
    // (a token with 「=」 is read as progress, so the note carries markup without one)
    const note = `${BOLD} ${LINK} <font>红</font> <a>点我</a> {"tag":"hr"}`;
    const done = await replyTo(`完成 1 ${note}`);
    expectInert(done.card, '完成备注');
    expect(done.shown).toContain(`备注：${note}`);
  });

  it('a command run by a button answers with an inert card', async () => {
    for (const text of [`得分 ${LINK}`, `帮助 ${BOLD}`, `否决 城西社区 ${AT_ALL}`, AT_ALL]) {
      const r = await handleCardAction({ eventId: `ev_btn_${text}`, operatorOpenId: OPEN_IDS.office, value: { action: 'command', text }, messageId: 'om_card', chatId: GROUP, token: null }, bot.deps);
      expect(r.card, text).toBeDefined();
      expectInert(r.card!, '按钮运行的命令');
    }
  });
  // Last in the file: what the tests above checked, as evidence (run on SQLite; the PostgreSQL
  // project runs the same assertions without writing it).
  it('records what was checked: every reply path, no live markup', async () => {
    const paths = [...tally.paths];
    const check = () => {
      expect(paths).toEqual(['未知命令提示', '用法错误', '无权限', '未绑定提示', '否决理由', '完成备注', '按钮运行的命令']);
      expect(tally.cards).toBeGreaterThanOrEqual(paths.length);
      expect(tally.live).toBe(0);
    };
    if (process.env.DANGJIAN_TEST_DIALECT === 'postgres') return check();
    await recordChecked(
      {
        id: 'markdown-injection',
        test: 'Hostile text in reply cards (markdown injection)',
        load: `${tally.cards} reply cards through ${paths.length} reply paths that quote input: ${paths.join('、')} (messages from the office, a leader and an unbound user; presses of command buttons)`,
        injected: `markup in the typed text: ${[AT_ALL, LINK, BOLD, HTML, FONT, CARD_JSON].map((t) => `\`${t}\``).join(' · ')}`,
        result: `${tally.live} live markup found in ${tally.texts} markdown texts of ${tally.cards} cards (${LIVE.length} patterns: mention of everyone, link, bold, HTML tags, card JSON); the console rendering shows each text as typed`,
        method: 'Each card handed to the Outbound (or answered to a button press) is walked: every markdown element and lark_md table cell, nested columns included, is matched against the patterns.',
        metrics: { cards: tally.cards, markdownTexts: tally.texts, liveMarkup: tally.live, paths: paths.length },
      },
      check,
    );
  });
});
