/**
 * Kinds of assessment round (四(二) 阶段性预验收; 四(四) 一年一验收; 四(五) 每年复评), as stored and
 * as people name them.
 */
export const ROUND_KINDS = ['pre_acceptance', 'annual', 'review'] as const;
export type RoundKind = (typeof ROUND_KINDS)[number];

export const ROUND_KIND_ZH: Record<RoundKind, string> = { pre_acceptance: '预验收', annual: '年度验收', review: '复评' };

/** Words accepted for each kind (Chinese names, short forms, English). */
const ROUND_KIND_WORDS: Record<string, RoundKind> = {
  预验收: 'pre_acceptance',
  阶段性预验收: 'pre_acceptance',
  pre: 'pre_acceptance',
  年度验收: 'annual',
  验收: 'annual',
  年度: 'annual',
  annual: 'annual',
  复评: 'review',
  review: 'review',
};

/** The kind a word names, or undefined. */
export const roundKindOf = (word: string): RoundKind | undefined => ROUND_KIND_WORDS[word.normalize('NFKC').trim().toLowerCase()];
