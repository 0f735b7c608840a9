// Direct convolution for stride 1, dilation 1 (ResNet's 3×3 "same" convs and the like), vectorised over output
// channels: a tile of X output pixels × V vectors of L output channels stays in registers while every input
// channel and kernel tap is folded in (per tap: V weight loads, X broadcasts, X·V fused multiply-adds). This
// avoids im2col's k·k-fold copy of the input, which dominates when channel counts are small (16–64).
//   forward          y[o, oy, ox] = Σ_{c,ki,kj} w[o, c, ki, kj]·xp[c, oy + ki, ox + kj]   (xp: zero-padded x)
//   input gradient   the forward of gy with w[o, c, kh−1−ki, kw−1−kj] (roles of c and o swapped), padding k−1−p
//   weight gradient  gw[o, c, ki, kj] = Σ_{n,oy,ox} gy[n, o, oy, ox]·xp[n, c, oy + ki, ox + kj] (3×3 only)
#include "direct_conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace dt {

#if defined(__AVX512F__)
constexpr int L = 16, kRegs = 28;  // 32 zmm registers: 28 accumulators, the rest for weights and broadcasts
#elif defined(__AVX__)
constexpr int L = 8, kRegs = 12;   // 16 ymm registers
#elif defined(__ARM_NEON) || defined(__aarch64__)
constexpr int L = 4, kRegs = 24;   // 32 NEON registers
#else
constexpr int L = 4, kRegs = 12;
#endif
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

constexpr int kMaxV = 4;

/** Output-channel vectors per tile and pixels per tile for nOut channels on rows of width ow. */
static void tileShape(int64_t nOut, int64_t ow, int* V, int* X) {
  int64_t vecs = (nOut + L - 1) / L;
  const int v = (int)std::min<int64_t>(vecs, kMaxV);  // more channels per tile: fewer broadcasts per FMA
  *V = v;
  *X = (int)std::min<int64_t>(ow, kRegs / v);
}

// acc[p][v] += Σ over channels c, taps (ki, kj) of in[c, ki, p + kj]·w[c, ki, kj, v]. `in` points at the tile's
// first input cell, channel stride cs, row stride rs; w is [c][ki][kj][V·L].
// acc[p][v] += Σ over channels c, taps (ki, kj) of in[c, ki, p + kj]·w[c, ki, kj, v]. `in` points at the tile's
// first input cell, channel stride cs, row stride rs; w is [c][ki][kj][V·L].
template <int V, int X>
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
          const float s = r[p + kj];
          DT_UNROLL for (int v = 0; v < V; v++) acc[p][v] += s * wv[v];
        }
      }
    }
  }
  DT_UNROLL for (int p = 0; p < X; p++) DT_UNROLL for (int v = 0; v < V; v++) store(out + (p * V + v) * L, acc[p][v]);
}

using FwdTile = void (*)(const float*, int64_t, int64_t, const float*, int64_t, int, int, float*);

template <int V, int... Xs>
static constexpr auto fwdTable(std::integer_sequence<int, Xs...>) {
  return std::array<FwdTile, sizeof...(Xs)>{&fwdTile<V, Xs + 1>...};
}
static const auto kFwd1 = fwdTable<1>(std::make_integer_sequence<int, kRegs / 1>{});
static const auto kFwd2 = fwdTable<2>(std::make_integer_sequence<int, kRegs / 2>{});
static const auto kFwd3 = fwdTable<3>(std::make_integer_sequence<int, kRegs / 3>{});
static const auto kFwd4 = fwdTable<4>(std::make_integer_sequence<int, kRegs / 4>{});

static FwdTile fwdKernel(int V, int X) {
  switch (V) {
    case 1: return kFwd1[X - 1];
    case 2: return kFwd2[X - 1];
    case 3: return kFwd3[X - 1];
    default: return kFwd4[X - 1];
  }
}

/** xp (n, c, h + 2ph, w + 2pw): x with a zero border. */
static void padInput(const float* x, float* xp, int64_t n, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw) {
  const int64_t hp = h + 2 * ph, wp = w + 2 * pw;
  parallelFor((size_t)(n * c), std::max<size_t>(1, (1 << 15) / (size_t)(hp * wp)), [&](size_t a, size_t b) {
    for (size_t pl = a; pl < b; pl++) {
      const float* src = x + pl * h * w;
      float* dst = xp + pl * hp * wp;
      std::fill(dst, dst + ph * wp, 0.0f);
      for (int64_t i = 0; i < h; i++) {
        float* row = dst + (ph + i) * wp;
        std::fill(row, row + pw, 0.0f);
        std::memcpy(row + pw, src + i * w, sizeof(float) * w);
        std::fill(row + pw + w, row + wp, 0.0f);
      }
      std::fill(dst + (ph + h) * wp, dst + hp * wp, 0.0f);
    }
  });
}

/**
 * out (n, nOut, oh, ow) = direct conv of in (n, nIn, h, w) padded by (ph, pw) with wt (nOut, nIn, kh, kw),
 * plus bias. `flip` reads the weight as wt[c, o, kh−1−ki, kw−1−kj] from a (nIn-as-out …) layout: used by the
 * input gradient, whose "weight" is the forward weight transposed and rotated.
 */
static void directForward(const float* in, const float* wt, const float* bias, float* out, int64_t n, int64_t nIn,
                          int64_t h, int64_t w, int64_t nOut, int64_t kh, int64_t kw, int64_t ph, int64_t pw, bool flip) {
  const int64_t hp = h + 2 * ph, wp = w + 2 * pw, oh = hp - kh + 1, ow = wp - kw + 1;
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
  std::vector<float> xp((size_t)(n * nIn * hp * wp));
  padInput(in, xp.data(), n, nIn, h, w, ph, pw);
  const int64_t tiles = (ow + X - 1) / X;
  const size_t rowWork = (size_t)(tiles * groups * nIn * taps * X * V);
  parallelFor((size_t)(n * oh), std::max<size_t>(1, (1 << 16) / std::max<size_t>(1, rowWork)), [&](size_t r0, size_t r1) {
    alignas(64) float tmp[kRegs * L];
    for (size_t r = r0; r < r1; r++) {
      const int64_t s = r / oh, oy = r % oh;
      const float* base = xp.data() + s * nIn * hp * wp + oy * wp;
      for (int64_t t = 0; t < tiles; t++) {
        const int64_t ox0 = t * X, nx = std::min<int64_t>(X, ow - ox0);
        const FwdTile k = fwdKernel(V, (int)nx);
        for (int64_t g = 0; g < groups; g++) {
          k(base + ox0, hp * wp, wp, wr.data() + g * nIn * taps * G, nIn, (int)kh, (int)kw, tmp);
          const int64_t o1 = std::min(G, nOut - g * G);
          for (int64_t j = 0; j < o1; j++) {
            const int64_t o = g * G + j;
            float* dst = out + ((s * nOut + o) * oh + oy) * ow + ox0;
            const float b = bias ? bias[o] : 0.0f;
            for (int64_t p = 0; p < nx; p++) dst[p] = tmp[p * G + j] + b;
          }
        }
      }
    }
  });
}

bool directConvForward(const float* x, const float* w, const float* bias, float* y, const ConvShape& p) {
  if (p.sh != 1 || p.sw != 1 || p.dh != 1 || p.dw != 1 || p.cOut < L || p.n == 0) return false;
  if (p.oh != p.h + 2 * p.ph - p.kh + 1 || p.ow != p.w + 2 * p.pw - p.kw + 1 || p.oh < 1 || p.ow < 1) return false;
  directForward(x, w, bias, y, p.n, p.cIn, p.h, p.w, p.cOut, p.kh, p.kw, p.ph, p.pw, false);
  return true;
}

bool directConvBackwardInput(const float* gy, const float* w, float* gx, const ConvShape& p) {
  if (p.sh != 1 || p.sw != 1 || p.dh != 1 || p.dw != 1 || p.cIn < L || p.n == 0) return false;
  if (p.ph > p.kh - 1 || p.pw > p.kw - 1 || p.oh != p.h + 2 * p.ph - p.kh + 1 || p.ow != p.w + 2 * p.pw - p.kw + 1) return false;
  // gx = gy ⋆ rot180(w)ᵀ with padding k − 1 − p: output (n, cIn, h, w)
  directForward(gy, w, nullptr, gx, p.n, p.cOut, p.oh, p.ow, p.cIn, p.kh, p.kw, p.kh - 1 - p.ph, p.kw - 1 - p.pw, true);
  return true;
}

// ---- weight gradient (3×3) ----

// acc[c][t][v] += Σ over the tile's pixels of xp[c, oy + ki, ox + kj]·g[oy, ox][v], for CB channels from `x`
// (channel stride cs, row stride rs) and the output-gradient rows `g` ([pixel][G], pixel = oy·ow + ox).
template <int V, int CB>
DT_TILE static void bwdWTile(const float* x, int64_t cs, int64_t rs, const float* g, int64_t G, int64_t oh, int64_t ow, float* acc) {
  vf a[CB][9][V];
  DT_UNROLL for (int c = 0; c < CB; c++) DT_UNROLL for (int t = 0; t < 9; t++) DT_UNROLL for (int v = 0; v < V; v++) a[c][t][v] = load(acc + ((c * 9 + t) * V + v) * L);
  for (int64_t oy = 0; oy < oh; oy++) {
    const float* gr = g + oy * ow * G;
    const float* xr = x + oy * rs;
    for (int64_t ox = 0; ox < ow; ox++) {
      vf gv[V];
      DT_UNROLL for (int v = 0; v < V; v++) gv[v] = load(gr + ox * G + v * L);
      DT_UNROLL for (int c = 0; c < CB; c++) {
        const float* q = xr + c * cs + ox;
        DT_UNROLL for (int ki = 0; ki < 3; ki++)
          DT_UNROLL for (int kj = 0; kj < 3; kj++) {
            const float s = q[ki * rs + kj];
            DT_UNROLL for (int v = 0; v < V; v++) a[c][ki * 3 + kj][v] += s * gv[v];
          }
      }
    }
  }
  DT_UNROLL for (int c = 0; c < CB; c++) DT_UNROLL for (int t = 0; t < 9; t++) DT_UNROLL for (int v = 0; v < V; v++) store(acc + ((c * 9 + t) * V + v) * L, a[c][t][v]);
}

using BwdWTile = void (*)(const float*, int64_t, int64_t, const float*, int64_t, int64_t, int64_t, float*);
constexpr int kBwdV = kRegs >= 18 ? 2 : 1;  // output-channel vectors per weight-gradient tile

bool directConvBackwardWeight(const float* x, const float* gy, float* gw, float* gb, const ConvShape& p) {
  // few input channels leave most accumulator registers idle: im2col + GEMM does better there
  if (p.sh != 1 || p.sw != 1 || p.dh != 1 || p.dw != 1 || p.kh != 3 || p.kw != 3 || p.cOut < L || p.cIn < 4 || p.n == 0) return false;
  if (p.oh != p.h + 2 * p.ph - 2 || p.ow != p.w + 2 * p.pw - 2 || p.oh < 1 || p.ow < 1) return false;
  const int64_t hp = p.h + 2 * p.ph, wp = p.w + 2 * p.pw, P = p.oh * p.ow;
  const int V = (int)std::min<int64_t>(kBwdV, (p.cOut + L - 1) / L);
  const int64_t G = V * L, groups = (p.cOut + G - 1) / G;
  // channels per tile: as many as the accumulator registers allow (9 taps × V vectors each)
  const int CB = std::max(1, kRegs / (9 * V));
  BwdWTile kernels[3] = {nullptr, nullptr, nullptr};
  if (V == 1) { kernels[0] = &bwdWTile<1, 1>; if (CB >= 2) kernels[1] = &bwdWTile<1, 2>; if (CB >= 3) kernels[2] = &bwdWTile<1, 3>; }
  else { kernels[0] = &bwdWTile<kBwdV, 1>; }
  const int cb = V == 1 ? std::min(CB, 3) : 1;
  std::vector<float> xp((size_t)(p.n * p.cIn * hp * wp));
  padInput(x, xp.data(), p.n, p.cIn, p.h, p.w, p.ph, p.pw);
  const int nt = (int)std::min<int64_t>(threads(), p.n);
  // per thread: gradient rows transposed to [pixel][group·G], and accumulators [group][c][tap][G]
  const size_t accSize = (size_t)(groups * p.cIn * 9 * G);
  std::vector<std::vector<float>> gT(nt, std::vector<float>((size_t)(P * groups * G))), acc(nt, std::vector<float>(accSize, 0.0f));
  parallelForT((size_t)p.n, 1, [&](size_t s0, size_t s1, int t) {
    float* gt = gT[t].data();
    float* a = acc[t].data();
    for (size_t s = s0; s < s1; s++) {
      // gt[group][pixel][j] = gy[s, group·G + j, pixel] (0 past cOut)
      const float* gs = gy + s * p.cOut * P;
      for (int64_t g = 0; g < groups; g++) {
        float* dst = gt + g * P * G;
        const int64_t o1 = std::min(G, p.cOut - g * G);
        if (o1 < G) std::fill(dst, dst + P * G, 0.0f);
        for (int64_t j = 0; j < o1; j++) {
          const float* src = gs + (g * G + j) * P;
          for (int64_t q = 0; q < P; q++) dst[q * G + j] = src[q];
        }
      }
      const float* xs = xp.data() + s * p.cIn * hp * wp;
      for (int64_t g = 0; g < groups; g++) {
        for (int64_t c = 0; c < p.cIn; c += cb) {
          const int nc = (int)std::min<int64_t>(cb, p.cIn - c);
          kernels[nc - 1](xs + c * hp * wp, hp * wp, wp, gt + g * P * G, G, p.oh, p.ow, a + ((g * p.cIn + c) * 9) * G);
        }
      }
    }
  });
  for (int t = 1; t < nt; t++) for (size_t i = 0; i < accSize; i++) acc[0][i] += acc[t][i];
  const float* a = acc[0].data();
  for (int64_t o = 0; o < p.cOut; o++)
    for (int64_t c = 0; c < p.cIn; c++)
      for (int64_t t = 0; t < 9; t++) gw[(o * p.cIn + c) * 9 + t] = a[(((o / G) * p.cIn + c) * 9 + t) * G + o % G];
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
