/** Builders for scoring tests: units, scores reaching an exact total, trees. */
import { levelSpec, loadPlan } from '../../src/plan/load-plan.js';
import type { Level, Plan } from '../../src/plan/schema.js';
import type { ScoreInput, UnitInput } from '../../src/scoring/index.js';

export const plan = loadPlan();

/** The sub-items of a level in plan order, with their maxima. */
export function subItems(level: Level, p: Plan = plan): Array<{ code: string; points: number }> {
  return levelSpec(p, level).indicators.flatMap((i) => i.subItems.map((s) => ({ code: s.code, points: s.points })));
}

/**
 * Entries for every sub-item of the level that add up to exactly `total` (a multiple of
 * 0.5): items are filled in plan order, the remainder goes to the next one, the rest get 0.
 */
export function scoresTotalling(unitId: number, level: Level, total: number, p: Plan = plan): ScoreInput[] {
  let remainingHalf = Math.round(total * 2);
  if (remainingHalf !== total * 2) throw new Error(`total ${total} is not a multiple of 0.5`);
  return subItems(level, p).map((s) => {
    const half = Math.min(remainingHalf, s.points * 2);
    remainingHalf -= half;
    return { unitId, itemCode: s.code, points: half / 2 };
  });
}

/** A small tree builder: ids are assigned in order, names are unique. */
export class TreeBuilder {
  readonly units: UnitInput[] = [];
  readonly scores: ScoreInput[] = [];
  readonly vetoes: Array<{ unitId: number; reason: string }> = [];
  private nextId = 1;

  constructor(private readonly p: Plan = plan) {}

  add(name: string, level: Level, parentId: number | null, total: number, options: { veto?: string } = {}): number {
    const id = this.nextId++;
    this.units.push({ id, name, level, parentId });
    this.scores.push(...scoresTotalling(id, level, total, this.p));
    if (options.veto !== undefined) this.vetoes.push({ unitId: id, reason: options.veto });
    return id;
  }

  /** `n` units of a level under a parent, the i-th scoring totals[i] (names `${prefix}${i+1}`). */
  addMany(prefix: string, level: Level, parentId: number, totals: readonly number[]): number[] {
    return totals.map((t, i) => this.add(`${prefix}${i + 1}`, level, parentId, t));
  }

  input() {
    return { units: this.units, scores: this.scores, vetoes: this.vetoes };
  }
}

/** `n` copies of a value. */
export const times = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);
