/** What the template commands do (their definitions: ./template.ts); loaded only when one of them runs. */
import { listUnits } from '../../db/unit.repository.js';
import { fileLabel } from '../../io/import-file.js';
import { parseScoreLayout, parseTemplateKind, writeTemplate, type TemplateUnit } from '../../io/templates.js';
import type { Level } from '../../plan/schema.js';
import { assessmentYear, parseYear } from '../../services/scores.service.js';
import { withContext, type CommonOptions } from '../context.js';

const IMPORT_COMMAND = { units: 'dangjian unit import', scores: 'dangjian score import', roster: 'dangjian member import' } as const;

export const runTemplate = async (kindText: string, opts: CommonOptions & { out: string; layout?: string; year?: string }) => {
  const kind = parseTemplateKind(kindText);
  const layout = opts.layout === undefined ? undefined : parseScoreLayout(opts.layout);
  return withContext(opts, async (ctx) => {
    const rows = await listUnits(ctx.db);
    const names = new Map(rows.map((u) => [u.id, u.name]));
    const units: TemplateUnit[] = rows.map((u) => ({ name: u.name, level: u.level as Level, parent: u.parent_id === null ? null : (names.get(u.parent_id) ?? null) }));
    const year = opts.year === undefined ? assessmentYear(ctx.clock, ctx.config.timeZone) : parseYear(opts.year);
    const sheets = await writeTemplate(opts.out, kind, { plan: ctx.plan, units, year, ...(layout ? { layout } : {}) });
    ctx.print({ file: opts.out, kind, layout: kind === 'scores' ? (layout ?? 'wide') : null, sheets }, () =>
      [`已生成模板 ${opts.out}（工作表：${sheets.join('、')}）`, `填好后导入：${IMPORT_COMMAND[kind]} --file ${fileLabel(opts.out)}`].join('\n'),
    );
  });
};
