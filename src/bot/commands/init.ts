/** 初始化 / init [年份] — sets the programme up (as `dangjian init --year`); office only. */
import { z } from 'zod';
import { card, escapeMarkdown, markdown } from '../../cards/card.js';
import { initProgramme } from '../../services/init.service.js';
import { localDate } from '../../time.js';
import { yearArg } from '../args.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';

export const init = defineCommand({
  names: ['初始化', 'init'],
  summary: '初始化三年行动：街道、花名册岗位（组长、党建办主任、副主任）和第一年的任务清单（默认今年；可重复执行）',
  usage: '初始化 [第一年]',
  example: '初始化 2026',
  access: 'office',
  auditAction: 'programme.init',
  allowUnboundChat: true,
  params: [{ key: 'year', label: '[第一年]' }],
  args: z.object({ year: yearArg.optional() }),
  async run(ctx, args) {
    const year = args.year ?? Number(localDate(ctx.now, ctx.deps.tz).slice(0, 4));
    const r = await initProgramme(ctx.deps, ctx.actor!, { year });
    const c = r.created;
    return cardReply(
      card('已初始化', 'green', [
        markdown(`${escapeMarkdown(r.programme.streetName)}，第一年 ${r.programme.firstYear}；新增花名册 ${c.members} 人、任务 ${c.tasks} 项${c.street ? '，已建立街道' : ''}。`),
      ]),
    );
  },
});
