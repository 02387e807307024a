#!/usr/bin/env node
// Admin CLI entry (`npx dangjian …`): runs the bundled TypeScript sources with a code cache (see bundle.js).
import { runCachedCli } from './bundle.js';

await runCachedCli();
