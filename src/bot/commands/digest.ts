/** 周报 / digest: this week's progress digest on demand (built by the scheduler's digest builder). */
import { z } from 'zod';
import { UserError } from '../../errors.js';
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
    if (!ctx.deps.digest) throw new UserError('conflict', '周报功能尚未启用（调度模块未加载）');
    return cardReply(await ctx.deps.digest(ctx.now));
  },
});
