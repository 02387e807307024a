/**
 * 推选 (四(四) 「择优推选一批示范型社区、小区、楼宇、商圈和社会组织接受市县级验收评估」): the
 * demonstration units of the last closed round, ranked per level by their frozen totals; a unit
 * with a 一票否决 (whose total reaches 示范型) or an open 整改 is listed but excluded. The office records the chosen list
 * (replacing the previous one, audited); it is exported as 推选名单. Each unit shows the 创建类型 it
 * declared for the round's year (approved 申报), if any.
 */
import type { Actor } from '../auth/actor.js';
import { requireOffice } from '../auth/policy.js';
import { audit } from '../db/audit.repository.js';
import { chosenCandidates, listRectificationItems, replaceCandidates } from '../db/rectification.repository.js';
import { findUnitsNamed } from '../db/unit.repository.js';
import { UserError } from '../errors.js';
import { LEVELS, type Level } from '../plan/schema.js';
import { compareNames } from '../scoring/index.js';
import { CREATION_TYPE_ZH, declaredTypes } from './application.service.js';
import type { GradingDeps } from './grading.service.js';
import { closedRoundPair, roundLabel } from './rounds.service.js';

export interface Candidate {
  rank: number;
  unit: string;
  level: Level;
  parent: string | null;
  total: number;
  /** 示范型 / 标准型 declared in its approved 申报 of the round's year; null: none. */
  declared: string | null;
  /** Why it cannot be chosen (一票否决, 整改未完成), empty when eligible. */
  excluded: string[];
  chosen: boolean;
}

export interface CandidateList {
  round: string;
  roundId: number;
  /** Levels below the street that have demonstration units, in plan order. */
  levels: Array<{ level: Level; candidates: Candidate[] }>;
}

/** The demonstration units of the last closed round, ranked per level, with exclusions and the chosen list. */
export async function candidateList(deps: GradingDeps): Promise<CandidateList> {
  const { current } = await closedRoundPair(deps);
  const round = current.round;
  const now = deps.clock.now().getTime();
  const openRectification = new Set((await listRectificationItems(deps.db)).filter((i) => i.doneAt === null || i.doneAt > now).map((i) => i.unitId));
  const chosen = new Set((await chosenCandidates(deps.db, round.id)).map((c) => c.unitId));
  const declared = await declaredTypes(deps.db, round.year);
  const levels: CandidateList['levels'] = [];
  for (const level of LEVELS) {
    if (level === 'street') continue;
    // A vetoed unit whose total reaches 示范型 is listed, excluded (the veto alone holds it back).
    const demo = current.units.filter((u) => u.level === level && u.assessed > 0 && (u.grade === 'demonstration' || (u.veto && u.total >= u.detail.thresholds.demonstration)));
    if (demo.length === 0) continue;
    demo.sort((a, b) => b.total - a.total || compareNames(a.name, b.name));
    levels.push({
      level,
      candidates: demo.map((u, k) => ({
        rank: k + 1,
        unit: u.name,
        level,
        parent: u.parent,
        total: u.total,
        declared: declared.has(u.name) ? CREATION_TYPE_ZH[declared.get(u.name)!.type] : null,
        excluded: [...(u.veto ? ['一票否决'] : []), ...(openRectification.has(u.unitId) ? ['整改未完成'] : [])],
        chosen: chosen.has(u.unitId),
      })),
    });
  }
  return { round: roundLabel(round), roundId: round.id, levels };
}

/** Records the units chosen for 市县级验收 from the last closed round's candidates (office only, audited). */
export async function chooseCandidates(deps: GradingDeps, actor: Actor, input: { units: readonly string[] }): Promise<CandidateList> {
  await requireOffice(deps, actor, '推选单位', { action: 'candidates.choose', subject: null });
  const list = await candidateList(deps);
  const names = [...new Set(input.units.map((u) => u.normalize('NFKC').trim()).filter((u) => u !== ''))];
  if (names.length === 0) throw new UserError('bad_argument', '请写出推选的单位名称（用空格或「、」分隔）', '〈单位〉');
  const all = list.levels.flatMap((l) => l.candidates);
  const problems: string[] = [];
  const picked: Candidate[] = [];
  for (const name of names) {
    const c = all.find((x) => x.unit === name);
    if (!c) problems.push(`「${name}」不是${list.round}的示范型单位`);
    else if (c.excluded.length > 0) problems.push(`「${name}」不能推选：${c.excluded.join('、')}`);
    else picked.push(c);
  }
  if (problems.length > 0) throw new UserError('bad_argument', `没有记录推选名单：${problems.join('；')}`, '〈单位〉');
  const rows = await findUnitsNamed(deps.db, picked.map((c) => c.unit));
  const at = deps.clock.now().getTime();
  await deps.db.transaction().execute(async (trx) => {
    await replaceCandidates(trx, list.roundId, rows.map((r) => r.id), actor.name, at);
    await audit(trx, { at, actor: actor.name, source: actor.source, action: 'candidates.choose', subject: list.round, outcome: 'ok', detail: { units: picked.map((c) => c.unit) } });
  });
  return candidateList(deps);
}
