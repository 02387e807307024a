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

describe('申报: apply, return, correct, resubmit, approve', () => {
  const UNIT_CHAT = 'oc_unit_chengdong_e2e';
  const FULL = {
    registeredHouseholds: '3200',
    registeredPopulation: '8900',
    residentHouseholds: '4100',
    residentPopulation: '11000',
    creationType: '示范型',
    plannedDemoCompounds: '城东花园',
    socialOrgCount: '12',
    measures: '建强“大党委”，季度联席会议',
    brandProjectName: '红色议事厅',
    brandProjectGoal: '小区议事全覆盖',
    nodes: '2026-04-15 完成议事厅改造\n2026年9月30日 议事规则上墙',
  };
  const formButtonsOf = (a: CardAnswer | { content: unknown }) => formButtons('content' in a ? a.content : a.card!.data);
  const statusOf = async () => (await h.bot.opened.db.selectFrom('application').select(['status', 'fields']).executeTakeFirst()) ?? null;

  it('goes through the whole review with notices in the unit chat, declares the target and reminds of a 任务节点 on its date', async () => {
    const { bindChat } = await import('../../src/db/chat.repository.js');
    await bindChat(h.bot.opened.db, { chatId: UNIT_CHAT, target: { kind: 'unit', unitName: '城东社区' }, by: 'test', at: 1 });
    const form = await h.say('申报 填写 城东社区', { from: OPEN_IDS.secretary });
    const formText = renderCardText(form.content as Card).text;
    expect(formText).toContain('社区名称：城东社区　小区数：2');
    expect(formText).toContain('所辖各小区名称：城东花园小区、城东新村小区');

    // Submit with fields missing: the draft is kept, the submit refused naming each missing field.
    const partial = await h.press(formButtonsOf(form).get('submit')!, { from: OPEN_IDS.secretary, form: { name: 'submit', value: { creationType: '示范型', registeredHouseholds: '3200' } } });
    expect(partial.toast?.type).toBe('warning');
    expect(partial.toast?.content).toContain('缺少：户籍人数、常住户数、常住人数、社会组织数、创建措施、特色品牌项目·项目名称、特色品牌项目·创建目标、项目内容及任务节点');
    expect((await statusOf())?.status).toBe('draft');
    // A bad value: nothing of the form stored.
    const bad = await h.press(formButtonsOf(partial).get('save')!, { from: OPEN_IDS.secretary, form: { name: 'save', value: { ...FULL, residentPopulation: '一万多' } } });
    expect(bad.toast).toEqual({ type: 'error', content: expect.stringContaining('常住人数应为不小于 0 的整数（收到「一万多」）') });
    expect(JSON.parse((await statusOf())!.fields)).toEqual({ creationType: 'demonstration', registeredHouseholds: 3200 });

    const submitted = await h.press(formButtonsOf(partial).get('submit')!, { from: OPEN_IDS.secretary, form: { name: 'submit', value: FULL } });
    expect(submitted.toast).toEqual({ type: 'success', content: '申报已提交，等待党建办审核' });
    expect(submitted.card!.data.header.title.content).toBe('城东社区 · 2026 申报 · 已提交，待审核');

    // Only the office reviews (the secretary's press is refused and audited).
    const list = await h.say('申报 列表', { from: OPEN_IDS.office });
    expect(renderCardText(list.content as Card).text).toContain('城东社区（社区）· 示范型 · 已提交，待审核');
    const forOffice = await h.say('申报 城东社区', { from: OPEN_IDS.office });
    const review = formButtonsOf(forOffice);
    expect([...review.keys()]).toEqual(['approve', 'return']);
    const refused = await h.press(review.get('approve')!, { from: OPEN_IDS.secretary, form: { name: 'approve', value: {} } });
    expect(refused.toast?.content).toContain('只有党建办可以审核申报');
    const noComment = await h.press(review.get('return')!, { from: OPEN_IDS.office, form: { name: 'return', value: { opinion: '' } } });
    expect(noComment.toast?.content).toContain('退回申报需要写明意见');

    const returned = await h.press(review.get('return')!, { from: OPEN_IDS.office, form: { name: 'return', value: { opinion: '常住人数与统计不符，请核实' } } });
    expect(returned.toast?.content).toBe('已退回「城东社区」的申报');
    const notices = () => h.fake.messagesTo(UNIT_CHAT).filter((m) => m.kind !== 'reply').map((m) => renderCardText(m.content as Card).text);
    expect(notices()).toHaveLength(1);
    expect(notices()[0]).toContain('城东社区 · 2026 申报 · 已退回，待修改');
    expect(notices()[0]).toContain('街道意见（2026-03-10）：常住人数与统计不符，请核实');

    const again = await h.say('申报 填写', { from: OPEN_IDS.secretary, chatId: UNIT_CHAT });
    expect(renderCardText(again.content as Card).text).toContain('退回意见：常住人数与统计不符，请核实');
    expect(renderCardText(again.content as Card).text).toContain('〔常住人数〕11000');
    const resubmitted = await h.press(formButtonsOf(again).get('submit')!, { from: OPEN_IDS.secretary, chatId: UNIT_CHAT, form: { name: 'submit', value: { ...FULL, residentPopulation: '10500' } } });
    expect(resubmitted.toast?.type).toBe('success');

    const approved = await h.press(review.get('approve')!, { from: OPEN_IDS.office, form: { name: 'approve', value: { opinion: '同意创建示范型社区' } } });
    expect(approved.toast?.content).toBe('已通过「城东社区」的申报');
    expect(notices()).toHaveLength(2);
    expect(notices()[1]).toContain('已通过');
    expect(notices()[1]).toContain('常住人数：10500');
    const events = await h.bot.opened.db.selectFrom('application_event').select(['action', 'actor']).where('action', '!=', 'save').orderBy('id').execute();
    expect(events).toEqual([
      { action: 'submit', actor: '钱书记' },
      { action: 'return', actor: '王博文' },
      { action: 'submit', actor: '钱书记' },
      { action: 'approve', actor: '王博文' },
    ]);

    // The declared target in 目标.
    const targets = renderCardText((await h.say('目标', { from: OPEN_IDS.office })).content as Card).text;
    expect(targets).toContain('2026 年申报目标');
    expect(targets).toContain('社区：申报示范型 1（已达 0）');

    // The 任务节点 are the unit's items, reminded in the unit chat on their date.
    const items = renderCardText((await h.say('事项', { from: OPEN_IDS.secretary, chatId: UNIT_CHAT })).content as Card).text;
    expect(items).toContain('申报 红色议事厅：完成议事厅改造');
    expect(items).toContain('时限 2026-09-30');
    const { runPass } = await import('../../src/services/reminders.service.js');
    const { fixedClock } = await import('../../src/clock.js');
    const d = h.bot.deps;
    await runPass({ db: d.db, plan: d.plan, config: { timeZone: d.tz }, clock: fixedClock('2026-04-15T09:00:00+08:00'), log: d.log, outbound: d.outbound, calendar: d.calendar, settings: d.settings, workerId: 'e2e' }, Date.parse('2026-04-15T09:00:00+08:00'));
    const daily = notices().at(-1)!;
    expect(daily).toContain('本单位事项');
    expect(daily).toContain('申报 红色议事厅：完成议事厅改造');
    expect(daily).toContain('今天到期');
  });

  it('refuses a compound\'s application to its community\'s secretary (read only), nothing stored', async () => {
    const answer = await h.press({ action: 'application.form', unit: '城东花园小区', year: 2026, go: 'save' }, { from: OPEN_IDS.secretary, form: { name: 'save', value: { creationType: '标准型' } } });
    expect(answer.toast?.content).toContain('只有「城东花园小区」的书记或党建办可以填写申报');
    const rows = await h.bot.opened.db.selectFrom('application').innerJoin('unit', 'unit.id', 'application.unit_id').select('unit.name').where('unit.name', '=', '城东花园小区').execute();
    expect(rows).toHaveLength(0);
  });
});

describe('自查表: the pre-filled spreadsheet sent back as a file message', () => {
  const P2P = 'oc_p2p_secretary_e2e';
  const entries = async () => h.bot.opened.db.selectFrom('self_check_entry').innerJoin('self_check', 'self_check.id', 'self_check_entry.self_check_id').innerJoin('unit', 'unit.id', 'self_check.unit_id').select(['unit.name', 'item_code', 'half_points', 'measure']).where('unit.name', '=', '城西社区').execute();

  /** The bot's 自查表 for 城西社区 (asked by the office: the secretary of 城东社区 may not fill it). */
  async function downloadSheet() {
    const reply = await h.say('自查表 城西社区', { from: OPEN_IDS.office, chatId: 'oc_p2p_office_e2e', chatType: 'p2p' });
    expect(reply.msgType).toBe('file');
    const bytes = h.fake.fileBytes((reply.content as { file_key: string }).file_key)!;
    const { readWorkbook } = await import('../support/xlsx.js');
    return readWorkbook(bytes);
  }

  it('answers 自查表 with the unit\'s sub-items, maxima and last year\'s points, and reads the filled file back', async () => {
    const { operatorActor } = await import('../../src/auth/actor.js');
    const { setScore } = await import('../../src/services/scores.service.js');
    await setScore(h.bot.deps, operatorActor('test'), { unit: '城西社区', item: '6.1', points: 7.5, year: 2025 });
    const wb = await downloadSheet();
    const ws = wb.worksheets[0]!;
    expect(ws.name).toBe('2026自查表');
    expect(ws.getRow(1).values).toEqual([undefined, '单位', '指标编号', '指标内容', '满分', '2025年评定', '自评分', '短板', '措施', '完成时限']);
    expect(ws.getRow(2).getCell(2).value).toBe('6.1');
    expect(ws.getRow(2).getCell(4).value).toBe(10);
    expect(ws.getRow(2).getCell(5).value).toBe(7.5);
    expect(ws.rowCount).toBe(12);
    // The office fills it: every sub-item at its maximum but 8.1.
    for (let r = 2; r <= 12; r++) ws.getRow(r).getCell(6).value = Number(ws.getRow(r).getCell(4).value);
    const row81 = [...Array(11).keys()].map((k) => k + 2).find((r) => ws.getRow(r).getCell(2).value === '8.1')!;
    ws.getRow(row81).getCell(6).value = 7;
    ws.getRow(row81).getCell(7).value = '议事会参与率低';
    ws.getRow(row81).getCell(8).value = '每月开放议事日';
    ws.getRow(row81).getCell(9).value = '2026/7/31';
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const reply = await h.sendFile({ name: '自查表-城西社区-2026.xlsx', bytes }, { from: OPEN_IDS.office, chatId: 'oc_p2p_office_e2e' });
    const text = renderCardText(reply.content as Card).text;
    expect(text).toContain('自查表已导入');
    expect(text).toContain('城西社区：已导入 11 项');
    const saved = await entries();
    expect(saved).toHaveLength(11);
    expect(saved.find((e) => e.item_code === '8.1')).toMatchObject({ half_points: 14, measure: '每月开放议事日' });
  });

  it('lists each refused row and stores nothing; refuses another unit\'s sheet to a secretary', async () => {
    const before = (await entries()).length;
    const wb = await downloadSheet();
    const ws = wb.worksheets[0]!;
    ws.getRow(2).getCell(6).value = 11;
    ws.getRow(3).getCell(6).value = 'abc';
    ws.getRow(4).getCell(6).value = 8;
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const reply = renderCardText((await h.sendFile({ name: '自查表.xlsx', bytes }, { from: OPEN_IDS.office, chatId: 'oc_p2p_office_e2e' })).content as Card).text;
    expect(reply).toContain('第 2 行');
    expect(reply).toContain('指标 6.1 的分数应在 0 到 10 之间');
    expect(reply).toContain('第 3 行');
    expect(reply).toContain('（收到「abc」）');
    expect((await entries()).length).toBe(before);
    const refused = renderCardText((await h.sendFile({ name: '自查表.xlsx', bytes }, { from: OPEN_IDS.secretary, chatId: P2P })).content as Card).text;
    expect(refused).toContain('只有「城西社区」的书记或党建办可以填写自查清单');
  });

  it('refuses a file that is not a spreadsheet and one larger than the limit, storing nothing', async () => {
    const before = (await entries()).length;
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2000, 32)]);
    const notSheet = renderCardText((await h.sendFile({ name: '自查表.pdf', bytes: pdf }, { from: OPEN_IDS.secretary, chatId: P2P })).content as Card).text;
    expect(notSheet).toContain('PDF');
    expect(notSheet).not.toContain('dangjian-upload');
    const big = Buffer.alloc(11 * 1024 * 1024, 65);
    const tooLarge = renderCardText((await h.sendFile({ name: '自查表.xlsx', bytes: big }, { from: OPEN_IDS.secretary, chatId: P2P })).content as Card).text;
    expect(tooLarge).toContain('文件太大');
    expect(tooLarge).toContain('超过 10 MB，没有导入');
    expect((await entries()).length).toBe(before);
  });
});

describe('申报表: the Annex 4 sheet sent back as a file message', () => {
  const OFFICE_P2P = 'oc_p2p_office_annex4';
  const fieldsOf = async () => {
    const row = await h.bot.opened.db.selectFrom('application').innerJoin('unit', 'unit.id', 'application.unit_id').select('application.fields').where('unit.name', '=', '城西社区').executeTakeFirst();
    return row ? (JSON.parse(row.fields) as Record<string, unknown>) : null;
  };

  it('answers 申报表 with the unit\'s Annex 4 form, reads the filled form back, and refuses a bad value storing nothing', async () => {
    const reply = await h.say('申报表 城西社区', { from: OPEN_IDS.office, chatId: OFFICE_P2P, chatType: 'p2p' });
    expect(reply.msgType).toBe('file');
    const { readWorkbook } = await import('../support/xlsx.js');
    const wb = await readWorkbook(h.fake.fileBytes((reply.content as { file_key: string }).file_key)!);
    const ws = wb.worksheets[0]!;
    expect(ws.getCell('C3').value).toBe('城西社区');
    const fill = async (cells: Record<string, string | number>) => {
      for (const [a, v] of Object.entries(cells)) ws.getCell(a).value = v;
      return Buffer.from(await wb.xlsx.writeBuffer());
    };
    const bad = await fill({ C4: 2100, F4: '很多' });
    const refused = renderCardText((await h.sendFile({ name: '申报表-城西社区.xlsx', bytes: bad }, { from: OPEN_IDS.office, chatId: OFFICE_P2P })).content as Card).text;
    expect(refused).toContain('户籍人数应为不小于 0 的整数（收到「很多」）');
    expect(await fieldsOf()).toBeNull();
    const good = await fill({ F4: 6000, C5: 2500, F5: 7000, C8: '□1.示范型　☑2.标准型', C10: 5, C11: '网格化议事', C12: '睦邻客厅', C13: '小区客厅全覆盖', C14: '1. 2026-05-31 建成睦邻客厅\n2. 2026-10-31 开展睦邻节' });
    const ok = renderCardText((await h.sendFile({ name: '申报表-城西社区.xlsx', bytes: good }, { from: OPEN_IDS.office, chatId: OFFICE_P2P })).content as Card).text;
    expect(ok).toContain('「城西社区」的申报已按表格保存为草稿');
    expect(ok).toContain('发送「申报 提交 城西社区」提交');
    expect(await fieldsOf()).toEqual({
      registeredHouseholds: 2100,
      registeredPopulation: 6000,
      residentHouseholds: 2500,
      residentPopulation: 7000,
      creationType: 'standard',
      socialOrgCount: 5,
      measures: '网格化议事',
      brandProjectName: '睦邻客厅',
      brandProjectGoal: '小区客厅全覆盖',
      nodes: [
        { date: '2026-05-31', content: '建成睦邻客厅' },
        { date: '2026-10-31', content: '开展睦邻节' },
      ],
    });
  });
});
