/** Loose unit lookup for commands: one unit, or a reply listing the candidates. */
import type { Db } from '../../db/database.js';
import type { UnitRow } from '../../db/schema.js';
import { findUnitByName } from '../../db/unit.repository.js';
import { UserError } from '../../errors.js';
import { LEVEL_NAMES_ZH } from '../../plan/schema.js';
import { matchUnit } from '../../services/units.service.js';
import { unitChoiceCard } from '../cards.js';
import { cardReply, type Reply } from '../types.js';

export type UnitLookup = { unit: UnitRow; reply?: undefined } | { unit?: undefined; reply: Reply };

/**
 * 「城东」 finds 「城东社区」 when it is the only name containing it. Several matches → a card
 * whose buttons repeat the command with each full name (`commandText(name)`).
 */
export async function lookupUnit(db: Db, fragment: string, commandText: (unitName: string) => string, field = '〈单位〉'): Promise<UnitLookup> {
  const match = await matchUnit(db, fragment);
  if (match.kind === 'one') return { unit: match.unit };
  if (match.kind === 'many') {
    // 「城东」 means 「城东社区」 even when 「城东花园小区」 also contains it: the one name that is the
    // fragment plus a level word wins.
    // (Looked up by name: the candidate list is capped and may not contain it.)
    const suffixed: UnitRow[] = [];
    for (const word of Object.values(LEVEL_NAMES_ZH)) {
      const u = await findUnitByName(db, `${fragment.trim()}${word}`);
      if (u) suffixed.push(u);
    }
    if (suffixed.length === 1) return { unit: suffixed[0]! };
    return { reply: cardReply(unitChoiceCard(fragment, match.units, commandText)) };
  }
  throw new UserError('not_found', `没有找到名称包含「${fragment}」的单位`, field);
}
