/**
 * Issue 18's outage drill, in a file of its own: it mostly waits out the 60 s outage, so the
 * other files run beside it instead of after the inbox drills.
 */
import { describe, it } from 'vitest';
import { runLarkOutageDrill } from './inbox-drill.js';

describe('replies outlast Lark', () => {
  it('Lark failing for 60 s after a write: the reply arrives once when it recovers', async () => {
    await runLarkOutageDrill({ outageMs: 60_000, evidenceId: 'reply-after-outage' });
  }, 300_000);
});
