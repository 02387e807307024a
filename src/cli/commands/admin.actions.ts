/** What the admin commands do (their definitions: ./admin.ts); loaded only when one of them runs. */
import { existsSync } from 'node:fs';
import { listAudit } from '../../db/audit.repository.js';
import { backupDatabase } from '../../db/backup.js';
import { migrateToLatest } from '../../db/migrate.js';
import { getProgramme } from '../../db/setting.repository.js';
import { UserError } from '../../errors.js';
import { resolveMonthRef } from '../../plan/load-plan.js';
import { programmePlan } from '../../plan/programme.js';
import { initProgramme } from '../../services/init.service.js';
import { clearVeto, setScore, setVeto } from '../../services/scores.service.js';
import { isoInZone, readableTime } from '../../time.js';
import { actingAs, withContext, type CommonOptions } from '../context.js';

/** The audit log's keys as the office reads them (an unknown key is shown as it is). */
const AUDIT_ACTION_ZH: Record<string, string> = {
  'programme.init': '初始化',
  'unit.add': '添加单位',
  'unit.import': '导入单位',
  'unit.rename': '单位改名',
  'unit.move': '调整上级单位',
  'unit.remove': '删除单位',
  'unit.archive': '归档单位',
  'member.add': '添加成员',
  'member.bind': '绑定成员',
  'member.edit': '修改成员',
  'member.remove': '移除成员',
  'member.import': '导入花名册',
  'member.sync': '同步飞书账号',
  'chat.bind': '订阅群聊',
  'chat.unbind': '取消订阅',
  'score.set': '录分',
  'score.import': '导入评分',
  'veto.set': '一票否决',
  'veto.clear': '取消一票否决',
  'task.done': '完成任务',
  'task.complete': '完成任务',
  'task.complete_overdue': '完成逾期任务',
  'task.undo': '撤销完成',
  'task.add': '新增任务',
  'task.edit': '修改任务',
  'task.retire': '撤销任务',
  'task.instantiate': '生成任务清单',
  'reminder.snooze': '明天再提醒',
  'reminder.list': '查看提醒',
  'reminder.failed': '提醒发送失败',
  'reminders.start': '设置提醒起始日期',
  export: '导出',
  command: '命令',
};
const AUDIT_OUTCOME_ZH: Record<string, string> = { ok: '成功', denied: '拒绝', error: '出错' };
const AUDIT_SOURCE_ZH: Record<string, string> = { cli: '命令行', chat: '群聊', card: '卡片按钮', scheduler: '定时任务' };

export const runMigrate = async (opts: CommonOptions) =>
  withContext(
    opts,
    async (ctx) => {
      const applied = await migrateToLatest(ctx.db);
      const tables = await ctx.db.introspection.getTables();
      ctx.print(
        { applied, tables: tables.map((t) => t.name).sort() },
        () => `数据库 ${opts.db ?? ctx.config.dbFile} 已是最新结构（${tables.length} 张表）${applied.length > 0 ? `；本次执行了 ${applied.length} 个迁移：${applied.join('、')}` : ''}`,
      );
    },
    { migrate: false, create: true },
  );

export const runInit = async (opts: CommonOptions & { year: string; street?: string; sampleRoster?: boolean }) =>
  withContext(opts, async (ctx) => {
    const result = await initProgramme(ctx, await actingAs(ctx, undefined), { year: opts.year, street: opts.street, sampleRoster: opts.sampleRoster === true });
    ctx.print(result, () => {
      const c = result.created;
      const next = opts.sampleRoster === true ? '' : '\n下一步：dangjian member bind --name 党建办主任 --open-id ou_…（把党建办绑定到自己的飞书账号）';
      return `已初始化：${result.programme.streetName}，第一年 ${result.programme.firstYear} 年\n新建：街道 ${c.street ? '1 个' : '无（已存在）'}，花名册 ${c.members} 人，任务 ${c.tasks} 项${c.members > 0 ? next : ''}`;
    });
  }, { create: true });

export const runPlan = async (opts: CommonOptions) =>
  withContext(opts, async (ctx) => {
    const programme = await getProgramme(ctx.db);
    const firstYear = programme?.firstYear ?? ctx.plan.documentFirstYear;
    // Every date the document prints, in the programme's years (the document's 2021 = year 1).
    const plan = programmePlan(ctx.plan, firstYear);
    ctx.print({ ...plan, programme: programme ?? null }, () => {
      const out: string[] = [`${plan.title}`, `行动第一年：${firstYear} 年${programme ? '' : '（尚未初始化，按方案原文的年份显示）'}`, ''];
      for (const spec of plan.levels) {
        out.push(`${spec.title}（${spec.maxPoints}分）`);
        for (const ind of spec.indicators) {
          out.push(`  ${ind.number}. ${ind.title}（${ind.points}分）`);
          for (const s of ind.subItems) out.push(`     ${s.code} ${s.text}（${s.points}分）`);
        }
      }
      out.push('', '重点任务清单');
      for (const t of plan.tasks) out.push(`  ${t.seq}. [${t.deadlineText}${t.cadence ? `/${t.cadence}` : ''}] ${t.content}（${t.leadUnits.join('、')}）`);
      out.push('', '行动目标');
      for (const m of plan.milestones) {
        const due = resolveMonthRef(m.due, firstYear);
        out.push(`  ${due.year}-${String(due.month).padStart(2, '0')}: ${m.requirements.map((r) => r.text).join('；') || m.text}`);
      }
      out.push('', '实施步骤');
      for (const p of plan.phases) {
        const s = resolveMonthRef(p.start, firstYear);
        const e = p.end ? resolveMonthRef(p.end, firstYear) : null;
        out.push(`  ${p.name}: ${s.year}-${String(s.month).padStart(2, '0')} → ${e ? `${e.year}-${String(e.month).padStart(2, '0')}` : '…'}`);
      }
      return out.join('\n');
    });
  });

export const runScoreSet = async (opts: CommonOptions & { unit: string; item: string; points: string; year?: string; note?: string; by?: string }) =>
  withContext(opts, async (ctx) => {
    const { entry, resolved } = await setScore({ ...ctx, tz: ctx.config.timeZone }, await actingAs(ctx, opts.by), opts);
    ctx.print(
      { unit: resolved.unit.name, item: resolved.subItem.code, points: entry.points, max: resolved.subItem.points, year: entry.year, note: entry.note },
      () => `已录分：${resolved.unit.name} ${entry.year} 年 ${resolved.subItem.code} ${entry.points}/${resolved.subItem.points} 分`,
    );
  });

const runVeto = (action: 'set' | 'clear') => async (opts: CommonOptions & { unit: string; reason: string; year?: string; by?: string }) =>
  withContext(opts, async (ctx) => {
    const deps = { ...ctx, tz: ctx.config.timeZone };
    const actor = await actingAs(ctx, opts.by);
    if (action === 'set') {
      const row = await setVeto(deps, actor, opts);
      ctx.print({ unit: opts.unit.trim(), year: row.year, veto: true, reason: row.reason }, () => `已对 ${opts.unit.trim()} ${row.year} 年一票否决：${row.reason}`);
    } else {
      const cleared = await clearVeto(deps, actor, opts);
      ctx.print({ unit: opts.unit.trim(), veto: false, cleared }, () => (cleared > 0 ? `已取消 ${opts.unit.trim()} 的一票否决` : `${opts.unit.trim()} 没有一票否决，无需取消`));
    }
  });

export const runVetoSet = runVeto('set');

export const runVetoClear = runVeto('clear');

export const runBackup = async (opts: CommonOptions & { out: string }) => {
  if (existsSync(opts.out)) throw new UserError('conflict', `文件 ${opts.out} 已存在，请换一个文件名`, '--out');
  await withContext(opts, async (ctx) => {
    const { pages } = await backupDatabase(ctx.opened, opts.out);
    ctx.print({ out: opts.out, pages }, () => `已备份到 ${opts.out}（${pages} 页）`);
  });
};

export const runAudit = async (opts: CommonOptions & { limit: string }) => {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new UserError('bad_argument', `应为 1 到 10000 的整数（收到「${opts.limit}」）`, '--limit');
  await withContext(opts, async (ctx) => {
    const entries = await listAudit(ctx.db, { limit });
    const rows = entries.map((r) => ({ at: isoInZone(r.at, ctx.config.timeZone), actor: r.actor, source: r.source, action: r.action, subject: r.subject, outcome: r.outcome, detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown) }));
    const now = ctx.clock.now().getTime();
    ctx.print(rows, () =>
      entries
        .map((r) => {
          const via = AUDIT_SOURCE_ZH[r.source] ?? r.source;
          return `${readableTime(r.at, ctx.config.timeZone, now)}\t${r.actor}（${via}）\t${AUDIT_ACTION_ZH[r.action] ?? r.action}\t${r.subject ?? ''}\t${AUDIT_OUTCOME_ZH[r.outcome] ?? r.outcome}`;
        })
        .join('\n') || '审计日志为空');
  });
};
