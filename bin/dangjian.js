#!/usr/bin/env node
// Admin CLI entry. Runs the TypeScript sources directly through tsx so that a
// fresh clone needs no build step; the Docker image runs the compiled dist/ instead.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
