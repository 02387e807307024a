/**
 * The words people type for option values (CLI options, sheet cells, chat arguments), parsed in
 * one place: each value accepts the Chinese word the office uses and the stored English key.
 * A word that is not known is a UserError naming the accepted Chinese words.
 */
import { UserError } from '../errors.js';
import { LEVEL_NAMES_ZH, LEVELS, type Cadence, type Level } from '../plan/schema.js';
import type { ChatTarget } from './chat-target.js';
import type { Role } from './roles.js';

/** NFKC folds full-width letters and brackets (（党建办） = (党建办)); spaces are dropped; ASCII keys are case-blind. */
const fold = (text: string): string => text.normalize('NFKC').replace(/\s/g, '').toLowerCase();

/** The key whose words include `text`, if any. */
function findWord<K extends string>(text: string, words: Record<K, readonly string[]>): K | undefined {
  const t = fold(text);
  return (Object.keys(words) as K[]).find((k) => k === t || words[k].some((w) => fold(w) === t));
}

/** The key whose words include `text` (the first word of each list is the one shown in messages). */
function parseWord<K extends string>(text: string, words: Record<K, readonly string[]>, what: string, field: string): K {
  const key = findWord(text, words);
  if (key !== undefined) return key;
  const keys = Object.keys(words) as K[];
  throw new UserError('bad_argument', `不认识的${what}「${text.trim()}」，可填：${keys.map((k) => words[k][0]).join('、')}`, field);
}

const ROLE_WORDS: Record<Role, readonly string[]> = {
  leader: ['组长', '领导小组组长'],
  deputy: ['副组长', '领导小组副组长'],
  member: ['领导小组成员', '领导小组', '成员'],
  // Not 党建办(组织): that is a lead unit, and its staff are not the office (issue 16 #10).
  office: ['党建办', '办公室', '领导小组办公室', '领导小组办公室(党建办)'],
  lead_unit: ['牵头单位', '牵头单位成员'],
  secretary: ['书记', '党组织书记'],
};

/** The role words shown in messages and drop-down lists (组长, 副组长, 领导小组成员, 党建办, 牵头单位, 书记). */
export const ROLE_CHOICES_ZH: readonly string[] = Object.values<readonly string[]>(ROLE_WORDS).map((w) => w[0]!);

/**
 * A roster role, or undefined: 党建办 / 办公室 → office, 牵头单位 → lead_unit, 组长 / 副组长 /
 * 领导小组(成员) → leader / deputy / member, any 〈…〉书记 (社区书记, 小区党支部书记) → secretary; or the key.
 */
export function findRoleWord(text: string): Role | undefined {
  if (fold(text).endsWith('书记')) return 'secretary';
  return findWord(text, ROLE_WORDS);
}

/** A roster role as `findRoleWord` reads it; an unknown word is a UserError naming the choices. */
export function parseRoleWord(text: string, field = '--role'): Role {
  const role = findRoleWord(text);
  if (role === undefined) throw new UserError('bad_argument', `不认识的角色「${text.trim()}」，可填：${ROLE_CHOICES_ZH.join('、')}`, field);
  return role;
}

const CADENCE_WORDS: Record<Cadence, readonly string[]> = {
  monthly: ['每月', '月度', '按月'],
  twice_monthly: ['每半月', '每月两次', '半月'],
  quarterly: ['每季度', '季度', '每季', '按季度'],
  bimonthly: ['每两月', '每两个月', '双月'],
  yearly: ['每年', '年度', '按年'],
  periodic: ['定期'],
};

/** How often a 贯穿全年 task recurs: 每月, 每半月, 每季度, 每两月, 每年, 定期 (or the key). */
export function parseCadenceWord(text: string, field = '--cadence'): Cadence {
  return parseWord(text, CADENCE_WORDS, '周期', field);
}

const TASK_STATUS_WORDS = {
  red: ['红', '红灯', '逾期'],
  yellow: ['黄', '黄灯', '临期'],
  green: ['绿', '绿灯'],
  done: ['完成', '已完成'],
} as const satisfies Record<string, readonly string[]>;

/** A task light: 红 / 黄 / 绿 / 完成 (or red, yellow, green, done). */
export function parseTaskStatusWord(text: string, field = '--status'): keyof typeof TASK_STATUS_WORDS {
  return parseWord(text, TASK_STATUS_WORDS, '状态', field);
}

const OUTBOX_STATUS_WORDS = {
  pending: ['待发'],
  sending: ['发送中'],
  sent: ['已发', '已发送'],
  failed: ['失败'],
  skipped: ['未发', '跳过'],
} as const satisfies Record<string, readonly string[]>;

/** A card's delivery state: 待发 / 发送中 / 已发 / 失败 / 未发 (or the key). */
export function parseOutboxStatusWord(text: string, field = '--status'): keyof typeof OUTBOX_STATUS_WORDS {
  return parseWord(text, OUTBOX_STATUS_WORDS, '状态', field);
}

/** The Chinese word shown for a card's delivery state. */
export const OUTBOX_STATUS_NAMES_ZH: Record<keyof typeof OUTBOX_STATUS_WORDS, string> = {
  pending: '待发',
  sending: '发送中',
  sent: '已发',
  failed: '失败',
  skipped: '未发',
};

/** A unit level: 街道 / 社区 / 小区 / 楼宇 / 商圈 / 社会组织 (also 〈…〉层面, or the key). */
export function parseLevel(text: string, field = '--level'): Level {
  const words = Object.fromEntries(LEVELS.map((l) => [l, [LEVEL_NAMES_ZH[l], `${LEVEL_NAMES_ZH[l]}层面`]])) as Record<Level, string[]>;
  return parseWord(text, words, '层级', field);
}

const LEADERSHIP_WORDS = ['领导小组', '领导小组群', '领导', 'leadership'];

/**
 * Who a chat is for: 领导小组 → leadership; a lead unit's name (or a part of it that names one
 * alone: 社管 → 社管中心) → lead; `lead:X` / `unit:X` keys as stored; anything else is a unit's
 * name, returned as `unit` for the caller to look up (units live in the database).
 */
export function parseChatTargetWord(text: string, leadUnits: readonly string[], field = '--to'): ChatTarget {
  const t = text.normalize('NFKC').trim();
  if (t === '') throw new UserError('bad_argument', '缺少订阅对象：领导小组、牵头单位名或单位名', field);
  if (LEADERSHIP_WORDS.includes(t.toLowerCase())) return { kind: 'leadership' };
  if (/^lead:./.test(t)) {
    const lead = leadUnits.find((l) => l.normalize('NFKC') === t.slice(5).trim());
    if (lead === undefined) throw new UserError('bad_argument', `没有牵头单位「${t.slice(5).trim()}」，可填：${leadUnits.join('、')}`, field);
    return { kind: 'lead', leadUnit: lead };
  }
  if (/^unit:./.test(t)) return { kind: 'unit', unitName: t.slice(5).trim() };
  const exact = leadUnits.find((l) => l.normalize('NFKC') === t);
  if (exact !== undefined) return { kind: 'lead', leadUnit: exact };
  const partial = leadUnits.filter((l) => l.normalize('NFKC').includes(t));
  if (partial.length === 1) return { kind: 'lead', leadUnit: partial[0]! };
  return { kind: 'unit', unitName: t };
}
