// Pooling and upsampling modules over (N, C, H, W) inputs.
import type { Tensor } from '../tensor.ts';
import { maxPool2d, avgPool2d, upsampleNearest2d, adaptiveAvgPool2d } from '../ops/pool.ts';
import { Module } from './module.ts';
import type { IntPair } from './conv.ts';

export class MaxPool2d extends Module {
  /** stride defaults to kernelSize, as in PyTorch. */
  constructor(readonly kernelSize: IntPair, readonly opts: { stride?: IntPair; padding?: IntPair } = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.opts);
  }

  override extraRepr(): string {
    return `kernel_size=${this.kernelSize}, stride=${this.opts.stride ?? this.kernelSize}, padding=${this.opts.padding ?? 0}`;
  }
}

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: IntPair, readonly opts: { stride?: IntPair; padding?: IntPair; countIncludePad?: boolean } = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.opts);
  }

  override extraRepr(): string {
    return `kernel_size=${this.kernelSize}, stride=${this.opts.stride ?? this.kernelSize}, padding=${this.opts.padding ?? 0}`;
  }
}

/** Global average pooling to 1×1 (the only output size supported). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: 1 | [1, 1] = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}

/** Upsampling by integer scale factors; only mode 'nearest' is supported. */
export class Upsample extends Module {
  readonly scaleFactor: IntPair;
  readonly mode: 'nearest';

  constructor(opts: { scaleFactor: IntPair; mode?: 'nearest' }) {
    super();
    if ((opts.mode ?? 'nearest') !== 'nearest') throw new Error(`Upsample: only mode 'nearest' is supported, got '${opts.mode}'`);
    this.scaleFactor = opts.scaleFactor;
    this.mode = 'nearest';
  }

  forward(x: Tensor): Tensor {
    return upsampleNearest2d(x, this.scaleFactor);
  }

  override extraRepr(): string {
    return `scale_factor=${this.scaleFactor}, mode='nearest'`;
  }
}
