/** What the members commands do (their definitions: ./members.ts); loaded only when one of them runs. */
import { roleLabel } from '../../cards/labels.js';
import { dialectOf } from '../../db/database.js';
import { listMembers } from '../../db/member.repository.js';
import { rateSlotStore } from '../../db/rate.repository.js';
import type { MemberRow } from '../../db/schema.js';
import { listUnits } from '../../db/unit.repository.js';
import { UserError } from '../../errors.js';
import { fileLabel } from '../../io/import-file.js';
import { withRowErrorsAsJson } from '../../io/row-errors.js';
import { readRosterSheet } from '../../io/roster-sheet.js';
import { addMember, bindMember, editMember, importMembers, removeMember, syncMembers, type MemberOutcome } from '../../services/members.service.js';
import { actingAs, withContext, type CliContext, type CommonOptions } from '../context.js';

const OUTCOME_ZH: Record<MemberOutcome, string> = { created: '已添加', updated: '已更新', restored: '已恢复' };

async function describe(ctx: CliContext, m: MemberRow): Promise<string> {
  const unit = m.unit_id === null ? undefined : (await listUnits(ctx.db, { includeArchived: true })).find((u) => u.id === m.unit_id);
  const where = m.role === 'lead_unit' ? m.lead_unit : unit?.name;
  return `${roleLabel(m.role, unit?.level)}${where ? `（${where}）` : ''}「${m.name}」`;
}

const memberJson = (m: MemberRow) => ({ id: m.id, name: m.name, openId: m.open_id, role: m.role, leadUnit: m.lead_unit, unitId: m.unit_id, mobile: m.mobile, email: m.email });

export const runMemberAdd = async (opts: CommonOptions & { name: string; role: string; unit?: string; openId?: string; mobile?: string; email?: string }) =>
  withContext(opts, async (ctx) => {
    const row = await addMember(ctx, await actingAs(ctx, undefined), opts);
    const text = `${OUTCOME_ZH[row.outcome]}${await describe(ctx, row)}${row.open_id ? '' : '（尚未绑定飞书账号）'}`;
    ctx.print({ ...memberJson(row), outcome: row.outcome }, () => text);
  });

export const runMemberList = async (opts: CommonOptions) =>
  withContext(opts, async (ctx) => {
    const units = new Map((await listUnits(ctx.db, { includeArchived: true })).map((u) => [u.id, u]));
    const members = await listMembers(ctx.db);
    const rows = members.map((m) => ({ ...memberJson(m), unit: m.unit_id === null ? null : (units.get(m.unit_id)?.name ?? null) }));
    ctx.print(rows, () =>
      members
        .map((m, i) => {
          const r = rows[i]!;
          return `${m.name}\t${roleLabel(m.role, m.unit_id === null ? null : units.get(m.unit_id)?.level)}${r.leadUnit ? `\t${r.leadUnit}` : ''}${r.unit ? `\t${r.unit}` : ''}\t${m.open_id ?? '（未绑定）'}`;
        })
        .join('\n') || '花名册是空的',
    );
  });

export const runMemberImport = async (opts: CommonOptions & { file: string }) =>
  withContext(opts, (ctx) =>
    withRowErrorsAsJson(ctx, async () => {
      const units = await listUnits(ctx.db);
      const sheet = await readRosterSheet(opts.file, { leadUnits: ctx.plan.leadUnits, unitNames: new Set(units.map((u) => u.name)) });
      const r = await importMembers(ctx, await actingAs(ctx, undefined), sheet.rows, sheet.errors, opts.file);
      ctx.print({ ...r, file: opts.file }, () => {
        const parts = [`新增 ${r.created.length} 人`, `更新 ${r.updated.length} 人`, ...(r.restored.length > 0 ? [`恢复 ${r.restored.length} 人（${r.restored.join('、')}）`] : [])];
        return `已从 ${fileLabel(opts.file)} 导入花名册：${parts.join('，')}`;
      });
    }),
  );

export const runMemberBind = async (opts: CommonOptions & { name: string; openId: string }) =>
  withContext(opts, async (ctx) => {
    const row = await bindMember(ctx, await actingAs(ctx, undefined), opts, { name: '--name', openId: '--open-id' });
    const text = `${await describe(ctx, row)}已绑定到飞书账号 ${row.open_id}`;
    ctx.print(memberJson(row), () => text);
  });

export const runMemberEdit = async (opts: CommonOptions & { name: string; rename?: string; role?: string; unit?: string; openId?: string; mobile?: string; email?: string }) =>
  withContext(opts, async (ctx) => {
    const { member: row, changed } = await editMember(ctx, await actingAs(ctx, undefined), opts);
    const FIELD_ZH: Record<string, string> = { name: '姓名', role: '角色', leadUnit: '牵头单位', unitId: '所在单位', openId: 'open_id', mobile: '手机号', email: '邮箱' };
    const text = `已修改${await describe(ctx, row)}：${changed.map((k) => FIELD_ZH[k] ?? k).join('、')}`;
    ctx.print({ ...memberJson(row), changed }, () => text);
  });

export const runMemberRemove = async (opts: CommonOptions & { name: string }) =>
  withContext(opts, async (ctx) => {
    const row = await removeMember(ctx, await actingAs(ctx, undefined), opts);
    const text = `已移除${await describe(ctx, row)}${row.open_id ? `，并解除飞书账号 ${row.open_id} 的绑定` : ''}`;
    ctx.print({ name: row.name, removed: true }, () => text);
  });

export const runMemberSync = async (opts: CommonOptions) =>
  withContext(opts, async (ctx) => {
    const lark = ctx.config.lark;
    if (!lark) throw new UserError('config', 'member sync 需要飞书应用凭据：设置 LARK_APP_ID 和 LARK_APP_SECRET（见 docs/feishu-setup.md）', 'LARK_APP_ID');
    // The Lark SDK loads only for the commands that call Lark.
    const [{ createLarkSender }, { explainLarkFailure }] = await Promise.all([import('../../lark/sender.js'), import('../../lark/scopes.js')]);
    // A failure is explained below in one Chinese line: the sender's own warnings stay off the terminal.
    // On PostgreSQL the look-ups share the app's quota with the running replicas.
    const sharedSlots = dialectOf(ctx.db) === 'postgres' ? rateSlotStore(ctx.db) : undefined;
    const sender = createLarkSender({ ...lark, log: ctx.log.child({}, { level: 'error' }), retry: { maxAttempts: 3 }, sharedSlots });
    try {
      const r = await syncMembers(ctx, await actingAs(ctx, undefined), (q) => sender.lookupUserIds(q)).catch((err: unknown) => {
        if (err instanceof UserError) throw err;
        throw new UserError('config', `没有同步：${explainLarkFailure(err)}`, 'member sync');
      });
      ctx.print(r, () => {
        const out = [`已绑定 ${r.bound.length} 人${r.bound.length > 0 ? `：${r.bound.map((b) => `${b.name}（按${b.via}）`).join('、')}` : ''}`];
        if (r.notFound.length > 0) out.push(`飞书通讯录中找不到 ${r.notFound.length} 人：${r.notFound.map((n) => `${n.name}（${n.mobile ?? n.email}）`).join('、')}——核对手机号，或确认此人在应用的通讯录权限范围内`);
        if (r.conflicts.length > 0) out.push(`${r.conflicts.length} 人找到的飞书账号已绑定给别人：${r.conflicts.map((c) => `${c.name} → 已是「${c.boundTo}」`).join('、')}`);
        if (r.noContact.length > 0) out.push(`${r.noContact.length} 人没有手机号或邮箱，无法查找：${r.noContact.join('、')}（用 member edit --mobile 补上，或 member bind）`);
        out.push(`原已绑定 ${r.alreadyBound} 人`);
        return out.join('\n');
      });
    } finally {
      await sender.close();
    }
  });
