/**
 * What the command definitions (./commands/<name>.ts) use. A definition names the command, its
 * options and help; what it does lives in ./commands/<name>.actions.ts and is loaded only when
 * the command runs, so `dangjian --help` or one command never loads (evaluates) the services,
 * the database and zod schemas of every other command.
 */
import type { Command } from 'commander';

/** Adds the options every subcommand takes. */
export function withCommonOptions(cmd: Command): Command {
  return cmd.option('--db <文件>', '数据库文件（默认：环境变量 DB_FILE 或 ./data/dangjian.db）').option('--json', '输出 JSON（供脚本使用；时间为 ISO 格式）');
}

type Action = (...args: never[]) => Promise<unknown>;

/** A command's action: `name` of the module `load` imports, called with commander's arguments when the command runs. */
export function lazyAction<M>(load: () => Promise<M>, name: { [K in keyof M]: M[K] extends Action ? K : never }[keyof M]): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const action = (await load())[name] as (...a: unknown[]) => Promise<unknown>;
    await action(...args);
  };
}
