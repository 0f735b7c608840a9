// Reductions along the middle axis of (outer, dim, inner), and softmax / log-softmax with their backward.
#include <algorithm>
#include <cmath>

#include "common.h"
#include "vmath.h"

namespace dt {

enum ReduceOp { SUM, MAX, MIN };
constexpr size_t kGrain = 1 << 15;  // elements of work per thread below which one thread is faster

/** Σ x[0..n) accumulated in double (as the TypeScript backend does for contiguous rows). */
static inline double sumRow(const float* x, int64_t n) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += x[i];
  return s;
}

/** max (or min) of x[0..n) over its non-NaN values (−∞ / +∞ when there are none); *sawNaN says if any was NaN.
 *  Written with explicit vectors: neither an `omp simd` max reduction nor a fixed-size array vectorized. */
template <bool MAXIMUM>
static inline float extremeIgnoringNaN(const float* x, int64_t n, bool* sawNaN) {
  constexpr int W = 16;
  typedef float vf __attribute__((vector_size(W * sizeof(float))));
  typedef float vfu __attribute__((vector_size(W * sizeof(float)), aligned(4)));
  typedef int vi __attribute__((vector_size(W * sizeof(int))));
  const float init = MAXIMUM ? -kInf : kInf;
  vf acc = vf{} + init;
  vi nan = vi{};
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    const vf v = *reinterpret_cast<const vfu*>(x + i);
    acc = (MAXIMUM ? v > acc : v < acc) ? v : acc;
    nan |= v != v;
  }
  float m = init;
  int any = 0;
  for (int j = 0; j < W; j++) { m = (MAXIMUM ? acc[j] > m : acc[j] < m) ? acc[j] : m; any |= nan[j]; }
  for (; i < n; i++) { const float v = x[i]; m = (MAXIMUM ? v > m : v < m) ? v : m; any |= v != v; }
  if (sawNaN) *sawNaN = any != 0;
  return m;
}

/** max (or min) of x[0..n); NaN anywhere gives NaN. */
template <bool MAXIMUM>
static inline float extremeRow(const float* x, int64_t n) {
  bool nan = false;
  const float m = extremeIgnoringNaN<MAXIMUM>(x, n, &nan);
  return nan ? kNaN : m;
}

// Rows [o0, o1) of the outer axis, columns [i0, i1) of the inner axis.
static void reduceBlock(int op, const float* x, int64_t dim, int64_t inner, float* out, int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
  for (int64_t o = o0; o < o1; o++) {
    float* ob = out + o * inner;
    const float* xb = x + o * dim * inner;
    if (inner == 1) {
      ob[0] = op == SUM ? (float)sumRow(xb, dim) : op == MAX ? extremeRow<true>(xb, dim) : extremeRow<false>(xb, dim);
      continue;
    }
    // the first slice initialises, the rest fold in, streaming x in memory order (float accumulation, like js)
    if (dim == 0) { for (int64_t i = i0; i < i1; i++) ob[i] = op == SUM ? 0.0f : op == MAX ? -kInf : kInf; continue; }
    for (int64_t i = i0; i < i1; i++) ob[i] = xb[i];
    for (int64_t d = 1; d < dim; d++) {
      const float* row = xb + d * inner;
      if (op == SUM) { DT_IVDEP for (int64_t i = i0; i < i1; i++) ob[i] += row[i]; }
      else if (op == MAX) { DT_IVDEP for (int64_t i = i0; i < i1; i++) { float v = row[i]; ob[i] = v > ob[i] || v != v ? v : ob[i]; } }
      else { DT_IVDEP for (int64_t i = i0; i < i1; i++) { float v = row[i]; ob[i] = v < ob[i] || v != v ? v : ob[i]; } }
    }
  }
}

/** Splits (outer, inner) work over threads: by outer rows when there are enough, else by inner columns.
 *  f(o0, o1, i0, i1, thread). */
template <typename F>
static void split2(int64_t outer, int64_t dim, int64_t inner, F f) {
  size_t work = (size_t)outer * dim * inner;
  if (work < 2 * kGrain || threads() < 2) return f((int64_t)0, outer, (int64_t)0, inner, 0);
  if (outer >= threads()) {
    return parallelForT((size_t)outer, std::max<size_t>(1, kGrain / std::max<int64_t>(1, dim * inner)),
                        [&](size_t o0, size_t o1, int t) { f((int64_t)o0, (int64_t)o1, (int64_t)0, inner, t); });
  }
  parallelForT((size_t)inner, 16, [&](size_t i0, size_t i1, int t) { f((int64_t)0, outer, (int64_t)i0, (int64_t)i1, t); });
}

// reduce(op, x, outer, dim, inner, out)
static void reduce(const Args& A) {
  int op = (int)A.integer(0);
  int64_t outer = A.size(2), dim = A.size(3), inner = A.size(4);
  const float* x = A.f32(1, outer * dim * inner).p;
  float* out = A.f32(5, outer * inner).p;
  if (op < SUM || op > MIN) A.fail("unknown reduce op");
  split2(outer, dim, inner, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1, int t) { reduceBlock(op, x, dim, inner, out, o0, o1, i0, i1); });
}

// argReduce(isMax, x, outer, dim, inner, out): index of the first max (min); NaN never wins after the first slot
static void argReduce(const Args& A) {
  bool isMax = A.flag(0);
  int64_t outer = A.size(2), dim = A.size(3), inner = A.size(4);
  const float* x = A.f32(1, outer * dim * inner).p;
  int32_t* out = A.i32(5, outer * inner).p;
  const float sign = isMax ? 1.0f : -1.0f;
  split2(outer, dim, inner, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1, int t) {
    for (int64_t o = o0; o < o1; o++) {
      for (int64_t i = i0; i < i1; i++) {
        const float* p = x + o * dim * inner + i;
        int32_t best = 0;
        float bv = dim > 0 ? sign * p[0] : 0.0f;
        for (int64_t d = 1; d < dim; d++) {
          float v = sign * p[d * inner];
          if (v > bv) { bv = v; best = (int32_t)d; }
        }
        out[o * inner + i] = best;
      }
    }
  });
}

// ---- softmax ----

static void softmaxRow(const float* x, float* y, int64_t dim, bool log) {
  float m = extremeIgnoringNaN<true>(x, dim, nullptr);  // (a NaN makes the whole row NaN below anyway)
  if (m == -kInf) m = 0.0f;  // an all −∞ row: exp gives 0s, not NaN from (−∞) − (−∞)
  double s = 0;
  if (log) {
#pragma omp simd reduction(+ : s)
    for (int64_t d = 0; d < dim; d++) s += vexp(x[d] - m);
    const float lse = (float)((double)m + std::log(s));
    DT_IVDEP for (int64_t d = 0; d < dim; d++) y[d] = x[d] - lse;
  } else {
#pragma omp simd reduction(+ : s)
    for (int64_t d = 0; d < dim; d++) { float e = vexp(x[d] - m); y[d] = e; s += e; }
    const float r = (float)(1.0 / s);
    DT_IVDEP for (int64_t d = 0; d < dim; d++) y[d] *= r;
  }
}

// Softmax along a strided axis, vectorised across the contiguous inner columns [i0, i1); tmp holds 2·inner floats.
static void softmaxStrided(const float* x, float* y, int64_t dim, int64_t inner, int64_t i0, int64_t i1, bool log, float* tmp) {
  float* m = tmp;
  float* s = tmp + inner;
  for (int64_t i = i0; i < i1; i++) { m[i] = -kInf; s[i] = 0.0f; }
  for (int64_t d = 0; d < dim; d++) {
    const float* r = x + d * inner;
    DT_IVDEP for (int64_t i = i0; i < i1; i++) m[i] = r[i] > m[i] ? r[i] : m[i];
  }
  for (int64_t i = i0; i < i1; i++) if (m[i] == -kInf) m[i] = 0.0f;
  for (int64_t d = 0; d < dim; d++) {
    const float* r = x + d * inner;
    float* w = y + d * inner;
    DT_IVDEP for (int64_t i = i0; i < i1; i++) { float e = vexp(r[i] - m[i]); s[i] += e; if (!log) w[i] = e; }
  }
  if (log) {
    for (int64_t i = i0; i < i1; i++) s[i] = m[i] + std::log(s[i]);
    for (int64_t d = 0; d < dim; d++) {
      const float* r = x + d * inner;
      float* w = y + d * inner;
      DT_IVDEP for (int64_t i = i0; i < i1; i++) w[i] = r[i] - s[i];
    }
  } else {
    for (int64_t i = i0; i < i1; i++) s[i] = 1.0f / s[i];
    for (int64_t d = 0; d < dim; d++) {
      float* w = y + d * inner;
      DT_IVDEP for (int64_t i = i0; i < i1; i++) w[i] *= s[i];
    }
  }
}

// softmax(x, y, outer, dim, inner, log)
static void softmax(const Args& A) {
  int64_t outer = A.size(2), dim = A.size(3), inner = A.size(4);
  size_t n = outer * dim * inner;
  const float* x = A.f32(0, n).p;
  float* y = A.f32(1, n).p;
  bool log = A.flag(5);
  if (n == 0) return;
  if (inner == 1) {
    return parallelFor((size_t)outer, std::max<size_t>(1, kGrain / 8 / dim), [&](size_t o0, size_t o1) {
      for (size_t o = o0; o < o1; o++) softmaxRow(x + o * dim, y + o * dim, dim, log);
    });
  }
  int nt = threads();
  std::vector<float*> tmp(nt);
  for (int t = 0; t < nt; t++) tmp[t] = scratch(t, 2 * inner);
  split2(outer, dim, inner, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1, int t) {
    for (int64_t o = o0; o < o1; o++) softmaxStrided(x + o * dim * inner, y + o * dim * inner, dim, inner, i0, i1, log, tmp[t]);
  });
}

// softmaxBackward(y, gy, gx, outer, dim, inner, log):
//   softmax: gx = y ⊙ (gy − Σ gy⊙y);  log-softmax: gx = gy − exp(y) ⊙ Σ gy
static void softmaxBackward(const Args& A) {
  int64_t outer = A.size(3), dim = A.size(4), inner = A.size(5);
  size_t n = outer * dim * inner;
  const float* y = A.f32(0, n).p;
  const float* gy = A.f32(1, n).p;
  float* gx = A.f32(2, n).p;
  bool log = A.flag(6);
  if (n == 0) return;
  split2(outer, dim, inner, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1, int t) {
    for (int64_t o = o0; o < o1; o++) {
      const size_t b = o * dim * inner;
      const float *yb = y + b, *gb = gy + b;
      float* xb = gx + b;
      if (inner == 1) {
        double s = 0;
        if (log) {
#pragma omp simd reduction(+ : s)
          for (int64_t d = 0; d < dim; d++) s += gb[d];
          const float fs = (float)s;
          DT_IVDEP for (int64_t d = 0; d < dim; d++) xb[d] = gb[d] - vexp(yb[d]) * fs;
        } else {
#pragma omp simd reduction(+ : s)
          for (int64_t d = 0; d < dim; d++) s += gb[d] * yb[d];
          const float fs = (float)s;
          DT_IVDEP for (int64_t d = 0; d < dim; d++) xb[d] = yb[d] * (gb[d] - fs);
        }
        continue;
      }
      for (int64_t i = i0; i < i1; i++) {
        double s = 0;
        for (int64_t d = 0; d < dim; d++) { size_t k = d * inner + i; s += log ? gb[k] : gb[k] * yb[k]; }
        const float fs = (float)s;
        for (int64_t d = 0; d < dim; d++) {
          size_t k = d * inner + i;
          xb[k] = log ? gb[k] - vexp(yb[k]) * fs : yb[k] * (gb[k] - fs);
        }
      }
    }
  });
}

void registerReduce(napi_env env, napi_value exports) {
  DT_DEF("reduce", reduce);
  DT_DEF("argReduce", argReduce);
  DT_DEF("softmax", softmax);
  DT_DEF("softmaxBackward", softmaxBackward);
}

}  // namespace dt
