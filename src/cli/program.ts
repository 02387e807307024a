/**
 * `dangjian` admin CLI program. Each subcommand lives in ./commands/<name>.ts and registers itself
 * on the program; errors become one Chinese line on stderr (「错误：…」) and a non-zero exit code.
 * Commander's own help and messages are put in Chinese here, once for every command.
 */
import { Command, CommanderError, Help, type Option } from 'commander';
import { displayWidth } from '../cards/text-width.js';
import { CheckFailed, isUserError } from '../errors.js';
import { registerCommands } from './commands/index.js';
import { processIo, runWithIo, type CliIo } from './io.js';

const HELP_TITLES: Record<string, string> = {
  'Usage:': '用法：',
  'Options:': '选项：',
  'Commands:': '命令：',
  'Arguments:': '参数：',
  'Global Options:': '通用选项：',
};

/**
 * A help line breaks at spaces and between Chinese characters (commander alone breaks at spaces
 * only), never before closing punctuation.
 */
const WRAP_CHUNK = /\s*(?:[\u2e80-\uffff]|[^\s\u2e80-\uffff]+)[）」』》，。；：、！？]*/g;

const chineseHelp: Partial<Help> = {
  styleTitle: (title: string) => HELP_TITLES[title] ?? title,
  displayWidth: (text: string) => displayWidth(text),
  subcommandTerm(this: Help, cmd: Command): string {
    return Help.prototype.subcommandTerm.call(this, cmd).replace(' [options]', ' [选项]');
  },
  commandUsage(this: Help, cmd: Command): string {
    return Help.prototype.commandUsage.call(this, cmd).replace(' [options]', ' [选项]').replace(' [command]', ' 〈命令〉');
  },
  optionDescription(this: Help, option: Option): string {
    return Help.prototype.optionDescription.call(this, option).replace(/\(default: (.*)\)$/, '（默认：$1）');
  },
  boxWrap(this: Help, text: string, width: number): string {
    if (width < this.minWidthToWrap) return text;
    return text
      .split(/\r?\n/)
      .map((line) => {
        const lines: string[] = [];
        let current = '';
        for (const chunk of line.match(WRAP_CHUNK) ?? []) {
          if (current !== '' && displayWidth(current) + displayWidth(chunk) > width) {
            lines.push(current);
            current = chunk.trimStart();
          } else current += chunk;
        }
        lines.push(current);
        return lines.join('\n');
      })
      .join('\n');
  },
};

/** The option's name as people type it: `--name <名称>` → `--name`. */
const flagName = (flags: string): string => flags.split(/[ ,|]+/).find((f) => f.startsWith('--')) ?? flags.split(/[ ,|]+/)[0] ?? flags;

/** A suggestion commander appends ("\n(Did you mean --x?)") in Chinese. */
function suggestion(text: string | undefined): string {
  if (!text) return '';
  const names = text.replace(/^\s*\(Did you mean (one of )?/, '').replace(/\?\)\s*$/, '');
  return `（是不是 ${names.split(', ').join('、')}？）`;
}

/** Commander's one-line messages in Chinese; `path` is the command's name as typed (`score set`). */
function chineseError(message: string, path: string): string {
  const help = `用 ${path} --help 查看用法`;
  const rules: Array<[RegExp, (m: RegExpExecArray) => string]> = [
    [/^error: unknown option '([^']+)'(\n\(Did you mean.*\))?/s, (m) => `错误：不认识的选项 ${m[1]}${suggestion(m[2])}；${help}`],
    [/^error: unknown command '([^']+)'(\n\(Did you mean.*\))?/s, (m) => `错误：没有「${m[1]}」这个命令${suggestion(m[2])}；用 dangjian --help 查看全部命令`],
    [/^error: required option '([^']+)' not specified/, (m) => `错误：缺少必填的选项 ${m[1]}；${help}`],
    [/^error: option '([^']+)' argument missing/, (m) => `错误：选项 ${flagName(m[1]!)} 后面要写一个值（${m[1]}）`],
    [/^error: missing required argument '([^']+)'/, (m) => `错误：缺少参数〈${m[1]}〉；${help}`],
    [/^error: too many arguments.*Expected (\d+) arguments? but got (\d+)\./s, (m) => `错误：参数太多：最多 ${m[1]} 个，收到 ${m[2]} 个；${help}`],
    [/^error: (.*) cannot be used with (.*)/, (m) => `错误：${m[1]} 不能和 ${m[2]} 一起用`],
    [/^error: (.*)/s, (m) => `错误：${m[1]}`],
  ];
  for (const [re, text] of rules) {
    const m = re.exec(message.trim());
    if (m) return `${text(m)}\n`;
  }
  return message;
}

/** Every command of the tree, the program included. */
function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('dangjian')
    .description('城市基层党建全域提升行动 · 管理命令（在服务器上运行）\n每个命令都可加 --help 查看说明，例如 dangjian tasks --help')
    .usage('〈命令〉 [选项]')
    .showHelpAfterError(false)
    .exitOverride()
    // Subcommands copy these settings when created, so set them before registering.
    .helpOption('-h, --help', '显示帮助')
    .helpCommand('help [命令]', '显示某个命令的帮助')
    .configureHelp(chineseHelp)
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerCommands(program);
  for (const cmd of allCommands(program)) {
    const path = commandPath(cmd);
    cmd.configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (message, write) => write(chineseError(message, path)) });
  }
  return program;
}

/** The one mapping of a failure to the CLI's answer. Exit codes: 0 ok, 1 unexpected failure, 2 bad input (argument, config, plan). */
function cliFailure(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // Commander already printed its one-line message (unknown option, missing argument...).
    return err.exitCode === 0 ? 0 : 2;
  }
  if (isUserError(err)) {
    const field = err.field && err.code !== 'config' ? `${err.field}：` : '';
    io.err(`错误：${field}${err.message}\n`);
    return 2;
  }
  if (err instanceof CheckFailed) {
    io.err(`错误：${err.message}\n`);
    return 1;
  }
  io.err(`错误：程序内部出错：${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await runWithIo(io, () => program.parseAsync(argv, { from: 'user' }));
    return 0;
  } catch (err) {
    return cliFailure(err, io);
  }
}
