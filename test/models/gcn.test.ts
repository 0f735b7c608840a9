// Graph models: the normalized adjacency on a hand-checked graph, GCN/GAE shapes and gradients, ranking metrics,
// and short training runs on Cora.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as dt from '../../src/index.ts';
import { normalizedAdjacency, GCN, GAE, rowNormalize, sparseDropout } from '../../src/models/gcn.ts';
import { rocAuc, averagePrecision } from '../../src/train/metrics.ts';
import { gcn, gae, splitEdges } from '../../src/train/recipes/graph.ts';
import { Generator } from '../../src/random.ts';
import { gradcheck } from '../helpers.ts';

const dataDir = process.env.DEEPTEN_DATA ?? resolve('../shared/data');
const haveCora = existsSync(join(dataDir, 'cora'));

test('normalized adjacency of the path 0–1–2 equals D̃^-½(A+I)D̃^-½ computed by hand', () => {
  // degrees with self-loops: 2, 3, 2; an existing self-loop on node 2 must not be counted twice
  const a = normalizedAdjacency(3, [0, 1, 1, 2, 2], [1, 0, 2, 1, 2]);
  const dense = a.toDense();
  const s6 = 1 / Math.sqrt(6);
  const expected = [1 / 2, s6, 0, s6, 1 / 3, s6, 0, s6, 1 / 2];
  for (let i = 0; i < 9; i++) assert.ok(Math.abs(dense.data[i] - expected[i]) < 1e-7, `Â[${i}] = ${dense.data[i]}, expected ${expected[i]}`);
});

test('row normalization and sparse dropout keep the sparsity pattern', () => {
  const f = rowNormalize(2, 3, Int32Array.from([0, 2, 2]), Int32Array.from([0, 2]), [1, 3]);
  assert.deepEqual(Array.from(f.values), [0.25, 0.75]);
  const d = sparseDropout(f, 0.5, true, new Generator(1));
  assert.deepEqual(d.colIdx, f.colIdx);
  for (let k = 0; k < d.nnz; k++) assert.ok(d.values[k] === 0 || Math.abs(d.values[k] - 2 * f.values[k]) < 1e-7);
  assert.equal(sparseDropout(f, 0.5, false), f);
});

test('GCN and GAE: output shapes and gradients through the sparse products (float64 gradcheck)', () => {
  const adj = normalizedAdjacency(4, [0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]);
  const m = new GCN(5, 3, { hidden: 4, dropout: 0 });
  assert.deepEqual(m.forward(dt.randn([4, 5]), adj).shape, [4, 3]);
  const g = new GAE(5, { hidden: 4, latent: 2 });
  const z = g.forward(dt.randn([4, 5]), adj);
  assert.deepEqual(g.decode(z, Int32Array.from([0, 1]), Int32Array.from([2, 3])).shape, [2]);
  const adj64 = new dt.CsrMatrix(adj.rows, adj.cols, adj.rowPtr, adj.colIdx, Float64Array.from(adj.values));
  const x = dt.randn([4, 5], { dtype: 'float64', requiresGrad: true });
  const w = dt.randn([5, 3], { dtype: 'float64', requiresGrad: true });
  gradcheck((x, w) => dt.spmm(adj64, x.matmul(w)).relu().sum(1), [x, w]);
});

test('ROC-AUC and average precision match hand-computed values, ties included', () => {
  assert.equal(rocAuc([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]), 1);
  assert.equal(rocAuc([0.1, 0.8, 0.3, 0.9], [1, 1, 0, 0]), 0.25); // 1 of 4 positive–negative pairs ordered right
  assert.equal(rocAuc([0.5, 0.5], [1, 0]), 0.5);
  // scikit-learn: average_precision_score([1,0,1,0], [0.9,0.8,0.7,0.1]) = (1 + 2/3)/2
  assert.ok(Math.abs(averagePrecision([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]) - 5 / 6) < 1e-12);
  assert.throws(() => rocAuc([1, 2], [1, 1]), /need both classes/);
});

test('edge split: disjoint train/val/test, negatives are non-edges', () => {
  const row: number[] = [], col: number[] = [];
  for (let i = 0; i < 30; i++) for (const j of [(i + 1) % 30, (i + 7) % 30]) { row.push(i, j); col.push(j, i); }
  const s = splitEdges({ numNodes: 30, edges: { row: Int32Array.from(row), col: Int32Array.from(col) } }, 0.1, 0.2, new Generator(3));
  const key = (a: number, b: number) => (a < b ? `${a},${b}` : `${b},${a}`);
  const sets = [s.train, s.val, s.test].map((p) => new Set(Array.from(p.src, (v, k) => key(v, p.dst[k]))));
  assert.equal(sets[0].size + sets[1].size + sets[2].size, 60);
  for (const k of sets[1]) assert.ok(!sets[0].has(k) && !sets[2].has(k));
  for (const p of [s.valNeg, s.testNeg]) for (let k = 0; k < p.src.length; k++) assert.ok(!s.present.has(s.key(p.src[k], p.dst[k])) && p.src[k] !== p.dst[k]);
});

test('a short GCN run on Cora beats 70% test accuracy', { skip: !haveCora && 'Cora not found' }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'deepten-gcn-'));
  try {
    const s = await gcn.train({ out, dataDir, set: { seeds: '1', epochs: '60' } });
    assert.ok(s.value > 0.7, `test accuracy ${s.value}`);
    const ev = await gcn.evaluate({ checkpoint: join(out, 'model.safetensors'), dataDir });
    assert.equal(ev.test_accuracy, s.value);
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test('a short GAE run on Cora links well above chance (AUC 0.5)', { skip: !haveCora && 'Cora not found' }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'deepten-gae-'));
  try {
    const s = await gae.train({ out, dataDir, set: { seeds: '1', epochs: '60' } });
    assert.ok(s.value > 0.8 && (s.averagePrecision as number) > 0.8, `AUC ${s.value}, AP ${s.averagePrecision}`);
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test('gcn-scaling --quick: one epoch on a random sparse graph, with time and memory figures', async () => {
  const out = mkdtempSync(join(tmpdir(), 'deepten-gcs-'));
  try {
    const { gcnScaling } = await import('../../src/experiments/gcn-scaling.ts');
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try { await gcnScaling.run({ quick: true, out, seed: 1, nodes: 2000, edges: 10000, epochs: 1 }); } finally { process.stdout.write = write; }
    const r = JSON.parse((await import('node:fs')).readFileSync(join(out, 'results.json'), 'utf8'));
    assert.equal(r.nodes, 2000);
    assert.equal(r.adjacencyNnz <= 2 * 10000 + 2000, true);
    assert.ok(r.adjacencyMB < r.denseAdjacencyWouldBeMB / 10, 'sparse adjacency is far smaller than dense');
    assert.equal(r.epochSeconds.length, 1);
  } finally { rmSync(out, { recursive: true, force: true }); }
});
