/**
 * `dangjian` admin CLI program. Each subcommand lives in ./commands/<name>.ts and registers itself
 * on the program; errors become one line on stderr and a non-zero exit code.
 */
import { Command, CommanderError } from 'commander';
import { isUserError } from '../errors.js';
import { registerCommands } from './commands/index.js';
import { processIo, runWithIo, type CliIo } from './context.js';

function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('dangjian')
    .description('城市基层党建全域提升行动 — admin CLI')
    .showHelpAfterError(false)
    .exitOverride()
    // Subcommands copy these settings when created, so set them before registering.
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerCommands(program);
  return program;
}

/** The one mapping of a failure to the CLI's answer. Exit codes: 0 ok, 1 unexpected failure, 2 bad input (argument, config, plan). */
function cliFailure(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // Commander already printed its one-line message (unknown option, missing argument...).
    return err.exitCode === 0 ? 0 : 2;
  }
  if (isUserError(err)) {
    const field = err.field && err.code !== 'config' ? `${err.field}: ` : '';
    io.err(`error: ${field}${err.message}\n`);
    return 2;
  }
  io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
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

