/** 周报 / digest: this week's progress digest on demand (the same as the weekly push). */
import { z } from 'zod';
import { digestCard } from '../../scheduler/digest-card.js';
import { buildDigest } from '../../services/digest.service.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';

export const digest = defineCommand({
  names: ['周报', 'digest', 'weekly'],
  summary: '本周工作进展周报（与每周推送的内容相同）',
  usage: '周报',
  example: '周报',
  access: 'read',
  params: [],
  args: z.object({}),
  async run(ctx) {
    const { deps } = ctx;
    const d = await buildDigest({ db: deps.db, plan: deps.plan, config: { timeZone: deps.tz }, clock: deps.clock, calendar: deps.calendar, settings: deps.settings }, { at: ctx.now.getTime() });
    return cardReply(digestCard(d));
  },
});
