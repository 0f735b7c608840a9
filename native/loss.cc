// Fused softmax cross-entropy over rows (src/backend/kernels/loss.ts): the loss and each row's log-sum-exp in one
// pass over the logits, and the gradient softmax − smoothed one-hot in one more, so log p is never stored.
#include <cmath>

#include "common.h"
#include "vmath.h"

namespace dt {

constexpr size_t kGrain = 1 << 15;

// crossEntropyForward(x, target, loss, lse, rows, C, ignoreIndex, smoothing)
static void crossEntropyForward(const Args& A) {
  const int64_t rows = A.size(4), C = A.size(5), ignore = A.integer(6);
  const float eps = (float)A.num(7);
  const float* x = A.f32(0, rows * C).p;
  const int32_t* target = A.i32(1, rows).p;
  float* loss = A.f32(2, rows).p;
  float* lse = A.f32(3, rows).p;
  parallelFor((size_t)rows, std::max<size_t>(1, kGrain / (size_t)std::max<int64_t>(C, 1)), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      const int32_t t = target[r];
      if (t == ignore) { loss[r] = 0.0f; lse[r] = 0.0f; continue; }
      float m = -INFINITY;
      double sx = 0;
      for (int64_t c = 0; c < C; c++) { m = xr[c] > m ? xr[c] : m; sx += xr[c]; }
      if (m == -INFINITY) m = 0.0f;
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t c = 0; c < C; c++) s += vexp(xr[c] - m);
      const double l = (double)m + std::log(s);
      lse[r] = (float)l;
      loss[r] = (float)((1.0 - eps) * (l - xr[t]) + ((double)eps / C) * (C * l - sx));
    }
  });
}

// crossEntropyBackward(x, target, lse, g, gx, rows, C, ignoreIndex, smoothing)
static void crossEntropyBackward(const Args& A) {
  const int64_t rows = A.size(5), C = A.size(6), ignore = A.integer(7);
  const float eps = (float)A.num(8);
  const float* x = A.f32(0, rows * C).p;
  const int32_t* target = A.i32(1, rows).p;
  const float* lse = A.f32(2, rows).p;
  const float* g = A.f32(3, rows).p;
  float* gx = A.f32(4, rows * C).p;
  const float u = eps / (float)C;
  parallelFor((size_t)rows, std::max<size_t>(1, kGrain / (size_t)std::max<int64_t>(C, 1)), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      float* gr = gx + r * C;
      const int32_t t = target[r];
      if (t == ignore) { for (int64_t c = 0; c < C; c++) gr[c] = 0.0f; continue; }
      const float l = lse[r], k = g[r];
      DT_IVDEP for (int64_t c = 0; c < C; c++) gr[c] = k * (vexp(xr[c] - l) - u);
      gr[t] -= k * (1.0f - eps);
    }
  });
}

void registerLoss(napi_env env, napi_value exports) {
  DT_DEF("crossEntropyForward", crossEntropyForward);
  DT_DEF("crossEntropyBackward", crossEntropyBackward);
}

}  // namespace dt
