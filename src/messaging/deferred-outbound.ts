/**
 * An Outbound for work inside a transaction: messages and card patches are held and go out
 * only on `flush()`, after the commit (a rolled-back command sends nothing, and no Lark call
 * holds the transaction open). A held send resolves at once (message id unknown: ''); its
 * failure is logged at the flush. Uploads and downloads pass through (they need their result).
 */
import type { Logger } from '../log.js';
import type { Outbound } from './outbound.js';

export interface DeferredOutbound {
  outbound: Outbound;
  /** Sends what was held, in order; failures are logged, never thrown. */
  flush(log: Logger): Promise<void>;
}

export function deferredOutbound(real: Outbound, download?: Outbound['downloadMessageFile']): DeferredOutbound {
  const held: Array<{ what: string; run: () => Promise<unknown> }> = [];
  const outbound: Outbound = {
    sendMessage: (m) => {
      held.push({ what: `send ${m.idempotencyKey}`, run: () => real.sendMessage(m) });
      return Promise.resolve({ messageId: '' });
    },
    replyMessage: (r) => {
      held.push({ what: `reply ${r.idempotencyKey}`, run: () => real.replyMessage(r) });
      return Promise.resolve({ messageId: '' });
    },
    patchCard: (p) => {
      held.push({ what: `patch ${p.messageId}`, run: () => real.patchCard(p) });
      return Promise.resolve(undefined);
    },
    uploadFile: (f) => real.uploadFile(f),
    ...(download ?? real.downloadMessageFile ? { downloadMessageFile: download ?? real.downloadMessageFile!.bind(real) } : {}),
  };
  return {
    outbound,
    async flush(log) {
      for (const h of held.splice(0)) {
        try {
          await h.run();
        } catch (err) {
          log.error({ err, call: h.what }, 'a call held until the commit failed');
        }
      }
    },
  };
}
