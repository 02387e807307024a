/**
 * Issue 13 end to end through the webhook against the fake Lark server: the self-check filled
 * by card form page by page and submitted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCardText, type Card } from '../../src/cards/card.js';
import { OPEN_IDS } from './support.js';
import { startWebhookHarness, type CardAnswer, type WebhookHarness } from './webhook-harness.js';

let h: WebhookHarness;
beforeAll(async () => {
  h = await startWebhookHarness();
});
afterAll(async () => {
  await h?.close();
});

const cardText = (a: CardAnswer) => renderCardText(a.card!.data as unknown as Card).text;
/** The submit buttons' values of a form card, by button name. */
function formButtons(card: unknown): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  const walk = (els: unknown[]) => {
    for (const e of els as Array<Record<string, unknown>>) {
      if (e.tag === 'form' || e.tag === 'column_set') walk((e.elements ?? (e.columns as Array<{ elements: unknown[] }>).flatMap((c) => c.elements)) as unknown[]);
      if (e.tag === 'button' && e.form_action_type === 'submit') out.set(String(e.name), (e.behaviors as Array<{ value: Record<string, unknown> }>)[0]!.value);
    }
  };
  walk((card as { body: { elements: unknown[] } }).body.elements);
  return out;
}
/** The names of a form's fields. */
function fieldNames(card: unknown): string[] {
  const form = (card as { body: { elements: Array<Record<string, unknown>> } }).body.elements.find((e) => e.tag === 'form') as { elements: Array<{ tag: string; name?: string }> };
  return form.elements.filter((e) => e.tag === 'input' || e.tag === 'date_picker').map((e) => e.name!);
}

/** Community sub-items by indicator (Annex 2) with their maxima. */
const PAGES: Array<Record<string, number>> = [
  { '6.1': 10, '6.2': 10 },
  { '7.1': 10, '7.2': 10 },
  { '8.1': 10, '8.2': 10 },
  { '9.1': 5, '9.2': 10 },
  { '10.1': 5, '10.2': 10, '10.3': 10 },
];
const field = (k: string, code: string) => `${k}_${code.replace('.', '_')}`;

describe('自查 by card form', () => {
  it('a secretary fills the form across the indicators (a bad page stored nothing), goes back, and submits', async () => {
    const reply = await h.say('自查 填写 城东社区', { from: OPEN_IDS.secretary });
    expect(reply.msgType).toBe('interactive');
    let card: unknown = reply.content;
    expect((card as { header: { title: { content: string } } }).header.title.content).toBe('城东社区 · 自查 第 1/5 项指标');
    expect(fieldNames(card)).toEqual(['p_6_1', 's_6_1', 'm_6_1', 'd_6_1', 'p_6_2', 's_6_2', 'm_6_2', 'd_6_2']);
    expect([...formButtons(card).keys()]).toEqual(['save', 'next']);

    // A score above the maximum: refused with a toast, nothing of the page stored.
    const bad = await h.press(formButtons(card).get('next')!, { from: OPEN_IDS.secretary, form: { name: 'next', value: { p_6_1: '12', p_6_2: '10' } } });
    expect(bad.toast?.type).toBe('error');
    expect(bad.toast?.content).toContain('指标 6.1 的分数应在 0 到 10 之间');
    expect(bad.card).toBeUndefined();
    expect(await h.bot.opened.db.selectFrom('self_check_entry').selectAll().execute()).toHaveLength(0);

    for (const [k, page] of PAGES.entries()) {
      const value: Record<string, unknown> = {};
      for (const [code, max] of Object.entries(page)) value[field('p', code)] = String(max);
      if (k === 1) Object.assign(value, { p_7_1: '6.5', s_7_1: '网格员不足', m_7_1: '招募楼栋志愿者', d_7_1: '2026-06-30 +0800' });
      const last = k === PAGES.length - 1;
      const name = last ? 'submit' : 'next';
      const answer = await h.press(formButtons(card).get(name)!, { from: OPEN_IDS.secretary, form: { name, value } });
      expect(answer.toast?.type, answer.toast?.content).toBe('success');
      card = answer.card!.data;
      if (k === 1) {
        // Back to indicator 7: what was saved is filled in.
        const back = await h.press(formButtons(card).get('prev')!, { from: OPEN_IDS.secretary, form: { name: 'prev', value: {} } });
        expect(back.card!.data.header.title.content).toBe('城东社区 · 自查 第 2/5 项指标');
        expect(cardText(back)).toContain('〔7.1 自评分〕6.5');
        expect(cardText(back)).toContain('〔措施〕招募楼栋志愿者');
        expect(cardText(back)).toContain('〔完成时限〕2026-06-30');
        const again = await h.press(formButtons(back.card!.data).get('next')!, { from: OPEN_IDS.secretary, form: { name: 'next', value: {} } });
        expect(again.toast?.content).toBe('本页没有填写');
        card = again.card!.data;
      }
    }
    const summary = renderCardText(card as Card).text;
    expect(summary).toContain('城东社区 · 2026 自查清单');
    expect(summary).toContain('✅ 已提交（钱书记');
    expect(summary).toContain('96.5 / 100');
    expect(summary).toContain('7.1 建立');
    expect(summary).toContain('措施：招募楼栋志愿者 · 时限 2026-06-30');
    // The measure is now the unit's own item.
    const items = await h.say('事项 城东社区', { from: OPEN_IDS.secretary });
    expect(renderCardText(items.content as Card).text).toContain('自查 7.1：招募楼栋志愿者');
  });

  it('refuses the form of another unit to a secretary (audited, nothing stored)', async () => {
    const answer = await h.press({ action: 'self_check.form', unit: '城西社区', year: 2026, page: 0, go: 'save' }, { from: OPEN_IDS.secretary, form: { name: 'save', value: { p_6_1: '8' } } });
    expect(answer.toast).toEqual({ type: 'error', content: expect.stringContaining('只有「城西社区」的书记或党建办可以填写自查清单') });
    const rows = await h.bot.opened.db.selectFrom('self_check').innerJoin('unit', 'unit.id', 'self_check.unit_id').select('unit.name').where('unit.name', '=', '城西社区').execute();
    expect(rows).toHaveLength(0);
  });
});
