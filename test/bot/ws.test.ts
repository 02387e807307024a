/**
 * Long-connection mode at the dispatcher boundary: WSClient hands every event frame to
 * `eventDispatcher.invoke(data, { needCheck: false })` and sends back what it returns. The socket
 * itself (frames, pings, reconnects) is tested in ws-e2e.test.ts against a fake endpoint.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventRouter } from '../../src/bot/transport/events.js';
import { createEventDispatcher, createLongConnectionReceiver } from '../../src/bot/transport/lark-ws.js';
import { UserError } from '../../src/errors.js';
import { WorkQueue } from '../../src/bot/transport/work-queue.js';
import { silentLogger } from '../../src/log.js';
import { activeCompletions, findTask } from '../../src/db/task.repository.js';
import { cardEvent, messageEvent } from './lark-events.js';
import { BOT_OPEN_ID, GROUP, makeBot, OPEN_IDS, type TestBot } from './support.js';

let bot: TestBot;
let queue: WorkQueue;
beforeEach(async () => {
  bot = await makeBot();
  queue = new WorkQueue({ log: silentLogger });
});
afterEach(async () => {
  await queue.close(2000);
  await bot.close();
});

const routerFor = (q: WorkQueue) => createEventRouter({ handleMessage: bot.runtime.handleMessage, handleCardAction: bot.runtime.handleCardAction, outbound: bot.deps.outbound, queue: q, inbox: bot.runtime.inbox, log: silentLogger });
const dispatcherFor = (q: WorkQueue) => createEventDispatcher(routerFor(q), silentLogger);

const groupMessage = (n: number, text: string) =>
  messageEvent({
    eventId: `ev_ws_${n}`,
    messageId: `om_ws_${n}`,
    chatId: GROUP,
    senderOpenId: OPEN_IDS.office,
    text: `@_user_1 ${text}`,
    mentions: [{ key: '@_user_1', openId: BOT_OPEN_ID, name: '党建助手' }],
    token: 'ignored-on-ws',
  });

/** The queue's idle signal: every accepted message has been answered. */
const drained = (q: WorkQueue) => q.idle();

describe('long connection', () => {
  it('queues a message, acknowledges at once, and replies through the same handlers', async () => {
    const dispatcher = dispatcherFor(queue);
    const ret: unknown = await dispatcher.invoke(groupMessage(1, '任务 8'), { needCheck: false });
    expect(ret).toBeUndefined();
    await drained(queue);
    expect(bot.outbound.replies).toHaveLength(1);
    expect(bot.outbound.replies[0]).toMatchObject({ messageId: 'om_ws_1', idempotencyKey: 'reply:om_ws_1', msgType: 'interactive' });
  });

  it('acts once on a redelivered frame', async () => {
    const dispatcher = dispatcherFor(queue);
    await dispatcher.invoke(groupMessage(2, '完成 1'), { needCheck: false });
    await drained(queue);
    await dispatcher.invoke(groupMessage(2, '完成 1'), { needCheck: false });
    await drained(queue);
    expect(bot.outbound.replies).toHaveLength(1);
    expect(await activeCompletions(bot.opened.db, [(await findTask(bot.opened.db, 2026, 1))!.id])).toHaveLength(1);
  });

  it('answers a card callback with a toast and the card in Lark’s shape', async () => {
    const dispatcher = dispatcherFor(queue);
    const ret = (await dispatcher.invoke(
      cardEvent({ eventId: 'ev_ws_card', operatorOpenId: OPEN_IDS.leadUnit, value: { action: 'task.complete', year: 2026, seq: 3, period: '2026' }, messageId: 'om_card', chatId: GROUP, token: 'v' }),
      { needCheck: false },
    )) as { toast: { type: string; content: string }; card: { type: string; data: { header: { title: { content: string } } } } };
    expect(ret.toast).toEqual({ type: 'success', content: '已标记完成：任务 3 2026' });
    expect(ret.card.type).toBe('raw');
    expect(ret.card.data.header.title.content).toBe('任务 3 · 已完成');
  });

  it('fails the frame when the queue is full, so that Lark redelivers it', async () => {
    const tiny = new WorkQueue({ log: silentLogger, capacity: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    tiny.push(GROUP, () => gate);
    const dispatcher = dispatcherFor(tiny);
    await expect(dispatcher.invoke(groupMessage(3, '帮助'), { needCheck: false })).rejects.toThrow('work queue full');
    release();
    await tiny.close(1000);
    expect(bot.outbound.replies).toHaveLength(0);
  });

  it('refuses to start with an app id WSClient would silently ignore', async () => {
    const receiver = createLongConnectionReceiver({ appId: 'cli_short', appSecret: 's', domain: 'http://127.0.0.1:9', router: routerFor(queue), log: silentLogger });
    await expect(receiver.start()).rejects.toBeInstanceOf(UserError);
    await expect(receiver.start()).rejects.toMatchObject({ code: 'config', field: 'LARK_APP_ID' });
  });
});
