// GCN at scale: one training epoch (forward, backward, Adam step) on a random graph of 100k nodes and 1M edges,
// with sparse bag-of-words-like features. Memory is O(N·F_nnz + E + N·hidden): the CSR adjacency holds
// (N + 1)·4 + nnz·8 bytes (row pointers, column indices, values); a dense N×N adjacency would need 4·N² bytes.
import { Tensor } from '../tensor.ts';
import { Generator, manualSeed } from '../random.ts';
import { backendName } from '../backend/index.ts';
import { crossEntropy } from '../ops/loss.ts';
import { CsrMatrix } from '../ops/sparse.ts';
import { Adam } from '../optim/index.ts';
import { GCN, normalizedAdjacency } from '../models/gcn.ts';
import { commonFlags, num, outDir, formatTable, report, type Flags } from './common.ts';
import type { Experiment } from './index.ts';

const mb = (bytes: number) => bytes / 2 ** 20;

function randomGraph(n: number, edges: number, gen: Generator): { row: Int32Array; col: Int32Array } {
  // `edges` undirected edges between distinct random nodes, stored in both directions
  const row = new Int32Array(2 * edges), col = new Int32Array(2 * edges);
  for (let k = 0; k < edges; k++) {
    const i = gen.randint(0, n);
    let j = gen.randint(0, n - 1);
    if (j >= i) j++;
    row[2 * k] = i; col[2 * k] = j; row[2 * k + 1] = j; col[2 * k + 1] = i;
  }
  return { row, col };
}

function randomFeatures(n: number, f: number, perRow: number, gen: Generator): CsrMatrix {
  const rowPtr = new Int32Array(n + 1), colIdx = new Int32Array(n * perRow), values = new Float32Array(n * perRow);
  for (let i = 0; i < n; i++) {
    const cols = new Set<number>();
    while (cols.size < perRow) cols.add(gen.randint(0, f));
    const sorted = [...cols].sort((a, b) => a - b);
    for (let k = 0; k < perRow; k++) { colIdx[i * perRow + k] = sorted[k]; values[i * perRow + k] = 1 / perRow; }
    rowPtr[i + 1] = (i + 1) * perRow;
  }
  return new CsrMatrix(n, f, rowPtr, colIdx, values);
}

export const gcnScaling: Experiment = {
  summary: 'GCN on a 100k-node / 1M-edge random graph: time and peak memory of one epoch (sparse adjacency)',
  flags: {
    ...commonFlags,
    nodes: { type: 'number', help: 'number of nodes (default 100000; --quick 5000)' },
    edges: { type: 'number', help: 'number of undirected edges (default 1000000; --quick 50000)' },
    features: { type: 'number', help: 'feature dimension (default 1433, like Cora)' },
    epochs: { type: 'number', help: 'epochs to time (default 3; the first includes warm-up)' },
  },
  async run(flags: Flags) {
    const n = num(flags, 'nodes', 100_000, 5_000);
    const e = num(flags, 'edges', 1_000_000, 50_000);
    const f = num(flags, 'features', 1433, 1433);
    const epochs = num(flags, 'epochs', 3, 2);
    const dir = outDir(flags, 'gcn-scaling');
    const gen = new Generator(Number(flags.seed ?? 1));
    manualSeed(Number(flags.seed ?? 1));
    const rssBefore = process.memoryUsage().rss;
    let t = Date.now();
    const g = randomGraph(n, e, gen);
    const adj = normalizedAdjacency(n, g.row, g.col);
    const x = randomFeatures(n, f, 18, gen); // Cora's rows hold ~18 words
    const labels = new Tensor(Int32Array.from({ length: n }, () => gen.randint(0, 7)), [n]);
    const buildSeconds = (Date.now() - t) / 1000;
    const model = new GCN(f, 7);
    const opt = new Adam([
      { params: model.conv1.parameters(), weightDecay: 5e-4 },
      { params: model.conv2.parameters(), weightDecay: 0 },
    ], { lr: 0.01 });
    let peak = process.memoryUsage().rss;
    const times: number[] = [];
    for (let ep = 0; ep < epochs; ep++) {
      t = Date.now();
      const loss = crossEntropy(model.forward(x, adj), labels);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      times.push((Date.now() - t) / 1000);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const csrBytes = (m: CsrMatrix) => (m.rows + 1) * 4 + m.nnz * (4 + m.values.BYTES_PER_ELEMENT);
    const results = {
      backend: backendName(), nodes: n, undirectedEdges: e, adjacencyNnz: adj.nnz, features: f, featureNnz: x.nnz,
      buildSeconds, epochSeconds: times, steadyEpochSeconds: Math.min(...times),
      adjacencyMB: mb(csrBytes(adj)), featuresMB: mb(csrBytes(x)), denseAdjacencyWouldBeMB: mb(4 * n * n),
      peakRssMB: mb(peak), rssBeforeMB: mb(rssBefore), maxRssMB: process.resourceUsage().maxRSS / 1024,
    };
    const table = formatTable(['quantity', 'value'], [
      ['backend', results.backend],
      ['nodes / undirected edges', `${n} / ${e}`],
      ['Â non-zeros (with self-loops)', adj.nnz],
      ['graph build time (s)', buildSeconds.toFixed(2)],
      ['epoch time, fwd+bwd+Adam (s)', times.map((v) => v.toFixed(2)).join(', ')],
      ['CSR adjacency (MB)', results.adjacencyMB.toFixed(1)],
      ['CSR features (MB)', results.featuresMB.toFixed(1)],
      ['dense N×N adjacency would be (MB)', results.denseAdjacencyWouldBeMB.toFixed(0)],
      ['peak RSS of the process (MB)', results.maxRssMB.toFixed(0)],
    ]);
    report(dir, table, results);
  },
};
