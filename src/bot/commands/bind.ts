/** 绑定 / bind 〈花名册姓名〉 @某人 — binds a roster name to a Feishu user; office only. */
import { z } from 'zod';
import { card, escapeMarkdown, markdown } from '../../cards/card.js';
import { roleLabel } from '../../cards/labels.js';
import { findUnitById } from '../../db/unit.repository.js';
import { UserError } from '../../errors.js';
import { bindMember } from '../../services/members.service.js';
import { requiredText } from '../args.js';
import { defineCommand } from '../registry.js';
import { cardReply } from '../types.js';

const MENTION = /^@_user_\d+$/;
const OPEN_ID = /^ou_[A-Za-z0-9_-]{1,60}$/;

export const bind = defineCommand({
  names: ['绑定', 'bind'],
  summary: '把花名册里的姓名绑定到飞书用户（被绑定的人即可使用机器人）',
  usage: '绑定 〈花名册姓名〉 @某人',
  example: '绑定 王博文 @王博文',
  access: 'office',
  auditAction: 'member.bind',
  params: [
    { key: 'name', label: '〈花名册姓名〉' },
    { key: 'who', label: '@某人' },
  ],
  toInput(tokens) {
    const who = tokens.filter((t) => MENTION.test(t) || OPEN_ID.test(t));
    const rest = tokens.filter((t) => !MENTION.test(t) && !OPEN_ID.test(t));
    const out: Record<string, unknown> = {};
    if (rest[0] !== undefined) out.name = rest[0];
    if (who[0] !== undefined) out.who = who[0];
    const extra = [...rest.slice(1), ...who.slice(1)];
    if (extra.length > 0) out._extra = extra.join(' ');
    return out;
  },
  args: z.object({ name: requiredText('花名册姓名', 40), who: z.string({ error: '请 @ 要绑定的人（在群里输入 @ 选择此人）' }) }),
  async run(ctx, args) {
    let openId: string;
    let display: string;
    if (MENTION.test(args.who)) {
      const m = ctx.msg.mentions.find((x) => x.key === args.who);
      if (!m?.openId) throw new UserError('bad_argument', '没有识别到被 @ 的人，请在群里用 @ 选择此人', '@某人');
      if (m.openId === ctx.deps.botOpenId()) throw new UserError('bad_argument', '不能把机器人自己绑定到花名册', '@某人');
      openId = m.openId;
      display = m.name;
    } else {
      openId = args.who;
      display = args.who;
    }
    const member = await bindMember(ctx.deps, ctx.actor!, { name: args.name, openId });
    const unit = member.unit_id === null ? undefined : await findUnitById(ctx.deps.db, member.unit_id);
    const where = member.lead_unit ?? unit?.name;
    return cardReply(
      card('绑定成功', 'green', [
        markdown(`花名册「${escapeMarkdown(member.name)}」（${roleLabel(member.role, unit?.level)}${where ? ` · ${escapeMarkdown(where)}` : ''}）已绑定到 ${escapeMarkdown(display)}。`),
      ]),
    );
  },
});
