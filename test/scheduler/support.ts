/** Shared set-up for the scheduler tests: a programme on real SQLite, chats, a recording Outbound. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { operatorActor } from '../../src/auth/actor.js';
import { fixedClock } from '../../src/clock.js';
import { bindChat } from '../../src/db/chat.repository.js';
import { findOutboxByKey, listOutboxItems } from '../../src/db/outbox.repository.js';
import type { AnyOpenedDatabase } from '../../src/db/database.js';
import { openTestDatabase } from '../support/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { silentLogger } from '../../src/log.js';
import type { Outbound, OutgoingMessage } from '../../src/messaging/outbound.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import type { SchedulerDeps } from '../../src/services/reminders.service.js';
import { DEFAULT_SCHEDULER_SETTINGS, type SchedulerSettings } from '../../src/config/scheduler-settings.js';
import { initProgramme } from '../../src/services/init.service.js';
import { completeOccurrence } from '../../src/services/tasks.service.js';
import { createWorkCalendar } from '../../src/tasks/work-calendar.js';

export const TZ = 'Asia/Shanghai';
export const plan = loadPlan();
export const { calendar } = createWorkCalendar();
export const at = (iso: string): number => Date.parse(iso);

/** Chats bound in the tests: leadership, 党建办(组织), 社管中心; 社会治理办, 环卫中心 and 城发办 have none. */
export const CHATS = { leadership: 'oc_lead', office: 'oc_djb', community: 'oc_sg' } as const;

export function tempDbFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'dangjian-sched-')), 'test.db');
}

/** Opens (and migrates) a database; with `init`, the 2026 programme and the three chats. */
export async function openProgramme(file = ':memory:', init = true): Promise<AnyOpenedDatabase> {
  const opened = await openTestDatabase(file);
  await migrateToLatest(opened.db);
  if (init) {
    const clock = fixedClock('2025-12-01T00:00:00+08:00');
    await initProgramme({ db: opened.db, plan, clock }, operatorActor(), { year: 2026 });
    await bindChat(opened.db, { chatId: CHATS.leadership, target: { kind: 'leadership' }, by: 'test', at: 1 });
    await bindChat(opened.db, { chatId: CHATS.office, target: { kind: 'lead', leadUnit: '党建办(组织)' }, by: 'test', at: 2 });
    await bindChat(opened.db, { chatId: CHATS.community, target: { kind: 'lead', leadUnit: '社管中心' }, by: 'test', at: 3 });
  }
  return opened;
}

export interface Sent extends OutgoingMessage {
  messageId: string;
}

/**
 * An Outbound that records what it is asked to send. `failNext(chatId, …errors)` makes the next
 * sends to that chat throw; `hang()` makes every later send never finish (a stuck or dying process).
 */
export class RecordingOutbound implements Outbound {
  readonly sent: Sent[] = [];
  /** Sends that were started while hanging. */
  readonly stuck: OutgoingMessage[] = [];
  private readonly failures = new Map<string, Array<Error & { retryable?: boolean }>>();
  private hanging = false;
  private n = 0;

  constructor(private readonly prefix = 'om_') {}

  failNext(chatId: string, ...errors: Array<Error & { retryable?: boolean }>): void {
    this.failures.set(chatId, [...(this.failures.get(chatId) ?? []), ...errors]);
  }

  hang(): void {
    this.hanging = true;
  }

  async sendMessage(m: OutgoingMessage): Promise<{ messageId: string }> {
    if (this.hanging) {
      this.stuck.push(m);
      return new Promise(() => undefined);
    }
    const err = this.failures.get(m.receiveId)?.shift();
    if (err) throw err;
    const messageId = `${this.prefix}${++this.n}`;
    this.sent.push({ ...m, messageId });
    return { messageId };
  }

  async replyMessage(): Promise<{ messageId: string }> {
    throw new Error('not used by the scheduler');
  }

  async patchCard(): Promise<unknown> {
    throw new Error('not used by the scheduler');
  }

  async uploadFile(): Promise<{ fileKey: string }> {
    throw new Error('not used by the scheduler');
  }

  keysTo(chatId: string): string[] {
    return this.sent.filter((s) => s.receiveId === chatId).map((s) => s.idempotencyKey);
  }
}

export function failure(message: string, retryable: boolean): Error & { retryable: boolean } {
  return Object.assign(new Error(message), { retryable });
}

export function deps(opened: AnyOpenedDatabase, outbound: Outbound, over: Partial<SchedulerDeps> & { settings?: SchedulerSettings } = {}): SchedulerDeps {
  return {
    db: opened.db,
    plan,
    config: { timeZone: TZ },
    clock: fixedClock('2026-01-01T00:00:00+08:00'),
    log: silentLogger,
    outbound,
    calendar,
    settings: DEFAULT_SCHEDULER_SETTINGS,
    workerId: 'test-worker',
    ...over,
  };
}

/** Marks an occurrence done at `doneAt` (as the office). */
export async function complete(opened: AnyOpenedDatabase, seq: number, period: string, doneAt: string): Promise<void> {
  await completeOccurrence({ db: opened.db, tz: TZ, clock: fixedClock(doneAt) }, operatorActor(), { year: 2026, seq, period, at: at(doneAt) });
}

/** The keys of the items a card (outbox key) carries, as recorded. */
export async function carriedKeys(opened: AnyOpenedDatabase, cardKey: string): Promise<string[]> {
  const card = await findOutboxByKey(opened.db, cardKey);
  if (!card) return [];
  return (await listOutboxItems(opened.db, { outboxId: card.id })).map((i) => i.key).sort();
}

/** Card title of a sent message. */
export function titleOf(m: { content: object | string }): string {
  const c = (typeof m.content === 'string' ? JSON.parse(m.content) : m.content) as { header?: { title?: { content?: string } } };
  return c.header?.title?.content ?? '';
}
