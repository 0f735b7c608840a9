// Layer norm (rows) and batch norm (channels of (n, c, s)) kernels. Statistics accumulate in double and
// variances are two-pass (mean first, then Σ(x − μ)²), as in the TypeScript backend.
#include <algorithm>
#include <cmath>

#include "common.h"
#include "vmath.h"

namespace dt {

constexpr size_t kGrain = 1 << 14;

// layerNorm(x, gamma|null, beta|null, y, mean, rstd, rows, cols, eps)
static void layerNorm(const Args& A) {
  const int64_t rows = A.size(6), cols = A.size(7);
  const double eps = A.num(8);
  const float* x = A.f32(0, rows * cols).p;
  const float* gamma = A.f32OrNull(1, cols).p;
  const float* beta = A.f32OrNull(2, cols).p;
  float* y = A.f32(3, rows * cols).p;
  float* mean = A.f32(4, rows).p;
  float* rstd = A.f32(5, rows).p;
  parallelFor((size_t)rows, std::max<size_t>(1, kGrain / std::max<int64_t>(1, cols)), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < cols; j++) s += xr[j];
      const double mu = s / cols;
      double v = 0;
#pragma omp simd reduction(+ : v)
      for (int64_t j = 0; j < cols; j++) { double d = xr[j] - mu; v += d * d; }
      const double rs = 1.0 / std::sqrt(v / cols + eps);
      mean[r] = (float)mu;
      rstd[r] = (float)rs;
      const float fmu = (float)mu, frs = (float)rs;
      if (gamma && beta) { DT_IVDEP for (int64_t j = 0; j < cols; j++) yr[j] = (xr[j] - fmu) * frs * gamma[j] + beta[j]; }
      else if (gamma) { DT_IVDEP for (int64_t j = 0; j < cols; j++) yr[j] = (xr[j] - fmu) * frs * gamma[j]; }
      else if (beta) { DT_IVDEP for (int64_t j = 0; j < cols; j++) yr[j] = (xr[j] - fmu) * frs + beta[j]; }
      else { DT_IVDEP for (int64_t j = 0; j < cols; j++) yr[j] = (xr[j] - fmu) * frs; }
    }
  });
}

// layerNormBackward(gy, x, gamma|null, mean, rstd, gx, ggamma|null, gbeta|null, rows, cols)
//   x̂ = (x − μ)·rstd, d = gy·γ:  gx = rstd·(d − mean(d) − x̂·mean(d·x̂));  gγ = Σ_rows gy·x̂;  gβ = Σ_rows gy
static void layerNormBackward(const Args& A) {
  const int64_t rows = A.size(8), cols = A.size(9);
  const float* gy = A.f32(0, rows * cols).p;
  const float* x = A.f32(1, rows * cols).p;
  const float* gamma = A.f32OrNull(2, cols).p;
  const float* mean = A.f32(3, rows).p;
  const float* rstd = A.f32(4, rows).p;
  float* gx = A.f32(5, rows * cols).p;
  float* ggamma = A.f32OrNull(6, cols).p;
  float* gbeta = A.f32OrNull(7, cols).p;
  const bool params = ggamma || gbeta;
  const int nt = threads();
  // per-thread column sums for gγ and gβ (float, like the float32 arrays the TypeScript loop adds into)
  std::vector<float*> part(nt);
  for (int t = 0; t < nt; t++) part[t] = params ? scratch(t, 2 * cols, 2) : nullptr;
  std::vector<char> used(nt, 0);
  parallelForT((size_t)rows, std::max<size_t>(1, kGrain / std::max<int64_t>(1, cols)), [&](size_t r0, size_t r1, int t) {
    float* pg = part[t];
    float* pb = params ? pg + cols : nullptr;
    if (params) { std::fill(pg, pg + 2 * cols, 0.0f); used[t] = 1; }
    for (size_t r = r0; r < r1; r++) {
      const float* g = gy + r * cols;
      const float* xr = x + r * cols;
      float* o = gx + r * cols;
      const float mu = mean[r], rs = rstd[r];
      double sd = 0, sdx = 0;
      if (gamma) {
#pragma omp simd reduction(+ : sd, sdx)
        for (int64_t j = 0; j < cols; j++) { float xh = (xr[j] - mu) * rs; float d = g[j] * gamma[j]; sd += d; sdx += d * xh; }
      } else {
#pragma omp simd reduction(+ : sd, sdx)
        for (int64_t j = 0; j < cols; j++) { float xh = (xr[j] - mu) * rs; sd += g[j]; sdx += g[j] * xh; }
      }
      if (params) { DT_IVDEP for (int64_t j = 0; j < cols; j++) { pg[j] += g[j] * ((xr[j] - mu) * rs); pb[j] += g[j]; } }
      const float md = (float)(sd / cols), mdx = (float)(sdx / cols);
      if (gamma) { DT_IVDEP for (int64_t j = 0; j < cols; j++) { float xh = (xr[j] - mu) * rs; o[j] = rs * (g[j] * gamma[j] - md - xh * mdx); } }
      else { DT_IVDEP for (int64_t j = 0; j < cols; j++) { float xh = (xr[j] - mu) * rs; o[j] = rs * (g[j] - md - xh * mdx); } }
    }
  });
  if (!params) return;
  if (ggamma) std::fill(ggamma, ggamma + cols, 0.0f);
  if (gbeta) std::fill(gbeta, gbeta + cols, 0.0f);
  for (int t = 0; t < nt; t++) {
    if (!used[t]) continue;
    if (ggamma) for (int64_t j = 0; j < cols; j++) ggamma[j] += part[t][j];
    if (gbeta) for (int64_t j = 0; j < cols; j++) gbeta[j] += part[t][cols + j];
  }
}

// channelMoments(x, n, c, s, mean, variance): per channel over n and s, biased variance
static void channelMoments(const Args& A) {
  const int64_t n = A.size(1), c = A.size(2), s = A.size(3);
  const float* x = A.f32(0, n * c * s).p;
  float* mean = A.f32(4, c).p;
  float* var = A.f32(5, c).p;
  const int64_t m = n * s;
  if (s == 1) {
    // (n, c) rows, as BatchNorm1d on features: channels are contiguous, so accumulate a block of channels per row
    parallelFor((size_t)c, 256, [&](size_t c0, size_t c1) {
      const int64_t w = (int64_t)(c1 - c0);
      std::vector<double> sum((size_t)w, 0.0), v((size_t)w, 0.0);
      for (int64_t b = 0; b < n; b++) {
        const float* p = x + b * c + c0;
        DT_IVDEP for (int64_t j = 0; j < w; j++) sum[j] += p[j];
      }
      for (int64_t j = 0; j < w; j++) sum[j] = m > 0 ? sum[j] / m : 0.0;
      for (int64_t b = 0; b < n; b++) {
        const float* p = x + b * c + c0;
        DT_IVDEP for (int64_t j = 0; j < w; j++) { const double d = p[j] - sum[j]; v[j] += d * d; }
      }
      for (int64_t j = 0; j < w; j++) { mean[c0 + j] = (float)sum[j]; var[c0 + j] = m > 0 ? (float)(v[j] / m) : 0.0f; }
    });
    return;
  }
  parallelFor((size_t)c, std::max<size_t>(1, kGrain / std::max<int64_t>(1, m)), [&](size_t c0, size_t c1) {
    for (size_t ch = c0; ch < c1; ch++) {
      double sum = 0;
      for (int64_t b = 0; b < n; b++) {
        const float* p = x + (b * c + ch) * s;
#pragma omp simd reduction(+ : sum)
        for (int64_t i = 0; i < s; i++) sum += p[i];
      }
      const double mu = m > 0 ? sum / m : 0.0;
      double v = 0;
      for (int64_t b = 0; b < n; b++) {
        const float* p = x + (b * c + ch) * s;
#pragma omp simd reduction(+ : v)
        for (int64_t i = 0; i < s; i++) { double d = p[i] - mu; v += d * d; }
      }
      mean[ch] = (float)mu;
      var[ch] = m > 0 ? (float)(v / m) : 0.0f;
    }
  });
}

// channelAffine(x, mean, rstd, gamma|null, beta|null, y, n, c, s): y = (x − mean[c])·rstd[c]·gamma[c] + beta[c]
static void channelAffine(const Args& A) {
  const int64_t n = A.size(6), c = A.size(7), s = A.size(8);
  const float* x = A.f32(0, n * c * s).p;
  const float* mean = A.f32(1, c).p;
  const float* rstd = A.f32(2, c).p;
  const float* gamma = A.f32OrNull(3, c).p;
  const float* beta = A.f32OrNull(4, c).p;
  float* y = A.f32(5, n * c * s).p;
  if (s == 1) {
    // (n, c) rows: per-channel scale once, then one vector loop per row
    std::vector<float> scale((size_t)c), shift((size_t)c);
    for (int64_t ch = 0; ch < c; ch++) {
      scale[ch] = gamma ? (float)((double)rstd[ch] * gamma[ch]) : rstd[ch];
      shift[ch] = beta ? beta[ch] : 0.0f;
    }
    parallelFor((size_t)n, std::max<size_t>(1, kGrain / std::max<int64_t>(1, c)), [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; r++) {
        const float* xp = x + r * c;
        float* yp = y + r * c;
        DT_IVDEP for (int64_t j = 0; j < c; j++) yp[j] = (xp[j] - mean[j]) * scale[j] + shift[j];
      }
    });
    return;
  }
  parallelFor((size_t)(n * c), std::max<size_t>(1, kGrain / std::max<int64_t>(1, s)), [&](size_t p0, size_t p1) {
    for (size_t pl = p0; pl < p1; pl++) {
      const int64_t ch = pl % c;
      const float scale = gamma ? (float)((double)rstd[ch] * gamma[ch]) : rstd[ch];
      const float shift = beta ? beta[ch] : 0.0f;
      const float mu = mean[ch];
      const float* xp = x + pl * s;
      float* yp = y + pl * s;
      DT_IVDEP for (int64_t i = 0; i < s; i++) yp[i] = (xp[i] - mu) * scale + shift;
    }
  });
}

// batchNormBackward(gy, x, mean, rstd, gamma|null, gx, ggamma|null, gbeta|null, n, c, s)
//   per channel, m = n·s values: gx = γ·rstd·(gy − Σgy/m − x̂·Σ(gy·x̂)/m);  gγ = Σ gy·x̂;  gβ = Σ gy
static void batchNormBackward(const Args& A) {
  const int64_t n = A.size(8), c = A.size(9), s = A.size(10);
  const float* gy = A.f32(0, n * c * s).p;
  const float* x = A.f32(1, n * c * s).p;
  const float* mean = A.f32(2, c).p;
  const float* rstd = A.f32(3, c).p;
  const float* gamma = A.f32OrNull(4, c).p;
  float* gx = A.f32(5, n * c * s).p;
  float* ggamma = A.f32OrNull(6, c).p;
  float* gbeta = A.f32OrNull(7, c).p;
  const int64_t m = n * s;
  if (s == 1) {
    // (n, c) rows: the same sums, a block of contiguous channels per row
    parallelFor((size_t)c, 256, [&](size_t c0, size_t c1) {
      const int64_t w = (int64_t)(c1 - c0);
      std::vector<double> sg((size_t)w, 0.0), sgx((size_t)w, 0.0);
      const float* mu = mean + c0;
      const float* rs = rstd + c0;
      for (int64_t b = 0; b < n; b++) {
        const float* g = gy + b * c + c0;
        const float* xp = x + b * c + c0;
        DT_IVDEP for (int64_t j = 0; j < w; j++) { sg[j] += g[j]; sgx[j] += g[j] * ((xp[j] - mu[j]) * rs[j]); }
      }
      std::vector<float> k((size_t)w), mg((size_t)w), mgx((size_t)w);
      for (int64_t j = 0; j < w; j++) {
        if (ggamma) ggamma[c0 + j] = (float)sgx[j];
        if (gbeta) gbeta[c0 + j] = (float)sg[j];
        k[j] = (float)((gamma ? gamma[c0 + j] : 1.0) * rs[j]);
        mg[j] = (float)(sg[j] / m);
        mgx[j] = (float)(sgx[j] / m);
      }
      for (int64_t b = 0; b < n; b++) {
        const float* g = gy + b * c + c0;
        const float* xp = x + b * c + c0;
        float* o = gx + b * c + c0;
        DT_IVDEP for (int64_t j = 0; j < w; j++) { float xh = (xp[j] - mu[j]) * rs[j]; o[j] = k[j] * (g[j] - mg[j] - xh * mgx[j]); }
      }
    });
    return;
  }
  parallelFor((size_t)c, std::max<size_t>(1, kGrain / std::max<int64_t>(1, m)), [&](size_t c0, size_t c1) {
    for (size_t ch = c0; ch < c1; ch++) {
      const float mu = mean[ch], rs = rstd[ch];
      double sg = 0, sgx = 0;
      for (int64_t b = 0; b < n; b++) {
        const float* g = gy + (b * c + ch) * s;
        const float* xp = x + (b * c + ch) * s;
#pragma omp simd reduction(+ : sg, sgx)
        for (int64_t i = 0; i < s; i++) { sg += g[i]; sgx += g[i] * ((xp[i] - mu) * rs); }
      }
      if (ggamma) ggamma[ch] = (float)sgx;
      if (gbeta) gbeta[ch] = (float)sg;
      const float k = (float)((gamma ? gamma[ch] : 1.0) * rs), mg = (float)(sg / m), mgx = (float)(sgx / m);
      for (int64_t b = 0; b < n; b++) {
        const float* g = gy + (b * c + ch) * s;
        const float* xp = x + (b * c + ch) * s;
        float* o = gx + (b * c + ch) * s;
        DT_IVDEP for (int64_t i = 0; i < s; i++) { float xh = (xp[i] - mu) * rs; o[i] = k * (g[i] - mg - xh * mgx); }
      }
    }
  });
}

// Group norm, fused with an optional per-(sample, channel) shift before it and a SiLU after it. One row per
// (sample, group): cg = c/groups channels × s positions, contiguous. A row (a few KB to a few tens of KB) stays in
// cache between the passes, so the kernel reads x from memory about once.
//   u = (x + shift − μ)·rstd·γ + β,  y = act(u)
// groupNorm(x, gamma|null, beta|null, shift|null, y, mean, rstd, n, c, s, groups, eps, act)
static void groupNorm(const Args& A) {
  const int64_t n = A.size(7), c = A.size(8), s = A.size(9), G = A.size(10);
  const double eps = A.num(11);
  const bool silu = A.size(12) == 1;
  if (G < 1 || c % G != 0) A.fail("groups must divide the channel count");
  const int64_t cg = c / G, cols = cg * s;
  const float* x = A.f32(0, n * c * s).p;
  const float* gamma = A.f32OrNull(1, c).p;
  const float* beta = A.f32OrNull(2, c).p;
  const float* shift = A.f32OrNull(3, n * c).p;
  float* y = A.f32(4, n * c * s).p;
  float* mean = A.f32(5, n * G).p;
  float* rstd = A.f32(6, n * G).p;
  parallelFor((size_t)(n * G), std::max<size_t>(1, kGrain / std::max<int64_t>(1, cols)), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const int64_t b = (int64_t)r / G, c0 = ((int64_t)r % G) * cg;
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      double sum = 0;
      for (int64_t k = 0; k < cg; k++) {
        const float* xp = xr + k * s;
        const double d = shift ? shift[b * c + c0 + k] : 0.0;
        double t = 0;
#pragma omp simd reduction(+ : t)
        for (int64_t i = 0; i < s; i++) t += xp[i];
        sum += t + d * s;
      }
      const double mu = sum / cols;
      double v = 0;
      for (int64_t k = 0; k < cg; k++) {
        const float* xp = xr + k * s;
        const double d = (shift ? shift[b * c + c0 + k] : 0.0) - mu;
        double t = 0;
#pragma omp simd reduction(+ : t)
        for (int64_t i = 0; i < s; i++) { double e = xp[i] + d; t += e * e; }
        v += t;
      }
      const double rs = 1.0 / std::sqrt(v / cols + eps);
      mean[r] = (float)mu;
      rstd[r] = (float)rs;
      for (int64_t k = 0; k < cg; k++) {
        // u = x·a + o with a = rstd·γ, o = (shift − μ)·rstd·γ + β
        const double gm = gamma ? gamma[c0 + k] : 1.0;
        const float a = (float)(rs * gm);
        const float o = (float)(((shift ? shift[b * c + c0 + k] : 0.0) - mu) * rs * gm + (beta ? beta[c0 + k] : 0.0));
        const float* xp = xr + k * s;
        float* yp = yr + k * s;
        if (silu) { DT_IVDEP for (int64_t i = 0; i < s; i++) { float u = xp[i] * a + o; yp[i] = u * vsigmoid(u); } }
        else { DT_IVDEP for (int64_t i = 0; i < s; i++) yp[i] = xp[i] * a + o; }
      }
    }
  });
}

// groupNormBackward(gy, x, gamma|null, beta|null, shift|null, mean, rstd, gx, ggamma|null, gbeta|null, gshift|null,
//                   n, c, s, groups, act)
//   gu = gy·act'(u); x̂ = (x + shift − μ)·rstd, d = gu·γ:  gx = rstd·(d − mean(d) − x̂·mean(d·x̂));
//   gγ_c = Σ gu·x̂;  gβ_c = Σ gu;  gshift[b, c] = Σ_s gx[b, c, s]
static void groupNormBackward(const Args& A) {
  const int64_t n = A.size(11), c = A.size(12), s = A.size(13), G = A.size(14);
  const bool silu = A.size(15) == 1;
  if (G < 1 || c % G != 0) A.fail("groups must divide the channel count");
  const int64_t cg = c / G, cols = cg * s;
  const float* gy = A.f32(0, n * c * s).p;
  const float* x = A.f32(1, n * c * s).p;
  const float* gamma = A.f32OrNull(2, c).p;
  const float* beta = A.f32OrNull(3, c).p;
  const float* shift = A.f32OrNull(4, n * c).p;
  const float* mean = A.f32(5, n * G).p;
  const float* rstd = A.f32(6, n * G).p;
  float* gx = A.f32(7, n * c * s).p;
  float* ggamma = A.f32OrNull(8, c).p;
  float* gbeta = A.f32OrNull(9, c).p;
  float* gshift = A.f32OrNull(10, n * c).p;
  const int nt = threads();
  // per-thread channel sums of gu·x̂ and gu (double), reduced at the end
  std::vector<std::vector<double>> part(nt, std::vector<double>(2 * c, 0.0));
  parallelForT((size_t)(n * G), std::max<size_t>(1, kGrain / std::max<int64_t>(1, cols)), [&](size_t r0, size_t r1, int t) {
    double* pg = part[t].data();
    double* pb = pg + c;
    for (size_t r = r0; r < r1; r++) {
      const int64_t b = (int64_t)r / G, c0 = ((int64_t)r % G) * cg;
      const float mu = mean[r], rs = rstd[r];
      const float* xr = x + r * cols;
      const float* gr = gy + r * cols;
      float* o = gx + r * cols;
      double sd = 0, sdx = 0;
      // pass 1: gu into gx, and the sums
      for (int64_t k = 0; k < cg; k++) {
        const float d0 = (shift ? shift[b * c + c0 + k] : 0.0f) - mu;
        const float gm = gamma ? gamma[c0 + k] : 1.0f, bt = beta ? beta[c0 + k] : 0.0f;
        const float* xp = xr + k * s;
        const float* gp = gr + k * s;
        float* op = o + k * s;
        double sg = 0, sgx = 0;
        if (silu) {
#pragma omp simd reduction(+ : sg, sgx)
          for (int64_t i = 0; i < s; i++) {
            float xh = (xp[i] + d0) * rs, u = xh * gm + bt, sgm = vsigmoid(u);
            float gu = gp[i] * (sgm * (1.0f + u * (1.0f - sgm)));
            op[i] = gu;
            sg += gu;
            sgx += gu * xh;
          }
        } else {
#pragma omp simd reduction(+ : sg, sgx)
          for (int64_t i = 0; i < s; i++) {
            float xh = (xp[i] + d0) * rs, gu = gp[i];
            op[i] = gu;
            sg += gu;
            sgx += gu * xh;
          }
        }
        sd += sg * gm;
        sdx += sgx * gm;
        pg[c0 + k] += sgx;
        pb[c0 + k] += sg;
      }
      const float md = (float)(sd / cols), mdx = (float)(sdx / cols);
      // pass 2: gx = rstd·(gu·γ − mean(d) − x̂·mean(d·x̂)), on the row still in cache
      for (int64_t k = 0; k < cg; k++) {
        const float d0 = (shift ? shift[b * c + c0 + k] : 0.0f) - mu;
        const float gm = gamma ? gamma[c0 + k] : 1.0f;
        const float* xp = xr + k * s;
        float* op = o + k * s;
        double gs = 0;
#pragma omp simd reduction(+ : gs)
        for (int64_t i = 0; i < s; i++) {
          float xh = (xp[i] + d0) * rs;
          float v = rs * (op[i] * gm - md - xh * mdx);
          op[i] = v;
          gs += v;
        }
        if (gshift) gshift[b * c + c0 + k] = (float)gs;
      }
    }
  });
  for (int64_t j = 0; j < c; j++) {
    double a = 0, bsum = 0;
    for (int t = 0; t < nt; t++) { a += part[t][j]; bsum += part[t][c + j]; }
    if (ggamma) ggamma[j] = (float)a;
    if (gbeta) gbeta[j] = (float)bsum;
  }
}

void registerNorm(napi_env env, napi_value exports) {
  DT_DEF("groupNorm", groupNorm);
  DT_DEF("groupNormBackward", groupNormBackward);
  DT_DEF("layerNorm", layerNorm);
  DT_DEF("layerNormBackward", layerNormBackward);
  DT_DEF("channelMoments", channelMoments);
  DT_DEF("channelAffine", channelAffine);
  DT_DEF("batchNormBackward", batchNormBackward);
}

}  // namespace dt
