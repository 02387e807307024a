/** Where a CLI run reads its environment and writes its output: the process, or a test. */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  env: process.env,
};

const ioStore = new AsyncLocalStorage<CliIo>();

/** The I/O of the CLI run in progress. */
export function cliIo(): CliIo {
  return ioStore.getStore() ?? processIo;
}

export function runWithIo<T>(io: CliIo, fn: () => Promise<T>): Promise<T> {
  return ioStore.run(io, fn);
}
