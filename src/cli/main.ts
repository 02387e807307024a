// Entry of the `dangjian` bin: reads .env when present, runs the CLI, sets the exit code.
import { loadDotEnv } from '../config/config.js';
import { runCli } from './program.js';

loadDotEnv();
process.exitCode = await runCli(process.argv.slice(2));
