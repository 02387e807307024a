/**
 * `dangjian` admin CLI program. Each subcommand lives in ./commands/<name>.ts and registers itself
 * on the program; errors become one line on stderr and a non-zero exit code.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config.js';
import { isUserError } from '../errors.js';
import { PlanError } from '../plan/load-plan.js';
import { registerCommands } from './commands/index.js';
import { processIo, runWithIo, type CliIo } from './context.js';

export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('dangjian')
    .description('城市基层党建全域提升行动 — admin CLI')
    .showHelpAfterError(false)
    .exitOverride()
    // Subcommands copy these settings when created, so set them before registering.
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerCommands(program);
  return program;
}

/** Exit codes: 0 ok, 1 unexpected failure, 2 bad input (argument, config, plan). */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await runWithIo(io, () => program.parseAsync(argv, { from: 'user' }));
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its one-line message (unknown option, missing argument...).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (isUserError(err)) {
      io.err(`error: ${err.field ? `${err.field}: ` : ''}${err.message}\n`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof PlanError) {
      io.err(`error: ${err.message}\n`);
      return 2;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

