// Keeps .build/<stamp>/, esbuild bundles of the TypeScript sources, up to date. A fresh clone
// needs no build step: the first run bundles (≈0.5 s), later runs reuse the bundles until a file
// under src/ or migrations/ (or package.json, or this file) changes. Node then loads one file
// instead of resolving every module through a TypeScript loader.
//
// The service (`main`) is an ES module bundle with code splitting: a module the sources import
// with `await import(…)` is a chunk of its own, loaded only when used.
//
// The admin CLI (`cli`) is different: a short process whose cost is mostly V8 parsing and
// compiling the bundle. It is one CommonJS file, run through vm.Script with a V8 code cache
// kept beside it (`runCachedCli`): a later run deserializes the bytecode instead of compiling
// the source. Modules the sources import with `await import(…)` (the Lark sender, exceljs,
// csv-parse) stay lazy: esbuild wraps them in an init function run at the import.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { writeLarkSdkCopy } from './lark-sdk-copy.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.build');
/** ES module entries (code splitting) and the one CommonJS entry (the CLI, run with a code cache). */
const ENTRIES = { main: 'src/main.ts', 'bundle-time': 'src/plan/bundle-time.ts' };
const CLI_ENTRY = 'src/cli/main.ts';
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** The packages left to node's require (CommonJS, native, heavy), but for those bundled. */
const externalBut = (...bundled) =>
  Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
    .filter((name) => !bundled.includes(name))
    .flatMap((name) => [name, `${name}/*`]);
/**
 * zod re-exports every locale (≈ 370 KB of the bundle, parsed on every start) under `z.locales`;
 * the sources use none but English, its default. Only English is bundled.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (args.importer.includes(`${join('node_modules', 'zod')}`) ? { path: join(dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-locales' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, loader: 'js', resolveDir: dirname(args.path) }));
  },
};

/**
 * commander loads node:child_process at start (≈ 4 ms: it brings dgram and more) for executable
 * subcommands, which the CLI has none of: its `childProcess.spawn` loads the module when called.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, (args) => (args.importer.includes(`${join('node_modules', 'commander')}`) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({ contents: "module.exports = { spawn: (...args) => require('node:child_process').spawn(...args) };", loader: 'js' }));
  },
};

/** The service's copy of the Lark SDK, without its comments (bin/lark-sdk-copy.js). */
const LARK_SDK_COPY = 'lark-sdk.cjs';
const larkSdkCopy = {
  name: 'lark-sdk-copy',
  setup(build) {
    build.onResolve({ filter: /^@larksuiteoapi\/node-sdk$/ }, () => ({ path: `./${LARK_SDK_COPY}`, external: true }));
  },
};

/** Bundles of older sources are removed after this long (a process may still be running from one). */
const KEEP_OLD_MS = 10 * 60_000;

function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function removeOldBundles(keep) {
  for (const name of existsSync(outDir) ? readdirSync(outDir) : []) {
    const path = join(outDir, name);
    if (name === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > KEEP_OLD_MS || name.endsWith('.mjs')) rmSync(path, { recursive: true, force: true });
    } catch {
      // Another process removed it first.
    }
  }
}

/**
 * The built-in plan, validated once here instead of on every start (see loadPlan). An invalid
 * built-in plan writes nothing: each run then parses it and reports the problem as usual.
 */
async function writePreparsedPlan(dir) {
  try {
    const { preparsedPlanFile } = await import(pathToFileURL(join(dir, 'bundle-time.mjs')).href);
    const { name, json } = preparsedPlanFile();
    writeFileSync(join(dir, name), json);
  } catch {
    // Reported by the run itself.
  }
}

const COMMON = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'error',
  plugins: [zodEnglishOnly, larkSdkCopy],
};

/** The folder of the bundles of the sources as they are now, built first when missing. */
async function ensureBuilt() {
  // This file too, and the SDK copy's: how the bundles are built.
  const sources = Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'migrations')), statSync(join(root, 'package.json')).mtimeMs, statSync(fileURLToPath(import.meta.url)).mtimeMs, statSync(join(root, 'bin/lark-sdk-copy.js')).mtimeMs);
  const stamp = `b${Math.floor(sources)}`;
  const dir = join(outDir, stamp);
  if (!existsSync(join(dir, 'cli.cjs'))) {
    const { build } = await import('esbuild');
    mkdirSync(outDir, { recursive: true });
    // Build aside, then rename the folder: concurrent runs (tests) never see a half-written bundle.
    const tmp = join(outDir, `tmp-${process.pid}-${Date.now()}`);
    await build({
      ...COMMON,
      entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(root, file)])),
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      splitting: true,
      format: 'esm',
      // Pure-JS libraries made of many small ES modules (kysely, zod) are bundled: one file parses
      // much faster than hundreds resolved one by one.
      external: externalBut('kysely', 'zod'),
    });
    await build({
      ...COMMON,
      entryPoints: { cli: join(root, CLI_ENTRY) },
      outdir: tmp,
      outExtension: { '.js': '.cjs' },
      format: 'cjs',
      // Also the small pure-JS packages every command loads: in the bundle they are in the code
      // cache, and node resolves and compiles none of their files.
      external: externalBut('kysely', 'zod', 'commander', 'dayjs', 'pino', 'dotenv'),
      plugins: [zodEnglishOnly, larkSdkCopy, lazyChildProcessForCommander],
      // `import(…)` becomes a lazy init (own modules) or a require (packages): vm.Script has no
      // module loader of its own.
      supported: { 'dynamic-import': false },
      // The bundle's own URL, passed in by runCachedCli (files beside it, createRequire).
      define: { 'import.meta.url': '__bundleUrl' },
    });
    await writeLarkSdkCopy(join(tmp, LARK_SDK_COPY));
    await writePreparsedPlan(tmp);
    try {
      renameSync(tmp, dir);
    } catch {
      // Another process finished the same bundle first: use it.
      rmSync(tmp, { recursive: true, force: true });
    }
    removeOldBundles(stamp);
  }
  return dir;
}

/** @param {'main'} entry  The URL of an ES module bundle, built first when missing. */
export async function ensureBundle(entry) {
  return pathToFileURL(join(await ensureBuilt(), `${entry}.mjs`)).href;
}

/** Writes a file whole or not at all (concurrent runs read it). */
function writeAtomically(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * Runs the CLI bundle with V8's code cache: `cli.cache` beside the bundle holds the bytecode of
 * every function compiled so far. A run whose command (its first words before an option, e.g.
 * `task done`) the cache has not seen yet writes it anew at exit, with that command's functions
 * added, and lists the command in `cli.cache-keys`; any other run only reads it. A cache V8
 * rejects (another node version) is written anew.
 */
export async function runCachedCli() {
  const dir = await ensureBuilt();
  const file = join(dir, 'cli.cjs');
  const cacheFile = join(dir, 'cli.cache');
  const keysFile = join(dir, 'cli.cache-keys');
  const words = [];
  for (const arg of process.argv.slice(2)) {
    if (arg.startsWith('-') || words.length === 2) break;
    words.push(arg.slice(0, 40));
  }
  const key = words.join(' ');
  let cachedData;
  let keys = [];
  try {
    cachedData = readFileSync(cacheFile);
    keys = readFileSync(keysFile, 'utf8').split('\n');
  } catch {
    // No cache yet.
  }
  const source = readFileSync(file, 'utf8');
  // The wrapper keeps the bundle's line numbers (stack traces, source map).
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __bundleUrl) {${source}\n})`, { filename: file, cachedData });
  const rejected = cachedData === undefined || script.cachedDataRejected === true;
  if (rejected || !keys.includes(key)) {
    process.once('exit', () => {
      try {
        writeAtomically(cacheFile, script.createCachedData());
        writeAtomically(keysFile, [...(rejected ? [] : keys), key].join('\n'));
      } catch {
        // A read-only checkout: run without a cache.
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dir, pathToFileURL(file).href);
}
