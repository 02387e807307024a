/**
 * The folder rule of docs/architecture.md, checked over the import graph of src/ (type-only
 * imports included): each layer imports only the layers below it, and no module imports itself
 * through others (no cycles).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';

const SRC = join(REPO_ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** file (relative to src/) → the src files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((f) => f.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))))
      .filter((target) => !target.startsWith('..'));
    graph.set(relative(SRC, file), [...new Set(targets)]);
  }
  return graph;
}

/** The layer of a file: its folder under src/, or its own name for the files at the top. */
const layerOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file.replace(/\.ts$/, ''));

const BASE = ['errors', 'clock', 'time', 'log', 'plan', 'domain', 'config'];
const ENGINES = ['scoring', 'tasks', 'scheduler'];
/** Which layers each layer may import (its own included). */
const ALLOWED: Record<string, readonly string[]> = {
  errors: [],
  clock: [],
  time: [],
  log: [],
  plan: ['errors'],
  domain: ['errors', 'plan'],
  config: ['errors', 'time'],
  scoring: [...BASE],
  tasks: [...BASE],
  scheduler: [...BASE, 'scoring', 'tasks', 'cards'],
  cards: [...BASE, 'scoring', 'tasks'],
  db: [...BASE],
  auth: [...BASE, 'db'],
  services: [...BASE, ...ENGINES, 'cards', 'db', 'auth', 'messaging', 'io'],
  messaging: [...BASE, 'cards'],
  lark: [...BASE, 'messaging'],
  io: [...BASE, 'cards'],
  export: [...BASE, ...ENGINES, 'cards', 'services'],
  bot: [...BASE, ...ENGINES, 'cards', 'db', 'auth', 'services', 'messaging', 'lark', 'export'],
  cli: [...BASE, ...ENGINES, 'cards', 'db', 'auth', 'services', 'messaging', 'lark', 'io', 'export'],
  runtime: [...BASE, ...ENGINES, 'cards', 'db', 'auth', 'services', 'messaging', 'lark', 'bot'],
  main: ['config', 'errors', 'log', 'runtime'],
};

describe('the folder rule (docs/architecture.md)', () => {
  const graph = importGraph();

  it('knows every folder of src/', () => {
    const unknown = [...new Set([...graph.keys()].map(layerOf))].filter((l) => !(l in ALLOWED));
    expect(unknown).toEqual([]);
  });

  it('imports only downwards: engines import neither db nor services, config not the scheduler, …', () => {
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      const from = layerOf(file);
      for (const target of targets) {
        const to = layerOf(target);
        if (to !== from && !(ALLOWED[from] ?? []).includes(to)) violations.push(`${file} → ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('has no import cycles', () => {
    // Tarjan's strongly connected components; a component of more than one file is a cycle.
    let index = 0;
    const indices = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string) => {
      indices.set(v, index);
      low.set(v, index++);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!indices.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
      if (low.get(v) === indices.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
      }
    };
    for (const v of graph.keys()) if (!indices.has(v)) visit(v);
    expect(cycles).toEqual([]);
  });
});
