/**
 * The 通报 of an assessment round as data and as a card: what 「通报」 shows and what the
 * leadership chat receives when a round closes (built by src/services/bulletin.service.ts), and
 * the few lines each concerned unit's own chat receives. Lists are capped to fit a phone screen;
 * the .xlsx (「导出 通报」) has every unit.
 */
import { card, escapeMarkdown, markdown, type Card, type CardElement, type CardTemplate } from '../cards/card.js';
import { fmtPoints } from '../scoring/format.js';

/** Units named per list on the card (the rest are counted). */
const UNITS_PER_LIST = 8;

/** One unit as the bulletin names it. */
export interface BulletinLine {
  unit: string;
  parent: string | null;
  /** 「标准型 82 分」 / 「未评分」, in the previous round and in this one. */
  before: string;
  now: string;
  /** 晋位 / 保持 / 降级 / 新评 / 未评分. */
  move: string;
  /** 「申报示范型 · 达成」 / 「申报示范型 · 未达成」; null: no approved 申报. */
  declared: string | null;
  /** 「降级：标准型 → 未达标」, 「一票否决：…」, 「未达成申报目标：…」. */
  reasons: string[];
  /** The sub-items where it lost the most points: 「6.2 …：得 5 / 10 分，失 5 分」. */
  losses: string[];
}

export interface BulletinNotice {
  /** 「2026年年度验收」 and the round compared against. */
  label: string;
  previousLabel: string;
  /** Per level: 「社区：示范型 2（+1）· 标准型 3（−1）…」. */
  levels: Array<{ level: string; parts: Array<{ standing: string; count: number; change: number }> }>;
  up: BulletinLine[];
  /** 降级, 一票否决 or 未达成申报目标: 需整改. */
  concerns: BulletinLine[];
  /** Units with a declared target (approved 申报): how many reached it, and those that did not. */
  declared: { reached: number; missed: string[] } | null;
  /** Section 二's milestone at the close (the current one, else the last one due). */
  milestone: { due: string; state: string; onTrack: boolean | null; lines: string[] } | null;
  /** 整改 of the previous round: closed late, or still not closed when this round closed. */
  rectification: { late: string[]; open: string[] } | null;
}

export interface UnitBulletinNotice {
  label: string;
  previousLabel: string;
  line: BulletinLine;
}

const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '±0');

function unitList(lines: readonly BulletinLine[], detail: boolean): string {
  const shown = lines.slice(0, UNITS_PER_LIST).map((l) => {
    const head = `· **${escapeMarkdown(l.unit)}**${l.parent ? `（${escapeMarkdown(l.parent)}）` : ''} ${escapeMarkdown(l.before)} → ${escapeMarkdown(l.now)}`;
    if (!detail) return head;
    const more = [...l.reasons.filter((r) => r.startsWith('一票否决') || r.startsWith('未达成申报目标')), ...l.losses.slice(0, 2).map((x) => `失分：${x}`)];
    return [head, ...more.map((m) => `　${escapeMarkdown(m)}`)].join('\n');
  });
  if (lines.length > UNITS_PER_LIST) shown.push(`…等 ${lines.length} 个（完整名单：@我 导出 通报）`);
  return shown.join('\n');
}

export function bulletinElements(n: BulletinNotice): CardElement[] {
  const out: CardElement[] = [markdown(`对比：${escapeMarkdown(n.previousLabel)}`)];
  out.push(markdown(n.levels.map((l) => `**${l.level}**：${l.parts.map((p) => `${p.standing} ${p.count}（${signed(p.change)}）`).join(' · ')}`).join('\n')));
  out.push(markdown(n.up.length === 0 ? '🟢 晋位：无' : `🟢 晋位 ${n.up.length} 个\n${unitList(n.up, false)}`));
  if (n.declared) {
    const d = n.declared;
    const missed = d.missed.length === 0 ? '' : `\n未达成：${d.missed.slice(0, UNITS_PER_LIST).map(escapeMarkdown).join('、')}${d.missed.length > UNITS_PER_LIST ? ` 等 ${d.missed.length} 个` : ''}`;
    out.push(markdown(`📌 申报目标：达成 ${d.reached} · 未达成 ${d.missed.length}${missed}`));
  }
  out.push(markdown(n.concerns.length === 0 ? '🔴 降级、一票否决或未达成申报目标：无' : `🔴 需整改 ${n.concerns.length} 个（降级、一票否决或未达成申报目标）\n${unitList(n.concerns, true)}`));
  if (n.rectification && (n.rectification.late.length > 0 || n.rectification.open.length > 0)) {
    const r = n.rectification;
    const lines = [...(r.late.length > 0 ? [`逾期完成：${r.late.map(escapeMarkdown).join('、')}`] : []), ...(r.open.length > 0 ? [`未完成：${r.open.map(escapeMarkdown).join('、')}`] : [])];
    out.push(markdown(`📋 上一轮整改\n${lines.join('\n')}`));
  }
  if (n.milestone) {
    const m = n.milestone;
    const state = m.onTrack === null ? '' : m.onTrack ? ' · 进度正常' : ' · 进度落后';
    out.push(markdown(`🎯 ${m.due} 节点（${m.state}${state}）\n${m.lines.map((l) => `· ${escapeMarkdown(l)}`).join('\n')}`));
  }
  return out;
}

export const bulletinTitle = (n: BulletinNotice) => `${n.label} 通报`;

export const bulletinTemplate = (n: BulletinNotice): CardTemplate => (n.concerns.length > 0 ? 'orange' : 'green');

export function bulletinCard(n: BulletinNotice): Card {
  return card(bulletinTitle(n), bulletinTemplate(n), bulletinElements(n));
}

export const unitBulletinTitle = (n: UnitBulletinNotice) => `${n.label} 通报 · ${n.line.unit}`;

export function unitBulletinElements(n: UnitBulletinNotice): CardElement[] {
  const l = n.line;
  const lines = [`**${escapeMarkdown(l.move)}**：${escapeMarkdown(n.previousLabel)} ${escapeMarkdown(l.before)} → 本轮 ${escapeMarkdown(l.now)}`, ...l.reasons.map(escapeMarkdown)];
  if (l.losses.length > 0) lines.push('失分最多：', ...l.losses.map((x) => `· ${escapeMarkdown(x)}`));
  return [markdown(lines.join('\n'))];
}

/** 「标准型 82 分」, or 「未评分」. */
export const standingText = (grade: string | null, total: number | null): string => (grade === null || total === null ? '未评分' : `${grade} ${fmtPoints(total)} 分`);
