/**
 * A spreadsheet a person sent the bot: an Annex 4 申报表 (its title says so) or a 自查表. Read
 * once to tell which (the import's size cap and file-kind checks apply), then imported by its
 * own service.
 */
import type { Actor } from '../auth/actor.js';
import { UserError } from '../errors.js';
import { readTable } from '../io/table.js';
import { importApplicationTable, isApplicationTable, type ApplicationDeps, type ApplicationReport } from './application.service.js';
import { importSelfCheckFile, type SelfCheckImport } from './self-check.service.js';

export type ChatFileImport = { kind: 'self_check'; result: SelfCheckImport } | { kind: 'application'; report: ApplicationReport };

export async function importChatFile(deps: ApplicationDeps, actor: Actor, file: { path: string; label: string }): Promise<ChatFileImport> {
  let table;
  try {
    table = await readTable(file.path);
  } catch (err) {
    // The messages name the temporary path: name the file as sent instead.
    if (err instanceof UserError) throw new UserError(err.code, err.message.split(file.path).join(file.label), err.field);
    throw err;
  }
  if (isApplicationTable(table)) return { kind: 'application', report: await importApplicationTable(deps, actor, { ...table, file: file.label }) };
  return { kind: 'self_check', result: await importSelfCheckFile(deps, actor, file) };
}
