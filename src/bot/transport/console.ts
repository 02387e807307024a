/**
 * Local console (LARK_MODE=console, the default without credentials): an interactive chat in
 * the terminal. Each line goes through the same handlers as a message from a member of the
 * office (the synthetic member 控制台); cards print as text with numbered buttons, and typing
 * a number presses that button of the last card. Scheduled pushes print here too.
 * `exit` (or 退出, or Ctrl-D) ends the session.
 *
 * Not initialised yet? The console says so and offers 「初始化 [年份]」, which does what
 * `npx dangjian init --year YYYY` does (default: the current year).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { renderCardText, type ButtonValue, type Card } from '../../cards/card.js';
import { getProgramme } from '../../db/setting.repository.js';
import { isUserError } from '../../errors.js';
import { fileLabel, type Outbound, type OutgoingFile, type OutgoingMessage, type OutgoingReply } from '../../messaging/outbound.js';
import { initProgramme } from '../../services/programme.service.js';
import { localDate } from '../../time.js';
import { CONSOLE_ACTOR_NAME } from '../access.js';
import { handleCardAction, handleMessage } from '../dispatch.js';
import type { BotDeps, CardActionResult, ChatMessage } from '../types.js';

export const CONSOLE_CHAT_ID = 'console';
export const CONSOLE_OPEN_ID = 'console';

const asCard = (content: object | string): Card | undefined => {
  const c = typeof content === 'string' ? (JSON.parse(content) as unknown) : content;
  return typeof c === 'object' && c !== null && (c as { schema?: unknown }).schema === '2.0' ? (c as Card) : undefined;
};

const asText = (content: object | string): string => {
  const c = typeof content === 'string' ? (JSON.parse(content) as unknown) : content;
  return typeof c === 'object' && c !== null && typeof (c as { text?: unknown }).text === 'string' ? (c as { text: string }).text : JSON.stringify(c);
};

const fileKeyOf = (content: object | string): unknown => (typeof content === 'string' ? (JSON.parse(content) as { file_key?: unknown }) : (content as { file_key?: unknown })).file_key;

/** Where console mode saves the files it is asked to send (beside the default database). */
const DEFAULT_CONSOLE_FILES_DIR = './data/exports';

/**
 * The Outbound of console mode: prints; remembers the buttons of the last card printed.
 * Files are saved under `filesDir` (never overwriting: 「name (2).xlsx」), so that the person at
 * the terminal can open them.
 */
export class ConsoleOutbound implements Outbound {
  private seq = 0;
  /** Buttons of the last card printed, and the message id it was printed as. */
  lastCard: { messageId: string; buttons: ButtonValue[] } | undefined;
  private readonly files = new Map<string, { fileName: string; size: number; path: string }>();
  private readonly filesDir: string;

  constructor(
    private readonly out: Writable,
    options: { filesDir?: string } = {},
  ) {
    this.filesDir = resolve(options.filesDir ?? DEFAULT_CONSOLE_FILES_DIR);
  }

  private print(prefix: string, msgType: string, content: object | string): string {
    const messageId = `console_${++this.seq}`;
    const card = msgType === 'interactive' ? asCard(content) : undefined;
    const file = msgType === 'file' ? this.files.get(String(fileKeyOf(content))) : undefined;
    if (file) {
      this.out.write(`${prefix}${fileLabel(file.fileName, file.size)}已保存到 ${file.path}\n`);
    } else if (card) {
      const r = renderCardText(card);
      this.out.write(`${prefix}${r.text}\n`);
      // Numbers press the buttons of the most recent card only.
      this.lastCard = r.buttons.length > 0 ? { messageId, buttons: r.buttons } : undefined;
    } else {
      this.out.write(`${prefix}${asText(content)}\n`);
    }
    return messageId;
  }

  async replyMessage(r: OutgoingReply) {
    return { messageId: this.print('', r.msgType, r.content) };
  }

  async sendMessage(m: OutgoingMessage) {
    return { messageId: this.print(`\n📣 推送 → ${m.receiveIdType === 'chat_id' ? '群' : '用户'} ${m.receiveId}\n`, m.msgType, m.content) };
  }

  async patchCard(p: { messageId: string; card: object }) {
    this.print('（卡片已更新）\n', 'interactive', p.card);
    return {};
  }

  async uploadFile(f: OutgoingFile) {
    mkdirSync(this.filesDir, { recursive: true });
    const ext = extname(f.fileName);
    const stem = f.fileName.slice(0, f.fileName.length - ext.length).replace(/[\\/:*?"<>|]/g, '_');
    let path = join(this.filesDir, `${stem}${ext}`);
    for (let n = 2; existsSync(path); n++) path = join(this.filesDir, `${stem} (${n})${ext}`);
    writeFileSync(path, f.bytes);
    const fileKey = `console_file_${this.files.size + 1}`;
    this.files.set(fileKey, { fileName: f.fileName, size: f.bytes.byteLength, path });
    return { fileKey };
  }

  /** Prints a card-callback answer: the toast, then the card that replaced the pressed one. */
  printAction(r: CardActionResult): void {
    if (r.toast) this.out.write(`${r.toast.type === 'error' ? '⚠️' : '💬'} ${r.toast.content}\n`);
    if (r.card) this.print('', 'interactive', r.card);
  }

  write(text: string): void {
    this.out.write(text);
  }
}

export interface ConsoleOptions {
  deps: BotDeps;
  outbound: ConsoleOutbound;
  input: Readable;
  /** Show a prompt (interactive terminals only). */
  prompt?: boolean;
}

export interface ConsoleSession {
  /** Resolves when input has ended and the last line has been answered. */
  closed: Promise<void>;
  stop(): void;
}

const EXIT_WORDS = new Set(['exit', 'quit', '退出', 'q']);
const INIT_COMMAND = /^\/?(初始化|init)(?:\s+(\S+))?$/i;

export async function startConsole(o: ConsoleOptions): Promise<ConsoleSession> {
  const { deps, outbound } = o;
  const rl = createInterface({ input: o.input, terminal: false });
  const prompt = () => {
    if (o.prompt) outbound.write('> ');
  };
  const year = Number(localDate(deps.clock.now(), deps.tz).slice(0, 4));
  const programme = await getProgramme(deps.db);
  outbound.write(`党建助手 · 本地控制台（你以「${CONSOLE_ACTOR_NAME}」的身份操作，权限同党建办）。输入「帮助」查看命令，输入 exit 退出。\n`);
  if (!programme) {
    outbound.write(`⚠️ 三年行动尚未初始化。输入「初始化」按 ${year} 年初始化（等同 npx dangjian init --year ${year}），或「初始化 2025」指定第一年。\n`);
  }
  prompt();

  let chain = Promise.resolve();
  let lineNo = 0;
  const session = randomUUID().slice(0, 8);

  const handleLine = async (line: string) => {
    const text = line.trim();
    if (text === '') return;
    if (EXIT_WORDS.has(text.toLowerCase())) {
      rl.close();
      return;
    }
    const n = lineNo++;
    const init = INIT_COMMAND.exec(text);
    if (init) {
      try {
        const r = await initProgramme(deps, { name: CONSOLE_ACTOR_NAME, role: 'office', leadUnit: null, unitId: null, openId: null, source: 'chat' }, { year: init[2] ?? year });
        outbound.write(`✅ 已初始化：${r.programme.streetName}，第一年 ${r.programme.firstYear}；新增花名册 ${r.created.members} 人、任务 ${r.created.tasks} 项。\n`);
      } catch (err) {
        outbound.write(`❌ ${isUserError(err) ? err.message : '初始化失败'}\n`);
        if (!isUserError(err)) deps.log.error({ err }, 'console init failed');
      }
      return;
    }
    const isNumber = /^\d{1,2}$/.test(text);
    const press = isNumber ? outbound.lastCard : undefined;
    if (isNumber && !press) {
      outbound.write('上一张卡片没有可以点击的按钮（输入数字即点击上一张卡片上对应编号的按钮）。\n');
      return;
    }
    if (press) {
      const value = press.buttons[Number(text) - 1];
      if (!value) {
        outbound.write(`没有第 ${text} 个按钮（上一张卡片有 ${press.buttons.length} 个）。\n`);
        return;
      }
      const result = await handleCardAction(
        { eventId: `console:${session}:${n}`, operatorOpenId: CONSOLE_OPEN_ID, value: { ...value }, messageId: press.messageId, chatId: CONSOLE_CHAT_ID, token: null },
        deps,
      );
      outbound.printAction(result);
      return;
    }
    const msg: ChatMessage = {
      eventId: `console:${session}:${n}`,
      messageId: `console_in_${session}_${n}`,
      chatId: CONSOLE_CHAT_ID,
      chatType: 'p2p',
      senderOpenId: CONSOLE_OPEN_ID,
      senderType: 'user',
      text,
      mentions: [],
    };
    await handleMessage(msg, deps);
  };

  let closing = false;
  const closed = new Promise<void>((resolve) => {
    rl.on('line', (line) => {
      if (closing) return;
      chain = chain
        .then(() => handleLine(line))
        .catch((err: unknown) => deps.log.error({ err }, 'console line failed'))
        .then(() => {
          if (!closing) prompt();
        });
    });
    rl.on('close', () => {
      closing = true;
      void chain.then(() => resolve());
    });
  });
  return {
    closed,
    stop: () => rl.close(),
  };
}
