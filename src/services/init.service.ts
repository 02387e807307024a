/**
 * `dangjian init` (and the console's 「初始化」): the street, the programme's first year, the roster's
 * positions, the task list. The roster starts with the plan's positions, not the sample document's
 * names: 领导小组组长 and the office (党建办主任, 党建办副主任), to be bound (`member bind`) or renamed
 * (`member edit --rename`). `sampleRoster` seeds Annex 1's names instead, for demonstrations.
 */
import { OFFICE_LEAD_UNIT, type Actor } from '../auth/actor.js';
import { requireOffice } from '../auth/policy.js';
import type { Clock } from '../clock.js';
import { audit } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { countMembers, insertMemberIfAbsent } from '../db/member.repository.js';
import { getProgramme, saveProgramme, type ProgrammeSettings } from '../db/setting.repository.js';
import { findUnitByName, insertUnit } from '../db/unit.repository.js';
import { UserError } from '../errors.js';
import type { Plan } from '../plan/schema.js';
import { parseYear } from './scores.service.js';
import { instantiateYear } from './tasks.service.js';
import { validateUnitName } from './units.service.js';

/** The positions every street's roster starts with (Annex 1's offices, without the sample's names). */
export const ROSTER_POSITIONS = [
  { name: '领导小组组长', role: 'leader', leadUnit: null },
  { name: '党建办主任', role: 'office', leadUnit: OFFICE_LEAD_UNIT },
  { name: '党建办副主任', role: 'office', leadUnit: OFFICE_LEAD_UNIT },
] as const;

export interface InitResult {
  programme: ProgrammeSettings;
  created: { street: boolean; members: number; tasks: number };
}

/** Office only. Idempotent: a second run with the same arguments changes nothing. */
export async function initProgramme(
  deps: { db: Db; plan: Plan; clock: Clock },
  actor: Actor,
  input: { year: string | number; street?: string | undefined; sampleRoster?: boolean },
): Promise<InitResult> {
  const { db, plan, clock } = deps;
  await requireOffice(deps, actor, '初始化三年行动', { action: 'programme.init', subject: null });
  const firstYear = parseYear(input.year);
  const existing = await getProgramme(db);
  const streetName = validateUnitName(input.street ?? existing?.streetName ?? plan.defaultStreetName, '--street');
  if (existing && existing.firstYear !== firstYear) {
    throw new UserError('conflict', `the programme is already initialised with first year ${existing.firstYear}; use \`task instantiate --year ${firstYear}\` to add a year's task list`, '--year');
  }
  if (existing && existing.streetName !== streetName) {
    throw new UserError('conflict', `the programme is already initialised for street "${existing.streetName}"`, '--street');
  }
  const clash = await findUnitByName(db, streetName);
  if (clash && clash.level !== 'street') throw new UserError('conflict', `"${streetName}" already exists as a ${clash.level}`, '--street');
  const at = clock.now().getTime();
  return db.transaction().execute(async (trx) => {
    let createdStreet = false;
    if (!clash) {
      await insertUnit(trx, { name: streetName, level: 'street', parentId: null, at });
      createdStreet = true;
    }
    await saveProgramme(trx, { firstYear, streetName });
    const before = await countMembers(trx);
    if (input.sampleRoster === true) {
      const { leaders, deputies, members, officeDirector, officeDeputy } = plan.leadership;
      const office = new Set([officeDirector, officeDeputy]);
      // The office director and deputy run the 党建办: they get the office role.
      for (const name of leaders) await insertMemberIfAbsent(trx, { name, role: 'leader', leadUnit: null, at });
      for (const name of deputies) await insertMemberIfAbsent(trx, { name, role: 'deputy', leadUnit: null, at });
      for (const name of members) {
        await insertMemberIfAbsent(trx, office.has(name) ? { name, role: 'office', leadUnit: OFFICE_LEAD_UNIT, at } : { name, role: 'member', leadUnit: null, at });
      }
    } else if (before === 0) {
      // Only into an empty roster: a renamed or removed position is not brought back by a second init.
      for (const p of ROSTER_POSITIONS) await insertMemberIfAbsent(trx, { ...p, at });
    }
    const after = await countMembers(trx);
    const tasks = (await instantiateYear(trx, plan, firstYear, at, firstYear)).inserted.length;
    const created = { street: createdStreet, members: after - before, tasks };
    if (createdStreet || created.members > 0 || tasks > 0 || !existing) {
      await audit(trx, { at, actor: actor.name, source: actor.source, action: 'programme.init', subject: streetName, outcome: 'ok', detail: { firstYear, ...created } });
    }
    return { programme: { firstYear, streetName }, created };
  });
}
