// Scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention) as one op with a hand-written
// backward. Per attention matrix (every leading index):
//   forward:  S = Q·Kᵀ;  P = softmax(scale·S + bias, masked → weight 0);  P' = P ⊙ keep (dropout);  O = P'·V
//   backward: dV = P'ᵀ·dO;  dP' = dO·Vᵀ;  dS = scale · P ⊙ (dP'⊙keep − rowsum(dP'⊙keep ⊙ P));  dQ = dS·K;  dK = dSᵀ·Q
// The four products are batched GEMM kernel calls with transpose flags (no transposed copies); scale, bias, masks and
// softmax are ONE fused kernel (attentionSoftmax), and so is its backward.
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import type { AttentionSoftmaxParams } from '../backend/kernels/attention.ts';
import { allocate, empty, shapeStr, sizeOf, type FloatArray } from '../backend/types.ts';
import { defaultGenerator, type Generator } from '../random.ts';
import { reshape } from './shape.ts';
import { fillDropoutMask } from './dropout.ts';

export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcastable to (…, L, S). A FLOAT mask (q's dtype) is added to the scaled scores and is differentiable
   * (torch's float attn_mask; −∞ entries mask). An INT32 mask is boolean as torch's bool attn_mask: non-zero =
   * this query may attend to this key, zero = masked.
   */
  attnMask?: Tensor | null;
  /** (B, S) for 4-D inputs, (N, S) for 3-D, (S) for 2-D, any dtype: non-zero = that key is padding, ignored. */
  keyPaddingMask?: Tensor | null;
  /** Mask key j > query i (torch's is_causal: top-left aligned). Combines with the other masks. */
  isCausal?: boolean;
  /** Dropout on the attention weights (always applied when > 0, as in torch's functional op). */
  dropoutP?: number;
  /** Multiplies q·kᵀ; default 1/√E. */
  scale?: number;
  /** Source of the dropout draws (default: the global generator). */
  generator?: Generator;
}

/**
 * The (d0, d1, rows, cols) matrices of one operand inside inputs[slot].data: matrix (a, b) starts at element
 * offset + a·s0 + b·s1 and its rows are ld apart. Defaults: a contiguous block (ld = cols, s1 = rows·cols,
 * s0 = d1·s1). Strides let heads be read in place from a packed (batch·len, 3·heads·headDim) projection.
 */
export interface AttentionOperand { slot: number; offset: number; ld?: number; s0?: number; s1?: number }

/** Where attentionCore writes its output: a tensor of `shape` holding matrix (a, b) at a·s0 + b·s1, rows ld apart. */
export interface AttentionOutLayout { shape: number[]; ld: number; s0: number; s1: number }

/** Everything attentionCore needs besides the operands: sizes, scale, masks (with their strides) and dropout. */
export interface AttentionSpec {
  /** G = d0·d1 attention matrices of L queries × S keys; q and k rows have E features, v rows Ev. */
  d0: number; d1: number; L: number; S: number; E: number; Ev: number;
  scale: number;
  causal: boolean;
  /** Additive float bias (differentiable) read through biasStrides over (d0, d1, L, S); strides as in the kernel. */
  bias: Tensor | null; biasStrides: number[];
  mask: Tensor | null; maskStrides: number[]; maskKeepsNonZero: boolean;
  padding: Tensor | null; paddingStrides: number[];
  dropoutP: number; generator: Generator;
  /** Also return the (post-dropout) weights (d0, d1, L, S), differentiable. */
  needWeights: boolean;
  /** Output layout; must cover every element of the shape (default: contiguous (d0, d1, L, Ev)). */
  out?: AttentionOutLayout;
}

const NO_STRIDES = [0, 0, 0, 0];

/**
 * Attention over operands living in `inputs` (the tensors the graph records; q, k and v may share one, as disjoint
 * blocks: MultiheadAttention passes its packed projection). Returns [out (d0, d1, L, Ev), weights or null].
 */
export function attentionCore(op: string, inputs: Tensor[], q: AttentionOperand, k: AttentionOperand, v: AttentionOperand,
  sp: AttentionSpec): [Tensor, Tensor | null] {
  const { d0, d1, L, S, E, Ev, scale } = sp;
  const G = d0 * d1, nP = G * L * S, dtype = inputs[q.slot].dtype;
  const be = backend();
  // an operand's matrices as matmul sees them: the data from the first matrix on, and the batch layout of the
  // strided operand (X = A, B or C; inner batch index = d1)
  const view = (o: AttentionOperand) => (inputs[o.slot].data as FloatArray).subarray(o.offset);
  type Lay = { ld: number; s0: number; s1: number };
  const lay = (o: { ld?: number; s0?: number; s1?: number }, rows: number, cols: number): Lay => {
    const ld = o.ld ?? cols, s1 = o.s1 ?? rows * cols;
    return { ld, s1, s0: o.s0 ?? d1 * s1 };
  };
  const asA = (l: Lay) => ({ lda: l.ld, strideA: l.s1, outerStrideA: l.s0 });
  const asB = (l: Lay) => ({ ldb: l.ld, strideB: l.s1, outerStrideB: l.s0 });
  const asC = (l: Lay) => ({ ldc: l.ld, strideC: l.s1, outerStrideC: l.s0 });
  const Q = view(q), K = view(k), V = view(v);
  const lQ = lay(q, L, E), lK = lay(k, S, E), lV = lay(v, S, Ev);
  const outLay = sp.out ?? { shape: [d0, d1, L, Ev], ...lay({}, L, Ev) };
  const params: AttentionSoftmaxParams = {
    d0, d1, L, S, scale, causal: sp.causal, maskKeepsNonZero: sp.maskKeepsNonZero,
    biasStrides: sp.bias ? sp.biasStrides : NO_STRIDES, maskStrides: sp.mask ? sp.maskStrides : NO_STRIDES,
    paddingStrides: sp.padding ? sp.paddingStrides : NO_STRIDES,
  };

  // S = Q·Kᵀ, then P = softmax(scale·S + bias, masks) in place
  const P = empty(dtype, nP) as FloatArray;
  be.matmul(Q, K, P, { batch: G, inner: d1, m: L, n: S, k: E, transA: false, transB: true, ...asA(lQ), ...asB(lK), beta: 0 });
  be.attentionSoftmax(P, P, sp.bias ? sp.bias.data as FloatArray : null, sp.mask?.data ?? null, sp.padding?.data ?? null, params);
  let keep: FloatArray | null = null, Pd = P;
  if (sp.dropoutP > 0) {
    // inverted dropout, with F.dropout's draws
    keep = empty(dtype, nP) as FloatArray;
    fillDropoutMask(keep, sp.dropoutP, sp.generator);
    Pd = empty(dtype, nP) as FloatArray;
    be.binary('mul', P, [nP], keep, [nP], Pd, [nP]);
  }
  const out = new Tensor(empty(dtype, sizeOf(outLay.shape)), outLay.shape);
  be.matmul(Pd, V, out.data as FloatArray, { batch: G, inner: d1, m: L, n: Ev, k: S, transA: false, transB: false, strideA: L * S, ...asB(lV), ...asC(outLay), beta: 0 });

  const biasSlot = sp.bias ? inputs.length : -1;
  const recorded = sp.bias ? [...inputs, sp.bias] : inputs;

  /** Gradients of every recorded input from dO (the output's gradient) or dW (the weights' gradient). */
  const backward = (dO: FloatArray | null, dW: FloatArray | null): (Tensor | null)[] => {
    const wantQ = inputs[q.slot].requiresGrad, wantK = inputs[k.slot].requiresGrad, wantV = dO !== null && inputs[v.slot].requiresGrad;
    const wantBias = sp.bias !== null && sp.bias.requiresGrad;
    const grads: (Tensor | null)[] = recorded.map(() => null);
    // one gradient buffer per slot: uninitialized when the blocks written tile it, else zeros
    const written = inputs.map(() => 0);
    if (wantQ) written[q.slot] += G * L * E;
    if (wantK) written[k.slot] += G * S * E;
    if (wantV) written[v.slot] += G * S * Ev;
    const gradView = (o: AttentionOperand): FloatArray => {
      const t = inputs[o.slot];
      grads[o.slot] ??= new Tensor(written[o.slot] === t.size ? empty(dtype, t.size) : allocate(dtype, t.size), t.shape);
      return (grads[o.slot]!.data as FloatArray).subarray(o.offset);
    };
    let dPd: FloatArray;
    if (dO) {
      if (wantV) { // dV = P'ᵀ·dO
        be.matmul(Pd, dO, gradView(v), { batch: G, inner: d1, m: S, n: Ev, k: L, transA: true, transB: false, strideA: L * S, ...asB(outLay), ...asC(lV), beta: 0 });
      }
      if (!wantQ && !wantK && !wantBias) return grads;
      dPd = empty(dtype, nP) as FloatArray; // dP' = dO·Vᵀ
      be.matmul(dO, V, dPd, { batch: G, inner: d1, m: L, n: S, k: Ev, transA: false, transB: true, ...asA(outLay), ...asB(lV), beta: 0 });
    } else dPd = dW!;
    const dS = dO ? dPd : empty(dtype, nP) as FloatArray; // the kernel may write over its own gradient buffer
    if (wantBias) { // ∂L/∂bias = Σ over the broadcast axes of the unscaled dS
      const raw = empty(dtype, nP) as FloatArray;
      be.attentionSoftmaxBackward(P, dPd, keep, raw, G * L, S, 1);
      grads[biasSlot] = scatterByStrides(raw, sp.bias!, sp.biasStrides, d0, d1, L, S);
    }
    if (!wantQ && !wantK) return grads;
    be.attentionSoftmaxBackward(P, dPd, keep, dS, G * L, S, scale);
    if (wantQ) { // dQ = dS·K
      be.matmul(dS, K, gradView(q), { batch: G, inner: d1, m: L, n: E, k: S, transA: false, transB: false, strideA: L * S, ...asB(lK), ...asC(lQ), beta: 0 });
    }
    if (wantK) { // dK = dSᵀ·Q
      be.matmul(dS, Q, gradView(k), { batch: G, inner: d1, m: S, n: E, k: L, transA: true, transB: false, strideA: L * S, ...asB(lQ), ...asC(lK), beta: 0 });
    }
    return grads;
  };

  const res = record(op, out, recorded, (g) => backward(g.data as FloatArray, null));
  if (!sp.needWeights) return [res, null];
  // the weights are a second output: their own graph node, whose gradient flows back through softmax only
  const weights = record(`${op} weights`, new Tensor(Pd, [d0, d1, L, S]), recorded, (g) => backward(null, g.data as FloatArray));
  return [res, weights];
}

/** g (bias shape) with g[a·s0 + b·s1 + i·si + j·sj] += x[a, b, i, j]: the sum over the axes the bias broadcasts. */
function scatterByStrides(x: FloatArray, bias: Tensor, st: number[], d0: number, d1: number, L: number, S: number): Tensor {
  const g = new Tensor(allocate(bias.dtype, bias.size), bias.shape);
  const gd = g.data;
  let idx = 0;
  for (let a = 0; a < d0; a++) for (let b = 0; b < d1; b++) for (let i = 0; i < L; i++) {
    const o = a * st[0] + b * st[1] + i * st[2];
    for (let j = 0; j < S; j++) gd[o + j * st[3]] += x[idx++];
  }
  return g;
}

/** Element strides reading a contiguous tensor of `shape` (≤ 4 axes) right-aligned to 4 axes; size-1 axes broadcast (0). */
export function broadcastStrides4(shape: readonly number[]): number[] {
  const s = [0, 0, 0, 0];
  let acc = 1;
  for (let i = 1; i <= shape.length; i++) {
    const d = shape[shape.length - i];
    s[4 - i] = d === 1 ? 0 : acc;
    acc *= d;
  }
  return s;
}

/**
 * softmax(q·kᵀ·scale + attnMask)·v for q (…, L, E), k (…, S, E), v (…, S, Ev) → (…, L, Ev), with 0 to 2 leading
 * axes of equal sizes (torch.nn.functional.scaled_dot_product_attention; masks and options are described on
 * ScaledDotProductAttentionOptions). Unlike torch, a row whose every key is masked by a boolean mask, the padding
 * mask or isCausal gets uniform weights instead of NaN (masked scores are the most negative float32, not −∞).
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: ScaledDotProductAttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  const desc = () => `q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)}, v ${shapeStr(v.shape)}`;
  for (const t of [q, k, v]) if (t.dtype === 'int32') throw new Error(`${op}: q, k and v must be float tensors, got int32 (${desc()})`);
  if (q.dtype !== k.dtype || q.dtype !== v.dtype) throw new Error(`${op}: dtype mismatch, ${q.dtype} q, ${k.dtype} k, ${v.dtype} v (${desc()})`);
  const nd = q.ndim;
  if (nd < 2 || nd > 4 || k.ndim !== nd || v.ndim !== nd) throw new Error(`${op}: q, k and v must all be 2-D to 4-D (…, L, E) with the same rank, got ${desc()}`);
  const lead = q.shape.slice(0, -2);
  for (const t of [k, v]) if (t.shape.slice(0, -2).some((d, i) => d !== lead[i])) throw new Error(`${op}: leading (batch) dimensions differ: ${desc()}`);
  const [L, E] = q.shape.slice(-2), [S, Ek] = k.shape.slice(-2), [Sv, Ev] = v.shape.slice(-2);
  if (Ek !== E) throw new Error(`${op}: q and k must have the same last dimension, got ${desc()}`);
  if (Sv !== S) throw new Error(`${op}: k and v must have the same length (dim −2), got ${desc()}`);
  const [d0, d1] = nd === 4 ? lead : nd === 3 ? [1, lead[0]] : [1, 1];

  const dropoutP = opts.dropoutP ?? 0;
  if (!(dropoutP >= 0 && dropoutP <= 1)) throw new Error(`${op}: dropoutP must be in [0, 1], got ${dropoutP} (${desc()})`);
  const scale = opts.scale ?? 1 / Math.sqrt(E);
  if (!Number.isFinite(scale)) throw new Error(`${op}: scale must be a finite number, got ${scale} (${desc()})`);

  const am = opts.attnMask ?? null;
  let bias: Tensor | null = null, mask: Tensor | null = null, amStrides = NO_STRIDES;
  if (am) {
    const full = [...lead, L, S];
    if (am.ndim > nd || am.shape.some((d, i) => d !== 1 && d !== full[nd - am.ndim + i])) {
      throw new Error(`${op}: attnMask ${shapeStr(am.shape)} does not broadcast to ${shapeStr(full)} (${desc()})`);
    }
    if (am.dtype !== 'int32' && am.dtype !== q.dtype) throw new Error(`${op}: a float attnMask must be ${q.dtype} like q, got ${am.dtype} (${desc()})`);
    amStrides = broadcastStrides4(am.shape);
    if (am.dtype === 'int32') mask = am; else bias = am;
  }
  const kpm = opts.keyPaddingMask ?? null;
  if (kpm) {
    const want = nd === 2 ? [S] : [lead[0], S];
    if (kpm.ndim !== want.length || kpm.shape.some((d, i) => d !== want[i])) {
      throw new Error(`${op}: keyPaddingMask must be ${shapeStr(want)}, got ${shapeStr(kpm.shape)} (${desc()})`);
    }
  }
  const paddingStrides = nd === 4 ? [S, 0, 0, 1] : nd === 3 ? [0, S, 0, 1] : [0, 0, 0, 1];

  const [out] = attentionCore(op, [q, k, v], { slot: 0, offset: 0 }, { slot: 1, offset: 0 }, { slot: 2, offset: 0 }, {
    d0, d1, L, S, E, Ev, scale, causal: opts.isCausal ?? false,
    bias, biasStrides: amStrides, mask, maskStrides: amStrides, maskKeepsNonZero: true, padding: kpm, paddingStrides,
    dropoutP, generator: opts.generator ?? defaultGenerator, needWeights: false,
  });
  return reshape(out, [...lead, L, Ev]); // (d0, d1, L, Ev) → q's leading axes
}
