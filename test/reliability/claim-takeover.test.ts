/**
 * Regression test for the duplicate the crash drill found: a reminder sent alone by a process
 * that died before recording the result was, once its claim expired, coalesced with reminders
 * that had become due meanwhile and sent again in a new card under a new uuid (Lark could not
 * deduplicate it). The card a row goes out in is now recorded before the first send, alone too.
 */
import { describe, expect, it } from 'vitest';
import { listOutbox } from '../../src/db/outbox.repository.js';
import type { ReminderPayload } from '../../src/scheduler/content.js';
import { runPass } from '../../src/services/reminders.service.js';
import { at, CHATS, deps, openProgramme, RecordingOutbound } from '../scheduler/support.js';
import { reminderKeysOf } from './support.js';

describe('a crashed sender’s single reminder', () => {
  it('is taken over alone, under the key it was sent with, not coalesced into a new card', async () => {
    const o = await openProgramme();
    const dead = new RecordingOutbound();
    dead.hang();
    void runPass(deps(o, dead, { workerId: 'dead' }), at('2026-03-09T09:00:00+08:00'));
    for (let i = 0; i < 400 && dead.stuck.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    const stuck = dead.stuck.find((m) => m.receiveId === CHATS.office);
    expect(stuck?.idempotencyKey).toBe('due:4:2026:d1:oc_djb');
    const claimed = (await listOutbox(o.db, { status: 'sending', chatId: CHATS.office }))[0];

    // 41 minutes later: the lease (10 min) has expired and the 09:30 overdue reminders are due too.
    const out = new RecordingOutbound();
    const r = await runPass(deps(o, out, { workerId: 'alive' }), at('2026-03-09T09:41:00+08:00'));
    expect(r.dispatch.released).toBeGreaterThanOrEqual(1);
    const toOffice = out.sent.filter((s) => s.receiveId === CHATS.office);
    const again = toOffice.filter((s) => reminderKeysOf(s.content).includes('due:4:2026:d1:oc_djb'));
    expect(again.map((s) => s.idempotencyKey)).toEqual([stuck?.idempotencyKey]);
    expect(toOffice.length).toBeGreaterThan(1);
    expect(reminderKeysOf(again[0]?.content)).toEqual(['due:4:2026:d1:oc_djb']);
    // How: the dead process had recorded that card on the row before sending it.
    expect((claimed?.payload as ReminderPayload).batch).toBe(stuck?.idempotencyKey);
    await o.close();
  });
});
