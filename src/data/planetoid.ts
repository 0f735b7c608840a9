// Planetoid citation graphs (Yang et al. 2016): cora, citeseer, pubmed, from the original ind.<name>.* pickles,
// with the standard split exactly as Kipf & Welling's gcn/utils.py load_data() builds it:
//   features = vstack(allx, tx); labels = vstack(ally, ty)
//   rows[test.index] = rows[sorted(test.index)]          (test rows are stored in sorted order)
//   citeseer: some test ids have no tx row (isolated nodes); tx/ty are padded with zero rows over
//             range(min(test.index), max(test.index) + 1) first
//   train = range(len(y)), val = range(len(y), len(y) + 500), test = sorted(test.index)
// Features are returned raw (row-normalisation is the model's job).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsrMatrix, NdArray, readPickle } from '../io/pickle.ts';
import { resolveDataDir, type DataDirOptions } from './paths.ts';

export const planetoidNames = ['cora', 'citeseer', 'pubmed'] as const;
export type PlanetoidName = (typeof planetoidNames)[number];

export interface CsrFeatures {
  shape: [number, number];
  indptr: Int32Array;
  indices: Int32Array;
  data: Float32Array;
}

export interface PlanetoidData {
  name: PlanetoidName;
  numNodes: number;
  numFeatures: number;
  numClasses: number;
  features: CsrFeatures;
  /** argmax of the one-hot label row; −1 for nodes without a label (all-zero row). */
  labels: Int32Array;
  /**
   * The adjacency pattern as COO, both directions of every undirected edge, sorted by (row, col), without
   * duplicates. A self-loop in the graph file appears once, as in Kipf's adjacency matrix.
   */
  edges: { row: Int32Array; col: Int32Array };
  trainIdx: Int32Array;
  valIdx: Int32Array;
  testIdx: Int32Array;
}

export function loadPlanetoid(name: PlanetoidName, opts: DataDirOptions = {}): PlanetoidData {
  if (name !== 'cora' && name !== 'citeseer' && name !== 'pubmed') throw new Error(`planetoid: unknown dataset '${name}' (cora, citeseer or pubmed)`);
  const dir = resolveDataDir(name, opts);
  const path = (s: string) => join(dir, `ind.${name}.${s}`);
  const csr = (s: string): CsrMatrix => {
    const v = readPickle(path(s));
    if (!(v instanceof CsrMatrix)) throw new Error(`planetoid: ${path(s)}: expected a scipy csr_matrix`);
    return v;
  };
  const dense = (s: string): NdArray => {
    const v = readPickle(path(s));
    if (!(v instanceof NdArray) || v.shape.length !== 2) throw new Error(`planetoid: ${path(s)}: expected a 2-D numpy array`);
    return v;
  };
  const x = csr('x'), tx0 = csr('tx'), allx = csr('allx');
  const y = dense('y'), ty0 = dense('ty'), ally = dense('ally');
  const graph = readPickle(path('graph'));
  if (!(graph instanceof Map)) throw new Error(`planetoid: ${path('graph')}: expected a dict of adjacency lists`);
  const testFile = path('test.index');
  const testIndex = readFileSync(testFile, 'latin1').split('\n').filter((l) => l.trim() !== '').map((l, i) => {
    const v = Number(l.trim());
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`planetoid: ${testFile}: line ${i + 1} is not a node index: ${JSON.stringify(l.slice(0, 40))}`);
    return v;
  });

  const F = allx.shape[1];
  const C = ally.shape[1];
  for (const [s, m] of [['x', x], ['tx', tx0]] as const) {
    if (m.shape[1] !== F) throw new Error(`planetoid: ${path(s)} has ${m.shape[1]} features, ${path('allx')} has ${F}`);
  }
  for (const [s, m] of [['y', y], ['ty', ty0]] as const) {
    if (m.shape[1] !== C) throw new Error(`planetoid: ${path(s)} has ${m.shape[1]} classes, ${path('ally')} has ${C}`);
  }
  if (allx.shape[0] !== ally.shape[0]) throw new Error(`planetoid: ${path('allx')} has ${allx.shape[0]} rows, ${path('ally')} has ${ally.shape[0]}`);
  if (tx0.shape[0] !== ty0.shape[0] || tx0.shape[0] !== testIndex.length) {
    throw new Error(`planetoid: ${path('tx')} has ${tx0.shape[0]} rows, ${path('ty')} ${ty0.shape[0]}, ${testFile} ${testIndex.length} lines; they must agree`);
  }
  const sorted = [...testIndex].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) throw new Error(`planetoid: ${testFile}: node ${sorted[i]} appears twice`);

  // slotSource[k]: which tx/ty row fills test slot k (−1 = citeseer zero padding).
  let testSlots = tx0.shape[0];
  let slotSource = Array.from({ length: testSlots }, (_, i) => i);
  if (name === 'citeseer' && sorted.length) {
    const lo = sorted[0];
    testSlots = sorted[sorted.length - 1] - lo + 1;
    slotSource = new Array<number>(testSlots).fill(-1);
    sorted.forEach((t, i) => { slotSource[t - lo] = i; });
  }
  const N = allx.shape[0] + testSlots;
  // Kipf's adjacency (one row per graph node) multiplies the N feature rows, so the counts must agree.
  const graphNodes = countGraphNodes(graph, path('graph'));
  if (N !== graphNodes) throw new Error(`planetoid: ${dir}: the features have ${N} rows (allx ${allx.shape[0]} + test ${testSlots}) but ${path('graph')} has ${graphNodes} nodes`);
  // rowOf[r]: the stacked row that ends up as node r
  const rowOf = new Int32Array(N);
  for (let r = 0; r < N; r++) rowOf[r] = r;
  for (let i = 0; i < testIndex.length; i++) {
    if (testIndex[i] >= N || sorted[i] >= N) throw new Error(`planetoid: ${testFile}: node ${Math.max(testIndex[i], sorted[i])} is out of range for ${N} nodes`);
  }
  // features[test_idx_reorder, :] = features[test_idx_range, :] (the right side is read before writing)
  for (let i = 0; i < testIndex.length; i++) rowOf[testIndex[i]] = sorted[i];

  // stacked row r → (matrix, row): r < len(allx) is allx/ally row r, otherwise test slot r − len(allx)
  // (row −1 = a citeseer padding row of zeros)
  const nAll = allx.shape[0];
  const fromAll = (r: number) => r < nAll;
  const srcRow = (r: number) => (r < nAll ? r : slotSource[r - nAll]);

  const indptr = new Int32Array(N + 1);
  for (let r = 0; r < N; r++) {
    const q = rowOf[r], s = srcRow(q), m = fromAll(q) ? allx : tx0;
    indptr[r + 1] = indptr[r] + (s < 0 ? 0 : m.indptr[s + 1] - m.indptr[s]);
  }
  const nnz = indptr[N];
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  for (let r = 0; r < N; r++) {
    const q = rowOf[r], s = srcRow(q), m = fromAll(q) ? allx : tx0;
    if (s < 0) continue;
    let o = indptr[r];
    for (let k = m.indptr[s]; k < m.indptr[s + 1]; k++, o++) { indices[o] = m.indices[k]; values[o] = m.data[k]; }
  }

  // labels: argmax of the one-hot row (first maximum, like np.argmax); all-zero row → −1
  const labels = new Int32Array(N).fill(-1);
  for (let r = 0; r < N; r++) {
    const q = rowOf[r], s = srcRow(q), m = fromAll(q) ? ally : ty0;
    if (s < 0) continue;
    let best = -1, bestV = 0;
    for (let c = 0; c < C; c++) {
      const v = m.data[s * C + c];
      if (v > bestV) { best = c; bestV = v; }
    }
    labels[r] = best;
  }

  const edges = adjacency(graph, N, path('graph'));
  const nTrain = y.shape[0];
  if (nTrain + 500 > N) throw new Error(`planetoid: ${path('y')} has ${nTrain} rows; train + 500 validation nodes exceed the ${N} nodes`);
  const range = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
  return {
    name,
    numNodes: N,
    numFeatures: F,
    numClasses: C,
    features: { shape: [N, F], indptr, indices, data: values },
    labels,
    edges,
    trainIdx: range(0, nTrain),
    valIdx: range(nTrain, nTrain + 500),
    testIdx: Int32Array.from(sorted),
  };
}

/** Number of nodes of a dict-of-lists graph whose ids are 0..n−1: the largest id + 1. */
function countGraphNodes(graph: Map<unknown, unknown>, file: string): number {
  let max = -1;
  const see = (v: unknown) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`planetoid: ${file}: node id ${String(v)} is not a non-negative integer`);
    if (v > max) max = v;
  };
  for (const [k, list] of graph) {
    see(k);
    if (!Array.isArray(list)) throw new Error(`planetoid: ${file}: the neighbours of node ${String(k)} are not a list`);
    for (const w of list) see(w);
  }
  return max + 1;
}

/** Symmetric, de-duplicated COO pattern of a dict-of-lists graph (networkx.from_dict_of_lists semantics). */
function adjacency(graph: Map<unknown, unknown>, N: number, file: string): { row: Int32Array; col: Int32Array } {
  const keys: number[] = [];
  const check = (v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= N) throw new Error(`planetoid: ${file}: node id ${String(v)} is not an integer in [0, ${N})`);
    return v;
  };
  for (const [k, list] of graph) {
    const u = check(k);
    if (!Array.isArray(list)) throw new Error(`planetoid: ${file}: the neighbours of node ${u} are not a list`);
    for (const w of list) {
      const v = check(w);
      keys.push(u * N + v, v * N + u);
    }
  }
  const sortedKeys = Float64Array.from(keys).sort();
  let m = 0;
  for (let i = 0; i < sortedKeys.length; i++) if (i === 0 || sortedKeys[i] !== sortedKeys[i - 1]) sortedKeys[m++] = sortedKeys[i];
  const row = new Int32Array(m), col = new Int32Array(m);
  for (let i = 0; i < m; i++) { row[i] = Math.floor(sortedKeys[i] / N); col[i] = sortedKeys[i] % N; }
  return { row, col };
}

/** The dense N×F feature matrix. */
export function denseFeatures(f: CsrFeatures): Float32Array {
  const [n, d] = f.shape;
  const out = new Float32Array(n * d);
  for (let r = 0; r < n; r++) for (let k = f.indptr[r]; k < f.indptr[r + 1]; k++) out[r * d + f.indices[k]] += f.data[k];
  return out;
}
