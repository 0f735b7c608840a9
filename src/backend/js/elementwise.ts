import type { ElementwiseKernels, UnaryOp, BinaryOp } from '../kernels/elementwise.ts';
import type { Shape } from '../types.ts';
import { broadcastStrides, sameShape, sizeOf } from '../types.ts';

/** erf(x) with |error| < 1.2e-7 (A&S 7.1.26's 1.5e-7 is similar; this form stays accurate in the tails). */
export function erf(x: number): number {
  // erf(x) = 1 − erfc(x); erfc from Numerical Recipes' Chebyshev fit, |error| < 1.2e-7.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

/** σ(x) = 1/(1+e^−x), written so neither branch overflows. */
function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

function unaryFn(op: UnaryOp, a: number, b: number): (x: number) => number {
  switch (op) {
    case 'neg': return (x) => -x;
    case 'exp': return Math.exp;
    case 'log': return Math.log;
    case 'sqrt': return Math.sqrt;
    case 'rsqrt': return (x) => 1 / Math.sqrt(x);
    case 'abs': return Math.abs;
    case 'sign': return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case 'reciprocal': return (x) => 1 / x;
    case 'square': return (x) => x * x;
    case 'sin': return Math.sin;
    case 'cos': return Math.cos;
    case 'tanh': return Math.tanh;
    case 'sigmoid': return sigmoid;
    case 'relu': return (x) => (x > 0 ? x : 0);
    case 'leakyRelu': return (x) => (x > 0 ? x : a * x);
    case 'elu': return (x) => (x > 0 ? x : a * (Math.exp(x) - 1));
    // gelu(x) = x·Φ(x) = ½x(1 + erf(x/√2)) — PyTorch's default (exact) form.
    case 'gelu': return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'silu': return (x) => x / (1 + Math.exp(-x));
    // softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^−|x|)
    case 'softplus': return (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    case 'powScalar': return (x) => Math.pow(x, a);
    case 'clamp': return (x) => (x < a ? a : x > b ? b : x);
  }
}

/** f'(x) given x and y = f(x). */
function unaryDerivative(op: UnaryOp, a: number, b: number): (x: number, y: number) => number {
  switch (op) {
    case 'neg': return () => -1;
    case 'exp': return (_x, y) => y;
    case 'log': return (x) => 1 / x;
    case 'sqrt': return (_x, y) => 0.5 / y;
    case 'rsqrt': return (_x, y) => -0.5 * y * y * y;
    case 'abs': return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case 'sign': return () => 0;
    case 'reciprocal': return (_x, y) => -y * y;
    case 'square': return (x) => 2 * x;
    case 'sin': return Math.cos;
    case 'cos': return (x) => -Math.sin(x);
    case 'tanh': return (_x, y) => 1 - y * y;
    case 'sigmoid': return (_x, y) => y * (1 - y);
    case 'relu': return (x) => (x > 0 ? 1 : 0);
    case 'leakyRelu': return (x) => (x > 0 ? 1 : a);
    case 'elu': return (x, y) => (x > 0 ? 1 : y + a);
    // d/dx xΦ(x) = Φ(x) + x·φ(x)
    case 'gelu': return (x) => 0.5 * (1 + erf(x / Math.SQRT2)) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    // d/dx x·σ(x) = σ(x)(1 + x(1 − σ(x)))
    case 'silu': return (x) => { const s = sigmoid(x); return s * (1 + x * (1 - s)); };
    // d/dx log(1 + e^x) = σ(x)
    case 'softplus': return sigmoid;
    case 'powScalar': return (x) => a * Math.pow(x, a - 1);
    case 'clamp': return (x) => (x < a || x > b ? 0 : 1);
  }
}

function binaryFn(op: BinaryOp): (x: number, y: number) => number {
  switch (op) {
    case 'add': return (x, y) => x + y;
    case 'sub': return (x, y) => x - y;
    case 'mul': return (x, y) => x * y;
    case 'div': return (x, y) => x / y;
    case 'pow': return Math.pow;
    case 'maximum': return (x, y) => (x >= y || Number.isNaN(x) ? x : y);
    case 'minimum': return (x, y) => (x <= y || Number.isNaN(x) ? x : y);
    case 'gt': return (x, y) => (x > y ? 1 : 0);
    case 'ge': return (x, y) => (x >= y ? 1 : 0);
    case 'lt': return (x, y) => (x < y ? 1 : 0);
    case 'le': return (x, y) => (x <= y ? 1 : 0);
    case 'eq': return (x, y) => (x === y ? 1 : 0);
    case 'ne': return (x, y) => (x !== y ? 1 : 0);
  }
}

/**
 * Walks every index of `shape` in row-major order, calling visit(outIndex, offsets...) with the flat offset into
 * each operand (operands read with their own strides, 0 on broadcast axes). The innermost axis runs as a tight loop.
 */
function forEachBroadcast(shape: Shape, strides: number[][], inner: (base: number[], n: number, steps: number[]) => void): void {
  const nd = shape.length;
  const k = strides.length;
  if (nd === 0) { inner(new Array(k).fill(0), 1, new Array(k).fill(0)); return; }
  const last = shape[nd - 1];
  const steps = strides.map((s) => s[nd - 1]);
  const outer = sizeOf(shape) / last;
  const idx = new Array<number>(nd - 1).fill(0);
  const base = new Array<number>(k).fill(0);
  for (let o = 0; o < outer; o++) {
    inner(base, last, steps);
    // increment the multi-index over the outer axes and update each operand's base offset
    for (let ax = nd - 2; ax >= 0; ax--) {
      idx[ax]++;
      for (let j = 0; j < k; j++) base[j] += strides[j][ax];
      if (idx[ax] < shape[ax]) break;
      for (let j = 0; j < k; j++) base[j] -= strides[j][ax] * shape[ax];
      idx[ax] = 0;
    }
  }
}

export const elementwise: ElementwiseKernels = {
  unary(op, x, out, a, b) {
    const n = x.length;
    switch (op) { // hot cases inlined; the rest go through a closure
      case 'relu': for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v > 0 ? v : 0; } return;
      case 'neg': for (let i = 0; i < n; i++) out[i] = -x[i]; return;
      case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]); return;
      default: { const f = unaryFn(op, a, b); for (let i = 0; i < n; i++) out[i] = f(x[i]); }
    }
  },
  unaryGrad(op, x, y, gy, gx, a, b) {
    const n = x.length;
    if (op === 'relu') { for (let i = 0; i < n; i++) gx[i] = x[i] > 0 ? gy[i] : 0; return; }
    const d = unaryDerivative(op, a, b);
    for (let i = 0; i < n; i++) gx[i] = gy[i] * d(x[i], y[i]);
  },
  binary(op, a, aShape, b, bShape, out, outShape) {
    const n = out.length;
    if (sameShape(aShape, bShape)) {
      switch (op) {
        case 'add': for (let i = 0; i < n; i++) out[i] = a[i] + b[i]; return;
        case 'sub': for (let i = 0; i < n; i++) out[i] = a[i] - b[i]; return;
        case 'mul': for (let i = 0; i < n; i++) out[i] = a[i] * b[i]; return;
        case 'div': for (let i = 0; i < n; i++) out[i] = a[i] / b[i]; return;
        default: { const f = binaryFn(op); for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]); return; }
      }
    }
    const f = binaryFn(op);
    if (b.length === 1) { const s = b[0]; for (let i = 0; i < n; i++) out[i] = f(a[i], s); return; }
    if (a.length === 1) { const s = a[0]; for (let i = 0; i < n; i++) out[i] = f(s, b[i]); return; }
    const sa = broadcastStrides(aShape, outShape);
    const sb = broadcastStrides(bShape, outShape);
    let o = 0;
    forEachBroadcast(outShape, [sa, sb], (base, len, steps) => {
      let ia = base[0], ib = base[1];
      const da = steps[0], db = steps[1];
      for (let i = 0; i < len; i++, ia += da, ib += db) out[o++] = f(a[ia], b[ib]);
    });
  },
  where(cond, cShape, a, aShape, b, bShape, out, outShape) {
    const sc = broadcastStrides(cShape, outShape);
    const sa = broadcastStrides(aShape, outShape);
    const sb = broadcastStrides(bShape, outShape);
    let o = 0;
    forEachBroadcast(outShape, [sc, sa, sb], (base, len, steps) => {
      let ic = base[0], ia = base[1], ib = base[2];
      for (let i = 0; i < len; i++, ic += steps[0], ia += steps[1], ib += steps[2]) out[o++] = cond[ic] !== 0 ? a[ia] : b[ib];
    });
  },
};

export { forEachBroadcast };
