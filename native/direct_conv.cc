// Direct convolution for dilation 1 (ResNet's 3×3 "same" convs and the like), vectorised over output
// channels: a tile of X output pixels × V vectors of L output channels stays in registers while every input
// channel and kernel tap is folded in (per tap: V weight loads, X broadcasts, X·V fused multiply-adds). This
// avoids im2col's k·k-fold copy of the input, which dominates when channel counts are small (16–64).
//   forward          y[o, oy, ox] = Σ_{c,ki,kj} w[o, c, ki, kj]·xp[c, oy + ki, ox + kj]   (xp: zero-padded x)
//   input gradient   the forward of gy with w[o, c, kh−1−ki, kw−1−kj] (roles of c and o swapped), padding k−1−p
//   weight gradient  gw[o, c, ki, kj] = Σ_{n,oy,ox} gy[n, o, oy, ox]·xp[n, c, oy + ki, ox + kj] (3×3 and 5×5)
// Forward and weight gradient also take stride 2 (read xp at oy·2 + ki, ox·2 + kj); a strided convolution's
// input gradient is a transposed convolution and stays on im2col/col2im.
#include "direct_conv.h"
#include "vmath.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace dt {

// L lanes per vector; kRegs accumulator registers per tile (the rest hold weights and broadcasts)
#if defined(__AVX512F__)
constexpr int L = 16, kRegs = 28;  // 32 zmm registers
#elif defined(__AVX__)
constexpr int L = 8, kRegs = 12;   // 16 ymm registers
#elif defined(__ARM_NEON) || defined(__aarch64__)
constexpr int L = 4, kRegs = 24;   // 32 NEON registers
#else
constexpr int L = 4, kRegs = 12;   // 16 xmm registers
#endif
constexpr int kMaxV = 4;
/** Pixels per forward tile with V channel vectors: the accumulators fill kRegs (with AVX-512 and V = 4 one of
 *  them spills, which measured faster than the next smaller tile). */
constexpr int maxPixels(int V) { return kRegs / V; }
// register tiles only work if the pixel and vector loops are fully unrolled (the accumulators become registers)
#if defined(__clang__)
#define DT_UNROLL _Pragma("unroll")
#else
#define DT_UNROLL _Pragma("GCC unroll 32")
#endif

// GCC's predictive commoning would carry the broadcast scalars of one tap over to the next in spilled registers
#if defined(__GNUC__) && !defined(__clang__)
#define DT_TILE __attribute__((optimize("no-predictive-commoning")))
#else
#define DT_TILE
#endif

typedef float vf __attribute__((vector_size(L * sizeof(float))));
typedef float vfu __attribute__((vector_size(L * sizeof(float)), aligned(4)));  // unaligned loads and stores

static inline vf load(const float* p) { return *reinterpret_cast<const vfu*>(p); }
static inline void store(float* p, vf v) { *reinterpret_cast<vfu*>(p) = v; }

/** Output-channel vectors per tile and pixels per tile for nOut channels on rows of width ow. */
static void tileShape(int64_t nOut, int64_t ow, int* V, int* X) {
  int64_t vecs = (nOut + L - 1) / L;
  const int v = (int)std::min<int64_t>(vecs, kMaxV);  // more channels per tile: fewer broadcasts per FMA
  *V = v;
  *X = (int)std::min<int64_t>(ow, maxPixels(v));
}

// acc[p][v] += Σ over channels c, taps (ki, kj) of in[c, ki, p·S + kj]·w[c, ki, kj, v] (S: the column stride).
// `in` points at the tile's first input cell, channel stride cs, row stride rs; w is [c][ki][kj][V·L].
template <int V, int X, int S>
DT_TILE static void fwdTile(const float* in, int64_t cs, int64_t rs, const float* w, int64_t cIn, int kh, int kw, float* out) {
  vf acc[X][V];
  DT_UNROLL for (int p = 0; p < X; p++) DT_UNROLL for (int v = 0; v < V; v++) acc[p][v] = vf{};
  for (int64_t c = 0; c < cIn; c++) {
    for (int ki = 0; ki < kh; ki++) {
      const float* r = in + c * cs + ki * rs;
      for (int kj = 0; kj < kw; kj++, w += V * L) {
        vf wv[V];
        DT_UNROLL for (int v = 0; v < V; v++) wv[v] = load(w + v * L);
        DT_UNROLL for (int p = 0; p < X; p++) {
          const float s = r[p * S + kj];
          DT_UNROLL for (int v = 0; v < V; v++) acc[p][v] += s * wv[v];
        }
      }
    }
  }
  DT_UNROLL for (int p = 0; p < X; p++) DT_UNROLL for (int v = 0; v < V; v++) store(out + (p * V + v) * L, acc[p][v]);
}

using FwdTile = void (*)(const float*, int64_t, int64_t, const float*, int64_t, int, int, float*);

template <int V, int S, int... Xs>
static constexpr auto fwdTable(std::integer_sequence<int, Xs...>) {
  return std::array<FwdTile, sizeof...(Xs)>{&fwdTile<V, Xs + 1, S>...};
}
template <int S>
struct FwdTables {
  static inline const auto t1 = fwdTable<1, S>(std::make_integer_sequence<int, maxPixels(1)>{});
  static inline const auto t2 = fwdTable<2, S>(std::make_integer_sequence<int, maxPixels(2)>{});
  static inline const auto t3 = fwdTable<3, S>(std::make_integer_sequence<int, maxPixels(3)>{});
  static inline const auto t4 = fwdTable<4, S>(std::make_integer_sequence<int, maxPixels(4)>{});
  static FwdTile get(int V, int X) { return V == 1 ? t1[X - 1] : V == 2 ? t2[X - 1] : V == 3 ? t3[X - 1] : t4[X - 1]; }
};

/** The tile kernel for V channel vectors, X pixels and column stride s (1 or 2). */
static FwdTile fwdKernel(int V, int X, int64_t s) { return s == 1 ? FwdTables<1>::get(V, X) : FwdTables<2>::get(V, X); }

/** dst[c·dstStride + r] = src[r·srcStride + c] for r < rows ≤ 16, c < cols ≤ 16 (a block transpose). */
static inline void transpose16(const float* src, int64_t srcStride, int rows, int cols, float* dst, int64_t dstStride) {
#if defined(__AVX512F__)
  const __mmask16 colMask = (__mmask16)((1u << cols) - 1), rowMask = (__mmask16)((1u << rows) - 1);
  __m512 r[16], t[16];
  for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_maskz_loadu_ps(colMask, src + i * srcStride) : _mm512_setzero_ps();
  // within 128-bit lanes: pairs of rows interleaved, then groups of four rows
  for (int i = 0; i < 8; i++) { t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]); t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]); }
  for (int i = 0; i < 4; i++) {
    r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  // r[4g + k], lane l now holds column 4l + k of rows 4g..4g+3; gather the four row groups per column
  for (int k = 0; k < 4; k++) {
    const __m512 v0 = _mm512_shuffle_f32x4(r[k], r[4 + k], 0x88), v1 = _mm512_shuffle_f32x4(r[k], r[4 + k], 0xDD);
    const __m512 v2 = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0x88), v3 = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0xDD);
    const __m512 c[4] = {_mm512_shuffle_f32x4(v0, v2, 0x88), _mm512_shuffle_f32x4(v1, v3, 0x88),
                         _mm512_shuffle_f32x4(v0, v2, 0xDD), _mm512_shuffle_f32x4(v1, v3, 0xDD)};
    for (int l = 0; l < 4; l++) if (4 * l + k < cols) _mm512_mask_storeu_ps(dst + (4 * l + k) * dstStride, rowMask, c[l]);
  }
#else
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) dst[j * dstStride + i] = src[i * srcStride + j];
#endif
}

/** xp (n, c, h + 2ph, w + 2pw): x with a zero border. */
static void padInput(const float* x, float* xp, int64_t n, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw) {
  const int64_t hp = h + 2 * ph, wp = w + 2 * pw;
  parallelFor((size_t)(n * c), std::max<size_t>(1, (1 << 15) / (size_t)(hp * wp)), [&](size_t a, size_t b) {
    for (size_t pl = a; pl < b; pl++) {
      const float* src = x + pl * h * w;
      float* dst = xp + pl * hp * wp;
      for (int64_t i = 0; i < ph * wp; i++) dst[i] = 0.0f;
      for (int64_t i = 0; i < h; i++) {
        float* row = dst + (ph + i) * wp;
        const float* in = src + i * w;
        // plain loops: rows are short, and a memcpy call per row costs more than the copy
        for (int64_t j = 0; j < pw; j++) row[j] = 0.0f;
        DT_IVDEP for (int64_t j = 0; j < w; j++) row[pw + j] = in[j];
        for (int64_t j = pw + w; j < wp; j++) row[j] = 0.0f;
      }
      for (int64_t i = (ph + h) * wp; i < hp * wp; i++) dst[i] = 0.0f;
    }
  });
}

/**
 * out (n, nOut, oh, ow) = direct conv of in (n, nIn, h, w) padded by (ph, pw) with wt (nOut, nIn, kh, kw),
 * plus bias. `flip` reads the weight as wt[c, o, kh−1−ki, kw−1−kj] from a (nIn-as-out …) layout: used by the
 * input gradient, whose "weight" is the forward weight transposed and rotated.
 */
/** A window of the output: oh × ow cells whose tile reads start (offY, offX) cells into the padded input. */
struct OutWindow { int64_t oh, ow, offY, offX; };

static void directForward(const float* in, const float* wt, const float* bias, float* out, int64_t n, int64_t nIn,
                          int64_t h, int64_t w, int64_t nOut, int64_t kh, int64_t kw, int64_t ph, int64_t pw, int64_t st, bool flip,
                          const OutWindow* win = nullptr) {
  const int64_t hp = h + 2 * ph, wp = w + 2 * pw, plane = hp * wp;
  const int64_t oh = win ? win->oh : (hp - kh) / st + 1, ow = win ? win->ow : (wp - kw) / st + 1;
  const int64_t off = win ? win->offY * wp + win->offX : 0;
  int V, X;
  tileShape(nOut, ow, &V, &X);
  const int64_t G = V * L, groups = (nOut + G - 1) / G, taps = kh * kw;
  // weights regrouped as [group][c][ki][kj][G], zero beyond nOut
  std::vector<float> wr((size_t)(groups * nIn * taps * G), 0.0f);
  for (int64_t o = 0; o < nOut; o++)
    for (int64_t c = 0; c < nIn; c++)
      for (int64_t t = 0; t < taps; t++) {
        const float v = flip ? wt[(c * nOut + o) * taps + (taps - 1 - t)] : wt[(o * nIn + c) * taps + t];
        wr[(((o / G) * nIn + c) * taps + t) * G + o % G] = v;
      }
  // the bias padded to whole groups, so it adds as vectors
  std::vector<float> bg(bias ? (size_t)(groups * G) : 0, 0.0f);
  if (bias) std::copy(bias, bias + nOut, bg.begin());
  // a row splits into near-equal tiles (a short remainder tile would run far below peak)
  const int64_t tiles = (ow + X - 1) / X;
  // one output row of sample s from its padded input xs
  auto row = [&](const float* xs, int64_t s, int64_t oy, float* tmp) {
    for (int64_t t = 0; t < tiles; t++) {
      const int64_t ox0 = ow * t / tiles, nx = ow * (t + 1) / tiles - ox0;
      const FwdTile k = fwdKernel(V, (int)nx, st);
      for (int64_t g = 0; g < groups; g++) {
        k(xs + off + oy * st * wp + ox0 * st, plane, wp, wr.data() + g * nIn * taps * G, nIn, (int)kh, (int)kw, tmp);
        const int64_t o1 = std::min(G, nOut - g * G);
        if (bias) for (int64_t p = 0; p < nx; p++) for (int v = 0; v < V; v++) store(tmp + p * G + v * L, load(tmp + p * G + v * L) + load(bg.data() + g * G + v * L));
        // tmp is [pixel][channel]; y rows are per channel: transpose 16 × 16 blocks
        float* dst = out + ((s * nOut + g * G) * oh + oy) * ow + ox0;
        for (int64_t p0 = 0; p0 < nx; p0 += 16)
          for (int64_t j0 = 0; j0 < o1; j0 += 16)
            transpose16(tmp + p0 * G + j0, G, (int)std::min<int64_t>(16, nx - p0), (int)std::min<int64_t>(16, o1 - j0),
                        dst + j0 * oh * ow + p0, oh * ow);
      }
    }
  };
  const int nt = threads();
  if (n >= nt || n * nIn * plane > (int64_t(1) << 24)) {
    // whole samples per thread, each padded into the thread's own buffer (stays in cache for the rows after)
    std::vector<float*> buf(nt);
    for (int t = 0; t < nt; t++) buf[t] = scratch(t, (size_t)(nIn * plane), 3);
    parallelForT((size_t)n, 1, [&](size_t s0, size_t s1, int t) {
      alignas(64) float tmp[kRegs * L];
      for (size_t s = s0; s < s1; s++) {
        padInput(in + s * nIn * h * w, buf[t], 1, nIn, h, w, ph, pw);
        for (int64_t oy = 0; oy < oh; oy++) row(buf[t], (int64_t)s, oy, tmp);
      }
    });
    return;
  }
  // fewer samples than threads: pad everything once, split the rows
  std::unique_ptr<float[]> xp(new float[(size_t)(n * nIn * plane)]);
  padInput(in, xp.get(), n, nIn, h, w, ph, pw);
  parallelFor((size_t)(n * oh), 1, [&](size_t r0, size_t r1) {
    alignas(64) float tmp[kRegs * L];
    for (size_t r = r0; r < r1; r++) row(xp.get() + (r / oh) * nIn * plane, (int64_t)(r / oh), (int64_t)(r % oh), tmp);
  });
}

bool directConvForward(const float* x, const float* w, const float* bias, float* y, const ConvShape& p) {
  if (p.g != 1 || p.sh != p.sw || (p.sh != 1 && p.sh != 2) || p.dh != 1 || p.dw != 1 || p.cOut < L || p.n == 0) return false;
  if (p.oh != (p.h + 2 * p.ph - p.kh) / p.sh + 1 || p.ow != (p.w + 2 * p.pw - p.kw) / p.sw + 1 || p.oh < 1 || p.ow < 1) return false;
  directForward(x, w, bias, y, p.n, p.cIn, p.h, p.w, p.cOut, p.kh, p.kw, p.ph, p.pw, p.sh, false);
  return true;
}

/** Per axis, the taps of one output phase r (iy ≡ r mod s) of a stride-s input gradient: the taps ki ≡ r + p (mod s),
 *  read as a stride-1 kernel over gy rows i' + d0 + a (a = 0…t−1, largest ki first); hr = rows of the phase. */
struct Phase { int64_t t, d0, hr; };
static Phase phase(int64_t r, int64_t s, int64_t k, int64_t p, int64_t len) {
  Phase f{0, 0, r < len ? (len - r + s - 1) / s : 0};
  int64_t kmax = -1;
  for (int64_t ki = 0; ki < k; ki++) if (((r + p - ki) % s + s) % s == 0) { f.t++; kmax = ki; }
  f.d0 = f.t ? (r + p - kmax) / s : 0;  // exact: r + p − kmax is a multiple of s
  return f;
}

/**
 * The input gradient of a stride-s convolution (s ≥ 2, dilation 1, k a multiple of s) without col2im: the s² output
 * phases (ry, rx) = (iy mod s, ix mod s) are each a stride-1 direct convolution of gy with a (k/s)×(k/s) kernel,
 *   gx[c, i'·s + ry, j'·s + rx] = Σ_{o,a,b} w[o, c, ki_a, kj_b]·gy[o, i' + d0 + a, j' + d0x + b],  ki_a = ry + p − s·(d0 + a)
 * (a sub-pixel decomposition: the same multiply-adds as the convolution, no zero-inserted rows).
 */
static bool subpixelBackwardInput(const float* gy, const float* w, float* gx, const ConvShape& p) {
  const int64_t s = p.sh;
  if (p.g != 1 || s < 2 || p.sw != s || p.dh != 1 || p.dw != 1 || p.kh % s || p.kw % s || p.cIn < L || p.n == 0) return false;
  if (p.oh != (p.h + 2 * p.ph - p.kh) / s + 1 || p.ow != (p.w + 2 * p.pw - p.kw) / s + 1 || p.oh < 1 || p.ow < 1) return false;
  // one zero border for every phase: P ≥ −d0 (rows above gy) and P ≥ hr + d0 + t − 1 − oh (rows below)
  int64_t PH = 0, PW = 0;
  for (int64_t r = 0; r < s; r++) {
    const Phase y = phase(r, s, p.kh, p.ph, p.h), x = phase(r, s, p.kw, p.pw, p.w);
    PH = std::max({PH, -y.d0, y.hr + y.d0 + y.t - 1 - p.oh});
    PW = std::max({PW, -x.d0, x.hr + x.d0 + x.t - 1 - p.ow});
  }
  const int64_t th = p.kh / s, tw = p.kw / s, taps = th * tw;
  std::vector<float> wsub((size_t)(p.cIn * p.cOut * taps)), tmp;
  for (int64_t ry = 0; ry < s; ry++) {
    const Phase y = phase(ry, s, p.kh, p.ph, p.h);
    for (int64_t rx = 0; rx < s; rx++) {
      const Phase x = phase(rx, s, p.kw, p.pw, p.w);
      if (y.hr == 0 || x.hr == 0) continue;
      // the phase's kernel as a (cIn, cOut, th, tw) forward weight: wsub[c, o, a, b] = w[o, c, ki_a, kj_b]
      for (int64_t o = 0; o < p.cOut; o++)
        for (int64_t c = 0; c < p.cIn; c++)
          for (int64_t a = 0; a < th; a++)
            for (int64_t b = 0; b < tw; b++)
              wsub[((c * p.cOut + o) * th + a) * tw + b] = w[((o * p.cIn + c) * p.kh + (ry + p.ph - s * (y.d0 + a))) * p.kw + (rx + p.pw - s * (x.d0 + b))];
      tmp.resize((size_t)(p.n * p.cIn * y.hr * x.hr));
      const OutWindow win{y.hr, x.hr, y.d0 + PH, x.d0 + PW};
      directForward(gy, wsub.data(), nullptr, tmp.data(), p.n, p.cOut, p.oh, p.ow, p.cIn, th, tw, PH, PW, 1, false, &win);
      // scatter the phase into its rows and columns of gx
      parallelFor((size_t)(p.n * p.cIn), 64, [&](size_t a0, size_t a1) {
        for (size_t pl = a0; pl < a1; pl++) {
          const float* src = tmp.data() + pl * y.hr * x.hr;
          float* dst = gx + pl * p.h * p.w + ry * p.w + rx;
          for (int64_t i = 0; i < y.hr; i++)
            for (int64_t j = 0; j < x.hr; j++) dst[i * s * p.w + j * s] = src[i * x.hr + j];
        }
      });
    }
  }
  return true;
}

bool directConvBackwardInput(const float* gy, const float* w, float* gx, const ConvShape& p) {
  if (p.sh > 1 && subpixelBackwardInput(gy, w, gx, p)) return true;
  if (p.g != 1 || p.sh != 1 || p.sw != 1 || p.dh != 1 || p.dw != 1 || p.cIn < L || p.n == 0) return false;
  if (p.ph > p.kh - 1 || p.pw > p.kw - 1 || p.oh != p.h + 2 * p.ph - p.kh + 1 || p.ow != p.w + 2 * p.pw - p.kw + 1) return false;
  // gx = gy ⋆ rot180(w)ᵀ with padding k − 1 − p: output (n, cIn, h, w)
  directForward(gy, w, nullptr, gx, p.n, p.cOut, p.oh, p.ow, p.cIn, p.kh, p.kw, p.kh - 1 - p.ph, p.kw - 1 - p.pw, 1, true);
  return true;
}

// ---- weight gradient (3×3) ----

// acc[c][t][v] += Σ over the tile's pixels of xp[c, oy·S + ki, ox·S + kj]·g[oy, ox][v] for a K×K kernel
// (t = ki·K + kj), CB channels from `x` (channel stride cs, row stride rs) and the output-gradient rows `g`
// ([pixel][G], pixel = oy·ow + ox).
template <int V, int CB, int S, int K>
DT_TILE static void bwdWTile(const float* x, int64_t cs, int64_t rs, const float* g, int64_t G, int64_t oh, int64_t ow, float* acc) {
  constexpr int T = K * K;
  vf a[CB][T][V];
  DT_UNROLL for (int c = 0; c < CB; c++) DT_UNROLL for (int t = 0; t < T; t++) DT_UNROLL for (int v = 0; v < V; v++) a[c][t][v] = load(acc + ((c * T + t) * V + v) * L);
  for (int64_t oy = 0; oy < oh; oy++) {
    const float* gr = g + oy * ow * G;
    const float* xr = x + oy * S * rs;
    for (int64_t ox = 0; ox < ow; ox++) {
      vf gv[V];
      DT_UNROLL for (int v = 0; v < V; v++) gv[v] = load(gr + ox * G + v * L);
      DT_UNROLL for (int c = 0; c < CB; c++) {
        const float* q = xr + c * cs + ox * S;
        DT_UNROLL for (int ki = 0; ki < K; ki++)
          DT_UNROLL for (int kj = 0; kj < K; kj++) {
            const float s = q[ki * rs + kj];
            DT_UNROLL for (int v = 0; v < V; v++) a[c][ki * K + kj][v] += s * gv[v];
          }
      }
    }
  }
  DT_UNROLL for (int c = 0; c < CB; c++) DT_UNROLL for (int t = 0; t < T; t++) DT_UNROLL for (int v = 0; v < V; v++) store(acc + ((c * T + t) * V + v) * L, a[c][t][v]);
}

using BwdWTile = void (*)(const float*, int64_t, int64_t, const float*, int64_t, int64_t, int64_t, float*);
constexpr int kBwdV = kRegs >= 18 ? 2 : 1;  // output-channel vectors per 3×3 weight-gradient tile

/** Tile kernels for CB = 1…3 channels (null where the accumulators would not fit), given K, S and V. */
template <int K, int S>
static void bwdWKernels(int V, BwdWTile* k) {
  if constexpr (K * K <= kRegs) {
    if (V == 1) {
      k[0] = &bwdWTile<1, 1, S, K>;
      if constexpr (2 * K * K <= kRegs) k[1] = &bwdWTile<1, 2, S, K>;
      if constexpr (3 * K * K <= kRegs) k[2] = &bwdWTile<1, 3, S, K>;
    } else if constexpr (kBwdV * K * K <= kRegs) {
      k[0] = &bwdWTile<kBwdV, 1, S, K>;
    }
  }
}

bool directConvBackwardWeight(const float* x, const float* gy, float* gw, float* gb, const ConvShape& p) {
  // few input channels leave most accumulator registers idle: im2col + GEMM does better there
  if (p.g != 1 || p.sh != p.sw || (p.sh != 1 && p.sh != 2) || p.dh != 1 || p.dw != 1 || p.kh != p.kw || (p.kh != 3 && p.kh != 4 && p.kh != 5) ||
      p.cOut < L || p.cIn < 4 || p.n == 0) return false;
  if (p.oh != (p.h + 2 * p.ph - p.kh) / p.sh + 1 || p.ow != (p.w + 2 * p.pw - p.kw) / p.sw + 1 || p.oh < 1 || p.ow < 1) return false;
  const int64_t K = p.kh, T = K * K;
  const int64_t hp = p.h + 2 * p.ph, wp = p.w + 2 * p.pw, P = p.oh * p.ow;
  // output-channel vectors per tile: 2 for 3×3 when the registers allow, else 1
  const int V = K == 3 ? (int)std::min<int64_t>(kBwdV, (p.cOut + L - 1) / L) : 1;
  const int64_t G = V * L, groups = (p.cOut + G - 1) / G;
  BwdWTile kernels[3] = {nullptr, nullptr, nullptr};
  if (K == 3) { if (p.sh == 1) bwdWKernels<3, 1>(V, kernels); else bwdWKernels<3, 2>(V, kernels); }
  else if (K == 4) { if (p.sh == 1) bwdWKernels<4, 1>(V, kernels); else bwdWKernels<4, 2>(V, kernels); }
  else { if (p.sh == 1) bwdWKernels<5, 1>(V, kernels); else bwdWKernels<5, 2>(V, kernels); }
  if (!kernels[0]) return false;  // the accumulators do not fit this CPU's registers
  const int cb = kernels[2] ? 3 : kernels[1] ? 2 : 1;  // channels per tile
  const int nt = (int)std::min<int64_t>(threads(), p.n);
  // per thread: the sample's padded input, its gradient rows transposed to [group][pixel][G], and accumulators
  // [group][c][tap][G]
  const size_t accSize = (size_t)(groups * p.cIn * T * G);
  std::vector<float*> xpad(nt), gT(nt);
  for (int t = 0; t < nt; t++) { xpad[t] = scratch(t, (size_t)(p.cIn * hp * wp), 3); gT[t] = scratch(t, (size_t)(P * groups * G), 2); }
  std::vector<std::vector<float>> acc(nt, std::vector<float>(accSize, 0.0f));
  parallelForT((size_t)p.n, 1, [&](size_t s0, size_t s1, int t) {
    float* gt = gT[t];
    float* a = acc[t].data();
    float* xs = xpad[t];
    for (size_t s = s0; s < s1; s++) {
      padInput(x + s * p.cIn * p.h * p.w, xs, 1, p.cIn, p.h, p.w, p.ph, p.pw);
      // gt[group][pixel][j] = gy[s, group·G + j, pixel] (0 past cOut), transposed in 16 × 16 blocks
      const float* gs = gy + s * p.cOut * P;
      for (int64_t g = 0; g < groups; g++) {
        float* dst = gt + g * P * G;
        const int64_t o1 = std::min(G, p.cOut - g * G);
        if (o1 < G) std::fill(dst, dst + P * G, 0.0f);
        for (int64_t j0 = 0; j0 < o1; j0 += 16)
          for (int64_t q0 = 0; q0 < P; q0 += 16)
            transpose16(gs + (g * G + j0) * P + q0, P, (int)std::min<int64_t>(16, o1 - j0), (int)std::min<int64_t>(16, P - q0),
                        dst + q0 * G + j0, G);
      }
      // channel blocks of near-equal size (a lone 1-channel block would leave most registers idle)
      const int64_t blocks = (p.cIn + cb - 1) / cb;
      for (int64_t g = 0; g < groups; g++) {
        for (int64_t bi = 0; bi < blocks; bi++) {
          const int64_t c = p.cIn * bi / blocks, nc = p.cIn * (bi + 1) / blocks - c;
          kernels[nc - 1](xs + c * hp * wp, hp * wp, wp, gt + g * P * G, G, p.oh, p.ow, a + ((g * p.cIn + c) * T) * G);
        }
      }
    }
  });
  for (int t = 1; t < nt; t++) for (size_t i = 0; i < accSize; i++) acc[0][i] += acc[t][i];
  const float* a = acc[0].data();
  for (int64_t o = 0; o < p.cOut; o++)
    for (int64_t c = 0; c < p.cIn; c++)
      for (int64_t t = 0; t < T; t++) gw[(o * p.cIn + c) * T + t] = a[(((o / G) * p.cIn + c) * T + t) * G + o % G];
  if (gb) {
    for (int64_t o = 0; o < p.cOut; o++) {
      double sum = 0;
      for (int64_t s = 0; s < p.n; s++) {
        const float* r = gy + (s * p.cOut + o) * P;
#pragma omp simd reduction(+ : sum)
        for (int64_t q = 0; q < P; q++) sum += r[q];
      }
      gb[o] = (float)sum;
    }
  }
  return true;
}

// ---- depthwise (one input channel per group) ----
// Output channel o reads input channel c = o / M (M = cOut/g output channels per group). Stride 1 runs on flat
// zero-padded planes (below); other strides on plain loops over, per tap (ki, kj), the output rows oy ∈ [ylo, yhi)
// and columns ox ∈ [lo, hi) that read inside the image (the rest read padding, zero):
//   forward          y[s, o, oy, ox] = b[o] + Σ_{ki,kj} w[o, ki, kj]·x[s, c, oy·sh − ph + ki·dh, ox·sw − pw + kj·dw]
//   input gradient   gx[s, c, ·] = Σ_{o ∈ group c} Σ_{ki,kj} w[o, ki, kj]·(gy[s, o] scattered back along the same map)
//   weight gradient  gw[o, ki, kj] = Σ_{s,oy,ox} gy[s, o, oy, ox]·x[s, c, oy·sh − ph + ki·dh, ox·sw − pw + kj·dw]

/** Output positions [lo, hi) along one axis whose input position o·s + start lies inside [0, len). */
static inline void dwRange(int64_t out, int64_t s, int64_t start, int64_t len, int64_t* lo, int64_t* hi) {
  const int64_t l = start >= 0 ? 0 : (-start + s - 1) / s;
  const int64_t h = start >= len ? 0 : (len - 1 - start) / s + 1;
  *lo = std::min(l, out);
  *hi = std::max(*lo, std::min(h, out));
}

/** Planes per parallel task: about 32k multiply-adds each. */
static size_t dwGrain(const ConvShape& p) { return std::max<size_t>(1, (size_t)(1 << 15) / (size_t)std::max<int64_t>(1, p.oh * p.ow * p.kh * p.kw)); }

static void dwForwardLoops(const float* x, const float* w, const float* bias, float* y, const ConvShape& p) {
  const int64_t M = p.cOut / p.g, HW = p.h * p.w, P = p.oh * p.ow, T = p.kh * p.kw;
  parallelFor((size_t)(p.n * p.cOut), dwGrain(p), [&](size_t a, size_t b) {
    for (size_t pl = a; pl < b; pl++) {
      const int64_t s = (int64_t)pl / p.cOut, o = (int64_t)pl % p.cOut;
      const float* xp = x + (s * p.cIn + o / M) * HW;
      const float* wo = w + o * T;
      float* yp = y + (int64_t)pl * P;
      std::fill(yp, yp + P, bias ? bias[o] : 0.0f);
      for (int64_t ki = 0; ki < p.kh; ki++) {
        const int64_t yoff = ki * p.dh - p.ph;
        int64_t ylo, yhi;
        dwRange(p.oh, p.sh, yoff, p.h, &ylo, &yhi);
        for (int64_t kj = 0; kj < p.kw; kj++) {
          const float wv = wo[ki * p.kw + kj];
          const int64_t xoff = kj * p.dw - p.pw;
          int64_t lo, hi;
          dwRange(p.ow, p.sw, xoff, p.w, &lo, &hi);
          for (int64_t oy = ylo; oy < yhi; oy++) {
            const float* src = xp + (oy * p.sh + yoff) * p.w + xoff;
            float* dst = yp + oy * p.ow;
            if (p.sw == 1) { DT_IVDEP for (int64_t ox = lo; ox < hi; ox++) dst[ox] += wv * src[ox]; }
            else for (int64_t ox = lo; ox < hi; ox++) dst[ox] += wv * src[ox * p.sw];
          }
        }
      }
    }
  });
}

static void dwBackwardInputLoops(const float* gy, const float* w, float* gx, const ConvShape& p) {
  const int64_t M = p.cOut / p.g, HW = p.h * p.w, P = p.oh * p.ow, T = p.kh * p.kw;
  parallelFor((size_t)(p.n * p.cIn), std::max<size_t>(1, dwGrain(p) / (size_t)M), [&](size_t a, size_t b) {
    for (size_t pl = a; pl < b; pl++) {
      const int64_t s = (int64_t)pl / p.cIn, c = (int64_t)pl % p.cIn;
      float* gp = gx + (int64_t)pl * HW;
      std::fill(gp, gp + HW, 0.0f);
      for (int64_t o = c * M; o < (c + 1) * M; o++) {
        const float* gyp = gy + (s * p.cOut + o) * P;
        const float* wo = w + o * T;
        for (int64_t ki = 0; ki < p.kh; ki++) {
          const int64_t yoff = ki * p.dh - p.ph;
          int64_t ylo, yhi;
          dwRange(p.oh, p.sh, yoff, p.h, &ylo, &yhi);
          for (int64_t kj = 0; kj < p.kw; kj++) {
            const float wv = wo[ki * p.kw + kj];
            const int64_t xoff = kj * p.dw - p.pw;
            int64_t lo, hi;
            dwRange(p.ow, p.sw, xoff, p.w, &lo, &hi);
            for (int64_t oy = ylo; oy < yhi; oy++) {
              const float* src = gyp + oy * p.ow;
              float* dst = gp + (oy * p.sh + yoff) * p.w + xoff;
              if (p.sw == 1) { DT_IVDEP for (int64_t ox = lo; ox < hi; ox++) dst[ox] += wv * src[ox]; }
              else for (int64_t ox = lo; ox < hi; ox++) dst[ox * p.sw] += wv * src[ox];
            }
          }
        }
      }
    }
  });
}

static void dwBackwardWeightLoops(const float* x, const float* gy, float* gw, float* gb, const ConvShape& p) {
  const int64_t M = p.cOut / p.g, HW = p.h * p.w, P = p.oh * p.ow, T = p.kh * p.kw;
  // one output channel per task: its taps sum over every sample, in a fixed order whatever the thread count
  parallelFor((size_t)p.cOut, 1, [&](size_t a, size_t b) {
    std::vector<double> acc((size_t)T);
    for (size_t oi = a; oi < b; oi++) {
      const int64_t o = (int64_t)oi, c = o / M;
      std::fill(acc.begin(), acc.end(), 0.0);
      double bsum = 0;
      for (int64_t s = 0; s < p.n; s++) {
        const float* xp = x + (s * p.cIn + c) * HW;
        const float* gyp = gy + (s * p.cOut + o) * P;
        for (int64_t ki = 0; ki < p.kh; ki++) {
          const int64_t yoff = ki * p.dh - p.ph;
          int64_t ylo, yhi;
          dwRange(p.oh, p.sh, yoff, p.h, &ylo, &yhi);
          for (int64_t kj = 0; kj < p.kw; kj++) {
            const int64_t xoff = kj * p.dw - p.pw;
            int64_t lo, hi;
            dwRange(p.ow, p.sw, xoff, p.w, &lo, &hi);
            float sum = 0.0f;  // one sample's plane in float, the sum over samples in double
            for (int64_t oy = ylo; oy < yhi; oy++) {
              const float* src = xp + (oy * p.sh + yoff) * p.w + xoff;
              const float* g = gyp + oy * p.ow;
              if (p.sw == 1) {
#pragma omp simd reduction(+ : sum)
                for (int64_t ox = lo; ox < hi; ox++) sum += g[ox] * src[ox];
              } else {
                for (int64_t ox = lo; ox < hi; ox++) sum += g[ox] * src[ox * p.sw];
              }
            }
            acc[(size_t)(ki * p.kw + kj)] += sum;
          }
        }
        if (gb) {
          float bs = 0.0f;
#pragma omp simd reduction(+ : bs)
          for (int64_t q = 0; q < P; q++) bs += gyp[q];
          bsum += bs;
        }
      }
      for (int64_t t = 0; t < T; t++) gw[o * T + t] = (float)acc[(size_t)t];
      if (gb) gb[o] = (float)bsum;
    }
  });
}

// Stride 1 on flat planes: every tap (ki, kj) reads the zero-padded plane (width wp) shifted by the flat offset
// ki·dh·wp + kj·dw, so computing output rows at the padded width (the wp − ow extra columns are discarded) turns
// each tap into one long contiguous multiply-add, out[f] = Σ_t w_t·pad[f + off_t] with f = oy·wp + ox, instead
// of a short loop per row. Buffers carry zero slack so the last, rounded-up vectors read zeros.

/** n rounded up to whole groups of 4 vectors (the correlation's unroll). */
static inline int64_t roundUp4(int64_t n) { return (n + 4 * L - 1) / (4 * L) * (4 * L); }

/** dst (rows × cols, zero elsewhere up to `total`) = src (sr × sc) with its (0, 0) at (top, left); top and left may
 *  be negative (src cropped). */
static void placePlane(const float* src, int64_t sr, int64_t sc, float* dst, int64_t rows, int64_t cols, int64_t top, int64_t left, int64_t total) {
  std::fill(dst, dst + total, 0.0f);
  const int64_t c0 = std::max<int64_t>(0, left), c1 = std::min(cols, left + sc);
  if (c0 >= c1) return;
  for (int64_t r = std::max<int64_t>(0, top); r < std::min(rows, top + sr); r++) {
    const float* a = src + (r - top) * sc + (c0 - left);
    float* d = dst + r * cols + c0;
    for (int64_t q = 0; q < c1 - c0; q++) d[q] = a[q];
  }
}

/** out[f] = init + Σ_j wt[j]·src[j][f] for f < n (a multiple of 4L; every src[j] readable that far). Four
 *  independent accumulators hide the multiply-add latency. */
static void flatCorrelate(const float* const* src, const float* wt, int64_t taps, float init, float* out, int64_t n) {
  for (int64_t f = 0; f < n; f += 4 * L) {
    vf a0 = vf{} + init, a1 = a0, a2 = a0, a3 = a0;
    for (int64_t j = 0; j < taps; j++) {
      const float* q = src[j] + f;
      const float wj = wt[j];
      a0 += wj * load(q); a1 += wj * load(q + L); a2 += wj * load(q + 2 * L); a3 += wj * load(q + 3 * L);
    }
    store(out + f, a0); store(out + f + L, a1); store(out + f + 2 * L, a2); store(out + f + 3 * L, a3);
  }
}

/** acc[j] += Σ_{f<n} g[f]·src[j][f] for NB taps at once (NB accumulators in registers); n a multiple of L. */
template <int NB>
static void flatDots(const float* g, const float* const* src, int64_t n, double* acc) {
  vf a[NB];
  DT_UNROLL for (int j = 0; j < NB; j++) a[j] = vf{};
  for (int64_t f = 0; f < n; f += L) {
    const vf gv = load(g + f);
    DT_UNROLL for (int j = 0; j < NB; j++) a[j] += gv * load(src[j] + f);
  }
  DT_UNROLL for (int j = 0; j < NB; j++) {
    float t = 0.0f;
    for (int l = 0; l < L; l++) t += a[j][l];
    acc[j] += t;
  }
}

/** flatDots over any number of taps, eight at a time. */
static void flatDotsAll(const float* g, const float* const* src, int64_t taps, int64_t n, double* acc) {
  using Fn = void (*)(const float*, const float* const*, int64_t, double*);
  static const Fn fns[8] = {&flatDots<1>, &flatDots<2>, &flatDots<3>, &flatDots<4>, &flatDots<5>, &flatDots<6>, &flatDots<7>, &flatDots<8>};
  for (int64_t j = 0; j < taps; j += 8) fns[std::min<int64_t>(8, taps - j) - 1](g, src + j, n, acc + j);
}

/** The padded-plane geometry of a stride-1 depthwise forward / weight gradient. */
struct DwFlat {
  int64_t hp, wp, n, size;  // padded rows and width, output cells at the padded width (rounded up), buffer floats
  std::vector<int64_t> off;  // flat offset of each tap
  explicit DwFlat(const ConvShape& p) {
    hp = p.h + 2 * p.ph;
    wp = p.w + 2 * p.pw;
    n = roundUp4(p.oh * wp);
    for (int64_t ki = 0; ki < p.kh; ki++)
      for (int64_t kj = 0; kj < p.kw; kj++) off.push_back(ki * p.dh * wp + kj * p.dw);
    size = std::max(hp * wp, off.back() + n);
  }
};

static size_t flatGrain(int64_t work) { return std::max<size_t>(1, (size_t)(1 << 16) / (size_t)std::max<int64_t>(1, work)); }

static void dwForwardFlat(const float* x, const float* w, const float* bias, float* y, const ConvShape& p) {
  const int64_t M = p.cOut / p.g, T = p.kh * p.kw, HW = p.h * p.w, P = p.oh * p.ow;
  const DwFlat F(p);
  // one task per input plane (sample, channel): padded once, read by its M output channels
  parallelFor((size_t)(p.n * p.cIn), flatGrain(M * T * F.n), [&](size_t a, size_t b) {
    std::vector<float> pad((size_t)F.size), tmp((size_t)F.n);
    std::vector<const float*> src((size_t)T);
    for (size_t pl = a; pl < b; pl++) {
      const int64_t s = (int64_t)pl / p.cIn, c = (int64_t)pl % p.cIn;
      placePlane(x + (int64_t)pl * HW, p.h, p.w, pad.data(), F.hp, F.wp, p.ph, p.pw, F.size);
      for (int64_t t = 0; t < T; t++) src[(size_t)t] = pad.data() + F.off[(size_t)t];
      for (int64_t o = c * M; o < (c + 1) * M; o++) {
        flatCorrelate(src.data(), w + o * T, T, bias ? bias[o] : 0.0f, tmp.data(), F.n);
        float* yo = y + (s * p.cOut + o) * P;
        for (int64_t oy = 0; oy < p.oh; oy++) std::copy(tmp.data() + oy * F.wp, tmp.data() + oy * F.wp + p.ow, yo + oy * p.ow);
      }
    }
  });
}

// The input gradient at stride 1 is the forward correlation of gy, padded so that its (0, 0) sits at
// ((kh−1)·dh − ph, (kw−1)·dw − pw), with the kernel rotated 180°:
//   gx[iy, ix] = Σ_{o ∈ group, ki, kj} w[o, ki, kj]·gpad_o[iy + (kh−1−ki)·dh, ix + (kw−1−kj)·dw]
static void dwBackwardInputFlat(const float* gy, const float* w, float* gx, const ConvShape& p) {
  const int64_t M = p.cOut / p.g, T = p.kh * p.kw, HW = p.h * p.w, P = p.oh * p.ow;
  const int64_t hq = p.h + (p.kh - 1) * p.dh, wq = p.w + (p.kw - 1) * p.dw, n = roundUp4(p.h * wq);
  const int64_t top = (p.kh - 1) * p.dh - p.ph, left = (p.kw - 1) * p.dw - p.pw;
  const int64_t size = std::max(hq * wq, (p.kh - 1) * p.dh * wq + (p.kw - 1) * p.dw + n);
  parallelFor((size_t)(p.n * p.cIn), flatGrain(M * T * n), [&](size_t a, size_t b) {
    std::vector<float> pad((size_t)(M * size)), tmp((size_t)n);
    std::vector<const float*> src((size_t)(M * T));
    for (size_t pl = a; pl < b; pl++) {
      const int64_t s = (int64_t)pl / p.cIn, c = (int64_t)pl % p.cIn;
      for (int64_t m = 0; m < M; m++) {
        float* pm = pad.data() + m * size;
        placePlane(gy + (s * p.cOut + c * M + m) * P, p.oh, p.ow, pm, hq, wq, top, left, size);
        for (int64_t ki = 0; ki < p.kh; ki++)
          for (int64_t kj = 0; kj < p.kw; kj++) src[(size_t)(m * T + ki * p.kw + kj)] = pm + (p.kh - 1 - ki) * p.dh * wq + (p.kw - 1 - kj) * p.dw;
      }
      // the weights of the group's M output channels are contiguous, [m][ki][kj] as src
      flatCorrelate(src.data(), w + c * M * T, M * T, 0.0f, tmp.data(), n);
      float* g = gx + (int64_t)pl * HW;
      for (int64_t iy = 0; iy < p.h; iy++) std::copy(tmp.data() + iy * wq, tmp.data() + iy * wq + p.w, g + iy * p.w);
    }
  });
}

// gw[o, t] = Σ_s Σ_f gyw_{s,o}[f]·pad_{s,c}[f + off_t], gyw being gy at the padded width with zero extra columns.
static void dwBackwardWeightFlat(const float* x, const float* gy, float* gw, float* gb, const ConvShape& p) {
  const int64_t M = p.cOut / p.g, T = p.kh * p.kw, HW = p.h * p.w, P = p.oh * p.ow;
  const DwFlat F(p);
  // one task per input channel: its M output channels sum over every sample in a fixed order
  parallelFor((size_t)p.cIn, 1, [&](size_t a, size_t b) {
    std::vector<float> pad((size_t)F.size), g((size_t)F.n);
    std::vector<const float*> src((size_t)T);
    std::vector<double> acc((size_t)(M * T)), bsum((size_t)M);
    for (size_t ci = a; ci < b; ci++) {
      const int64_t c = (int64_t)ci;
      std::fill(acc.begin(), acc.end(), 0.0);
      std::fill(bsum.begin(), bsum.end(), 0.0);
      for (int64_t s = 0; s < p.n; s++) {
        placePlane(x + (s * p.cIn + c) * HW, p.h, p.w, pad.data(), F.hp, F.wp, p.ph, p.pw, F.size);
        for (int64_t t = 0; t < T; t++) src[(size_t)t] = pad.data() + F.off[(size_t)t];
        for (int64_t m = 0; m < M; m++) {
          const float* gyp = gy + (s * p.cOut + c * M + m) * P;
          placePlane(gyp, p.oh, p.ow, g.data(), p.oh, F.wp, 0, 0, F.n);
          flatDotsAll(g.data(), src.data(), T, F.n, acc.data() + m * T);
          if (gb) {
            float bs = 0.0f;
#pragma omp simd reduction(+ : bs)
            for (int64_t q = 0; q < P; q++) bs += gyp[q];
            bsum[(size_t)m] += bs;
          }
        }
      }
      for (int64_t j = 0; j < M * T; j++) gw[c * M * T + j] = (float)acc[(size_t)j];
      if (gb) for (int64_t m = 0; m < M; m++) gb[c * M + m] = (float)bsum[(size_t)m];
    }
  });
}

void depthwiseForward(const float* x, const float* w, const float* bias, float* y, const ConvShape& p) {
  if (p.sh == 1 && p.sw == 1) dwForwardFlat(x, w, bias, y, p);
  else dwForwardLoops(x, w, bias, y, p);
}

void depthwiseBackwardInput(const float* gy, const float* w, float* gx, const ConvShape& p) {
  if (p.sh == 1 && p.sw == 1) dwBackwardInputFlat(gy, w, gx, p);
  else dwBackwardInputLoops(gy, w, gx, p);
}

void depthwiseBackwardWeight(const float* x, const float* gy, float* gw, float* gb, const ConvShape& p) {
  if (p.sh == 1 && p.sw == 1) dwBackwardWeightFlat(x, gy, gw, gb, p);
  else dwBackwardWeightLoops(x, gy, gw, gb, p);
}

}  // namespace dt
