// Apart from config.ts (its zod schema): the CLI reads .env before it knows which command runs.
import { existsSync } from 'node:fs';
import dotenv from 'dotenv';

/** Reads ./.env into process.env when the file exists (never overriding real variables). */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) dotenv.config({ path, quiet: true });
}
