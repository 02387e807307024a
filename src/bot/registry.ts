/**
 * Chat commands as small declarative objects: names (Chinese first, English alias), usage and
 * an example for help and error replies, who may use it, and a zod schema over the positional
 * arguments. Handlers return a Reply; the dispatcher sends it.
 */
import type { z } from 'zod';
import type { Actor } from '../auth/actor.js';
import type { ChatRecord } from '../db/chat.repository.js';
import type { Logger } from '../log.js';
import type { BotDeps, ChatMessage, Reply } from './types.js';

export interface CommandContext {
  deps: BotDeps;
  msg: ChatMessage;
  /** The sender as a roster member; null when the sender is not bound. */
  actor: Actor | null;
  /** The chat's subscription, when the chat is bound. */
  chat: ChatRecord | null;
  log: Logger;
  now: Date;
  /** Every registered command (for 帮助). */
  commands: readonly AnyCommand[];
}

/**
 * public: anyone, anywhere (帮助). read: a bound chat, or a bound member in a one-to-one chat.
 * write: like read, and the sender must be bound (the service decides the rest).
 * office: the 党建办 only; checked (and a refusal audited) before the arguments are read.
 */
export type Access = 'public' | 'read' | 'write' | 'office';

export interface Param {
  key: string;
  /** How the argument is named in replies, e.g. 〈单位〉. */
  label: string;
  /** Takes every remaining token (joined with one space): free text such as a reason. */
  rest?: boolean;
}

export interface Command<A = unknown, R = undefined> {
  /** Chinese name first, then aliases (matched case-insensitively, leading slash optional). */
  names: readonly string[];
  /** One line for the help card. */
  summary: string;
  usage: string;
  example: string;
  access: Access;
  /** Audit action recorded when an office-only command is refused (matches the service's action). */
  auditAction?: string;
  /** Office-only commands the office may use in a chat that is not bound yet (订阅). */
  allowUnboundChat?: boolean;
  /**
   * The command only reads (its refusals are audited as they happen): it runs outside a
   * transaction and its answer is recorded with the event's dedup marks in one write
   * (src/bot/dispatch.ts). Its database is guarded: a write through it fails.
   */
  readOnly?: true;
  params: readonly Param[];
  args: z.ZodType<A>;
  /** Maps the tokens to the schema's input; default: `params` positionally. */
  toInput?: (tokens: readonly string[]) => Record<string, unknown>;
  /**
   * A read-only command's first reads, started beside the sender's (on a database server they
   * then cost no round trip of their own) and handed to `run`. Only reads the command makes for
   * anyone allowed to run it, as of the handling's `now`; for a sender who is refused they are dropped unseen. Promises in
   * it must not reject unhandled (attach a catch; `run` awaits the original).
   */
  readAhead?: (deps: BotDeps, args: A, now: Date) => R;
  run(ctx: CommandContext, args: A, ahead?: R): Promise<Reply>;
}

export const defineCommand = <A, R = undefined>(c: Command<A, R>): Command<A, R> => c;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous registry; each command is typed at its definition
export type AnyCommand = Command<any, any>;

/** Tokens → object by position; a `rest` parameter swallows the remainder; extra tokens → `_extra`. */
export function positionalInput(params: readonly Param[], tokens: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let i = 0;
  for (const p of params) {
    if (i >= tokens.length) break;
    if (p.rest) {
      out[p.key] = tokens.slice(i).join(' ');
      i = tokens.length;
    } else {
      out[p.key] = tokens[i];
      i++;
    }
  }
  if (i < tokens.length) out._extra = tokens.slice(i).join(' ');
  return out;
}

export interface Registry {
  commands: readonly AnyCommand[];
  /** Finds the command for a text (leading slash and mention already stripped). */
  match(text: string): { command: AnyCommand; rest: string } | undefined;
  byName(name: string): AnyCommand | undefined;
}

const fold = (s: string) => s.normalize('NFKC').toLowerCase();

export function createRegistry(commands: readonly AnyCommand[]): Registry {
  const index = new Map<string, AnyCommand>();
  for (const c of commands) {
    for (const n of c.names) {
      const key = fold(n);
      if (index.has(key)) throw new Error(`command name "${n}" registered twice`);
      index.set(key, c);
    }
  }
  // Longest first, so that a glued Chinese name (「得分城东」) finds 得分 and not a shorter name.
  const chineseNames = [...index.keys()].filter((k) => /[^\x00-\x7f]/.test(k)).sort((a, b) => b.length - a.length);
  return {
    commands,
    byName: (name) => index.get(fold(name.replace(/^[/／]/, ''))),
    match(text) {
      const trimmed = text.trim().replace(/^[/／]\s*/, '');
      const [first = '', ...restTokens] = trimmed.split(/\s+/u);
      const exact = index.get(fold(first));
      if (exact) return { command: exact, rest: restTokens.join(' ') };
      const folded = fold(first);
      for (const name of chineseNames) {
        if (folded.startsWith(name)) return { command: index.get(name)!, rest: `${first.slice(name.length)} ${restTokens.join(' ')}`.trim() };
      }
      return undefined;
    },
  };
}

/** Splits arguments on any whitespace, including the full-width space. */
export function tokenize(rest: string): string[] {
  const t = rest.trim();
  return t === '' ? [] : t.split(/[\s\u3000]+/u);
}
