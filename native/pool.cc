// Max / average pooling over (n·c) independent planes, and nearest-neighbour upsampling. Planes are split over
// the thread pool. Window (oy, ox) covers rows oy·sH − pH … + kh − 1 and columns ox·sW − pW … + kw − 1.
#include <algorithm>
#include <atomic>

#include "common.h"

namespace dt {

struct PoolP {
  int64_t n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow;
  int64_t planes() const { return n * c; }
};

static PoolP readPool(const Args& A, size_t i) {
  PoolP p;
  int64_t* f[] = {&p.n, &p.c, &p.h, &p.w, &p.kh, &p.kw, &p.sh, &p.sw, &p.ph, &p.pw, &p.oh, &p.ow};
  for (size_t j = 0; j < 12; j++) *f[j] = A.size(i + j);
  if (p.sh < 1 || p.sw < 1) A.fail("stride must be >= 1");
  return p;
}

constexpr size_t kGrain = 1 << 14;  // output cells per thread worth waking a worker for

template <typename F>
static void forPlanes(const PoolP& p, size_t cellsPerPlane, F f) {
  size_t per = std::max<size_t>(1, cellsPerPlane);
  parallelFor((size_t)p.planes(), std::max<size_t>(1, kGrain / per), [&](size_t b, size_t e) {
    for (size_t pl = b; pl < e; pl++) f((int64_t)pl);
  });
}

// maxPool2d(x, y, argmax, ...12 params): padding never wins; NaN propagates (the first NaN is kept)
static void maxPool2d(const Args& A) {
  PoolP p = readPool(A, 3);
  const int64_t hw = p.h * p.w, ohw = p.oh * p.ow;
  const float* x = A.f32(0, p.planes() * hw).p;
  float* y = A.f32(1, p.planes() * ohw).p;
  int32_t* arg = A.i32(2, p.planes() * ohw).p;
  if (p.planes() > 0 && ohw > 0 && hw == 0) A.fail("empty input plane");
  forPlanes(p, ohw * p.kh * p.kw, [&](int64_t pl) {
    const float* xp = x + pl * hw;
    float* yp = y + pl * ohw;
    int32_t* ap = arg + pl * ohw;
    for (int64_t oy = 0; oy < p.oh; oy++) {
      const int64_t y0 = oy * p.sh - p.ph, ya = std::max<int64_t>(y0, 0), yb = std::min(y0 + p.kh, p.h);
      for (int64_t ox = 0; ox < p.ow; ox++) {
        const int64_t x0 = ox * p.sw - p.pw, xa = std::max<int64_t>(x0, 0), xb = std::min(x0 + p.kw, p.w);
        int64_t best = std::min(ya, p.h - 1) * p.w + std::min(xa, p.w - 1);
        float bv = xp[best];
        for (int64_t iy = ya; iy < yb; iy++) {
          const float* row = xp + iy * p.w;
          for (int64_t ix = xa; ix < xb; ix++) {
            const float v = row[ix];
            if (v > bv || (v != v && bv == bv)) { bv = v; best = iy * p.w + ix; }
          }
        }
        yp[oy * p.ow + ox] = bv;
        ap[oy * p.ow + ox] = (int32_t)best;
      }
    }
  });
}

// maxPool2dBackward(gy, argmax, gx, ...12 params): gx = 0, then gx[argmax] += gy
static void maxPool2dBackward(const Args& A) {
  PoolP p = readPool(A, 3);
  const int64_t hw = p.h * p.w, ohw = p.oh * p.ow;
  const float* gy = A.f32(0, p.planes() * ohw).p;
  const int32_t* arg = A.i32(1, p.planes() * ohw).p;
  float* gx = A.f32(2, p.planes() * hw).p;
  std::atomic<bool> bad{false};
  forPlanes(p, hw + ohw, [&](int64_t pl) {
    float* gp = gx + pl * hw;
    std::memset(gp, 0, sizeof(float) * hw);
    const float* g = gy + pl * ohw;
    const int32_t* ap = arg + pl * ohw;
    for (int64_t j = 0; j < ohw; j++) {
      const int32_t k = ap[j];
      if (k < 0 || k >= hw) { bad.store(true, std::memory_order_relaxed); continue; }
      gp[k] += g[j];
    }
  });
  if (bad) A.fail("argmax index outside its plane");
}

/** PyTorch's average divisor: the window clipped to the padded plane (countIncludePad) or to the plane itself. */
static inline int64_t divisor(int64_t y0, int64_t x0, const PoolP& p, bool includePad) {
  if (includePad) return (std::min(y0 + p.kh, p.h + p.ph) - y0) * (std::min(x0 + p.kw, p.w + p.pw) - x0);
  return (std::min(y0 + p.kh, p.h) - std::max<int64_t>(y0, 0)) * (std::min(x0 + p.kw, p.w) - std::max<int64_t>(x0, 0));
}

// avgPool2d(x, y, countIncludePad, ...12 params)
static void avgPool2d(const Args& A) {
  PoolP p = readPool(A, 3);
  const bool inc = A.flag(2);
  const int64_t hw = p.h * p.w, ohw = p.oh * p.ow;
  const float* x = A.f32(0, p.planes() * hw).p;
  float* y = A.f32(1, p.planes() * ohw).p;
  forPlanes(p, ohw * p.kh * p.kw, [&](int64_t pl) {
    const float* xp = x + pl * hw;
    float* yp = y + pl * ohw;
    for (int64_t oy = 0; oy < p.oh; oy++) {
      const int64_t y0 = oy * p.sh - p.ph, ya = std::max<int64_t>(y0, 0), yb = std::min(y0 + p.kh, p.h);
      for (int64_t ox = 0; ox < p.ow; ox++) {
        const int64_t x0 = ox * p.sw - p.pw, xa = std::max<int64_t>(x0, 0), xb = std::min(x0 + p.kw, p.w);
        double acc = 0.0;  // summed in double, like the TypeScript backend
        for (int64_t iy = ya; iy < yb; iy++) for (int64_t ix = xa; ix < xb; ix++) acc += xp[iy * p.w + ix];
        yp[oy * p.ow + ox] = (float)(acc / (double)divisor(y0, x0, p, inc));
      }
    }
  });
}

// avgPool2dBackward(gy, gx, countIncludePad, ...12 params)
static void avgPool2dBackward(const Args& A) {
  PoolP p = readPool(A, 3);
  const bool inc = A.flag(2);
  const int64_t hw = p.h * p.w, ohw = p.oh * p.ow;
  const float* gy = A.f32(0, p.planes() * ohw).p;
  float* gx = A.f32(1, p.planes() * hw).p;
  forPlanes(p, ohw * p.kh * p.kw, [&](int64_t pl) {
    float* gp = gx + pl * hw;
    std::memset(gp, 0, sizeof(float) * hw);
    const float* g = gy + pl * ohw;
    for (int64_t oy = 0; oy < p.oh; oy++) {
      const int64_t y0 = oy * p.sh - p.ph, ya = std::max<int64_t>(y0, 0), yb = std::min(y0 + p.kh, p.h);
      for (int64_t ox = 0; ox < p.ow; ox++) {
        const int64_t x0 = ox * p.sw - p.pw, xa = std::max<int64_t>(x0, 0), xb = std::min(x0 + p.kw, p.w);
        // ∂y/∂x = 1/divisor for every real cell of the window
        const float v = (float)((double)g[oy * p.ow + ox] / (double)divisor(y0, x0, p, inc));
        for (int64_t iy = ya; iy < yb; iy++) for (int64_t ix = xa; ix < xb; ix++) gp[iy * p.w + ix] += v;
      }
    }
  });
}

// upsampleNearest2d(x, y, nc, h, w, sh, sw): y (nc, h·sh, w·sw)
static void upsampleNearest2d(const Args& A) {
  const int64_t nc = A.size(2), h = A.size(3), w = A.size(4), sh = A.size(5), sw = A.size(6);
  const int64_t W = w * sw;
  const float* x = A.f32(0, nc * h * w).p;
  float* y = A.f32(1, nc * h * sh * W).p;
  parallelFor((size_t)(nc * h), std::max<size_t>(1, kGrain / std::max<int64_t>(1, sh * W)), [&](size_t b, size_t e) {
    for (size_t r = b; r < e; r++) {  // r = plane·h + input row
      const float* src = x + r * w;
      float* row = y + r * sh * W;
      if (sw == 2) { for (int64_t ix = 0; ix < w; ix++) { row[2 * ix] = src[ix]; row[2 * ix + 1] = src[ix]; } }
      else for (int64_t ix = 0; ix < w; ix++) for (int64_t t = 0; t < sw; t++) row[ix * sw + t] = src[ix];
      for (int64_t k = 1; k < sh; k++) std::memcpy(row + k * W, row, sizeof(float) * W);
    }
  });
}

// upsampleNearest2dBackward(gy, gx, nc, h, w, sh, sw): gx[i, j] = Σ of its sh×sw block of gy
static void upsampleNearest2dBackward(const Args& A) {
  const int64_t nc = A.size(2), h = A.size(3), w = A.size(4), sh = A.size(5), sw = A.size(6);
  const int64_t W = w * sw;
  const float* gy = A.f32(0, nc * h * sh * W).p;
  float* gx = A.f32(1, nc * h * w).p;
  parallelFor((size_t)(nc * h), std::max<size_t>(1, kGrain / std::max<int64_t>(1, sh * W)), [&](size_t b, size_t e) {
    for (size_t r = b; r < e; r++) {
      const float* row = gy + r * sh * W;
      float* dst = gx + r * w;
      for (int64_t ix = 0; ix < w; ix++) {
        double acc = 0;
        for (int64_t k = 0; k < sh; k++) for (int64_t t = 0; t < sw; t++) acc += row[k * W + ix * sw + t];
        dst[ix] = (float)acc;
      }
    }
  });
}

void registerPool(napi_env env, napi_value exports) {
  DT_DEF("maxPool2d", maxPool2d);
  DT_DEF("maxPool2dBackward", maxPool2dBackward);
  DT_DEF("avgPool2d", avgPool2d);
  DT_DEF("avgPool2dBackward", avgPool2dBackward);
  DT_DEF("upsampleNearest2d", upsampleNearest2d);
  DT_DEF("upsampleNearest2dBackward", upsampleNearest2dBackward);
}

}  // namespace dt
