/** Loose unit lookup for commands: one unit, or a reply listing the candidates as buttons. */
import type { Db } from '../../db/database.js';
import type { UnitRow } from '../../db/schema.js';
import { UserError } from '../../errors.js';
import { matchUnit, type UnitMatch } from '../../services/units.service.js';
import { unitChoiceCard } from '../cards.js';
import { cardReply, type Reply } from '../types.js';

export type UnitLookup = { unit: UnitRow; reply?: undefined } | { unit?: undefined; reply: Reply };

/**
 * matchUnit (the same rule as the CLI's); several matches → a card whose buttons repeat the
 * command with each full name (`commandText(name)`). `matched`: the match already started (a
 * command's read-ahead).
 */
export async function lookupUnit(db: Db, fragment: string, commandText: (unitName: string) => string, field = '〈单位〉', matched?: Promise<UnitMatch>): Promise<UnitLookup> {
  const match = await (matched ?? matchUnit(db, fragment));
  if (match.kind === 'one') return { unit: match.unit };
  if (match.kind === 'many') return { reply: cardReply(unitChoiceCard(fragment, match.units, commandText)) };
  throw new UserError('not_found', `没有找到名称包含「${fragment}」的单位`, field);
}
