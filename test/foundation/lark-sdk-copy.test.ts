/**
 * The service and the CLI bundles load the Lark SDK's comment-free copy (bin/lark-sdk-copy.js):
 * the package's file keeps its Chinese comments, so V8 holds its 6 MB source as a two-byte
 * string for the life of the process; the copy is one-byte throughout and a third of the size.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
/** Characters V8 cannot keep in a one-byte string. */
const twoByteChars = (text: string) => [...text].filter((c) => c.codePointAt(0)! > 0xff).length;

describe("the bundles' Lark SDK", () => {
  it('is a comment-free copy beside the bundles, with every export of the package, in one-byte characters', async () => {
    // @ts-expect-error bin/bundle.js is plain JavaScript without types.
    const { ensureBundle } = (await import('../../bin/bundle.js')) as { ensureBundle: (entry: 'main') => Promise<string> };
    const dir = dirname(fileURLToPath(await ensureBundle('main')));
    const copyFile = join(dir, 'lark-sdk.cjs');
    const packageFile = require.resolve('@larksuiteoapi/node-sdk');
    const copy = readFileSync(copyFile, 'utf8');
    const original = readFileSync(packageFile, 'utf8');

    expect(twoByteChars(original), 'the package file has the comments the copy drops').toBeGreaterThan(10_000);
    expect(twoByteChars(copy)).toBe(0);
    expect(copy.length).toBeLessThan(original.length / 2);
    const fromCopy = require(copyFile) as Record<string, unknown>;
    const fromPackage = require(packageFile) as Record<string, unknown>;
    expect(Object.keys(fromCopy).sort()).toEqual(Object.keys(fromPackage).sort());
    expect(typeof fromCopy.Client).toBe('function');

    // Both bundles import the copy, never the package.
    for (const bundle of ['main.mjs', 'cli.cjs']) {
      const text = readFileSync(join(dir, bundle), 'utf8');
      expect(text, bundle).toContain('"./lark-sdk.cjs"');
      expect(text, bundle).not.toContain('@larksuiteoapi/node-sdk');
    }
  });

  it('is what the image runs: the build stage replaces the package file by the copy', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^COPY bin\/lark-sdk-copy\.js bin\/$/m);
    expect(dockerfile).toMatch(/^RUN npm run build && node bin\/lark-sdk-copy\.js --in-place && npm prune --omit=dev$/m);
  });
});
