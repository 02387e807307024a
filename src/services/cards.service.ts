/**
 * A sent daily card after it went out: its data read back from the outbox, the current state of
 * what it carries (✅ done by whom and when, 💤 明日再提醒) overlaid, rendered again and patched
 * in place through the Outbound (the Lark sender: rate limits, retries). Also 「查看全部」: every
 * item of the card, as a list card for the presser.
 */
import type { Db } from '../db/database.js';
import { findItemsByKeys, findOutboxByKey, type OutboxRecord } from '../db/outbox.repository.js';
import { activeCompletions, findTask } from '../db/task.repository.js';
import { UserError } from '../errors.js';
import type { Outbound } from '../messaging/outbound.js';
import { dailyCard, fullListCard, type CardState } from '../scheduler/cards.js';
import type { CardData, CardItem } from '../scheduler/content.js';
import { occurrenceId, type Mark } from '../scheduler/sections.js';
import { isoInZone } from '../time.js';
import { snoozeKeyOf } from './snooze.service.js';

type Legacy = Omit<CardItem, 'key' | 'date'> & { v: 1; late?: boolean };

/**
 * The data of a card row. A row written before cards carried several items (payload v1: one
 * reminder) is read as a card carrying that one item.
 */
export function cardDataOf(row: OutboxRecord, tz: string): CardData {
  const p = row.payload as CardData | Legacy | null;
  if (p && p.v === 2) return p;
  const legacy = (p ?? { v: 1, kind: row.kind, at: isoInZone(row.dueAt, tz) }) as Legacy;
  const { v: _v, late, ...item } = legacy;
  const date = item.at.slice(0, 10);
  return { v: 2, key: row.key, chatId: row.chatId, target: null, date, at: item.at, late: late === true, counts: null, people: {}, remindersStart: null, items: [{ ...item, key: row.key, date }] };
}

/** What is done and what was snoozed among a card's items, as of now. */
export async function cardState(db: Db, data: CardData, tz: string): Promise<CardState> {
  const done = new Map<string, Extract<Mark, { state: 'done' }>>();
  const wanted = new Set(data.items.flatMap((i) => (i.task ? [occurrenceId(i.task)] : [])));
  const tasks = new Map<string, { year: number; seq: number }>();
  for (const i of data.items) if (i.task) tasks.set(`${i.task.year}:${i.task.seq}`, i.task);
  for (const t of tasks.values()) {
    const task = await findTask(db, t.year, t.seq);
    if (!task) continue;
    for (const c of await activeCompletions(db, [task.id])) {
      const id = `${t.year}:${t.seq}:${c.period}`;
      if (wanted.has(id)) done.set(id, { state: 'done', by: c.doneBy, at: isoInZone(c.doneAt, tz) });
    }
  }
  const snoozed = new Map<string, Extract<Mark, { state: 'snoozed' }>>();
  const taskKeys = data.items.filter((i) => i.task).map((i) => i.key);
  const next = new Map(taskKeys.map((k) => [snoozeKeyOf(k), k]));
  for (const s of await findItemsByKeys(db, [...next.keys()])) {
    const of = next.get(s.key);
    const by = (s.payload as CardItem | null)?.snooze?.by ?? '';
    if (of) snoozed.set(of, { state: 'snoozed', by, until: isoInZone(s.notBefore, tz) });
  }
  return { done, snoozed };
}

export interface CardDeps {
  db: Db;
  tz: string;
  outbound: Outbound;
  settings: { coalesceMax: number };
}

async function storedCard(deps: CardDeps, key: string): Promise<{ row: OutboxRecord; data: CardData }> {
  const row = await findOutboxByKey(deps.db, key);
  if (!row) throw new UserError('not_found', '这张卡片已不在记录中，请发送「任务」查看最新情况');
  return { row, data: cardDataOf(row, deps.tz) };
}

/**
 * Renders a sent card again with its items' current state and patches it in place (the message
 * the press came from, else the one the card was sent as). Returns whether it was patched.
 */
export async function refreshCard(deps: CardDeps, key: string, messageId: string | null): Promise<boolean> {
  const { row, data } = await storedCard(deps, key);
  const target = messageId ?? row.messageId;
  if (!target) return false;
  const card = dailyCard(data, await cardState(deps.db, data, deps.tz), deps.settings.coalesceMax);
  await deps.outbound.patchCard({ messageId: target, card });
  return true;
}

/** Every item the card carries (「查看全部」), clipped to fit one card. */
export async function fullCardList(deps: CardDeps, key: string): Promise<ReturnType<typeof fullListCard>> {
  const { data } = await storedCard(deps, key);
  return fullListCard(data, await cardState(deps.db, data, deps.tz));
}
