/** Test helpers for the task engine: an initialised database with a roster covering every role. */
import { actorFromMember, type Actor } from '../../src/auth/actor.js';
import { fixedClock } from '../../src/clock.js';
import type { AnyOpenedDatabase, Db } from '../../src/db/database.js';
import { openTestDatabase } from '../support/database.js';
import { insertMember } from '../../src/db/member.repository.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { setSetting } from '../../src/db/setting.repository.js';
import { insertUnit } from '../../src/db/unit.repository.js';
import { UserError } from '../../src/errors.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import { instantiateYear } from '../../src/services/tasks.service.js';
import { DEFAULT_YELLOW_DAYS } from '../../src/tasks/status.js';

const TZ = 'Asia/Shanghai';
export const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad test instant ${iso}`);
  return ms;
};

/** Roster used by the tests: name → [role, lead unit]. */
export const ROSTER = {
  王博文: ['office', '党建办(组织)'],
  党建小赵: ['lead_unit', '党建办(组织)'],
  张建虹: ['leader', null],
  刘子龙: ['deputy', null],
  卫忠: ['member', null],
  社治小李: ['lead_unit', '社会治理办'],
  社管小王: ['lead_unit', '社管中心'],
  环卫小陈: ['lead_unit', '环卫中心'],
  李书记: ['secretary', null],
} as const;
export type RosterName = keyof typeof ROSTER;

/** Seeds the programme settings, a community, the roster and (optionally) the 2026 task list. */
async function seedProgramme(db: Db, options: { year?: number; tasks?: boolean } = {}): Promise<void> {
  const year = options.year ?? 2026;
  const t = at('2026-01-01T00:00:00+08:00');
  await setSetting(db, 'programme_first_year', String(year));
  await setSetting(db, 'street_name', 'XX街道');
  const street = await insertUnit(db, { name: 'XX街道', level: 'street', parentId: null, at: t });
  const community = await insertUnit(db, { name: '城东社区', level: 'community', parentId: street.id, at: t });
  for (const [name, [role, leadUnit]] of Object.entries(ROSTER)) {
    await insertMember(db, { name, openId: null, role, leadUnit, unitId: role === 'secretary' ? community.id : null, at: t });
  }
  if (options.tasks !== false) await db.transaction().execute((trx) => instantiateYear(trx, loadPlan(), year, t, year));
}

export interface TestDb {
  opened: AnyOpenedDatabase;
  db: Db;
  clock: ReturnType<typeof fixedClock>;
  deps: { db: Db; tz: string; clock: ReturnType<typeof fixedClock>; plan: ReturnType<typeof loadPlan>; yellowDays: number };
  actor(name: RosterName): Promise<Actor>;
  close(): Promise<void>;
}

export async function createTestDb(file = ':memory:', options: { seed?: boolean } = {}): Promise<TestDb> {
  const opened = await openTestDatabase(file);
  await migrateToLatest(opened.db);
  if (options.seed !== false) await seedProgramme(opened.db);
  const clock = fixedClock('2026-03-05T10:00:00+08:00');
  const db = opened.db;
  return {
    opened,
    db,
    clock,
    deps: { db, tz: TZ, clock, plan: loadPlan(), yellowDays: DEFAULT_YELLOW_DAYS },
    async actor(name) {
      const m = await db.selectFrom('member').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
      return actorFromMember(m, 'chat');
    },
    close: () => opened.close(),
  };
}

/** Awaits a promise that must reject with a UserError and returns it. */
export async function userError(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error('expected a UserError, but the call succeeded');
}

/** Every row of the tables the task engine touches, for "nothing changed" assertions. */
export async function snapshot(db: Db): Promise<unknown> {
  return {
    task: await db.selectFrom('task').selectAll().orderBy('id').execute(),
    completion: await db.selectFrom('task_completion').selectAll().orderBy('id').execute(),
    audit: await db.selectFrom('audit_log').selectAll().orderBy('id').execute(),
  };
}
