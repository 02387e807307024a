/** zod pieces for chat arguments, with messages a secretary understands. */
import { z } from 'zod';

const nfkc = (s: string) => s.normalize('NFKC').trim();

/** A required free-text argument. */
export const requiredText = (what: string, max = 200) =>
  z
    .string({ error: `缺少${what}` })
    .trim()
    .min(1, `缺少${what}`)
    .max(max, `${what}不能超过 ${max} 个字`);

export const optionalText = (what: string, max = 500) => z.string().trim().max(max, `${what}不能超过 ${max} 个字`).optional();

/** A four-digit year (full-width digits accepted). */
export const yearArg = z
  .string()
  .transform(nfkc)
  .refine((s) => /^\d{4}$/.test(s.replace(/年$/, '')), '年份应为四位数字，例如 2026')
  .transform((s) => Number(s.replace(/年$/, '')))
  .refine((n) => n >= 2000 && n <= 2100, '年份应在 2000–2100 之间');

const MAX_SEQS = 50;

/** One task number or several: 「8」, 「7,8,9」 (also 、 and ，), 「7-9」. */
export const seqListArg = z
  .string({ error: '缺少任务序号' })
  .transform((s) => nfkc(s).replace(/[、，]/g, ','))
  .transform((s, ctx): number[] => {
    const range = /^#?(\d{1,4})\s*-\s*(\d{1,4})$/.exec(s);
    if (range) {
      const [lo, hi] = [Number(range[1]), Number(range[2])];
      if (lo >= 1 && lo <= hi && hi - lo < MAX_SEQS) return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    } else {
      const list = s.split(',').map((p) => p.trim().replace(/^#|号$/g, '').replace(/^第/, ''));
      if (list.length <= MAX_SEQS && list.every((p) => /^\d{1,4}$/.test(p) && Number(p) >= 1)) return [...new Set(list.map(Number))];
    }
    ctx.addIssue({ code: 'custom', message: `任务序号应为正整数，例如 5；多项写作 5,8,12 或 7-9（至多 ${MAX_SEQS} 项）` });
    return z.NEVER;
  });

/** Looks like a year ('2026', '2026年'). */
export const looksLikeYear = (s: string): boolean => /^\d{4}年?$/.test(nfkc(s));

/** A form field's value as text (a card form sends strings; a number field may come as a number). */
export const formText = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
