/**
 * The per-chat composer: the noise budget. A chat receives at most one scheduled card per
 * working day (`daily:<date>:<chat>`), at the earliest time of what the day brings it; the card
 * carries every item of that day for the chat — task reminders, escalations, plan pushes,
 * digests — plus the items held from earlier (a 「明天再提醒」, an item that appeared after the
 * day's card had gone, a catch-up after downtime). Pure: the pass (src/services/reminders.service.ts)
 * and `reminders preview` both decide with it.
 */
import type { ReminderIntent, ReminderKind } from './intent.js';
import { KINDS_IN_ORDER } from './kinds.js';

/** The outbox key of a chat's card of a day. */
export const cardKeyOf = (date: string, chatId: string) => `daily:${date}:${chatId}`;

/** What the composer needs to know of an item waiting for a card. */
export interface WaitingItem {
  key: string;
  /** The local date it belongs to. */
  date: string;
  /** Not to be carried before this instant (its time; a 「明天再提醒」's next morning). */
  notBefore: number;
}

export type CardDecision =
  /** Compose the day's card now, carrying these items. */
  | { compose: true; at: number; carry: string[] }
  /** Not yet: the day's card is due at `at`; held items wait to go with it. */
  | { compose: false; reason: 'not_yet'; at: number }
  /** The chat had its card today: what came after waits for its next card. */
  | { compose: false; reason: 'had_card_today' }
  | { compose: false; reason: 'nothing' };

/**
 * Whether a chat's card of `today` goes now. Items of earlier days ride along with today's card
 * (at today's time); with nothing of today they go at once. Items of later days (a snooze for
 * tomorrow) are left alone.
 */
export function decideCard(items: readonly WaitingItem[], today: string, now: number, hadCardToday: boolean): CardDecision {
  const candidates = items.filter((i) => i.date <= today);
  if (candidates.length === 0) return { compose: false, reason: 'nothing' };
  const todays = candidates.filter((i) => i.date === today);
  const at = Math.min(...(todays.length > 0 ? todays : candidates).map((i) => i.notBefore));
  if (at > now) return { compose: false, reason: 'not_yet', at };
  if (hadCardToday) return { compose: false, reason: 'had_card_today' };
  return { compose: true, at, carry: candidates.map((i) => i.key) };
}

/** One card as `reminders preview` shows it. */
export interface PreviewCard {
  key: string;
  chatId: string | null;
  date: string;
  /** The card's time (epoch ms): the earliest of its items. */
  at: number;
  /** The kinds it carries, in section order. */
  sections: ReminderKind[];
  items: string[];
}

/**
 * Groups a time-ordered stream of intents into the cards they make: one per chat and day.
 * `push` intents; `flush` at the end hands out the last day's cards. Cards come out day by day,
 * by time within a day.
 */
export function previewCards(emit: (card: PreviewCard) => void): { push(intent: ReminderIntent): void; flush(): void } {
  let day: string | null = null;
  let cards = new Map<string, PreviewCard>();
  const flush = () => {
    const list = [...cards.values()].sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : 1));
    for (const c of list) {
      c.sections = KINDS_IN_ORDER.filter((k) => c.sections.includes(k));
      emit(c);
    }
    cards = new Map();
  };
  return {
    push(i) {
      if (i.date !== day) {
        flush();
        day = i.date;
      }
      const key = cardKeyOf(i.date, i.chatId ?? '-');
      let c = cards.get(key);
      if (!c) cards.set(key, (c = { key, chatId: i.chatId, date: i.date, at: i.at, sections: [], items: [] }));
      c.at = Math.min(c.at, i.at);
      if (!c.sections.includes(i.kind)) c.sections.push(i.kind);
      c.items.push(i.key);
    },
    flush,
  };
}

/** The section names of a card in Chinese (preview text). */
export const SECTION_NAMES_ZH: Record<ReminderKind, string> = {
  before_due: '即将截止',
  due_today: '今天截止',
  overdue: '逾期',
  escalation: '督办',
  monthly: '月度推进',
  quarterly: '季度推进',
  yearly: '年度推送',
  phase: '阶段开始',
  digest: '周报',
  unit_digest: '单位周报',
  unit_changes: '等级变化',
  unit_item: '本单位事项',
  bulletin: '验收通报',
  rectification: '整改',
};
