// Fused optimizer steps, in place over p and the state buffers. Per element arithmetic runs in double, as the
// TypeScript backend's does, so both backends round the same way; the loops still vectorize.
#include <cmath>

#include "common.h"
#include "vmath.h"

namespace dt {

constexpr size_t kGrain = 1 << 15;

// sgdStep(p, g, buf|null, lr, momentum, dampening, weightDecay, nesterov, firstStep)
static void sgdStep(const Args& A) {
  auto ps = A.f32(0, 0);
  const size_t n = ps.n;
  float* p = ps.p;
  const float* g = A.f32(1, n).p;
  float* buf = A.f32OrNull(2, n).p;
  const double lr = A.num(3), mom = A.num(4), damp = A.num(5), wd = A.num(6);
  const bool nesterov = A.flag(7), first = A.flag(8);
  parallelFor(n, kGrain, [&](size_t s, size_t e) {
    // weight decay 0 adds nothing (not 0·p, which is NaN for an infinite p)
    if (!buf) { DT_IVDEP for (size_t i = s; i < e; i++) p[i] = (float)(p[i] - lr * (wd != 0 ? (double)g[i] + wd * p[i] : (double)g[i])); return; }
    DT_IVDEP for (size_t i = s; i < e; i++) {
      double d = wd != 0 ? (double)g[i] + wd * p[i] : (double)g[i];
      // buf ← g' on the first step, else momentum·buf + (1 − dampening)·g'; read back rounded, as PyTorch's
      const float b = first ? (float)d : (float)(mom * buf[i] + (1.0 - damp) * d);
      buf[i] = b;
      d = nesterov ? d + mom * b : (double)b;
      p[i] = (float)(p[i] - lr * d);
    }
  });
}

// adamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step)
static void adamStep(const Args& A) {
  auto ps = A.f32(0, 0);
  const size_t n = ps.n;
  float* p = ps.p;
  const float* g = A.f32(1, n).p;
  float* m = A.f32(2, n).p;
  float* v = A.f32(3, n).p;
  const double lr = A.num(4), b1 = A.num(5), b2 = A.num(6), eps = A.num(7), wd = A.num(8);
  const bool decoupled = A.flag(9);
  const double step = A.num(10);
  const double bc1 = 1 - std::pow(b1, step), bc2Sqrt = std::sqrt(1 - std::pow(b2, step));
  const double stepSize = lr / bc1;
  const double shrink = decoupled ? 1 - lr * wd : 1, l2 = decoupled ? 0 : wd;
  parallelFor(n, kGrain, [&](size_t s, size_t e) {
    DT_IVDEP for (size_t i = s; i < e; i++) {
      const float pi = shrink != 1 ? (float)(p[i] * shrink) : p[i];
      const double gi = l2 != 0 ? (double)g[i] + l2 * pi : (double)g[i];
      const float mi = (float)(b1 * m[i] + (1 - b1) * gi);
      const float vi = (float)(b2 * v[i] + (1 - b2) * gi * gi);
      m[i] = mi;
      v[i] = vi;
      // p ← p − (lr/bc1)·m / (√v/√bc2 + eps), with m and v as stored
      p[i] = (float)(pi - (stepSize * mi) / (std::sqrt((double)vi) / bc2Sqrt + eps));
    }
  });
}

void registerOptim(napi_env env, napi_value exports) {
  DT_DEF("sgdStep", sgdStep);
  DT_DEF("adamStep", adamStep);
}

}  // namespace dt
