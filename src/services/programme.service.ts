/** The programme (three-year action) as `dangjian init` set it up. */
import type { Db } from '../db/database.js';
import { getProgramme, type ProgrammeSettings } from '../db/setting.repository.js';
import { UserError } from '../errors.js';

/** The one 「尚未初始化」 check: the programme's settings, or not_initialised telling how to initialise. */
export async function requireProgramme(db: Db): Promise<ProgrammeSettings> {
  const p = await getProgramme(db);
  if (!p) throw new UserError('not_initialised', '三年行动尚未初始化：请党建办在服务器上运行 npx dangjian init --year YYYY [--street 街道名]（本地控制台可直接输入「初始化」）。');
  return p;
}
