/**
 * Foundation subcommands: migrate, init, plan, score set, veto, backup, audit (unit, member, chat: units.ts, members.ts, chats.ts).
 * `--by NAME` acts as that roster member (src/cli/context.ts `actingAs`); without it, the operator.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { roleLabel } from '../../cards/labels.js';
import { listAudit } from '../../db/audit.repository.js';
import { backupDatabase } from '../../db/backup.js';
import { listChats } from '../../db/chat.repository.js';
import { listMembers } from '../../db/member.repository.js';
import { migrateToLatest } from '../../db/migrate.js';
import { getProgramme } from '../../db/setting.repository.js';
import { listUnits } from '../../db/unit.repository.js';
import { chatTargetKey, parseChatTargetKey } from '../../domain/chat-target.js';
import { UserError } from '../../errors.js';
import { fileLabel } from '../../io/import-file.js';
import { withRowErrorsAsJson } from '../../io/row-errors.js';
import { readUnitSheet } from '../../io/unit-sheet.js';
import { resolveMonthRef } from '../../plan/load-plan.js';
import { programmePlan } from '../../plan/programme.js';
import { LEVEL_NAMES_ZH } from '../../plan/schema.js';
import { initProgramme } from '../../services/init.service.js';
import { addMember, bindChat, checkChatTarget } from '../../services/members.service.js';
import { clearVeto, setScore, setVeto } from '../../services/scores.service.js';
import { addUnit, importUnits, parseLevel } from '../../services/units.service.js';
import { isoInZone } from '../../time.js';
import { actingAs, withCommonOptions, withContext, type CommonOptions } from '../context.js';

const BY = ['--by <name>', 'act as this roster member (their permissions apply; audited under their name); default: the server operator'] as const;

export function registerAdminCommands(program: Command): void {
  withCommonOptions(program.command('migrate').description('run pending database migrations')).action(async (opts: CommonOptions) =>
    withContext(
      opts,
      async (ctx) => {
        const applied = await migrateToLatest(ctx.db);
        const tables = await ctx.db.introspection.getTables();
        ctx.print(
          { applied, tables: tables.map((t) => t.name).sort() },
          () => `database ${opts.db ?? ctx.config.dbFile} is up to date (${tables.length} tables)${applied.length > 0 ? `; applied ${applied.join(', ')}` : ''}`,
        );
      },
      { migrate: false },
    ),
  );

  withCommonOptions(
    program
      .command('init')
      .description('create the street and instantiate the plan for a programme whose first year is YYYY')
      .requiredOption('--year <YYYY>', "the programme's first year (the document's 2021)")
      .option('--street <name>', "the street's name (default: the plan's XX街道)")
      .option('--sample-roster', '演示用：花名册填入方案附件1的示例姓名（默认只建立岗位：领导小组组长、党建办主任、党建办副主任）'),
  ).action(async (opts: CommonOptions & { year: string; street?: string; sampleRoster?: boolean }) =>
    withContext(opts, async (ctx) => {
      const result = await initProgramme(ctx, await actingAs(ctx, undefined), { year: opts.year, street: opts.street, sampleRoster: opts.sampleRoster === true });
      ctx.print(result, () => {
        const c = result.created;
        const next = opts.sampleRoster === true ? '' : '\n下一步：dangjian member bind --name 党建办主任 --open-id ou_…（把党建办绑定到自己的飞书账号）';
        return `三年行动：${result.programme.streetName}，第一年 ${result.programme.firstYear} 年\n本次新建：街道 ${c.street ? '1 个' : '0 个（已存在）'}，花名册 ${c.members} 人，任务 ${c.tasks} 项${c.members > 0 ? next : ''}`;
      });
    }),
  );

  withCommonOptions(program.command('plan').description('print the work plan as loaded (levels, indicators, tasks, targets, phases)')).action(
    async (opts: CommonOptions) =>
      withContext(opts, async (ctx) => {
        const programme = await getProgramme(ctx.db);
        const firstYear = programme?.firstYear ?? ctx.plan.documentFirstYear;
        // Every date the document prints, in the programme's years (the document's 2021 = year 1).
        const plan = programmePlan(ctx.plan, firstYear);
        ctx.print({ ...plan, programme: programme ?? null }, () => {
          const out: string[] = [`${plan.title}`, `programme first year: ${firstYear}${programme ? '' : ' (not initialised; showing the document year)'}`, ''];
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
      }),
  );

  const score = program.commands.find((c) => c.name() === 'score') ?? program.command('score').description('assessment scores');
  withCommonOptions(
    score
      .command('set')
      .description('enter points for one sub-item (history kept; the latest entry wins)')
      .requiredOption('--unit <name>', 'unit name')
      .requiredOption('--item <code>', 'sub-item code, e.g. 4.2')
      .requiredOption('--points <p>', "0 to the sub-item's maximum, in steps of 0.5")
      .option('--year <YYYY>', 'assessment year (default: current year)')
      .option('--note <text>', 'note')
      .option(...BY),
  ).action(async (opts: CommonOptions & { unit: string; item: string; points: string; year?: string; note?: string; by?: string }) =>
    withContext(opts, async (ctx) => {
      const { entry, resolved } = await setScore({ ...ctx, tz: ctx.config.timeZone }, await actingAs(ctx, opts.by), opts);
      ctx.print(
        { unit: resolved.unit.name, item: resolved.subItem.code, points: entry.points, max: resolved.subItem.points, year: entry.year, note: entry.note },
        () => `${resolved.unit.name} ${entry.year} ${resolved.subItem.code}: ${entry.points}/${resolved.subItem.points}`,
      );
    }),
  );

  const veto = program.command('veto').description('一票否决 for a unit and year');
  for (const action of ['set', 'clear'] as const) {
    withCommonOptions(
      veto
        .command(action)
        .requiredOption('--unit <name>', 'unit name')
        .requiredOption('--reason <text>', 'reason')
        .option('--year <YYYY>', 'assessment year (default: current year)')
        .option(...BY),
    ).action(async (opts: CommonOptions & { unit: string; reason: string; year?: string; by?: string }) =>
      withContext(opts, async (ctx) => {
        const deps = { ...ctx, tz: ctx.config.timeZone };
        const actor = await actingAs(ctx, opts.by);
        if (action === 'set') {
          const row = await setVeto(deps, actor, opts);
          ctx.print({ unit: opts.unit.trim(), year: row.year, veto: true, reason: row.reason }, () => `veto set on ${opts.unit.trim()} for ${row.year}: ${row.reason}`);
        } else {
          const cleared = await clearVeto(deps, actor, opts);
          ctx.print({ unit: opts.unit.trim(), veto: false, cleared }, () => `veto cleared on ${opts.unit.trim()}`);
        }
      }),
    );
  }

  withCommonOptions(
    program
      .command('backup')
      .description("online, consistent copy of the database (SQLite's backup API), safe while the service writes")
      .requiredOption('--out <file>', 'destination file (must not exist)'),
  ).action(async (opts: CommonOptions & { out: string }) => {
    if (existsSync(opts.out)) throw new UserError('conflict', `${opts.out} already exists; choose a new file`, '--out');
    await withContext(opts, async (ctx) => {
      const { pages } = await backupDatabase(ctx.opened, opts.out);
      ctx.print({ out: opts.out, pages }, () => `backup written to ${opts.out} (${pages} pages)`);
    });
  });

  withCommonOptions(
    program
      .command('audit')
      .description('the audit log, newest first')
      .option('--limit <n>', 'how many entries', '50'),
  ).action(async (opts: CommonOptions & { limit: string }) => {
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new UserError('bad_argument', `a whole number from 1 to 10000 (got "${opts.limit}")`, '--limit');
    await withContext(opts, async (ctx) => {
      const rows = (await listAudit(ctx.db, { limit })).map((r) => ({ at: isoInZone(r.at, ctx.config.timeZone), actor: r.actor, source: r.source, action: r.action, subject: r.subject, outcome: r.outcome, detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown) }));
      ctx.print(rows, () => rows.map((r) => `${r.at}\t${r.actor}\t${r.source}\t${r.action}\t${r.subject ?? ''}\t${r.outcome}`).join('\n') || 'no audit entries');
    });
  });

}
