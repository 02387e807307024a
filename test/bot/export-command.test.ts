/** 「导出」 at the dispatcher: arguments, access, and the file reply (the webhook test sends it through Lark). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { respondToMessage } from '../../src/bot/dispatch.js';
import type { Reply } from '../../src/bot/types.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { readWorkbook } from '../support/xlsx.js';
import { makeBot, message, OPEN_IDS, replyText, type TestBot } from './support.js';

let bot: TestBot;
beforeAll(async () => {
  bot = await makeBot();
});
afterAll(async () => {
  await bot?.close();
});

async function reply(text: string, o: Parameters<typeof message>[1] = {}): Promise<Reply> {
  const d = await respondToMessage(message(text, o), bot.deps);
  if (d.status !== 'replied') throw new Error(d.status);
  return d.reply;
}

describe('导出', () => {
  it('answers with the workbook: kind, year and level in any order after the kind', async () => {
    const r = await reply('导出 评分表 社区 2026');
    expect(r.kind).toBe('file');
    if (r.kind !== 'file') return;
    expect(r.fileName).toBe('评分表-社区-2026.xlsx');
    expect((await readWorkbook(r.bytes)).worksheets.map((w) => w.name)).toEqual(['社区']);
    const glued = await reply('导出任务台账', { chatType: 'p2p', from: OPEN_IDS.leadUnit });
    expect(glued.kind === 'file' && glued.fileName).toMatch(/^任务台账-2026\.xlsx$/);
  });

  it('explains a missing or unknown kind and extra words, with the usage', async () => {
    expect(replyText(await reply('导出'))).toContain('缺少导出的种类（评分表、排名、任务台账、目标进度、年度通报、申报表、推选名单）');
    expect(replyText(await reply('导出 花名册'))).toContain('不认识的导出种类「花名册」');
    expect(replyText(await reply('导出 排名 社区 小区'))).toContain('多余的参数「小区」');
    expect(replyText(await reply('导出 排名 村'))).toContain('不认识的层级「村」');
    expect((await reply('导出 排名 社区')).kind).toBe('file');
  });

  it('needs a bound sender; 评分表 and 排名 only for the office and the leadership group', async () => {
    expect(replyText(await reply('导出 任务台账', { chatType: 'p2p', from: OPEN_IDS.unbound }))).toContain('你还没有绑定花名册');
    expect(replyText(await reply('导出 评分表', { from: OPEN_IDS.secretary }))).toContain('评分表只有党建办和领导小组成员可以导出（钱书记 不是）');
    expect((await listAudit(bot.opened.db, { action: 'export.scores' })).find((a) => a.actor === '钱书记')).toMatchObject({ outcome: 'denied' });
    expect((await reply('导出 排名', { from: OPEN_IDS.leader })).kind).toBe('file');
    expect((await reply('导出 目标进度', { from: OPEN_IDS.secretary })).kind).toBe('file');
    expect(replyText(await reply('导出 年度通报', { from: OPEN_IDS.secretary }))).toContain('年度通报只有党建办和领导小组成员可以导出（钱书记 不是）');
  });

  it('answers 「导出 通报 2026」 with the 年度通报 workbook, and refuses a level for it', async () => {
    const r = await reply('导出 通报 2026', { from: OPEN_IDS.leader });
    expect(r.kind === 'file' && r.fileName).toBe('年度通报-2026.xlsx');
    if (r.kind !== 'file') return;
    expect((await readWorkbook(r.bytes)).worksheets.map((w) => w.name)).toEqual(['汇总', '等级变化', '需整改', '目标进度']);
    expect(replyText(await reply('导出 年度通报 社区'))).toContain('年度通报不分层级，不用指定层级');
  });
});
