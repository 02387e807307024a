// Entry of the `dangjian` bin: reads .env when present, runs the CLI, sets the exit code.
import { loadDotEnv } from '../config/dotenv.js';
import { runCli } from './program.js';

// `dangjian … | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

loadDotEnv();
// No top-level await: bin/bundle.js runs this entry as a CommonJS bundle.
void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
