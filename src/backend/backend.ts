// The one seam between the engine and numeric code. Every kernel works on flat typed arrays
// (the tensors' own storage, never copied) plus the sizes it needs; outputs are preallocated by the engine.
// A backend may implement only some kernels natively and take the rest from the TypeScript backend.
import type { ElementwiseKernels } from './kernels/elementwise.ts';
import type { ShapeKernels } from './kernels/shape.ts';
import type { ReduceKernels } from './kernels/reduce.ts';
import type { MatmulKernels } from './kernels/matmul.ts';
import type { ConvKernels } from './kernels/conv.ts';
import type { PoolKernels } from './kernels/pool.ts';
import type { SoftmaxKernels } from './kernels/softmax.ts';
import type { NormKernels } from './kernels/norm.ts';
import type { IndexKernels } from './kernels/indexing.ts';
import type { SparseKernels } from './kernels/sparse.ts';
import type { OptimKernels } from './kernels/optim.ts';
import type { RnnKernels } from './kernels/rnn.ts';
import type { AttentionKernels } from './kernels/attention.ts';
import type { Word2VecKernels } from './kernels/word2vec.ts';
import type { LossKernels } from './kernels/loss.ts';

export interface BackendInfo {
  name: string;
  /** e.g. "OpenBLAS 0.3.21 (SkylakeX)" or "none (TypeScript loops)". */
  blas: string;
  threads: number;
}

export interface Backend
  extends ElementwiseKernels, ShapeKernels, ReduceKernels, MatmulKernels, ConvKernels, PoolKernels,
  SoftmaxKernels, NormKernels, IndexKernels, SparseKernels, OptimKernels, RnnKernels, AttentionKernels, Word2VecKernels,
  LossKernels {
  readonly name: 'js' | 'native';
  info(): BackendInfo;
}

export type { UnaryOp, BinaryOp } from './kernels/elementwise.ts';
export type { ReduceOp } from './kernels/reduce.ts';
export type { MatmulParams } from './kernels/matmul.ts';
export type { Conv2dParams } from './kernels/conv.ts';
export type { Pool2dParams } from './kernels/pool.ts';
export type { Csr } from './kernels/sparse.ts';
export type { Word2VecTables, Word2VecCorpus, Word2VecParams, Word2VecStats } from './kernels/word2vec.ts';
