#!/usr/bin/env node
// Admin CLI entry (`npx dangjian …`): runs the bundled TypeScript sources (see bundle.js).
import { ensureBundle } from './bundle.js';

await import(await ensureBundle('cli'));
