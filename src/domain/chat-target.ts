/**
 * What a chat is subscribed to (chat.target). Stored and typed on the CLI as its key —
 * `leadership`, `lead:<lead unit>`, `unit:<unit name>` — and parsed here only.
 */
export type ChatTarget = { kind: 'leadership' } | { kind: 'lead'; leadUnit: string } | { kind: 'unit'; unitName: string };

/** The stored form of a target. */
export function chatTargetKey(t: ChatTarget): string {
  return t.kind === 'leadership' ? 'leadership' : t.kind === 'lead' ? `lead:${t.leadUnit}` : `unit:${t.unitName}`;
}

/** The target a stored key names; undefined for anything else. */
export function parseChatTargetKey(key: string): ChatTarget | undefined {
  if (key === 'leadership') return { kind: 'leadership' };
  if (key.startsWith('lead:') && key.length > 5) return { kind: 'lead', leadUnit: key.slice(5) };
  if (key.startsWith('unit:') && key.length > 5) return { kind: 'unit', unitName: key.slice(5) };
  return undefined;
}
