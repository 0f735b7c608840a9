// 2-D convolution as im2col + GEMM, one batch item and one channel group at a time.
// For one item and group, col (K × L) holds every receptive field of the group's cIn/g input channels as a column,
// K = (cIn/g)·kh·kw, L = outH·outW, and W_g (cOut/g × K) is the group's block of rows of the weight:
//   forward          y_g  (cOut/g × L) = W_g · col
//   input gradient   gx_g = col2im(W_gᵀ · gy_g)         (also the forward pass of a transposed convolution)
//   weight gradient  gw_g (cOut/g × K) = Σ_n gy_g[n] · col[n]ᵀ,   gb = Σ_n Σ_L gy[n]
// The group slices of x and y are strided over the batch, so the loops read them in place through offsets.
import type { ConvKernels, Conv2dParams } from '../kernels/conv.ts';
import type { FloatArray } from '../types.ts';

const KB = 256; // inner-dimension panel: the B rows a tile reads stay in L2 while the tiles of a row block pass
const NB = 512; // columns of C per panel (NN form), bounding that B panel to KB × NB

/**
 * C[i, j] (+)= Σ_q A[i, q]·B[q, j] for C m×n (offset oc), B k×n row-major (offset ob), and A read through strides
 * A[i, q] = a[oa + i·sai + q·saq], so a transposed A costs nothing. Overwrites C unless `accumulate`.
 * A 4×4 tile of C is summed in locals: per q, 8 loads feed 16 multiply-adds and C is touched once per panel.
 */
function gemmNN(m: number, n: number, k: number, a: FloatArray, oa: number, sai: number, saq: number,
  b: FloatArray, ob: number, c: FloatArray, oc: number, accumulate: boolean): void {
  if (!accumulate) c.fill(0, oc, oc + m * n);
  const m4 = m - (m % 4), n4 = n - (n % 4);
  for (let j0 = 0; j0 < n; j0 += NB) {
    const j1 = Math.min(n, j0 + NB), j4 = Math.min(j1, n4);
    for (let q0 = 0; q0 < k; q0 += KB) {
      const q1 = Math.min(k, q0 + KB);
      for (let i = 0; i < m4; i += 4) {
        for (let j = j0; j < j4; j += 4) {
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
          let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
          for (let q = q0, ai = oa + i * sai + q0 * saq, bi = ob + q0 * n + j; q < q1; q++, ai += saq, bi += n) {
            const a0 = a[ai], a1 = a[ai + sai], a2 = a[ai + 2 * sai], a3 = a[ai + 3 * sai];
            const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
          }
          let o = oc + i * n + j;
          c[o] += c00; c[o + 1] += c01; c[o + 2] += c02; c[o + 3] += c03; o += n;
          c[o] += c10; c[o + 1] += c11; c[o + 2] += c12; c[o + 3] += c13; o += n;
          c[o] += c20; c[o + 1] += c21; c[o + 2] += c22; c[o + 3] += c23; o += n;
          c[o] += c30; c[o + 1] += c31; c[o + 2] += c32; c[o + 3] += c33;
        }
        // the last n mod 4 columns: one dot product each
        for (let i2 = i; i2 < i + 4; i2++) {
          for (let j = j4; j < j1; j++) {
            let s = 0;
            for (let q = q0, ai = oa + i2 * sai + q0 * saq, bi = ob + q0 * n + j; q < q1; q++, ai += saq, bi += n) s += a[ai] * b[bi];
            c[oc + i2 * n + j] += s;
          }
        }
      }
      // the last m mod 4 rows: C[i, :] += A[i, q]·B[q, :], streaming rows of B
      for (let i = m4; i < m; i++) {
        const ci = oc + i * n;
        for (let q = q0; q < q1; q++) {
          const aiq = a[oa + i * sai + q * saq], bq = ob + q * n;
          for (let j = j0; j < j1; j++) c[ci + j] += aiq * b[bq + j];
        }
      }
    }
  }
}

/**
 * C[i, j] += Σ_q A[i, q]·B[j, q] for A m×k (offset oa), B n×k (offset ob), C m×n (offset oc): dot products of
 * contiguous rows, a 4×4 tile of them at a time, over k-panels that stay in cache.
 */
function gemmNT(m: number, n: number, k: number, a: FloatArray, oa: number, b: FloatArray, ob: number, c: FloatArray, oc: number): void {
  const m4 = m - (m % 4), n4 = n - (n % 4);
  for (let q0 = 0; q0 < k; q0 += KB) {
    const q1 = Math.min(k, q0 + KB);
    for (let i = 0; i < m4; i += 4) {
      const r0 = oa + i * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
      for (let j = 0; j < n4; j += 4) {
        const s0 = ob + j * k, s1 = s0 + k, s2 = s1 + k, s3 = s2 + k;
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let q = q0; q < q1; q++) {
          const a0 = a[r0 + q], a1 = a[r1 + q], a2 = a[r2 + q], a3 = a[r3 + q];
          const b0 = b[s0 + q], b1 = b[s1 + q], b2 = b[s2 + q], b3 = b[s3 + q];
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        let o = oc + i * n + j;
        c[o] += c00; c[o + 1] += c01; c[o + 2] += c02; c[o + 3] += c03; o += n;
        c[o] += c10; c[o + 1] += c11; c[o + 2] += c12; c[o + 3] += c13; o += n;
        c[o] += c20; c[o + 1] += c21; c[o + 2] += c22; c[o + 3] += c23; o += n;
        c[o] += c30; c[o + 1] += c31; c[o + 2] += c32; c[o + 3] += c33;
      }
    }
    // edges (last m mod 4 rows, last n mod 4 columns): plain dot products
    for (let i = 0; i < m; i++) {
      for (let j = i < m4 ? n4 : 0; j < n; j++) {
        let s = 0;
        for (let q = q0, ra = oa + i * k, rb = ob + j * k; q < q1; q++) s += a[ra + q] * b[rb + q];
        c[oc + i * n + j] += s;
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

/**
 * col[(c·kh + ki)·kw + kj, oy·outW + ox] = x[c, oy·sH − pH + ki·dH, ox·sW − pW + kj·dW], 0 outside the input, for
 * the cIn channels starting at offset xo (one group's).
 */
function im2col(x: FloatArray, xo: number, col: FloatArray, p: Conv2dParams, cIn: number): void {
  const { h, w, kh, kw, strideH: sH, strideW: sW, padH, padW, dilH, dilW, outH, outW } = p;
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
function col2im(col: FloatArray, gx: FloatArray, xo: number, p: Conv2dParams, cIn: number): void {
  const { h, w, kh, kw, strideH: sH, strideW: sW, padH, padW, dilH, dilW, outH, outW } = p;
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

/** Groups, and per group: input channels, output channels, K (a weight row) and one input plane set's length. */
function groupDims(p: Conv2dParams): { g: number; cInG: number; cOutG: number; K: number; xg: number } {
  const g = p.groups ?? 1, cInG = p.cIn / g, cOutG = p.cOut / g;
  return { g, cInG, cOutG, K: cInG * p.kh * p.kw, xg: cInG * p.h * p.w };
}

export const conv: ConvKernels = {
  conv2d(x, w, bias, y, p) {
    const { g, cInG, cOutG, K, xg } = groupDims(p);
    const L = p.outH * p.outW, xs = p.cIn * p.h * p.w, ys = p.cOut * L;
    const direct = isPointwise(p);
    const col = direct ? x : scratch(x, K * L);
    for (let n = 0; n < p.n; n++) {
      const yo = n * ys;
      // start from the bias so the GEMM accumulates onto it
      if (bias) for (let co = 0; co < p.cOut; co++) y.fill(bias[co], yo + co * L, yo + (co + 1) * L);
      for (let gi = 0; gi < g; gi++) {
        const xo = n * xs + gi * xg;
        if (!direct) im2col(x, xo, col, p, cInG);
        gemmNN(cOutG, L, K, w, gi * cOutG * K, K, 1, col, direct ? xo : 0, y, yo + gi * cOutG * L, bias !== null);
      }
    }
  },

  conv2dBackwardInput(gy, w, gx, p) {
    const { g, cInG, cOutG, K, xg } = groupDims(p);
    const L = p.outH * p.outW, xs = p.cIn * p.h * p.w, ys = p.cOut * L;
    if (isPointwise(p)) { // gx_g[n] = W_gᵀ · gy_g[n] directly
      for (let n = 0; n < p.n; n++) {
        for (let gi = 0; gi < g; gi++) gemmNN(K, L, cOutG, w, gi * cOutG * K, 1, K, gy, n * ys + gi * cOutG * L, gx, n * xs + gi * xg, false);
      }
      return;
    }
    const col = scratch(gx, K * L);
    gx.fill(0, 0, p.n * xs);
    for (let n = 0; n < p.n; n++) {
      for (let gi = 0; gi < g; gi++) {
        // gcol (K × L) = W_gᵀ · gy_g[n]: A[i, q] = W_g[q, i], so strides (1, K)
        gemmNN(K, L, cOutG, w, gi * cOutG * K, 1, K, gy, n * ys + gi * cOutG * L, col, 0, false);
        col2im(col, gx, n * xs + gi * xg, p, cInG);
      }
    }
  },

  conv2dBackwardWeight(x, gy, gw, gb, p) {
    const { g, cInG, cOutG, K, xg } = groupDims(p);
    const L = p.outH * p.outW, xs = p.cIn * p.h * p.w, ys = p.cOut * L;
    const direct = isPointwise(p);
    const col = direct ? x : scratch(x, K * L);
    gw.fill(0, 0, p.cOut * K);
    for (let n = 0; n < p.n; n++) {
      for (let gi = 0; gi < g; gi++) {
        const xo = n * xs + gi * xg;
        if (!direct) im2col(x, xo, col, p, cInG);
        gemmNT(cOutG, K, L, gy, n * ys + gi * cOutG * L, col, direct ? xo : 0, gw, gi * cOutG * K);
      }
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
