#!/usr/bin/env node
// Service entry used by `npm start` (TypeScript sources via tsx, no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
