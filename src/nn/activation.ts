// Activation modules: thin wrappers over the elementwise and softmax ops.
import type { Tensor } from '../tensor.ts';
import * as E from '../ops/elementwise.ts';
import { softmax, logSoftmax } from '../ops/softmax.ts';
import { Module } from './module.ts';

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return E.relu(x); }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return E.leakyRelu(x, this.negativeSlope); }
  override extraRepr(): string { return `negative_slope=${this.negativeSlope}`; }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  forward(x: Tensor): Tensor { return E.elu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${this.alpha}`; }
}

/** The exact (erf) GELU, PyTorch's default. */
export class GELU extends Module {
  forward(x: Tensor): Tensor { return E.gelu(x); }
}

export class SiLU extends Module {
  forward(x: Tensor): Tensor { return E.silu(x); }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor { return E.tanh(x); }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return E.sigmoid(x); }
}

export class Softplus extends Module {
  forward(x: Tensor): Tensor { return E.softplus(x); }
}

export class Softmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return softmax(x, this.dim); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

export class LogSoftmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return logSoftmax(x, this.dim); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}
