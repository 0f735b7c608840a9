// Linear (torch.nn.Linear), Identity and Flatten. The op y = x·Wᵀ + b itself is F.linear (src/ops/linear.ts).
import type { Tensor } from '../tensor.ts';
import { flatten } from '../ops/shape.ts';
import { linear } from '../ops/linear.ts';
import { Module, type Parameter } from './module.ts';
import { defaultLayerInit_ } from './init.ts';
import { checkPositiveInt, emptyParam, type FactoryOptions } from './util.ts';

// rnn.ts still imports linear from here; it goes once the LSTM recurrence moves into ops/
export { linear };

export interface LinearOptions extends FactoryOptions {
  bias?: boolean;
}

/** y = x·Wᵀ + b. W (out, in) ~ kaiming_uniform(a=√5), i.e. U(±1/√in); b ~ U(±1/√in), PyTorch's defaults. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkPositiveInt('Linear', 'inFeatures', inFeatures);
    checkPositiveInt('Linear', 'outFeatures', outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = emptyParam([outFeatures, inFeatures], opts);
    this.bias = (opts.bias ?? true) ? emptyParam([outFeatures], opts) : null;
    this.resetParameters(opts);
  }

  resetParameters(opts: FactoryOptions = {}): void {
    defaultLayerInit_(this.weight, this.bias, opts.generator);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Returns its input. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens dims startDim..endDim (default: all but the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
