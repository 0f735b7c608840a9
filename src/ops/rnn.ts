// The three fused recurrences behind nn.LSTM, nn.GRU and nn.RNN. Each runs one direction of one layer over
// precomputed input projections gx (T, B, G·H) (= x_t·W_ihᵀ + b_ih for every t, one GEMM outside) as ONE autograd
// op: per step one GEMM h_{t−1}·W_hhᵀ and one cell kernel; the backward is hand-written BPTT, per step one cell
// kernel and one GEMM for ∂h_{t−1}, then one or two GEMMs in total for ∂W_hh. With `reverse` the steps run from
// the last time position to the first (the backward direction of a bidirectional layer); outputs stay indexed by
// time position. Gate orders are PyTorch's: LSTM [i, f, g, o], GRU [r, z, n].
//
// BPTT, in general: with s_t = cell(gx_t + h_{t−1}·W_hhᵀ, s_{t−1}), the gradient flowing into step t is the
// output's gradient at t plus the gradient step t + 1 sends back through h_t, so the steps run in reverse and
// ∂W_hh = Σ_t ∂z_tᵀ·h_{t−1} (∂z_t = the gradient of the step's pre-activations).
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend, type Backend } from '../backend/index.ts';
import { empty, shapeStr, type FloatArray } from '../backend/types.ts';

/** Checks dtypes and shapes; returns [T, B, H]. `gates` is G (4 LSTM, 3 GRU, 1 RNN). */
function checkRecurrence(op: string, gates: number, gx: Tensor, whh: Tensor, bhh: Tensor | null, states: Tensor[]): [number, number, number] {
  const desc = () => `gx ${shapeStr(gx.shape)}, W_hh ${shapeStr(whh.shape)}, ${states.map((s, i) => `${['h0', 'c0'][i]} ${shapeStr(s.shape)}`).join(', ')}` +
    `${bhh ? `, b_hh ${shapeStr(bhh.shape)}` : ''}`;
  for (const t of [gx, whh, bhh, ...states]) {
    if (t && (t.dtype === 'int32' || t.dtype !== gx.dtype)) throw new Error(`${op}: expected float tensors of one dtype (${desc()})`);
  }
  if (gx.ndim !== 3 || whh.ndim !== 2) throw new Error(`${op}: expected gx (T, B, ${gates > 1 ? gates : ''}H) and W_hh (${gates > 1 ? gates : ''}H, H), got ${desc()}`);
  const [T, B, HG] = gx.shape;
  const H = whh.shape[1];
  if (HG !== gates * H || whh.shape[0] !== gates * H) throw new Error(`${op}: gate sizes disagree (${desc()})`);
  const names = states.length === 2 ? 'h0 and c0' : 'h0';
  for (const s of states) if (s.ndim !== 2 || s.shape[0] !== B || s.shape[1] !== H) throw new Error(`${op}: ${names} must be (${B}, ${H}) (${desc()})`);
  if (bhh && (bhh.ndim !== 1 || bhh.shape[0] !== HG)) throw new Error(`${op}: b_hh must be (${HG}) (${desc()})`);
  if (T === 0) throw new Error(`${op}: empty sequence (${desc()})`);
  return [T, B, H];
}

/** y (m, n) = x (m, k)·Wᵀ (W (n, k)) + beta·y. */
function mmT(be: Backend, x: FloatArray, w: FloatArray, y: FloatArray, m: number, n: number, k: number, beta: number): void {
  be.matmul(x, w, y, { batch: 1, m, n, k, transA: false, transB: true, strideA: 0, strideB: 0, beta });
}
/** y (m, n) = g (m, k)·W (W (k, n)) + beta·y: a gradient back through mmT. */
function mm(be: Backend, g: FloatArray, w: FloatArray, y: FloatArray, m: number, n: number, k: number, beta: number): void {
  be.matmul(g, w, y, { batch: 1, m, n, k, transA: false, transB: false, strideA: 0, strideB: 0, beta });
}

/**
 * ∂W_hh (G·H, H) = Σ_p ∂z_pᵀ·h_{p−1} over the processing steps p, where ∂z is stored by time position (T, B, G·H)
 * and hs holds h by time position (T, B, H). The first step pairs with h0; in a forward pass the rest pair
 * rows 1…T−1 of ∂z with rows 0…T−2 of hs, in a reverse one rows 0…T−2 with rows 1…T−1.
 */
function recurrentWeightGrad(be: Backend, dz: FloatArray, hs: FloatArray, h0: FloatArray, gw: FloatArray, T: number, B: number, H: number, G: number, reverse: boolean): void {
  const BH = B * H, BG = B * G * H;
  const t0 = reverse ? T - 1 : 0;
  be.matmul(dz.subarray(t0 * BG, (t0 + 1) * BG), h0, gw, { batch: 1, m: G * H, n: H, k: B, transA: true, transB: false, strideA: 0, strideB: 0, beta: 0 });
  if (T === 1) return;
  const gRows = reverse ? dz.subarray(0, (T - 1) * BG) : dz.subarray(BG, T * BG);
  const hRows = reverse ? hs.subarray(BH, T * BH) : hs.subarray(0, (T - 1) * BH);
  be.matmul(gRows, hRows, gw, { batch: 1, m: G * H, n: H, k: (T - 1) * B, transA: true, transB: false, strideA: 0, strideB: 0, beta: 1 });
}

/**
 * The LSTM recurrence over precomputed input projections gx (T, B, 4H) (= x_t·W_ihᵀ + b_ih), with
 * W_hh (4H, H), optional b_hh (4H), and initial state h0, c0 (B, H). Per step (in `reverse` order when asked):
 *   [i, f, g, o] = [σ, σ, tanh, σ](gx_t + b_hh + h_{t−1}·W_hhᵀ)
 *   c_t = f·c_{t−1} + i·g,   h_t = o·tanh(c_t)
 * Returns one packed tensor (T + 1, B, H): rows 0…T−1 are h_t at each time position, row T is the final c.
 * (Packed because an autograd node has one output.)
 */
export function lstmRecurrence(gx: Tensor, whh: Tensor, bhh: Tensor | null, h0: Tensor, c0: Tensor, reverse = false): Tensor {
  const [T, B, H] = checkRecurrence('lstmRecurrence', 4, gx, whh, bhh, [h0, c0]);
  const be = backend();
  const dtype = gx.dtype;
  const H4 = 4 * H, BH = B * H, BG = B * H4;
  const W = whh.data as FloatArray;
  const out = new Tensor(empty(dtype, (T + 1) * BH), [T + 1, B, H]); // h at every time position, then c_T
  const hs = out.data as FloatArray;
  // pre-activations gx_t, to which each step adds h_{t−1}·W_hhᵀ; the cell kernel turns them into the gate
  // activations [i, f, g, o] the backward pass reads (by time position)
  const acts = empty(dtype, T * BG) as FloatArray;
  acts.set(gx.data as FloatArray);
  const cs = empty(dtype, T * BH) as FloatArray; // c_t by time position
  const bd = bhh ? bhh.data as FloatArray : null;
  const time = (p: number) => (reverse ? T - 1 - p : p); // processing step p works on time position time(p)
  let hPrev = h0.data as FloatArray, cPrev = c0.data as FloatArray;
  for (let p = 0; p < T; p++) {
    const t = time(p);
    const a = acts.subarray(t * BG, (t + 1) * BG);
    mmT(be, hPrev, W, a, B, H4, H, 1);
    const c = cs.subarray(t * BH, (t + 1) * BH), h = hs.subarray(t * BH, (t + 1) * BH);
    be.lstmCellForward(a, bd, cPrev, c, h, B, H);
    hPrev = h; cPrev = c;
  }
  hs.set(cPrev, T * BH);

  const inputs = bhh ? [gx, whh, h0, c0, bhh] : [gx, whh, h0, c0];
  return record('lstmRecurrence', out, inputs, (gOut) => {
    const go = gOut.data as FloatArray;
    const dGates = new Tensor(empty(dtype, T * BG), gx.shape); // every step writes its rows
    const dg = dGates.data as FloatArray;
    const dhNext = empty(dtype, BH) as FloatArray; // ∂L/∂h_{t−1} through W_hh; the first matmul writes it
    const dcNext = (go.slice(T * BH, (T + 1) * BH)) as FloatArray; // ∂L/∂c_T, then ∂L/∂c_{t−1} step by step
    const c0d = c0.data as FloatArray;
    for (let p = T - 1; p >= 0; p--) {
      const t = time(p);
      const a = acts.subarray(t * BG, (t + 1) * BG), d = dg.subarray(t * BG, (t + 1) * BG);
      const c = cs.subarray(t * BH, (t + 1) * BH);
      const cp = p > 0 ? cs.subarray(time(p - 1) * BH, (time(p - 1) + 1) * BH) : c0d;
      // ∂L/∂h_t = the output's gradient at t + the recurrent one (none at the last step)
      be.lstmCellBackward(a, c, cp, go.subarray(t * BH, (t + 1) * BH), p < T - 1 ? dhNext : null, dcNext, d, B, H);
      // ∂h_{t−1} = ∂gates_t·W_hh (at the first step that is ∂h0, needed only when h0 wants a gradient)
      if (p > 0 || h0.requiresGrad) mm(be, d, W, dhNext, B, H, H4, 0);
    }
    let gW: Tensor | null = null, gb: Tensor | null = null;
    if (whh.requiresGrad) {
      gW = new Tensor(empty(dtype, whh.size), whh.shape);
      recurrentWeightGrad(be, dg, hs, h0.data as FloatArray, gW.data as FloatArray, T, B, H, 4, reverse);
    }
    if (bhh && bhh.requiresGrad) {
      gb = new Tensor(empty(dtype, H4), bhh.shape);
      be.reduce('sum', dg, 1, T * B, H4, gb.data);
    }
    const gh0 = h0.requiresGrad ? new Tensor(dhNext, h0.shape) : null;
    const gc0 = c0.requiresGrad ? new Tensor(dcNext, c0.shape) : null;
    return bhh ? [dGates, gW, gh0, gc0, gb] : [dGates, gW, gh0, gc0];
  });
}

/**
 * The plain (Elman) RNN recurrence over gx (T, B, H) (= x_t·W_ihᵀ + b_ih), with W_hh (H, H), optional b_hh (H)
 * and initial state h0 (B, H). Per step (in `reverse` order when asked):
 *   h_t = act(gx_t + b_hh + h_{t−1}·W_hhᵀ),   act = tanh or relu
 * Backward: ∂z_t = (∂L/∂h_t)·act'(z_t) (1 − h_t² for tanh, [h_t > 0] for relu), ∂h_{t−1} += ∂z_t·W_hh.
 * Returns h_t at every time position (T, B, H); the final state is row T − 1 (row 0 when reverse).
 */
export function rnnRecurrence(gx: Tensor, whh: Tensor, bhh: Tensor | null, h0: Tensor, nonlinearity: 'tanh' | 'relu' = 'tanh', reverse = false): Tensor {
  const op = 'rnnRecurrence';
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new Error(`${op}: nonlinearity must be 'tanh' or 'relu', got '${nonlinearity}'`);
  const [T, B, H] = checkRecurrence(op, 1, gx, whh, bhh, [h0]);
  const relu = nonlinearity === 'relu';
  const be = backend();
  const dtype = gx.dtype;
  const BH = B * H;
  const W = whh.data as FloatArray;
  const out = new Tensor(empty(dtype, T * BH), [T, B, H]);
  const hs = out.data as FloatArray;
  hs.set(gx.data as FloatArray); // each row: gx_t, then + h_{t−1}·W_hhᵀ, then the activation in place
  const bd = bhh ? bhh.data as FloatArray : null;
  const time = (p: number) => (reverse ? T - 1 - p : p);
  let hPrev = h0.data as FloatArray;
  for (let p = 0; p < T; p++) {
    const t = time(p);
    const h = hs.subarray(t * BH, (t + 1) * BH);
    mmT(be, hPrev, W, h, B, H, H, 1);
    be.rnnCellForward(h, bd, B, H, relu);
    hPrev = h;
  }

  const inputs = bhh ? [gx, whh, h0, bhh] : [gx, whh, h0];
  return record(op, out, inputs, (gOut) => {
    const go = gOut.data as FloatArray;
    const dZ = new Tensor(empty(dtype, T * BH), gx.shape);
    const dz = dZ.data as FloatArray;
    const dhNext = empty(dtype, BH) as FloatArray;
    for (let p = T - 1; p >= 0; p--) {
      const t = time(p);
      const d = dz.subarray(t * BH, (t + 1) * BH);
      be.rnnCellBackward(hs.subarray(t * BH, (t + 1) * BH), go.subarray(t * BH, (t + 1) * BH), p < T - 1 ? dhNext : null, d, B, H, relu);
      if (p > 0 || h0.requiresGrad) mm(be, d, W, dhNext, B, H, H, 0);
    }
    let gW: Tensor | null = null, gb: Tensor | null = null;
    if (whh.requiresGrad) {
      gW = new Tensor(empty(dtype, whh.size), whh.shape);
      recurrentWeightGrad(be, dz, hs, h0.data as FloatArray, gW.data as FloatArray, T, B, H, 1, reverse);
    }
    if (bhh && bhh.requiresGrad) {
      gb = new Tensor(empty(dtype, H), bhh.shape);
      be.reduce('sum', dz, 1, T * B, H, gb.data);
    }
    const gh0 = h0.requiresGrad ? new Tensor(dhNext, h0.shape) : null;
    return bhh ? [dZ, gW, gh0, gb] : [dZ, gW, gh0];
  });
}

/**
 * The GRU recurrence over gx (T, B, 3H) (= x_t·W_ihᵀ + b_ih), with W_hh (3H, H), optional b_hh (3H) and initial
 * state h0 (B, H). Per step (in `reverse` order when asked), with gh = h_{t−1}·W_hhᵀ + b_hh:
 *   r = σ(gx_r + gh_r),  z = σ(gx_z + gh_z),  n = tanh(gx_n + r·gh_n),  h_t = (1 − z)·n + z·h_{t−1}
 * (PyTorch's GRU: the reset gate multiplies W_hn·h + b_hn, so gh is kept apart from gx.)
 * Backward per step (kernels/rnn.ts): ∂gx_t = [∂r, ∂z, ∂n], ∂gh_t = [∂r, ∂z, r·∂n],
 * ∂h_{t−1} = (∂L/∂h_t)·z + ∂gh_t·W_hh; ∂W_hh = Σ ∂gh_tᵀ·h_{t−1}; ∂b_hh = Σ ∂gh_t.
 * Returns h_t at every time position (T, B, H); the final state is row T − 1 (row 0 when reverse).
 */
export function gruRecurrence(gx: Tensor, whh: Tensor, bhh: Tensor | null, h0: Tensor, reverse = false): Tensor {
  const op = 'gruRecurrence';
  const [T, B, H] = checkRecurrence(op, 3, gx, whh, bhh, [h0]);
  const be = backend();
  const dtype = gx.dtype;
  const H3 = 3 * H, BH = B * H, BG = B * H3;
  const W = whh.data as FloatArray;
  const out = new Tensor(empty(dtype, T * BH), [T, B, H]);
  const hs = out.data as FloatArray;
  const acts = empty(dtype, T * BG) as FloatArray; // gx_t, then the activations [r, z, n]
  acts.set(gx.data as FloatArray);
  const ghs = empty(dtype, T * BG) as FloatArray; // h_{t−1}·W_hhᵀ, whose n block the kernel turns into gh_n + b_hn
  const bd = bhh ? bhh.data as FloatArray : null;
  const time = (p: number) => (reverse ? T - 1 - p : p);
  let hPrev = h0.data as FloatArray;
  for (let p = 0; p < T; p++) {
    const t = time(p);
    const gh = ghs.subarray(t * BG, (t + 1) * BG);
    mmT(be, hPrev, W, gh, B, H3, H, 0);
    const h = hs.subarray(t * BH, (t + 1) * BH);
    be.gruCellForward(acts.subarray(t * BG, (t + 1) * BG), gh, bd, hPrev, h, B, H);
    hPrev = h;
  }

  const inputs = bhh ? [gx, whh, h0, bhh] : [gx, whh, h0];
  return record(op, out, inputs, (gOut) => {
    const go = gOut.data as FloatArray;
    const dGx = new Tensor(empty(dtype, T * BG), gx.shape);
    const dgx = dGx.data as FloatArray;
    const dgh = empty(dtype, T * BG) as FloatArray;
    const dhNext = empty(dtype, BH) as FloatArray; // ∂L/∂h_{t−1}: the kernel writes its direct part, the GEMM adds
    const h0d = h0.data as FloatArray;
    for (let p = T - 1; p >= 0; p--) {
      const t = time(p);
      const hp = p > 0 ? hs.subarray(time(p - 1) * BH, (time(p - 1) + 1) * BH) : h0d;
      const dh = dgh.subarray(t * BG, (t + 1) * BG);
      be.gruCellBackward(acts.subarray(t * BG, (t + 1) * BG), ghs.subarray(t * BG, (t + 1) * BG), hp, go.subarray(t * BH, (t + 1) * BH),
        p < T - 1 ? dhNext : null, dgx.subarray(t * BG, (t + 1) * BG), dh, dhNext, B, H);
      if (p > 0 || h0.requiresGrad) mm(be, dh, W, dhNext, B, H, H3, 1);
    }
    let gW: Tensor | null = null, gb: Tensor | null = null;
    if (whh.requiresGrad) {
      gW = new Tensor(empty(dtype, whh.size), whh.shape);
      recurrentWeightGrad(be, dgh, hs, h0d, gW.data as FloatArray, T, B, H, 3, reverse);
    }
    if (bhh && bhh.requiresGrad) {
      gb = new Tensor(empty(dtype, H3), bhh.shape);
      be.reduce('sum', dgh, 1, T * B, H3, gb.data);
    }
    const gh0 = h0.requiresGrad ? new Tensor(dhNext, h0.shape) : null;
    return bhh ? [dGx, gW, gh0, gb] : [dGx, gW, gh0];
  });
}
