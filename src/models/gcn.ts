// Model 9 — graph convolutional networks (Kipf & Welling 2017) and the graph auto-encoder (Kipf & Welling 2016).
// A GCN layer mixes each node's features with its neighbours', weighted by their degrees:
//   H' = σ(Â H W),   Â = D̃^-½ Ã D̃^-½,   Ã = A + I,   D̃_ii = Σ_j Ã_ij
// Â stays sparse (CSR): memory grows with nodes + edges, O(N·F + E), never with N².
import { Tensor } from '../tensor.ts';
import { Module, Parameter } from '../nn/module.ts';
import { xavierUniform_ } from '../nn/init.ts';
import { CsrMatrix, spmm } from '../ops/sparse.ts';
import { dropout } from '../ops/dropout.ts';
import { indexSelect } from '../ops/indexing.ts';
import { defaultGenerator, type Generator } from '../random.ts';

/**
 * Â = D̃^-½ (A + I) D̃^-½ for an undirected graph given as COO (both directions of every edge listed).
 * Existing self-loops are not doubled: Ã_ii = 1 whatever A_ii was, as Kipf's preprocessing does for Cora.
 */
export function normalizedAdjacency(numNodes: number, row: ArrayLike<number>, col: ArrayLike<number>): CsrMatrix {
  const r: number[] = [], c: number[] = [];
  for (let k = 0; k < row.length; k++) if (row[k] !== col[k]) { r.push(row[k]); c.push(col[k]); }
  for (let i = 0; i < numNodes; i++) { r.push(i); c.push(i); } // Ã = A + I
  const a = CsrMatrix.fromCoo(numNodes, numNodes, r, c);
  // duplicates were summed; a graph is a 0/1 pattern
  a.values.fill(1);
  // D̃_ii = Σ_j Ã_ij;  Â_ij = Ã_ij / √(D̃_ii D̃_jj)
  const deg = new Float64Array(numNodes);
  for (let i = 0; i < numNodes; i++) deg[i] = a.rowPtr[i + 1] - a.rowPtr[i];
  for (let i = 0; i < numNodes; i++) {
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) a.values[k] = 1 / Math.sqrt(deg[i] * deg[a.colIdx[k]]);
  }
  return a;
}

/** One graph convolution H' = Â (H W) (+ b); multiplying by W first keeps the sparse product narrow. */
export class GraphConv extends Module {
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, bias = false) {
    super();
    // Glorot-uniform weights, zero bias, as in Kipf's reference implementation
    this.weight = new Parameter(new Float32Array(inFeatures * outFeatures), [inFeatures, outFeatures]);
    xavierUniform_(this.weight);
    this.bias = bias ? new Parameter(new Float32Array(outFeatures), [outFeatures]) : null;
  }

  /** x is dense (N, in) or a sparse feature matrix (bag-of-words features are ~1% non-zero). */
  forward(x: Tensor | CsrMatrix, adj: CsrMatrix): Tensor {
    const xw = x instanceof CsrMatrix ? spmm(x, this.weight) : x.matmul(this.weight); // H W: (N, out)
    const h = spmm(adj, xw);                                                            // Â (H W): (N, out)
    return this.bias ? h.add(this.bias) : h;
  }
}

export interface GcnConfig {
  hidden: number;
  dropout: number;
  bias: boolean;
}

export const gcnDefaults: GcnConfig = { hidden: 16, dropout: 0.5, bias: false };

/** Two-layer GCN for node classification: Z = Â relu(Â X W0) W1, logits per node. */
export class GCN extends Module {
  readonly config: GcnConfig;
  conv1: GraphConv;
  conv2: GraphConv;

  constructor(inFeatures: number, classes: number, config: Partial<GcnConfig> = {}) {
    super();
    this.config = { ...gcnDefaults, ...config };
    this.conv1 = new GraphConv(inFeatures, this.config.hidden, this.config.bias);
    this.conv2 = new GraphConv(this.config.hidden, classes, this.config.bias);
  }

  /** x (N, F) dense or sparse, Â (N, N) sparse → logits (N, classes). */
  forward(x: Tensor | CsrMatrix, adj: CsrMatrix): Tensor {
    const p = this.config.dropout;
    const xd = x instanceof CsrMatrix ? sparseDropout(x, p, this.training) : dropout(x, p, this.training);
    let h = this.conv1.forward(xd, adj).relu(); // (N, hidden)
    h = dropout(h, p, this.training);
    return this.conv2.forward(h, adj);     // (N, classes)
  }
}

export interface GaeConfig {
  hidden: number;
  latent: number;
}

export const gaeDefaults: GaeConfig = { hidden: 32, latent: 16 };

/**
 * Graph auto-encoder: a GCN encoder Z = Â relu(Â X W0) W1 and an inner-product decoder p(A_ij = 1) = σ(z_i · z_j),
 * scored only on the node pairs asked for (observed edges and sampled non-edges), never on all N² pairs.
 */
export class GAE extends Module {
  readonly config: GaeConfig;
  conv1: GraphConv;
  conv2: GraphConv;

  constructor(inFeatures: number, config: Partial<GaeConfig> = {}) {
    super();
    this.config = { ...gaeDefaults, ...config };
    this.conv1 = new GraphConv(inFeatures, this.config.hidden);
    this.conv2 = new GraphConv(this.config.hidden, this.config.latent);
  }

  /** Node embeddings Z (N, latent). */
  forward(x: Tensor | CsrMatrix, adj: CsrMatrix): Tensor {
    return this.conv2.forward(this.conv1.forward(x, adj).relu(), adj);
  }

  /** Logits z_i · z_j for the pairs (src[k], dst[k]). */
  decode(z: Tensor, src: Int32Array, dst: Int32Array): Tensor {
    const zi = indexSelect(z, 0, new Tensor(src, [src.length])); // (P, latent)
    const zj = indexSelect(z, 0, new Tensor(dst, [dst.length])); // (P, latent)
    return zi.mul(zj).sum(1);                                     // (P)
  }
}

/** Inverted dropout on a sparse matrix's stored values (Kipf's sparse_dropout): zeros stay zero. */
export function sparseDropout(m: CsrMatrix, p: number, training: boolean, gen: Generator = defaultGenerator): CsrMatrix {
  if (!training || p === 0) return m;
  const values = new Float32Array(m.nnz);
  const scale = 1 / (1 - p);
  for (let k = 0; k < m.nnz; k++) values[k] = gen.random() < p ? 0 : m.values[k] * scale;
  return new CsrMatrix(m.rows, m.cols, m.rowPtr, m.colIdx, values);
}

/** Kipf's preprocess_features: each row of a sparse feature matrix divided by its sum (zero rows stay zero). */
export function rowNormalize(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, values: ArrayLike<number>): CsrMatrix {
  const out = new Float32Array(values.length);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) s += values[k];
    for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) out[k] = s > 0 ? values[k] / s : 0;
  }
  return new CsrMatrix(rows, cols, rowPtr, colIdx, out);
}

