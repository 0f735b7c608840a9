// Normalisation layers. BatchNorm keeps PyTorch's buffer names (running_mean, running_var, num_batches_tracked)
// so state dicts and safetensors files move between the two unchanged. Affine weights start at 1, biases at 0.
import { Tensor, zeros, ones } from '../tensor.ts';
import { shapeStr } from '../backend/types.ts';
import { batchNorm, layerNorm, groupNorm } from '../ops/norm.ts';
import { Module, type Parameter } from './module.ts';
import { ones_, zeros_ } from './init.ts';
import { checkPositiveInt, emptyParam, type FactoryOptions } from './util.ts';

export interface BatchNormOptions extends FactoryOptions {
  eps?: number;
  /** Weight of the newest batch in the running averages; null for a cumulative average (1/num_batches_tracked). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  /** int32 here (int64 in PyTorch). */
  declare num_batches_tracked: Tensor | null;

  constructor(layer: string, numFeatures: number, opts: BatchNormOptions) {
    super();
    checkPositiveInt(layer, 'numFeatures', numFeatures);
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.weight = this.affine ? ones_(emptyParam([numFeatures], opts)) as Parameter : null;
    this.bias = this.affine ? emptyParam([numFeatures], opts) : null;
    const dtype = opts.dtype ?? 'float32';
    const track = this.trackRunningStats;
    this.registerBuffer('running_mean', track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures], { dtype }) : null);
    this.registerBuffer('num_batches_tracked', track ? zeros([], { dtype: 'int32' }) : null);
  }

  get runningMean(): Tensor | null { return this.running_mean; }
  get runningVar(): Tensor | null { return this.running_var; }
  get numBatchesTracked(): number { return this.num_batches_tracked ? this.num_batches_tracked.item() : 0; }

  resetRunningStats(): void {
    if (this.running_mean) zeros_(this.running_mean);
    if (this.running_var) ones_(this.running_var);
    if (this.num_batches_tracked) zeros_(this.num_batches_tracked);
  }

  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  protected abstract checkInputDim(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.constructor.name}: expected ${this.numFeatures} channels (dim 1), got input of shape ${shapeStr(x.shape)}`);
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      this.num_batches_tracked.data[0] += 1;
      if (this.momentum === null) factor = 1 / this.num_batches_tracked.data[0];
    }
    // batch statistics when training, or in eval when no running stats are kept
    const useBatch = this.training || (!this.running_mean && !this.running_var);
    const useRunning = !this.training || this.trackRunningStats;
    return batchNorm(x, useRunning ? this.running_mean : null, useRunning ? this.running_var : null,
      this.weight, this.bias, useBatch, factor, this.eps);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, track_running_stats=${this.trackRunningStats}`;
  }
}

/** Batch norm over (N, C) or (N, C, L), statistics per channel. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) { super('BatchNorm1d', numFeatures, opts); }
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`BatchNorm1d: expected 2-D or 3-D input, got shape ${shapeStr(x.shape)}`);
  }
}

/** Batch norm over (N, C, H, W), statistics per channel. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) { super('BatchNorm2d', numFeatures, opts); }
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expected 4-D input, got shape ${shapeStr(x.shape)}`);
  }
}

export interface LayerNormOptions extends FactoryOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  /** Learn a bias too (when elementwiseAffine). */
  bias?: boolean;
}

/** Normalises over the trailing normalizedShape dims: y = (x − μ)/√(σ² + eps)·weight + bias. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | number[], opts: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    for (const d of this.normalizedShape) checkPositiveInt('LayerNorm', 'normalizedShape entries', d);
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? ones_(emptyParam(this.normalizedShape, opts)) as Parameter : null;
    this.bias = affine && (opts.bias ?? true) ? emptyParam(this.normalizedShape, opts) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `(${this.normalizedShape}), eps=${this.eps}, elementwise_affine=${this.weight !== null}`;
  }
}

export interface GroupNormOptions extends FactoryOptions {
  eps?: number;
  affine?: boolean;
  /** A SiLU fused after the affine (deepten extension; one kernel instead of two passes). */
  activation?: 'none' | 'silu';
}

/**
 * Normalises each of numGroups channel groups per sample; per-channel affine weight and bias. forward(x, shift)
 * normalizes x + shift, shift (N, C) one value per sample and channel (fused; see ops/norm.ts groupNorm).
 */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly activation: 'none' | 'silu';
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    checkPositiveInt('GroupNorm', 'numGroups', numGroups);
    checkPositiveInt('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) throw new Error(`GroupNorm: numChannels ${numChannels} must be divisible by numGroups ${numGroups}`);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = opts.eps ?? 1e-5;
    this.activation = opts.activation ?? 'none';
    if (this.activation !== 'none' && this.activation !== 'silu') throw new Error(`GroupNorm: activation must be 'none' or 'silu', got '${this.activation}'`);
    const affine = opts.affine ?? true;
    this.weight = affine ? ones_(emptyParam([numChannels], opts)) as Parameter : null;
    this.bias = affine ? emptyParam([numChannels], opts) : null;
  }

  forward(x: Tensor, shift: Tensor | null = null): Tensor {
    if (x.ndim < 2 || x.shape[1] !== this.numChannels) {
      throw new Error(`GroupNorm: expected input (N, ${this.numChannels}, *), got shape ${shapeStr(x.shape)}`);
    }
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps, { activation: this.activation, shift });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight !== null}${this.activation !== 'none' ? `, activation=${this.activation}` : ''}`;
  }
}
