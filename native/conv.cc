// 2-D convolution as im2col + GEMM per sample (PyTorch's CPU "slow_conv2d" scheme). Samples are split over the
// thread pool, each thread running single-threaded GEMMs on its own column buffer; with a single sample the GEMM
// itself is threaded by BLAS instead.
#include <algorithm>

#include "common.h"

namespace dt {

struct ConvP {
  int64_t n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
  int64_t K() const { return cIn * kh * kw; }
  int64_t P() const { return oh * ow; }
  /** 1×1, stride 1, no padding: the input already is its own column matrix. */
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
};

static ConvP readConv(const Args& A, size_t i) {
  ConvP p;
  int64_t* f[] = {&p.n, &p.cIn, &p.h, &p.w, &p.cOut, &p.kh, &p.kw, &p.sh, &p.sw, &p.ph, &p.pw, &p.dh, &p.dw, &p.oh, &p.ow};
  for (size_t j = 0; j < 15; j++) *f[j] = A.size(i + j);
  if (p.sh < 1 || p.sw < 1 || p.dh < 1 || p.dw < 1) A.fail("stride and dilation must be >= 1");
  return p;
}

/** Output columns [lo, hi) whose input column ox·s − pad + off lies inside [0, w). */
static inline void validRange(int64_t ow, int64_t s, int64_t start, int64_t w, int64_t* lo, int64_t* hi) {
  // start = −pad + off; need 0 ≤ ox·s + start < w
  int64_t l = start >= 0 ? 0 : (-start + s - 1) / s;
  int64_t h = start >= w ? 0 : (w - 1 - start) / s + 1;
  *lo = std::min(l, ow);
  *hi = std::max(*lo, std::min(h, ow));
}

/** col (K × P): row (c, ki, kj) holds x[c, oy·sh − ph + ki·dh, ox·sw − pw + kj·dw] (0 outside the image). */
static void im2col(const float* x, float* col, const ConvP& p) {
  const int64_t P = p.P();
  for (int64_t c = 0; c < p.cIn; c++) {
    for (int64_t ki = 0; ki < p.kh; ki++) {
      for (int64_t kj = 0; kj < p.kw; kj++) {
        float* row = col + ((c * p.kh + ki) * p.kw + kj) * P;
        const int64_t xoff = kj * p.dw - p.pw;
        int64_t lo, hi;
        validRange(p.ow, p.sw, xoff, p.w, &lo, &hi);
        for (int64_t oy = 0; oy < p.oh; oy++) {
          float* dst = row + oy * p.ow;
          const int64_t iy = oy * p.sh - p.ph + ki * p.dh;
          if (iy < 0 || iy >= p.h) { for (int64_t ox = 0; ox < p.ow; ox++) dst[ox] = 0.0f; continue; }
          const float* src = x + (c * p.h + iy) * p.w + xoff;
          for (int64_t ox = 0; ox < lo; ox++) dst[ox] = 0.0f;
          // plain loops, not memcpy: rows are short (often 8-32 floats) and the compiler inlines them as vectors
          if (p.sw == 1) { for (int64_t ox = lo; ox < hi; ox++) dst[ox] = src[ox]; }
          else for (int64_t ox = lo; ox < hi; ox++) dst[ox] = src[ox * p.sw];
          for (int64_t ox = hi; ox < p.ow; ox++) dst[ox] = 0.0f;
        }
      }
    }
  }
}

/** The adjoint of im2col: gx[c, iy, ix] += col[(c, ki, kj), (oy, ox)] for every cell that read it. gx preset. */
static void col2im(const float* col, float* gx, const ConvP& p) {
  const int64_t P = p.P();
  for (int64_t c = 0; c < p.cIn; c++) {
    for (int64_t ki = 0; ki < p.kh; ki++) {
      for (int64_t kj = 0; kj < p.kw; kj++) {
        const float* row = col + ((c * p.kh + ki) * p.kw + kj) * P;
        const int64_t xoff = kj * p.dw - p.pw;
        int64_t lo, hi;
        validRange(p.ow, p.sw, xoff, p.w, &lo, &hi);
        for (int64_t oy = 0; oy < p.oh; oy++) {
          const int64_t iy = oy * p.sh - p.ph + ki * p.dh;
          if (iy < 0 || iy >= p.h) continue;
          const float* src = row + oy * p.ow;
          float* dst = gx + (c * p.h + iy) * p.w + xoff;
          if (p.sw == 1) { for (int64_t ox = lo; ox < hi; ox++) dst[ox] += src[ox]; }
          else for (int64_t ox = lo; ox < hi; ox++) dst[ox * p.sw] += src[ox];
        }
      }
    }
  }
}

/** Runs body(i, thread) for every sample: split over the pool with serial BLAS, or in order with threaded BLAS. */
template <typename F>
static void forSamples(int64_t n, F body) {
  if (n >= 2 && threads() > 1) {
    SerialBlas serial;
    parallelForT((size_t)n, 1, [&](size_t b, size_t e, int t) { for (size_t i = b; i < e; i++) body((int64_t)i, t); });
  } else {
    for (int64_t i = 0; i < n; i++) body(i, 0);
  }
}

static int activeThreads(int64_t n) { return n >= 2 ? std::min<int64_t>(threads(), n) : 1; }

// conv2d(x, w, bias|null, y, ...15 params)
static void conv2d(const Args& A) {
  ConvP p = readConv(A, 4);
  const int64_t K = p.K(), P = p.P();
  const float* x = A.f32(0, p.n * p.cIn * p.h * p.w).p;
  const float* W = A.f32(1, p.cOut * K).p;
  const float* bias = A.f32OrNull(2, p.cOut).p;
  float* y = A.f32(3, p.n * p.cOut * P).p;
  const bool direct = p.pointwise();
  const int nt = activeThreads(p.n);
  std::vector<float*> col(nt);
  if (!direct) for (int t = 0; t < nt; t++) col[t] = scratch(t, K * P);
  forSamples(p.n, [&](int64_t i, int t) {
    const float* xi = x + i * p.cIn * p.h * p.w;
    float* yi = y + i * p.cOut * P;
    const float* c = xi;
    if (!direct) { im2col(xi, col[t], p); c = col[t]; }
    if (bias) for (int64_t o = 0; o < p.cOut; o++) std::fill(yi + o * P, yi + (o + 1) * P, bias[o]);
    // y_i (cOut × P) = W (cOut × K) · col (K × P) [+ bias already in y_i]
    sgemm(false, false, p.cOut, P, K, 1.0f, W, K, c, P, bias ? 1.0f : 0.0f, yi, P);
  });
}

// conv2dBackwardInput(gy, w, gx, ...15 params)
static void conv2dBackwardInput(const Args& A) {
  ConvP p = readConv(A, 3);
  const int64_t K = p.K(), P = p.P();
  const float* gy = A.f32(0, p.n * p.cOut * P).p;
  const float* W = A.f32(1, p.cOut * K).p;
  float* gx = A.f32(2, p.n * p.cIn * p.h * p.w).p;
  const bool direct = p.pointwise();
  const int nt = activeThreads(p.n);
  std::vector<float*> col(nt);
  if (!direct) for (int t = 0; t < nt; t++) col[t] = scratch(t, K * P);
  forSamples(p.n, [&](int64_t i, int t) {
    const float* gyi = gy + i * p.cOut * P;
    float* gxi = gx + i * p.cIn * p.h * p.w;
    // col (K × P) = Wᵀ (K × cOut) · gy_i (cOut × P), then scattered back onto the image
    if (direct) { sgemm(true, false, K, P, p.cOut, 1.0f, W, K, gyi, P, 0.0f, gxi, P); return; }
    sgemm(true, false, K, P, p.cOut, 1.0f, W, K, gyi, P, 0.0f, col[t], P);
    std::memset(gxi, 0, sizeof(float) * p.cIn * p.h * p.w);
    col2im(col[t], gxi, p);
  });
}

// conv2dBackwardWeight(x, gy, gw, gb|null, ...15 params)
static void conv2dBackwardWeight(const Args& A) {
  ConvP p = readConv(A, 4);
  const int64_t K = p.K(), P = p.P();
  const float* x = A.f32(0, p.n * p.cIn * p.h * p.w).p;
  const float* gy = A.f32(1, p.n * p.cOut * P).p;
  float* gw = A.f32(2, p.cOut * K).p;
  float* gb = A.f32OrNull(3, p.cOut).p;
  const bool direct = p.pointwise();
  const int nt = activeThreads(p.n);
  std::vector<float*> col(nt), acc(nt);
  std::vector<std::vector<double>> bsum(nt, std::vector<double>(gb ? p.cOut : 0, 0.0));
  std::vector<char> started(nt, 0);
  for (int t = 0; t < nt; t++) {
    if (!direct) col[t] = scratch(t, K * P);
    acc[t] = t == 0 ? gw : scratch(t, p.cOut * K, 1);  // thread 0 accumulates straight into gw
  }
  forSamples(p.n, [&](int64_t i, int t) {
    const float* xi = x + i * p.cIn * p.h * p.w;
    const float* gyi = gy + i * p.cOut * P;
    const float* c = xi;
    if (!direct) { im2col(xi, col[t], p); c = col[t]; }
    // gw += gy_i (cOut × P) · col_iᵀ (P × K)
    sgemm(false, true, p.cOut, K, P, 1.0f, gyi, P, c, P, started[t] ? 1.0f : 0.0f, acc[t], K);
    started[t] = 1;
    if (gb) {
      for (int64_t o = 0; o < p.cOut; o++) {
        const float* r = gyi + o * P;
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t j = 0; j < P; j++) s += r[j];
        bsum[t][o] += s;
      }
    }
  });
  if (!started[0]) std::memset(gw, 0, sizeof(float) * p.cOut * K);
  for (int t = 1; t < nt; t++) {
    if (!started[t]) continue;
    const float* a = acc[t];
    for (int64_t j = 0; j < p.cOut * K; j++) gw[j] += a[j];
  }
  if (gb) {
    for (int64_t o = 0; o < p.cOut; o++) {
      double s = 0;
      for (int t = 0; t < nt; t++) s += bsum[t][o];
      gb[o] = (float)s;
    }
  }
}

void registerConv(napi_env env, napi_value exports) {
  DT_DEF("conv2d", conv2d);
  DT_DEF("conv2dBackwardInput", conv2dBackwardInput);
  DT_DEF("conv2dBackwardWeight", conv2dBackwardWeight);
}

}  // namespace dt
