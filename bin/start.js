#!/usr/bin/env node
// Service entry used by `npm start` (bundled TypeScript sources, see bundle.js).
import { ensureBundle } from './bundle.js';

await import(await ensureBundle('main'));
