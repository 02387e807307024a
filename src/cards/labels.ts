/**
 * The one place for how things are shown: 红黄绿 status names, icons and card colours, grade
 * badges, requirement states, role titles, subscription names, `clip`, and the completion
 * banner. Cards, console text and CLI text all take their words from here.
 */
import type { ChatTarget } from '../domain/chat-target.js';
import type { Role } from '../domain/roles.js';
import type { Cadence, Grade, Level } from '../plan/schema.js';
import type { GradeMove } from '../scoring/grade.js';
import type { Loss } from '../scoring/types.js';
import type { MilestoneState, RequirementProgress, RequirementStatus } from '../scoring/targets.js';
import type { TaskStatus } from '../tasks/status.js';
import type { CardTemplate } from './card.js';

/** At most `n` characters, with an ellipsis when cut. */
export const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

// ---- tasks

export const STATUS_NAMES_ZH: Record<TaskStatus, string> = { red: '红灯（逾期）', yellow: '黄灯（临期）', green: '绿灯', done: '已完成' };
export const STATUS_ICON: Record<TaskStatus, string> = { red: '🔴', yellow: '🟡', green: '🟢', done: '✅' };
/** Plain-text marks for the CLI (no emoji in terminals that may not render them). */
export const STATUS_MARK: Record<TaskStatus, string> = { red: '[红]', yellow: '[黄]', green: '[绿]', done: '[完成]' };
export const STATUS_TEMPLATE: Record<TaskStatus, CardTemplate> = { red: 'red', yellow: 'yellow', green: 'green', done: 'green' };
export const CADENCE_NAMES_ZH: Record<Cadence, string> = { monthly: '每月', twice_monthly: '每月两次', quarterly: '每季度', bimonthly: '每两月', yearly: '每年', periodic: '定期（未设频次）' };

/** 「✅ 王博文 已将任务 8 的 2026-03 标记完成（逾期完成）」 (markdown; names escaped by the caller's escape). */
export function completionBanner(r: { doneBy: string; seq: number; period: string; late: boolean }, escape: (s: string) => string): string {
  return `✅ ${escape(r.doneBy)} 已将任务 ${r.seq} 的 ${r.period} 标记完成${r.late ? '（逾期完成）' : ''}`;
}

// ---- grades and targets

export const GRADE_BADGE: Record<Grade, string> = { demonstration: '🟢 示范型', standard: '🔵 标准型', none: '🔴 未达标' };
/** The one grade colour — card headers, chart bars, spreadsheet cells: 示范型 green, 标准型 blue, 未达标 red. */
export const GRADE_TEMPLATE = { demonstration: 'green', standard: 'blue', none: 'red' } as const satisfies Record<Grade, CardTemplate>;
/** A unit without any entry in the year, as a chart series (beside the three grades). */
export const UNSCORED_ZH = '未评分';
/** Chart colours (hex) of the grade colours, grey for 未评分. */
export const CHART_HEX = { green: '#34A853', blue: '#3370FF', red: '#F54A45', grey: '#BBBFC4' } as const;
export const REQUIREMENT_STATUS_ZH: Record<RequirementStatus, string> = {
  met: '已达成',
  on_track: '按进度可达成',
  behind: '落后',
  missed: '未达成',
  no_units: '无此类单位',
  waived: '本街道不设此目标',
};
export const REQUIREMENT_STATUS_ICON: Record<RequirementStatus, string> = { met: '✅', on_track: '🟢', behind: '🟡', missed: '🔴', no_units: '⚪', waived: '⚪' };
/** Where a target's number comes from (targets set / 设目标 replies). */
export const TARGET_SOURCE_ZH = { street: '本街道设置', plan_file: '方案文件', document: '方案原文' } as const;

/** 「（本街道目标 8 个，方案原文 11 个）」 when the street set its own number, else ''. */
export function streetTargetNote(r: Pick<RequirementProgress, 'overridden' | 'count' | 'planCount'>): string {
  return r.overridden && r.count !== 'all' ? `（本街道目标 ${r.count} 个，方案原文 ${r.planCount} 个）` : '';
}
export const MILESTONE_STATE_ZH: Record<MilestoneState, string> = { past: '已到期', current: '当前', future: '未到期', sustain: '长效保持' };
/** A unit's standing against the previous assessment (the 年度通报). */
export const GRADE_MOVE_ZH: Record<GradeMove, string> = { up: '晋位', same: '保持', down: '降级', new: '新评', unscored: UNSCORED_ZH };

// ---- people and chats

export const ROLE_NAMES_ZH: Record<Role, string> = {
  leader: '领导小组组长',
  deputy: '领导小组副组长',
  member: '领导小组成员',
  office: '领导小组办公室（党建办）',
  lead_unit: '牵头单位',
  secretary: '党组织书记',
};

/** A secretary's title depends on the unit they lead. */
const SECRETARY_TITLES: Record<Level, string> = {
  street: '街道党工委书记',
  community: '社区党组织书记',
  compound: '小区党支部书记',
  building: '楼宇党组织书记',
  district: '商圈党组织书记',
  social_org: '社会组织党组织书记',
};

/** A roster role in words; for a secretary, the title that goes with the level of their unit. */
export function roleLabel(role: Role, unitLevel?: Level | null): string {
  if (role === 'secretary' && unitLevel) return SECRETARY_TITLES[unitLevel];
  return ROLE_NAMES_ZH[role];
}

/** 「领导小组」, 「牵头单位 社管中心」, 「单位 城东社区」. */
export function chatTargetLabel(t: ChatTarget): string {
  return t.kind === 'leadership' ? '领导小组' : t.kind === 'lead' ? `牵头单位 ${t.leadUnit}` : `单位 ${t.unitName}`;
}

/** Sub-item texts are Annex 2's sentences: cut so that a line stays short. */
const ITEM_TITLE_CHARS = 30;

/** 「6.2 党组织书记…：得 5 / 10 分，失 5 分」, or 「…：未评，失 10 分」 (the bulletin's sheet and card). */
export function lossLine(l: Loss): string {
  const scored = l.assessed ? `得 ${l.points} / ${l.max} 分` : '未评';
  return `${l.code} ${clip(l.title, ITEM_TITLE_CHARS)}：${scored}，失 ${l.lost} 分`;
}
