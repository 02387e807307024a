/**
 * The deployment (issue 17). deploy/compose.yaml, read as Compose reads it (YAML with anchors and
 * merge keys): PostgreSQL 15 with its health check and SQLite's text order, two bot replicas in
 * webhook mode on it, a proxy spreading requests over both, and no secret in the file. The
 * Dockerfile runs the tsc outputs of the service and CLI entries and keeps the pg driver.
 *
 * Where a Docker engine answers (`docker info`), the image is built and run: GET /healthz from the
 * host and through the compose file's own health-check command, and `dangjian --help`. Where none
 * does, that test is reported as skipped, with the reason in its name — never as passed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { WEBHOOK_KEEP_ALIVE_MS } from '../../src/bot/transport/lark-http.js';
import { REPO_ROOT, SERVICE_NODE_FLAGS } from '../support/cli.js';

const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
const COMPOSE_FILE = join(DEPLOY_DIR, 'compose.yaml');
const composeText = readFileSync(COMPOSE_FILE, 'utf8');

const healthcheckSchema = z.object({ test: z.union([z.string(), z.array(z.string())]) });
const serviceSchema = z.object({
  image: z.string().optional(),
  build: z.union([z.string(), z.object({ context: z.string(), dockerfile: z.string().optional() })]).optional(),
  restart: z.string().optional(),
  environment: z.union([z.record(z.string(), z.union([z.string(), z.number()]).nullable()), z.array(z.string())]).optional(),
  env_file: z.union([z.string(), z.array(z.string())]).optional(),
  depends_on: z.union([z.array(z.string()), z.record(z.string(), z.object({ condition: z.string().optional() }))]).optional(),
  healthcheck: healthcheckSchema.optional(),
  deploy: z.object({ replicas: z.number().optional() }).optional(),
  volumes: z.array(z.string()).optional(),
  ports: z.array(z.string()).optional(),
});
type Service = z.infer<typeof serviceSchema>;
const composeSchema = z.object({
  services: z.record(z.string(), serviceSchema),
  volumes: z.record(z.string(), z.unknown()).optional(),
});

const compose = composeSchema.parse(parse(composeText, { merge: true }));
const services = Object.entries(compose.services);

function env(s: Service): Record<string, string> {
  if (Array.isArray(s.environment)) return Object.fromEntries(s.environment.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
}
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const healthTest = (s: Service): string[] => {
  const t = s.healthcheck?.test;
  return t === undefined ? [] : Array.isArray(t) ? t : ['CMD-SHELL', t];
};
const buildContext = (s: Service): string | undefined => (s.build === undefined ? undefined : typeof s.build === 'string' ? s.build : s.build.context);
/** Compose's `${VAR}`, `${VAR:-default}`, `${VAR:?message}` references. */
const INTERPOLATION = /\$\{([A-Z_][A-Z0-9_]*)(?::?[-?][^}]*)?\}/g;
const onlyReference = (v: string): boolean => /^\$\{[A-Z_][A-Z0-9_]*(?::?[-?][^}]*)?\}$/.test(v);
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|ENCRYPT_KEY|APP_ID|API_KEY/;

const [dbName, db] = services.find(([, s]) => /^postgres:/.test(s.image ?? '')) ?? [];
/** Services built from this repository's Dockerfile: the bot. */
const bots = services.filter(([, s]) => {
  const context = buildContext(s);
  return context !== undefined && resolve(DEPLOY_DIR, context) === REPO_ROOT;
});

describe('deploy/compose.yaml', () => {
  it('runs PostgreSQL 15 on a named volume, health-checked with pg_isready, ordering text as SQLite does', () => {
    expect(db, 'a service with a postgres image').toBeDefined();
    expect(db!.image).toMatch(/^postgres:15(-|$)/);
    // musl (alpine images) has no C.UTF-8 collation in code-point order.
    expect(db!.image).not.toContain('alpine');
    const e = env(db!);
    expect(e.POSTGRES_INITDB_ARGS!.split(/\s+/)).toEqual(expect.arrayContaining(['--locale=C.UTF-8', '--encoding=UTF8']));
    expect(healthTest(db!).join(' ')).toContain('pg_isready');
    const dataVolume = (db!.volumes ?? []).find((v) => v.split(':')[1] === '/var/lib/postgresql/data');
    expect(dataVolume, 'the data directory on a volume').toBeDefined();
    expect(Object.keys(compose.volumes ?? {}), 'a named volume, not a host path').toContain(dataVolume!.split(':')[0]);
    expect(db!.restart).toMatch(/^(always|unless-stopped)$/);
  });

  it('runs exactly two bot replicas built from the repository Dockerfile', () => {
    const replicas = bots.reduce((n, [, s]) => n + (s.deploy?.replicas ?? 1), 0);
    expect(replicas).toBe(2);
    for (const [name, s] of bots) {
      const dockerfile = typeof s.build === 'object' ? (s.build.dockerfile ?? 'Dockerfile') : 'Dockerfile';
      expect(existsSync(join(REPO_ROOT, dockerfile)), `${name}: ${dockerfile}`).toBe(true);
    }
  });

  it.each(bots)('%s: PostgreSQL through DATABASE_URL at the db service, started once the db is healthy, restarted, health-checked on /healthz', (name, s) => {
    const e = env(s);
    const url = new URL(e.DATABASE_URL!.replace(INTERPOLATION, 'x'));
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe(dbName);
    expect(url.port).toBe('5432');
    expect(url.pathname).toBe(`/${env(db!).POSTGRES_DB}`);
    expect(url.username).toBe(env(db!).POSTGRES_USER);
    expect(s.depends_on).toEqual(expect.objectContaining({ [dbName!]: { condition: 'service_healthy' } }));
    expect(s.restart).toMatch(/^(always|unless-stopped|on-failure)/);
    expect(e.LARK_MODE, 'only webhook mode serves /healthz').toBe('webhook');
    const check = healthTest(s);
    expect(check[0]).toBe('CMD');
    expect(check.join(' ')).toContain(`http://127.0.0.1:${e.PORT ?? '3000'}/healthz`);
    expect(e.DANGJIAN_TZ).toBe('Asia/Shanghai');
    expect(list(s.env_file), 'the Lark secrets come from deploy/.env').toContain('.env');
    expect(s.ports ?? [], 'reached through the proxy only').toEqual([]);
  });

  it('has a proxy spreading requests over both replicas, started once they are healthy', () => {
    const [proxyName, proxy] = services.find(([, s]) => (s.ports ?? []).length > 0) ?? [];
    expect(proxy, 'one service publishes a port').toBeDefined();
    expect(services.filter(([, s]) => (s.ports ?? []).length > 0).map(([n]) => n)).toEqual([proxyName]);
    for (const [name] of bots) expect(proxy!.depends_on).toEqual(expect.objectContaining({ [name]: { condition: 'service_healthy' } }));
    const mount = (proxy!.volumes ?? []).find((v) => v.startsWith('./'));
    expect(mount, 'the proxy config mounted from deploy/').toBeDefined();
    const config = readFileSync(join(DEPLOY_DIR, mount!.split(':')[0]!), 'utf8');
    const upstreams = /reverse_proxy\s+([^{\n]+)/.exec(config)?.[1]?.trim().split(/\s+/);
    expect(upstreams).toEqual(bots.map(([name, s]) => `${name}:${env(s).PORT ?? '3000'}`));
    expect(config).toMatch(/health_uri\s+\/healthz/);
    // The proxy drops an idle upstream connection before the replica closes it.
    const keepalive = /^\s*keepalive\s+(\d+)s\s*$/m.exec(config)?.[1];
    expect(keepalive, 'the proxy sets its upstream keepalive').toBeDefined();
    expect(Number(keepalive) * 1000).toBeLessThan(WEBHOOK_KEEP_ALIVE_MS);
  });

  it('holds no secret: every secret is a reference to deploy/.env, which git ignores and .env.example documents empty', () => {
    for (const [name, s] of services) {
      for (const [key, value] of Object.entries(env(s))) {
        if (SECRET_NAME.test(key)) expect(onlyReference(value), `${name}: ${key} must be \${…} from deploy/.env`).toBe(true);
        if (key.startsWith('LARK_') && key !== 'LARK_MODE') expect.fail(`${name}: ${key} belongs in deploy/.env`);
      }
      const url = env(s).DATABASE_URL;
      if (url !== undefined) expect(onlyReference(/^postgres:\/\/[^:]+:(.*)@[^@]+$/.exec(url)![1]!), `${name}: the password in DATABASE_URL`).toBe(true);
    }
    expect(composeText).not.toMatch(/cli_[a-z0-9]{6,}/);
    // deploy/.env is never committed.
    expect(spawnSync('git', ['check-ignore', '-q', 'deploy/.env'], { cwd: REPO_ROOT }).status).toBe(0);
    expect(spawnSync('git', ['ls-files', 'deploy/.env'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout).toBe('');
    // The template names every variable the compose file needs, and holds no value for a secret.
    const example = readFileSync(join(DEPLOY_DIR, '.env.example'), 'utf8');
    for (const [, variable] of composeText.matchAll(INTERPOLATION)) expect(example, `${variable} documented in deploy/.env.example`).toMatch(new RegExp(`^#? ?${variable}=`, 'm'));
    for (const variable of ['LARK_APP_ID', 'LARK_APP_SECRET', 'LARK_ENCRYPT_KEY', 'LARK_VERIFICATION_TOKEN', 'POSTGRES_PASSWORD']) expect(example).toMatch(new RegExp(`^${variable}=$`, 'm'));
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const pkg = z
    .object({ scripts: z.record(z.string(), z.string()), dependencies: z.record(z.string(), z.string()) })
    .parse(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')));
  const tsconfig = z
    .object({ compilerOptions: z.object({ rootDir: z.string(), outDir: z.string() }) })
    .parse(JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.json'), 'utf8')));
  const buildInclude = z.object({ include: z.array(z.string()) }).parse(JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8'))).include;
  /** Where `npm run build` (tsc) writes the output of a source file. */
  const emitted = (source: string): string => join(tsconfig.compilerOptions.outDir, relative(tsconfig.compilerOptions.rootDir, source)).replace(/\.ts$/, '.js');

  it('runs the tsc output of the service entry, and the CLI entry as `dangjian`', () => {
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json');
    expect(dockerfile).toMatch(/^RUN npm run build\b/m);
    expect(buildInclude).toEqual(expect.arrayContaining(['src', 'migrations']));
    for (const dir of buildInclude) expect(dockerfile).toMatch(new RegExp(`^COPY ${dir} ${dir}$`, 'm'));
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd, 'the Dockerfile has a CMD in exec form').toBeDefined();
    // node's own options as `npm start` gives them (the young generation's cap, src/runtime/memory-flags.ts).
    expect(JSON.parse(cmd!)).toEqual(['node', ...SERVICE_NODE_FLAGS, emitted('src/main.ts')]);
    expect(SERVICE_NODE_FLAGS).toContain('--max-semi-space-size=2');
    // Two malloc arenas, as bench/postgres.bench.ts measures the service.
    expect(dockerfile).toMatch(/^\s+MALLOC_ARENA_MAX=2$/m);
    expect(dockerfile).toContain(`exec node /app/${emitted('src/cli/main.ts')} "$@"`);
    expect(dockerfile).toMatch(/^RUN dangjian --help > \/dev\/null$/m);
  });

  it('keeps the database drivers: better-sqlite3 and pg are production dependencies', () => {
    expect(dockerfile).toContain('npm prune --omit=dev');
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(['better-sqlite3', 'pg']));
  });

  it('sends no secrets, databases, evidence or node_modules to the build', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.git', '*.db', '.env', '**/.env', 'test/.evidence']));
  });
});

// ---- the image, where a Docker engine is reachable ----

const dockerAvailable = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
const NO_ENGINE = 'SKIPPED: no Docker engine reachable here (`docker info` fails)';
if (!dockerAvailable) console.warn(`test/deploy/compose.test.ts: the image test is ${NO_ENGINE}; only the static checks ran.`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function run(command: string, args: string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

describe('the image', () => {
  it.skipIf(!dockerAvailable)(
    `builds, answers GET /healthz (from the host and through the compose health check) and runs dangjian --help${dockerAvailable ? '' : ` — ${NO_ENGINE}`}`,
    async () => {
      const tag = `dangjian-bot:test-${process.pid}`;
      const built = await run('docker', ['build', '-t', tag, '.'], 20 * 60_000);
      expect(built.code, built.stderr.slice(-3000)).toBe(0);
      let container: string | undefined;
      try {
        const help = await run('docker', ['run', '--rm', tag, 'dangjian', '--help']);
        expect(help.code, help.stderr).toBe(0);
        expect(help.stdout).toContain('用法： dangjian');

        // Webhook mode on the image's SQLite volume; Lark is unreachable (the bot retries, /healthz still answers).
        const started = await run('docker', ['run', '-d', '-e', 'LARK_MODE=webhook', '-e', 'LARK_APP_ID=cli_image_test', '-e', 'LARK_APP_SECRET=image-test', '-e', 'LARK_DOMAIN=http://127.0.0.1:9', '-p', '127.0.0.1::3000', tag]);
        expect(started.code, started.stderr).toBe(0);
        container = started.stdout.trim();
        const port = (await run('docker', ['port', container, '3000/tcp'])).stdout.trim().split('\n')[0]!;
        let health: { status: number; body: unknown } | undefined;
        for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
          try {
            const res = await fetch(`http://${port}/healthz`);
            health = { status: res.status, body: await res.json() };
            break;
          } catch {
            // Not listening yet.
          }
        }
        expect(health).toEqual({ status: 200, body: expect.objectContaining({ ok: true, mode: 'webhook' }) });

        const check = healthTest(bots[0]![1]);
        const inside = await run('docker', ['exec', container, ...check.slice(1)]);
        expect(inside.code, `the compose health check inside the container: ${inside.stderr}`).toBe(0);
      } finally {
        if (container) await run('docker', ['rm', '-f', container]);
        await run('docker', ['rmi', '-f', tag]);
      }
    },
    25 * 60_000,
  );
});

