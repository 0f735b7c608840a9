// 2-D convolution as im2col + GEMM, one batch item at a time.
// For one item, col (K × L) holds every receptive field as a column, K = cIn·kh·kw, L = outH·outW:
//   forward          y  (cOut × L) = W (cOut × K) · col
//   input gradient   gx = col2im(Wᵀ · gy)              (also the forward pass of a transposed convolution)
//   weight gradient  gw (cOut × K) = Σ_n gy[n] · col[n]ᵀ,   gb = Σ_n Σ_L gy[n]
import type { ConvKernels, Conv2dParams } from '../kernels/conv.ts';
import type { FloatArray } from '../types.ts';

const NB = 256; // columns of C per tile
const KB = 128; // inner-dimension panel: a KB × NB tile of B (≤ 256 KB in float64) stays in L2 while rows of A pass

/**
 * C[i, j] (+)= Σ_q A[i, q]·B[q, j] for C m×n (offset oc), B k×n row-major (offset ob), and A read through strides
 * A[i, q] = a[i·sai + q·saq], so a transposed A costs nothing. Overwrites C unless `accumulate`.
 * Four rows of C are updated together so each B element loaded feeds four multiply-adds.
 */
function gemmNN(m: number, n: number, k: number, a: FloatArray, sai: number, saq: number,
  b: FloatArray, ob: number, c: FloatArray, oc: number, accumulate: boolean): void {
  if (!accumulate) c.fill(0, oc, oc + m * n);
  for (let j0 = 0; j0 < n; j0 += NB) {
    const j1 = Math.min(n, j0 + NB);
    for (let q0 = 0; q0 < k; q0 += KB) {
      const q1 = Math.min(k, q0 + KB);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const c0 = oc + i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        for (let q = q0; q < q1; q++) {
          const aq = i * sai + q * saq;
          const a0 = a[aq], a1 = a[aq + sai], a2 = a[aq + 2 * sai], a3 = a[aq + 3 * sai];
          const bq = ob + q * n;
          for (let j = j0; j < j1; j++) {
            const bv = b[bq + j];
            c[c0 + j] += a0 * bv;
            c[c1 + j] += a1 * bv;
            c[c2 + j] += a2 * bv;
            c[c3 + j] += a3 * bv;
          }
        }
      }
      for (; i < m; i++) {
        const ci = oc + i * n;
        for (let q = q0; q < q1; q++) {
          const ai = a[i * sai + q * saq];
          const bq = ob + q * n;
          for (let j = j0; j < j1; j++) c[ci + j] += ai * b[bq + j];
        }
      }
    }
  }
}

/**
 * C[i, j] += Σ_q A[i, q]·B[j, q] for A m×k (offset oa), B n×k (offset ob), C m×n: dot products of contiguous
 * rows, 2×2 at a time (four sums per two A and two B loads), over k-panels that stay in cache.
 */
function gemmNT(m: number, n: number, k: number, a: FloatArray, oa: number, b: FloatArray, ob: number, c: FloatArray): void {
  const PB = 512;
  for (let q0 = 0; q0 < k; q0 += PB) {
    const q1 = Math.min(k, q0 + PB);
    for (let i = 0; i < m; i += 2) {
      const two = i + 1 < m;
      const ra = oa + i * k, rb = two ? ra + k : ra;
      for (let j = 0; j < n; j += 2) {
        const twoj = j + 1 < n;
        const sa = ob + j * k, sb = twoj ? sa + k : sa;
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
        for (let q = q0; q < q1; q++) {
          const x0 = a[ra + q], x1 = a[rb + q], y0 = b[sa + q], y1 = b[sb + q];
          s00 += x0 * y0; s01 += x0 * y1; s10 += x1 * y0; s11 += x1 * y1;
        }
        c[i * n + j] += s00;
        if (twoj) c[i * n + j + 1] += s01;
        if (two) { c[(i + 1) * n + j] += s10; if (twoj) c[(i + 1) * n + j + 1] += s11; }
      }
    }
  }
}

// One reusable column buffer per float type: im2col buffers are large and every conv call needs one.
let scratch32 = new Float32Array(0);
let scratch64 = new Float64Array(0);
function scratch(like: FloatArray, n: number): FloatArray {
  if (like instanceof Float32Array) {
    if (scratch32.length < n) scratch32 = new Float32Array(n);
    return scratch32;
  }
  if (scratch64.length < n) scratch64 = new Float64Array(n);
  return scratch64;
}

/** Output columns ox whose input column ox·s + off lies inside [0, w): the half-open range [lo, hi). */
function validRange(off: number, s: number, w: number, outW: number): [number, number] {
  const lo = Math.min(outW, Math.max(0, Math.ceil(-off / s)));
  const hi = Math.max(lo, Math.min(outW, Math.floor((w - 1 - off) / s) + 1));
  return [lo, hi];
}

/** col[(c·kh + ki)·kw + kj, oy·outW + ox] = x[c, oy·sH − pH + ki·dH, ox·sW − pW + kj·dW], 0 outside the input. */
function im2col(x: FloatArray, xo: number, col: FloatArray, p: Conv2dParams): void {
  const { cIn, h, w, kh, kw, strideH: sH, strideW: sW, padH, padW, dilH, dilW, outH, outW } = p;
  const L = outH * outW;
  let r = 0;
  for (let c = 0; c < cIn; c++) {
    const xc = xo + c * h * w;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++, r++) {
        const offW = kj * dilW - padW;
        const [lo, hi] = validRange(offW, sW, w, outW);
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * sH - padH + ki * dilH;
          const dst = r * L + oy * outW;
          if (iy < 0 || iy >= h) { col.fill(0, dst, dst + outW); continue; }
          const src = xc + iy * w + offW;
          if (lo > 0) col.fill(0, dst, dst + lo);
          if (sW === 1) for (let ox = lo; ox < hi; ox++) col[dst + ox] = x[src + ox];
          else for (let ox = lo; ox < hi; ox++) col[dst + ox] = x[src + ox * sW];
          if (hi < outW) col.fill(0, dst + hi, dst + outW);
        }
      }
    }
  }
}

/** The adjoint of im2col: gx[c, iy, ix] += col[row, column] for every column that read (c, iy, ix). */
function col2im(col: FloatArray, gx: FloatArray, xo: number, p: Conv2dParams): void {
  const { cIn, h, w, kh, kw, strideH: sH, strideW: sW, padH, padW, dilH, dilW, outH, outW } = p;
  const L = outH * outW;
  let r = 0;
  for (let c = 0; c < cIn; c++) {
    const xc = xo + c * h * w;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++, r++) {
        const offW = kj * dilW - padW;
        const [lo, hi] = validRange(offW, sW, w, outW);
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * sH - padH + ki * dilH;
          if (iy < 0 || iy >= h) continue;
          const src = r * L + oy * outW, dst = xc + iy * w + offW;
          if (sW === 1) for (let ox = lo; ox < hi; ox++) gx[dst + ox] += col[src + ox];
          else for (let ox = lo; ox < hi; ox++) gx[dst + ox * sW] += col[src + ox];
        }
      }
    }
  }
}

/** A 1×1 kernel with stride 1 and no padding reads x itself as col (K = cIn, L = h·w). */
function isPointwise(p: Conv2dParams): boolean {
  return p.kh === 1 && p.kw === 1 && p.strideH === 1 && p.strideW === 1 && p.padH === 0 && p.padW === 0;
}

export const conv: ConvKernels = {
  conv2d(x, w, bias, y, p) {
    const K = p.cIn * p.kh * p.kw, L = p.outH * p.outW, xs = p.cIn * p.h * p.w, ys = p.cOut * L;
    const direct = isPointwise(p);
    const col = direct ? x : scratch(x, K * L);
    for (let n = 0; n < p.n; n++) {
      if (!direct) im2col(x, n * xs, col, p);
      const yo = n * ys;
      // start from the bias so the GEMM accumulates onto it
      if (bias) for (let co = 0; co < p.cOut; co++) y.fill(bias[co], yo + co * L, yo + (co + 1) * L);
      gemmNN(p.cOut, L, K, w, K, 1, col, direct ? n * xs : 0, y, yo, bias !== null);
    }
  },

  conv2dBackwardInput(gy, w, gx, p) {
    const K = p.cIn * p.kh * p.kw, L = p.outH * p.outW, xs = p.cIn * p.h * p.w, ys = p.cOut * L;
    if (isPointwise(p)) { // gx[n] = Wᵀ · gy[n] directly
      for (let n = 0; n < p.n; n++) gemmNN(K, L, p.cOut, w, 1, K, gy, n * ys, gx, n * xs, false);
      return;
    }
    const col = scratch(gx, K * L);
    gx.fill(0, 0, p.n * xs);
    for (let n = 0; n < p.n; n++) {
      // gcol (K × L) = Wᵀ · gy[n]: A[i, q] = W[q, i], so strides (1, K)
      gemmNN(K, L, p.cOut, w, 1, K, gy, n * ys, col, 0, false);
      col2im(col, gx, n * xs, p);
    }
  },

  conv2dBackwardWeight(x, gy, gw, gb, p) {
    const K = p.cIn * p.kh * p.kw, L = p.outH * p.outW, xs = p.cIn * p.h * p.w, ys = p.cOut * L;
    const direct = isPointwise(p);
    const col = direct ? x : scratch(x, K * L);
    gw.fill(0, 0, p.cOut * K);
    for (let n = 0; n < p.n; n++) {
      if (!direct) im2col(x, n * xs, col, p);
      gemmNT(p.cOut, K, L, gy, n * ys, col, direct ? n * xs : 0, gw);
    }
    if (gb) {
      for (let co = 0; co < p.cOut; co++) {
        let acc = 0;
        for (let n = 0; n < p.n; n++) for (let i = n * ys + co * L, e = i + L; i < e; i++) acc += gy[i];
        gb[co] = acc;
      }
    }
  },
};
