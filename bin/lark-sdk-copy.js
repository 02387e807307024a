// The Lark SDK is one 6 MB CommonJS file whose generated API code carries Chinese comments: V8
// holds its source as a two-byte string (≈ 12 MB of heap) for as long as the process runs. The
// service loads a copy with comments and whitespace removed (names kept for stack traces; its own
// dependencies still required from node_modules): ≈ 10 MB less resident memory.
//
// bin/bundle.js writes the copy beside its bundles; the image's build stage runs this file to
// replace the SDK's own file in place (`node bin/lark-sdk-copy.js --in-place`).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const LARK_SDK = '@larksuiteoapi/node-sdk';

/** Writes the SDK's comment-free copy to `outfile`. */
export async function writeLarkSdkCopy(outfile) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [createRequire(import.meta.url).resolve(LARK_SDK)],
    outfile,
    allowOverwrite: true,
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'error',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] !== '--in-place') {
    console.error('usage: node bin/lark-sdk-copy.js --in-place');
    process.exit(2);
  }
  await writeLarkSdkCopy(createRequire(import.meta.url).resolve(LARK_SDK));
}
