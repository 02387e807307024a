import { generateCity } from '../bench/city.js';
import { openDatabase, openPostgres } from '../src/db/database.js';
import { copyDatabase } from '../src/services/db-copy.service.js';
import { sql, type KyselyPlugin } from 'kysely';
import { operatorActor } from '../src/auth/actor.js';
import { fixedClock } from '../src/clock.js';
import { DEFAULT_SCHEDULER_SETTINGS } from '../src/config/scheduler-settings.js';
import { bindChat } from '../src/db/chat.repository.js';
import { bindMemberOpenId, findMemberByName } from '../src/db/member.repository.js';
import { silentLogger } from '../src/log.js';
import { loadPlan } from '../src/plan/load-plan.js';
import { createBotRuntime } from '../src/runtime/bot-runtime.js';
import { initProgramme } from '../src/services/init.service.js';
import { instantiateTasks } from '../src/services/tasks.service.js';
import { createWorkCalendar } from '../src/tasks/work-calendar.js';
import { command } from '../bench/bot.bench.js';

const t = () => performance.now();
const city = await generateCity('/tmp/trace-city.db', { streets: 10, communities: 200, compounds: 3000, others: 400, seed: 20231231, years: [2026] });
const src = openDatabase(city.file);
const url = process.env.TEST_DATABASE_URL!;
const admin = await openPostgres(url, { max: 1 });
await sql.raw('DROP SCHEMA IF EXISTS trace CASCADE; CREATE SCHEMA trace').execute(admin.db);
await admin.close();
const u = new URL(url); u.searchParams.set('options', '-c search_path=trace');
const pgo = await openPostgres(u.toString());
await copyDatabase(src.db, pgo.db, { sourceLabel: 'city' });
await src.close();
let events: string[] = [];
let t0 = 0;
const starts = new Map<unknown, number>();
const plugin: KyselyPlugin = {
  transformQuery(a) { starts.set(a.queryId, t()); return a.node; },
  async transformResult(a) { const s = starts.get(a.queryId)!; events.push(`${(s - t0).toFixed(2)}→${(t() - t0).toFixed(2)} ${a.result.rows.length}r`); return a.result; },
};
for (const engine of ['sqlite', 'postgres'] as const) {
  const opened = engine === 'sqlite' ? openDatabase(city.file) : pgo;
  const db = opened.db.withPlugin(plugin);
  const clock = fixedClock('2026-06-10T10:00:00+08:00');
  const plan = loadPlan();
  const base = { db, plan, clock, tz: 'Asia/Shanghai' };
  await initProgramme(base, operatorActor('bench'), { year: city.firstYear, street: city.streetNames[0], sampleRoster: true });
  await instantiateTasks(base, operatorActor('bench'), { year: 2026 });
  const office = await findMemberByName(db, plan.leadership.officeDirector);
  await bindMemberOpenId(db, office!.id, 'ou_office');
  await bindChat(db, { chatId: 'oc_1', target: { kind: 'leadership' }, by: 'bench', at: clock.now().getTime() });
  const runtime = createBotRuntime({
    ...base, log: silentLogger,
    outbound: { sendMessage: async () => ({ messageId: 'm' }), patchCard: async () => undefined, uploadFile: async () => ({ fileKey: 'f' }), replyMessage: async () => { events.push(`${(t() - t0).toFixed(2)} REPLY`); return { messageId: 'm' }; } } as never,
    calendar: createWorkCalendar({ years: [2026] }).calendar, settings: DEFAULT_SCHEDULER_SETTINGS, botOpenId: () => 'ou_bot',
  });
  for (let i = 0; i < 240; i++) {
    const text = command(i, city.streetNames);
    events = [];
    t0 = t();
    await runtime.handleMessage({ eventId: `e${engine}${i}`, messageId: `m${engine}${i}`, chatId: 'oc_1', chatType: 'group', senderOpenId: 'ou_office', senderType: 'user', text: `@_user_1 ${text}`, mentions: [{ key: '@_user_1', openId: 'ou_bot', name: 'bot' }] } as never, { inboxEventId: undefined, recorded: Promise.resolve(true) } as never);
    if (i >= 220) console.log(engine, text, (t() - t0).toFixed(2), events.join(' | '));
  }
  await runtime.close(1000);
}
await pgo.close();
