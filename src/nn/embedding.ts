// Embedding (a lookup table) and Dropout.
import type { Tensor } from '../tensor.ts';
import { shapeStr } from '../backend/types.ts';
import type { Generator } from '../random.ts';
import { embedding } from '../ops/indexing.ts';
import { dropout } from '../ops/dropout.ts';
import { Module, type Parameter } from './module.ts';
import { normal_ } from './init.ts';
import { checkPositiveInt, emptyParam, type FactoryOptions } from './util.ts';

export interface EmbeddingOptions extends FactoryOptions {
  /** This row starts at zero and never receives a gradient (negative counts from the end). */
  paddingIdx?: number;
}

/** out = weight[indices] for int32 indices of any shape → (...indices.shape, embeddingDim). weight ~ N(0, 1). */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | undefined;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    checkPositiveInt('Embedding', 'numEmbeddings', numEmbeddings);
    checkPositiveInt('Embedding', 'embeddingDim', embeddingDim);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const p = opts.paddingIdx;
    if (p !== undefined && (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings)) {
      throw new Error(`Embedding: paddingIdx ${p} must be within [${-numEmbeddings}, ${numEmbeddings})`);
    }
    this.paddingIdx = p === undefined ? undefined : p < 0 ? p + numEmbeddings : p;
    this.weight = emptyParam([numEmbeddings, embeddingDim], opts);
    this.resetParameters(opts);
  }

  /** An Embedding holding a copy of `weights` (V, D); frozen (no gradient) unless freeze is false. */
  static fromPretrained(weights: Tensor, opts: { freeze?: boolean; paddingIdx?: number } = {}): Embedding {
    if (weights.ndim !== 2 || weights.dtype === 'int32') throw new Error(`Embedding.fromPretrained: expected a 2-D float tensor, got ${weights.dtype} of shape ${shapeStr(weights.shape)}`);
    const e = new Embedding(weights.shape[0], weights.shape[1], { paddingIdx: opts.paddingIdx, dtype: weights.dtype });
    e.weight.data.set(weights.data);
    e.weight.requiresGrad = !(opts.freeze ?? true);
    return e;
  }

  resetParameters(opts: FactoryOptions = {}): void {
    normal_(this.weight, 0, 1, opts.generator);
    if (this.paddingIdx !== undefined) this.weight.data.fill(0, this.paddingIdx * this.embeddingDim, (this.paddingIdx + 1) * this.embeddingDim);
  }

  forward(indices: Tensor): Tensor {
    if (indices.dtype !== 'int32') throw new Error(`Embedding: indices must be int32, got ${indices.dtype} of shape ${shapeStr(indices.shape)}`);
    return embedding(indices, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== undefined ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}

/** Zeroes each element with probability p in training (scaling the rest by 1/(1 − p)); identity in eval. */
export class Dropout extends Module {
  constructor(readonly p = 0.5, readonly generator?: Generator) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
