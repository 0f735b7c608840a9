// Conv2d and ConvTranspose2d (zero padding, channel groups), with PyTorch's default initialisation:
// weight ~ kaiming_uniform(a=√5) = U(±1/√fan_in), bias ~ U(±1/√fan_in), where fan_in is weight.shape[1]·kh·kw
// ((cIn/groups)·kh·kw for a convolution, whose weight is (cOut, cIn/groups, kh, kw); (cOut/groups)·kh·kw for a
// transposed one, whose weight is (cIn, cOut/groups, kh, kw)).
import type { Tensor } from '../tensor.ts';
import { conv2d, convTranspose2d } from '../ops/conv.ts';
import { Module, type Parameter } from './module.ts';
import { defaultLayerInit_ } from './init.ts';
import { checkPositiveInt, emptyParam, pair, type FactoryOptions } from './util.ts';

export type IntPair = number | [number, number];

export interface Conv2dOptions extends FactoryOptions {
  stride?: IntPair;
  padding?: IntPair;
  dilation?: IntPair;
  /** Channel groups (default 1); must divide inChannels and outChannels. groups = inChannels is depthwise. */
  groups?: number;
  bias?: boolean;
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: IntPair;
}

abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(layer: string, inChannels: number, outChannels: number, kernelSize: IntPair, transposed: boolean, opts: Conv2dOptions) {
    super();
    checkPositiveInt(layer, 'inChannels', inChannels);
    checkPositiveInt(layer, 'outChannels', outChannels);
    const groups = opts.groups ?? 1;
    checkPositiveInt(layer, 'groups', groups);
    for (const [what, c] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (c % groups !== 0) throw new Error(`${layer}: ${what} ${c} is not divisible by groups = ${groups}`);
    }
    this.groups = groups;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(layer, 'kernelSize', kernelSize);
    this.stride = pair(layer, 'stride', opts.stride ?? 1);
    this.padding = pair(layer, 'padding', opts.padding ?? 0);
    this.dilation = pair(layer, 'dilation', opts.dilation ?? 1);
    for (const [what, v] of [['kernelSize', this.kernelSize], ['stride', this.stride], ['dilation', this.dilation]] as const) {
      if (v[0] < 1 || v[1] < 1) throw new Error(`${layer}: ${what} must be positive, got ${JSON.stringify(v)}`);
    }
    const [kh, kw] = this.kernelSize;
    this.weight = emptyParam(transposed ? [inChannels, outChannels / groups, kh, kw] : [outChannels, inChannels / groups, kh, kw], opts);
    this.bias = (opts.bias ?? true) ? emptyParam([outChannels], opts) : null;
    this.resetParameters(opts);
  }

  resetParameters(opts: FactoryOptions = {}): void {
    defaultLayerInit_(this.weight, this.bias, opts.generator);
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize}), stride=(${this.stride}), padding=(${this.padding})` +
      `${this.dilation.some((d) => d !== 1) ? `, dilation=(${this.dilation})` : ''}${this.groups !== 1 ? `, groups=${this.groups}` : ''}` +
      `${this.bias ? '' : ', bias=False'}`;
  }
}

/** y = x ⋆ W + b for x (N, cIn, H, W) or (cIn, H, W); W (cOut, cIn/groups, kh, kw). */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntPair, opts: Conv2dOptions = {}) {
    super('Conv2d', inChannels, outChannels, kernelSize, false, opts);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/** The adjoint of Conv2d (a "deconvolution"); W (cIn, cOut/groups, kh, kw). */
export class ConvTranspose2d extends ConvNd {
  readonly outputPadding: [number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: IntPair, opts: ConvTranspose2dOptions = {}) {
    super('ConvTranspose2d', inChannels, outChannels, kernelSize, true, opts);
    this.outputPadding = pair('ConvTranspose2d', 'outputPadding', opts.outputPadding ?? 0);
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias,
      { stride: this.stride, padding: this.padding, outputPadding: this.outputPadding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.outputPadding.some((p) => p) ? `, output_padding=(${this.outputPadding})` : '');
  }
}
