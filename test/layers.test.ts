// The house's layering, read from src/'s import statements (no compiler): layers import downward only, the engine
// (backend ← autograd ← tensor-core ← ops ← tensor) has no import circle, and no code above ops/ reaches the
// backend's kernels. Type-only imports are set apart: TypeScript erases them, so they load nothing.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const srcDir = fileURLToPath(new URL('../src', import.meta.url));


/** 'ops/base.ts' → 'ops'; 'tensor.ts' → 'tensor'. */
const part = (f: string) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : f.replace(/\.(ts|mjs)$/, ''));

// The engine's own order: a module imports only from its rank or below (within ops/, the acyclic check rules).
const engineRank: Record<string, number> = { backend: 0, random: 0, autograd: 1, 'tensor-core': 2, ops: 3, tensor: 4, functional: 4 };
const engine = Object.keys(engineRank);

// What each layer above the engine may import (besides its own folder and the engine).
const layers: Record<string, string[]> = {
  util: [], // plain helpers that import nothing from src/: command-line flags
  linalg: [], // and small float64 linear algebra (for FID)
  nn: [],
  optim: [],
  io: [],
  data: ['io'],
  viz: ['io'],
  models: ['nn'],
  eval: ['nn', 'models', 'data', 'io', 'linalg'],
  rl: ['nn', 'optim', 'models', 'data', 'io', 'viz'],
  train: ['nn', 'optim', 'models', 'rl', 'eval', 'data', 'io', 'viz', 'util', 'linalg'],
  experiments: ['nn', 'optim', 'models', 'rl', 'eval', 'train', 'data', 'io', 'viz', 'util', 'linalg'],
  cli: ['nn', 'optim', 'models', 'rl', 'eval', 'train', 'experiments', 'data', 'io', 'viz', 'util', 'linalg'],
  index: ['nn', 'optim', 'models', 'rl', 'eval', 'train', 'data', 'io', 'viz', 'util', 'linalg'],
};
/** Layers that stand apart from the engine too. */
const standalone = new Set(['util', 'linalg']);

// Known exceptions, each with its reason ('models/x.ts -> optim'). Remove a line when its reason goes.
const allowedImports: Record<string, string> = {};

// Above ops/, the backend module may be asked only which backend runs (and cli may choose it); kernels are ops' job.
const backendNamesAbove = new Set(['backendName', 'backendInfo', 'setBackend', 'availableBackends', 'BackendName']);
const kernelUsers: Record<string, string> = {
  'optim/sgd.ts': 'the fused SGD step is one kernel call per parameter (sgdStep)',
  'optim/adam.ts': 'the fused Adam step is one kernel call per parameter (adamStep)',
  'nn/rnn.ts': 'the LSTM recurrence kernel; it moves into ops/ (issue 11 item 2)',
};

const graph = importGraph(srcDir);
const runtime = graph.edges.filter((e) => !e.typeOnly);

describe('src/ import graph', () => {
  test('the parser sees the imports it should (a check of this test itself)', () => {
    const has = (from: string, to: string, typeOnly: boolean) => graph.edges.some((e) => e.from === from && e.to === to && e.typeOnly === typeOnly);
    assert.ok(has('tensor.ts', 'ops/elementwise.ts', false), 'tensor.ts imports ops/elementwise.ts');
    assert.ok(has('ops/elementwise.ts', 'ops/base.ts', false), 'ops/elementwise.ts imports ops/base.ts');
    assert.ok(has('autograd.ts', 'tensor-core.ts', true), "autograd.ts's import of Tensor is type-only");
    assert.ok(has('cli/main.ts', 'experiments/index.ts', false), 'dynamic import() counts');
    assert.deepEqual(cycles([{ from: 'a', to: 'b', names: [], typeOnly: false }, { from: 'b', to: 'a', names: [], typeOnly: false }], () => true), [['a', 'b', 'a']]);
    assert.deepEqual(cycles([{ from: 'a', to: 'b', names: [], typeOnly: false }, { from: 'b', to: 'a', names: [], typeOnly: true }], () => true), []);
  });

  test('the engine has no import circle', () => {
    const found = cycles(graph.edges, (f) => engine.includes(part(f)));
    assert.deepEqual(found.map((c) => c.join(' → ')), []);
  });

  test('no import circle anywhere in src/', () => {
    assert.deepEqual(cycles(graph.edges, () => true).map((c) => c.join(' → ')), []);
  });

  test("the engine imports downward: backend, random ← autograd ← tensor-core ← ops/ (base.ts first) ← tensor, functional", () => {
    const bad: string[] = [];
    for (const e of runtime) {
      const a = part(e.from), b = part(e.to);
      if (!(a in engineRank)) continue;
      if (!(b in engineRank)) bad.push(`${e.from} → ${e.to} (above the engine)`);
      else if (engineRank[b] > engineRank[a]) bad.push(`${e.from} → ${e.to}`);
    }
    // ops/base.ts holds what every op shares, so it imports no other op
    for (const e of runtime) if (e.from === 'ops/base.ts' && part(e.to) === 'ops') bad.push(`${e.from} → ${e.to} (base imports no op)`);
    assert.deepEqual(bad, []);
  });

  test('layers above the engine import downward only (experiments never import cli)', () => {
    const bad: string[] = [];
    for (const e of runtime) {
      const a = part(e.from), b = part(e.to);
      if (a in engineRank || a === b || (b in engineRank && !standalone.has(a))) continue;
      const allowed = layers[a];
      assert.ok(allowed, `src/${e.from}: its folder '${a}' has no layer in this test; add it to 'layers'`);
      if (!allowed.includes(b) && !allowedImports[`${e.from} -> ${b}`]) bad.push(`${e.from} → ${e.to}`);
    }
    assert.deepEqual(bad, []);
  });

  test('no code above ops/ reaches the backend\'s kernels', () => {
    const bad: string[] = [];
    for (const e of runtime) {
      const a = part(e.from);
      // index.ts is the library's public surface, which offers backend() to users
      if (a in engineRank || a === 'index' || part(e.to) !== 'backend' || kernelUsers[e.from]) continue;
      if (e.to === 'backend/types.ts') continue; // dtypes, shapes, shapeStr: no kernels
      const kernelNames = e.names.filter((n) => !backendNamesAbove.has(n));
      if (e.to !== 'backend/index.ts' || kernelNames.length) bad.push(`${e.from} → ${e.to} { ${e.names.join(', ')} }`);
    }
    assert.deepEqual(bad, []);
  });
});

interface Edge { from: string; to: string; names: string[]; typeOnly: boolean }

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.(ts|mjs)$/.test(f) ? [p] : [];
  });
}

/** The specifiers of an import/export clause ("{ a, type B }", "* as X", "X, { y }"), and whether all are types. */
function parseClause(clause: string): { names: string[]; typeOnly: boolean } {
  const c = clause.trim();
  if (c.startsWith('type ')) return { names: [c.slice(5).trim()], typeOnly: true };
  const names: string[] = [];
  let allTypes = true;
  const braces = c.match(/\{([\s\S]*)\}/);
  const outside = braces ? c.replace(braces[0], '') : c;
  for (const part of outside.split(',').map((s) => s.trim()).filter(Boolean)) { names.push(part); allTypes = false; }
  if (braces) {
    for (const spec of braces[1].split(',').map((s) => s.trim()).filter(Boolean)) {
      if (spec.startsWith('type ')) names.push(spec.slice(5).trim().split(/\s+as\s+/)[0]);
      else { names.push(spec.split(/\s+as\s+/)[0]); allTypes = false; }
    }
  }
  return { names, typeOnly: allTypes && names.length > 0 };
}

/** Every relative import in src/ (static, re-exports and dynamic), paths relative to src/ ('ops/base.ts'). */
function importGraph(srcDir: string): { files: string[]; edges: Edge[] } {
  const files = sourceFiles(srcDir).map((p) => relative(srcDir, p)).sort();
  const edges: Edge[] = [];
  for (const file of files) {
    const text = readFileSync(join(srcDir, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const add = (spec: string, names: string[], typeOnly: boolean) => {
      if (!spec.startsWith('.')) return; // packages and node: builtins
      edges.push({ from: file, to: relative(srcDir, resolve(srcDir, dirname(file), spec)), names, typeOnly });
    };
    for (const m of text.matchAll(/^\s*(?:import|export)\s+([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/gm)) {
      const { names, typeOnly } = parseClause(m[1]);
      add(m[2], names, typeOnly);
    }
    for (const m of text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) add(m[1], [], false);
    for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1], ['*'], false);
  }
  return { files, edges };
}

/** The cycles of the runtime (non-type) graph among `nodes`, each as a path a → … → a; empty when acyclic. */
function cycles(edges: Edge[], nodes: (f: string) => boolean): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!e.typeOnly && nodes(e.from) && nodes(e.to)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of next.get(n) ?? []) {
      if (state.get(m) === 'open') found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...next.keys()].sort()) if (!state.has(n)) visit(n);
  return found;
}
