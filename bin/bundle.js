// Keeps .build/<stamp>/<entry>.mjs, an esbuild bundle of the TypeScript sources, up to date and
// returns its URL. A fresh clone needs no build step: the first run bundles (≈0.3 s), later
// runs reuse the bundle until a file under src/ or migrations/ changes. Node then loads one
// file instead of resolving every module through a TypeScript loader (≈3× faster start).
// Code splitting: a module the sources import with `await import(…)` (the Lark sender in the
// CLI) is a chunk of its own, loaded only by the commands that use it, so that `dangjian --help`
// does not parse the Lark SDK.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.build');
const ENTRIES = { cli: 'src/cli/main.ts', main: 'src/main.ts', 'bundle-time': 'src/plan/bundle-time.ts' };
const BUNDLED = new Set(['kysely', 'zod']);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const EXTERNAL = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
  .filter((name) => !BUNDLED.has(name))
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

/** @param {'cli' | 'main'} entry */
export async function ensureBundle(entry) {
  const sources = Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'migrations')), statSync(join(root, 'package.json')).mtimeMs);
  const stamp = `b${Math.floor(sources)}`;
  const dir = join(outDir, stamp);
  const outfile = join(dir, `${entry}.mjs`);
  if (!existsSync(outfile)) {
    const { build } = await import('esbuild');
    mkdirSync(outDir, { recursive: true });
    // Build aside, then rename the folder: concurrent runs (tests) never see a half-written bundle.
    const tmp = join(outDir, `tmp-${process.pid}-${Date.now()}`);
    await build({
      entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(root, file)])),
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Pure-JS libraries made of many small ES modules (kysely, zod) are bundled: one file parses
      // much faster than hundreds resolved one by one. The others (CommonJS, native, heavy) stay out.
      external: EXTERNAL,
      minifyWhitespace: true,
      minifySyntax: true,
      sourcemap: 'linked',
      logLevel: 'error',
      plugins: [zodEnglishOnly],
    });
    await writePreparsedPlan(tmp);
    try {
      renameSync(tmp, dir);
    } catch {
      // Another process finished the same bundle first: use it.
      rmSync(tmp, { recursive: true, force: true });
    }
    removeOldBundles(stamp);
  }
  return pathToFileURL(outfile).href;
}
