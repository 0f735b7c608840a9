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
static void directForward(const float* in, const float* wt, const float* bias, float* out, int64_t n, int64_t nIn,
                          int64_t h, int64_t w, int64_t nOut, int64_t kh, int64_t kw, int64_t ph, int64_t pw, int64_t st, bool flip) {
  const int64_t hp = h + 2 * ph, wp = w + 2 * pw, oh = (hp - kh) / st + 1, ow = (wp - kw) / st + 1, plane = hp * wp;
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
        k(xs + oy * st * wp + ox0 * st, plane, wp, wr.data() + g * nIn * taps * G, nIn, (int)kh, (int)kw, tmp);
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
  if (p.sh != p.sw || (p.sh != 1 && p.sh != 2) || p.dh != 1 || p.dw != 1 || p.cOut < L || p.n == 0) return false;
  if (p.oh != (p.h + 2 * p.ph - p.kh) / p.sh + 1 || p.ow != (p.w + 2 * p.pw - p.kw) / p.sw + 1 || p.oh < 1 || p.ow < 1) return false;
  directForward(x, w, bias, y, p.n, p.cIn, p.h, p.w, p.cOut, p.kh, p.kw, p.ph, p.pw, p.sh, false);
  return true;
}

bool directConvBackwardInput(const float* gy, const float* w, float* gx, const ConvShape& p) {
  if (p.sh != 1 || p.sw != 1 || p.dh != 1 || p.dw != 1 || p.cIn < L || p.n == 0) return false;
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
  if (p.sh != p.sw || (p.sh != 1 && p.sh != 2) || p.dh != 1 || p.dw != 1 || p.kh != p.kw || (p.kh != 3 && p.kh != 5) ||
      p.cOut < L || p.cIn < 4 || p.n == 0) return false;
  if (p.oh != (p.h + 2 * p.ph - p.kh) / p.sh + 1 || p.ow != (p.w + 2 * p.pw - p.kw) / p.sw + 1 || p.oh < 1 || p.ow < 1) return false;
  const int64_t K = p.kh, T = K * K;
  const int64_t hp = p.h + 2 * p.ph, wp = p.w + 2 * p.pw, P = p.oh * p.ow;
  // output-channel vectors per tile: 2 for 3×3 when the registers allow, else 1
  const int V = K == 3 ? (int)std::min<int64_t>(kBwdV, (p.cOut + L - 1) / L) : 1;
  const int64_t G = V * L, groups = (p.cOut + G - 1) / G;
  BwdWTile kernels[3] = {nullptr, nullptr, nullptr};
  if (K == 3) { if (p.sh == 1) bwdWKernels<3, 1>(V, kernels); else bwdWKernels<3, 2>(V, kernels); }
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

}  // namespace dt
