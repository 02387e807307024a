/**
 * Regression test for the duplicate the crash drill once found: a reminder sent by a process
 * that died before recording the result was, once its claim expired, coalesced with reminders
 * that had become due meanwhile and sent again in a new card under a new uuid (Lark could not
 * deduplicate it). A card is now composed once, with the items it carries recorded in the same
 * transaction; a takeover re-sends that card — same key, hence the same uuid, same items.
 */
import { describe, expect, it } from 'vitest';
import { listOutbox } from '../../src/db/outbox.repository.js';
import { runPass } from '../../src/services/reminders.service.js';
import { at, carriedKeys, CHATS, deps, openProgramme, RecordingOutbound } from '../scheduler/support.js';
import { reminderKeysOf } from './support.js';

describe('a crashed sender’s card', () => {
  it('is taken over as it was: the same key, the same items, none of them on another message', async () => {
    const o = await openProgramme();
    const dead = new RecordingOutbound();
    dead.hang();
    void runPass(deps(o, dead, { workerId: 'dead' }), at('2026-03-09T09:00:00+08:00'));
    for (let i = 0; i < 400 && dead.stuck.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    const stuck = dead.stuck.find((m) => m.receiveId === CHATS.office);
    expect(stuck?.idempotencyKey).toBe('daily:2026-03-09:oc_djb');
    const carried = await carriedKeys(o, 'daily:2026-03-09:oc_djb');
    expect(reminderKeysOf(stuck?.content)).toContain('due:4:2026:d1:oc_djb');

    // 41 minutes later: the lease (10 min) has expired; the 09:30 overdue items were already on the card.
    const out = new RecordingOutbound();
    const r = await runPass(deps(o, out, { workerId: 'alive' }), at('2026-03-09T09:41:00+08:00'));
    expect(r.dispatch.released).toBeGreaterThanOrEqual(1);
    expect(r.cards).toBe(0);
    const toOffice = out.sent.filter((s) => s.receiveId === CHATS.office);
    expect(toOffice.map((s) => s.idempotencyKey)).toEqual([stuck?.idempotencyKey]);
    expect(reminderKeysOf(toOffice[0]?.content)).toEqual(reminderKeysOf(stuck?.content));
    expect(await carriedKeys(o, 'daily:2026-03-09:oc_djb')).toEqual(carried);
    expect((await listOutbox(o.db, { chatId: CHATS.office })).map((c) => [c.key, c.status])).toEqual([['daily:2026-03-09:oc_djb', 'sent']]);
    await o.close();
  });
});
