/**
 * Local console (LARK_MODE=console, the default without credentials): an interactive chat in
 * the terminal. Each line goes through the same handlers as a message from a member of the
 * office (the synthetic member 控制台); cards print as text with numbered buttons (the one
 * renderer, src/messaging/printing-outbound.ts), and typing a number presses that button of the
 * last card. Scheduled pushes print here too. `exit` (or 退出, or Ctrl-D) ends the session.
 * Not initialised yet? The banner says to type 「初始化」 (a registered office command).
 */
import { randomUUID } from 'node:crypto';
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { getProgramme } from '../../db/setting.repository.js';
import type { PrintingOutbound } from '../../messaging/printing-outbound.js';
import { localDate } from '../../time.js';
import { CONSOLE_ACTOR_NAME } from '../access.js';
import type { CardAction, CardActionResult, ChatMessage, BotDeps } from '../types.js';
import type { MessageOutcome } from '../dispatch.js';
import type { Receiver } from './receiver.js';

const CONSOLE_CHAT_ID = 'console';
const CONSOLE_OPEN_ID = 'console';
const EXIT_WORDS = new Set(['exit', 'quit', '退出', 'q']);

export interface ConsoleReceiverOptions {
  deps: BotDeps;
  handleMessage(msg: ChatMessage): Promise<MessageOutcome>;
  handleCardAction(action: CardAction): Promise<CardActionResult>;
  /** The runtime's Outbound: replies and pushes print through it. */
  printer: PrintingOutbound;
  input: Readable;
  output: Writable;
  /** Show a prompt (interactive terminals only). */
  prompt: boolean;
}

export function createConsoleReceiver(o: ConsoleReceiverOptions): Receiver {
  const { deps, printer, output } = o;
  const write = (text: string) => void output.write(text);
  let rl: Interface | undefined;
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  const session = randomUUID().slice(0, 8);
  let lineNo = 0;

  const prompt = () => {
    if (o.prompt) write('> ');
  };

  /** A card-button answer: the toast, then the card that replaced the pressed one. */
  const printAction = (r: CardActionResult) => {
    if (r.toast) write(`${r.toast.type === 'error' ? '⚠️' : '💬'} ${r.toast.content}\n`);
    if (r.card) printer.showCard(r.card);
  };

  const handleLine = async (line: string) => {
    const text = line.trim();
    if (text === '') return;
    if (EXIT_WORDS.has(text.toLowerCase())) {
      rl?.close();
      return;
    }
    const n = lineNo++;
    if (/^\d{1,2}$/.test(text)) {
      const press = printer.lastCard;
      if (!press) {
        write('上一张卡片没有可以点击的按钮（输入数字即点击上一张卡片上对应编号的按钮）。\n');
        return;
      }
      const value = press.buttons[Number(text) - 1];
      if (!value) {
        write(`没有第 ${text} 个按钮（上一张卡片有 ${press.buttons.length} 个）。\n`);
        return;
      }
      printAction(await o.handleCardAction({ eventId: `console:${session}:${n}`, operatorOpenId: CONSOLE_OPEN_ID, value: { ...value }, messageId: press.messageId, chatId: CONSOLE_CHAT_ID, token: null }));
      return;
    }
    await o.handleMessage({
      eventId: `console:${session}:${n}`,
      messageId: `console_in_${session}_${n}`,
      chatId: CONSOLE_CHAT_ID,
      chatType: 'p2p',
      senderOpenId: CONSOLE_OPEN_ID,
      senderType: 'user',
      text,
      mentions: [],
    });
  };

  return {
    ended,
    async start() {
      const year = Number(localDate(deps.clock.now(), deps.tz).slice(0, 4));
      write(`党建助手 · 本地控制台（你以「${CONSOLE_ACTOR_NAME}」的身份操作，权限同党建办）。输入「帮助」查看命令，输入 exit 退出。\n`);
      if (!(await getProgramme(deps.db))) {
        write(`⚠️ 三年行动尚未初始化。输入「初始化」按 ${year} 年初始化（等同 npx dangjian init --year ${year}），或「初始化 2025」指定第一年。\n`);
      }
      prompt();
      const reader = createInterface({ input: o.input, terminal: false });
      rl = reader;
      let chain = Promise.resolve();
      let closing = false;
      reader.on('line', (line) => {
        if (closing) return;
        chain = chain
          .then(() => handleLine(line))
          .catch((err: unknown) => deps.log.error({ err }, 'console line failed'))
          .then(() => {
            if (!closing) prompt();
          });
      });
      reader.on('close', () => {
        closing = true;
        void chain.then(() => resolveEnded());
      });
    },
    async stop() {
      rl?.close();
    },
  };
}
