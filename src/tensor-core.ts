// The Tensor class itself: a contiguous, row-major typed array plus a shape, and the autograd fields. There are
// no strided views: reshape shares storage, every other movement op copies. That keeps every kernel a simple loop
// over flat memory.
//
// This module imports no op, so every op can import it without a circle. The user-facing methods (x.add(y),
// x.sum(), x.backward(), …) are one-line forwards to the ops; src/tensor.ts installs them on this class, and
// everything above the engine imports Tensor from there. Ops call each other as functions, never as methods.
import type { DType, Shape, Storage } from './backend/types.ts';
import { dtypeOf, shapeStr, sizeOf } from './backend/types.ts';
import type { GradNode } from './autograd.ts';

export type { DType, Shape, Storage };
export type Scalar = number;
export type TensorLike = Tensor | number;

export class Tensor {
  readonly data: Storage;
  readonly shape: readonly number[];
  readonly dtype: DType;
  requiresGrad: boolean;
  /** The accumulated gradient (same shape), filled by backward() for leaves and for retainGrad() tensors. */
  grad: Tensor | null = null;
  /** How this tensor was computed; null for leaves and for results computed without grad. */
  gradFn: GradNode | null = null;
  retainsGrad = false;

  constructor(data: Storage, shape: Shape, requiresGrad = false) {
    const n = sizeOf(shape);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor: invalid shape ${shapeStr(shape)}`);
    }
    if (data.length !== n) throw new Error(`Tensor: shape ${shapeStr(shape)} needs ${n} elements, storage has ${data.length}`);
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    if (requiresGrad && this.dtype === 'int32') throw new Error('Tensor: only float tensors can require gradients');
    this.requiresGrad = requiresGrad;
  }

  get ndim(): number { return this.shape.length; }
  get size(): number { return this.data.length; }
  numel(): number { return this.data.length; }
  get isLeaf(): boolean { return this.gradFn === null; }
  get isFloat(): boolean { return this.dtype !== 'int32'; }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new Error(`item: tensor of shape ${shapeStr(this.shape)} has ${this.data.length} elements, not 1`);
    return this.data[0];
  }

  /** Nested arrays, like torch's tolist(). */
  tolist(): unknown {
    const build = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return this.data[off];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }

  toArray(): number[] { return Array.from(this.data); }

  toString(): string {
    const vals = Array.from(this.data.subarray(0, 8), (v) => +v.toPrecision(5)).join(', ');
    return `Tensor(${shapeStr(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''}: [${vals}${this.size > 8 ? ', …' : ''}])`;
  }

  /** Marks a non-leaf tensor so backward() stores its .grad too. */
  retainGrad(): this { this.retainsGrad = true; return this; }

  requiresGrad_(on = true): this {
    if (on && this.dtype === 'int32') throw new Error('requiresGrad_: only float tensors can require gradients');
    if (!this.isLeaf && !on) throw new Error('requiresGrad_(false): only leaves can stop requiring gradients; use detach()');
    this.requiresGrad = on;
    return this;
  }

  /** A new leaf sharing this storage, cut from the graph. */
  detach(): Tensor { return new Tensor(this.data, this.shape); }
}
