// copyStrided: dst[dOff + Σ i_k·dStride_k] = src[sOff + Σ i_k·sStride_k] over every index i of a shape.
// Serves permute, slice, concat, expand (stride 0) and contiguous copies, for any 4-byte element type.
#include <algorithm>

#include "strided.h"

namespace dt {

constexpr size_t kGrain = 1 << 16;
constexpr int64_t kTile = 16;

/** Lowest and highest element offsets a strided walk touches. */
static void extent(const StridedIter& it, int j, int64_t base, int64_t* lo, int64_t* hi) {
  *lo = *hi = base;
  for (int a = 0; a < it.nd; a++) {
    int64_t span = (it.dims[a] - 1) * it.st[j][a];
    if (span > 0) *hi += span; else *lo += span;
  }
}

// copyStrided(src, srcOffset, dst, dstOffset, meta = [nd, shape(nd), srcStrides(nd), dstStrides(nd)])
static void copyStrided(const Args& A) {
  char ks, kd;
  auto src = A.word(0, 0, &ks);
  auto dst = A.word(2, 0, &kd);
  if (ks != kd) A.fail("source and destination types differ");
  const int64_t sOff = A.integer(1), dOff = A.integer(3);
  auto meta = A.i32(4, 1);
  const int nd = meta.p[0];
  if (nd < 0 || nd > kMaxDims || meta.n < (size_t)(1 + 3 * nd)) A.fail("bad layout");
  StridedIter it;
  it.k = 2;
  it.nd = nd;
  int64_t total = 1;
  for (int a = 0; a < nd; a++) {
    it.dims[a] = meta.p[1 + a];
    it.st[0][a] = meta.p[1 + nd + a];      // operand 0: source
    it.st[1][a] = meta.p[1 + 2 * nd + a];  // operand 1: destination
    if (it.dims[a] < 0) A.fail("negative size");
    total *= it.dims[a];
  }
  if (total == 0) return;
  it.collapse();
  int64_t lo, hi;
  extent(it, 0, sOff, &lo, &hi);
  if (lo < 0 || hi >= (int64_t)src.n) A.fail("source range is outside the source array");
  extent(it, 1, dOff, &lo, &hi);
  if (lo < 0 || hi >= (int64_t)dst.n) A.fail("destination range is outside the destination array");
  const uint32_t* s = src.p;
  uint32_t* d = dst.p;
  const int nd2 = it.nd;
  const int64_t ss = it.st[0][nd2 - 1], ds = it.st[1][nd2 - 1];
  // A transpose (the source contiguous along the second-last axis, the destination along the last): copy in
  // kTile×kTile blocks so both sides stay in cache.
  if (nd2 >= 2 && ds == 1 && ss != 1 && it.st[0][nd2 - 2] == 1 && it.dims[nd2 - 1] >= kTile && it.dims[nd2 - 2] >= kTile) {
    const int64_t R = it.dims[nd2 - 2], C = it.dims[nd2 - 1], dR = it.st[1][nd2 - 2];
    StridedIter outer = it;
    outer.nd = nd2 - 1;  // iterate every axis but the last two: "rows" of the outer walk are the second-last axis
    outer.dims[nd2 - 2] = 1;
    const int64_t planes = outer.rows();
    parallelFor((size_t)std::max<int64_t>(planes, 1), std::max<size_t>(1, kGrain / (size_t)(R * C)), [&](size_t p0, size_t p1) {
      int64_t base[4] = {sOff, dOff, 0, 0};
      outer.forRows(p0, p1, base, [&](const int64_t* off, int64_t) {
        const uint32_t* sp = s + off[0];
        uint32_t* dp = d + off[1];
        for (int64_t r0 = 0; r0 < R; r0 += kTile) {
          const int64_t r1 = std::min(R, r0 + kTile);
          for (int64_t c0 = 0; c0 < C; c0 += kTile) {
            const int64_t c1 = std::min(C, c0 + kTile);
            for (int64_t r = r0; r < r1; r++)
              for (int64_t c = c0; c < c1; c++) dp[r * dR + c] = sp[r + c * ss];
          }
        }
      });
    });
    return;
  }
  const int64_t rows = it.rows(), len = it.inner();
  parallelFor((size_t)rows, std::max<size_t>(1, kGrain / (size_t)len), [&](size_t r0, size_t r1) {
    int64_t base[4] = {sOff, dOff, 0, 0};
    it.forRows(r0, r1, base, [&](const int64_t* off, int64_t m) {
      const uint32_t* sp = s + off[0];
      uint32_t* dp = d + off[1];
      if (ss == 1 && ds == 1) std::memcpy(dp, sp, sizeof(uint32_t) * m);
      else if (ss == 0) { const uint32_t v = sp[0]; for (int64_t i = 0; i < m; i++) dp[i * ds] = v; }
      else if (ds == 1) { for (int64_t i = 0; i < m; i++) dp[i] = sp[i * ss]; }
      else for (int64_t i = 0; i < m; i++) dp[i * ds] = sp[i * ss];
    });
  });
}

void registerShape(napi_env env, napi_value exports) { DT_DEF("copyStrided", copyStrided); }

}  // namespace dt
