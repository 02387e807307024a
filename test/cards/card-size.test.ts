/**
 * Lark refuses a card over 30 KB (230025). The largest realistic cards, built from a generated
 * city (bench/city.ts: one street, 3 communities of 60 compounds, 30 other units, two scored
 * years, every unit renamed to a long 24-character name, the year's tasks instantiated and mostly
 * overdue): 排名 of 60 and of 180 compounds with the grade-mix chart, 得分 of the street and of a
 * community (indicator chart, blockers naming sub-units), 目标 with its charts, and the 周报 with
 * its chart. Each must stay under the limit with charts valid.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCity } from '../../bench/city.js';
import { operatorActor } from '../../src/auth/actor.js';
import { consoleActor } from '../../src/bot/access.js';
import { respondToMessage } from '../../src/bot/dispatch.js';
import type { BotDeps } from '../../src/bot/types.js';
import type { Card } from '../../src/cards/card.js';
import { chartElementSchema } from '../../src/cards/chart-element.js';
import { fixedClock } from '../../src/clock.js';
import { openDatabase, type OpenedDatabase } from '../../src/db/database.js';
import { silentLogger } from '../../src/log.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import { DEFAULT_SCHEDULER_SETTINGS } from '../../src/config/scheduler-settings.js';
import { createBotRuntime } from '../../src/runtime/bot-runtime.js';
import { digestCard } from '../../src/scheduler/digest-card.js';
import { buildDigest } from '../../src/services/digest.service.js';
import { instantiateTasks } from '../../src/services/tasks.service.js';
import { createWorkCalendar } from '../../src/tasks/work-calendar.js';
import { BOT_OPEN_ID, cardOf, message, RecordingOutbound } from '../bot/support.js';

const CARD_LIMIT = 30 * 1024;
const LONG = '阳光家园幸福里党群服务示范区';

let opened: OpenedDatabase;
let deps: BotDeps;
let names: { street: string; community: string };

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'dangjian-size-')), 'city.db');
  const city = await generateCity(file, { streets: 1, communities: 3, compounds: 180, others: 30, seed: 20231115, years: [2022, 2023] });
  opened = openDatabase(file);
  opened.sqlite.prepare('UPDATE unit SET name = name || ?').run(LONG);
  opened.sqlite.prepare("UPDATE setting SET value = value || ? WHERE key = 'street_name'").run(LONG);
  const plan = loadPlan();
  const clock = fixedClock('2023-11-15T10:00:00+08:00');
  const runtime = createBotRuntime({ db: opened.db, plan, clock, tz: 'Asia/Shanghai', log: silentLogger, outbound: new RecordingOutbound(), calendar: createWorkCalendar().calendar, settings: DEFAULT_SCHEDULER_SETTINGS, consoleActor: consoleActor(), botOpenId: () => BOT_OPEN_ID });
  deps = runtime.deps;
  await instantiateTasks(deps, operatorActor('test'), { year: city.years[1]! });
  names = { street: `${city.streetNames[0]}${LONG}`, community: `${city.streetNames[0]}1社区${LONG}` };
}, 120_000);

afterAll(async () => {
  await opened?.close();
});

async function cardFor(text: string): Promise<Card> {
  const d = await respondToMessage(message(text), deps);
  if (d.status !== 'replied') throw new Error(d.status);
  return cardOf(d.reply);
}

function expectWithinLimit(card: Card, what: string): number {
  const bytes = Buffer.byteLength(JSON.stringify(card), 'utf8');
  expect(bytes, `${what}: ${bytes} bytes`).toBeLessThan(CARD_LIMIT);
  const charts = JSON.stringify(card.body.elements).match(/"tag":"chart"/g)?.length ?? 0;
  expect(charts, `${what}: charts`).toBeLessThanOrEqual(5);
  return bytes;
}

const chartsIn = (card: Card) => card.body.elements.filter((e) => e.tag === 'chart');

describe('the largest realistic cards stay under Lark’s 30 KB', () => {
  it('排名 of the 60 compounds of a community, and of all 180, with the grade-mix chart; the rest clipped with 「另有 N 个」', async () => {
    for (const [text, total] of [[`排名 小区 ${names.community}`, 60], ['排名 小区 全部 2023', 180]] as const) {
      const card = await cardFor(text);
      expectWithinLimit(card, text);
      expect(chartsIn(card).length).toBe(1);
      for (const c of chartsIn(card)) expect(chartElementSchema.safeParse(c).success).toBe(true);
      expect(JSON.stringify(card)).toContain(`另有 ${total - 50} 个未列出（共 ${total} 个）`);
    }
  });

  it('得分 of the street and of a community with 60 compounds, with the indicator chart', async () => {
    for (const unit of [names.street, names.community]) {
      const card = await cardFor(`得分 ${unit} 2023`);
      expectWithinLimit(card, `得分 ${unit}`);
      expect(chartsIn(card).length).toBe(1);
      expect(chartElementSchema.safeParse(chartsIn(card)[0]).success).toBe(true);
    }
  });

  it('目标 with a chart per milestone', async () => {
    const card = await cardFor('目标');
    expectWithinLimit(card, '目标');
    const charts = JSON.stringify(card).match(/"tag":"chart"/g) ?? [];
    expect(charts.length).toBe(3);
  });

  it('周报 in a week with a hundred overdue occurrences, with the grade-mix chart', async () => {
    const calendar = { isWorkday: () => true, workdaysBetween: (a: string, b: string) => Math.max(0, (Date.parse(b) - Date.parse(a)) / 86_400_000) };
    const digest = await buildDigest({ db: deps.db, plan: deps.plan, config: { timeZone: deps.tz }, clock: deps.clock, calendar, settings: deps.settings });
    expect(digest.overdue.length).toBeGreaterThan(50);
    const card = digestCard(digest);
    expectWithinLimit(card, '周报');
    expect(chartsIn(card).length).toBe(1);
    expect(chartElementSchema.safeParse(chartsIn(card)[0]).success).toBe(true);
  });
});
