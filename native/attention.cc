// The fused middle of scaled dot-product attention (src/backend/kernels/attention.ts): scale + bias + masks + softmax
// over each score row, and its backward through softmax, dropout's keep factors and the scale.
#include <algorithm>
#include <cmath>

#include "common.h"
#include "vmath.h"

namespace dt {

constexpr float kMasked = -3.4028234663852886e38f;  // ATTENTION_MASKED: finite, so anomaly mode stays usable
constexpr size_t kAttnGrain = 1 << 14;             // score elements per thread below which one thread is faster

/** A Float32Array or Int32Array mask read as 32-bit words; `nz` is the bit pattern of "non-zero" (floats: ±0 is zero). */
struct WordMask {
  const uint32_t* p = nullptr;
  uint32_t nz = 0;
  int64_t s0 = 0, s1 = 0, si = 0, sj = 0;
};

/** max of x[0..n), NaN entries ignored (−∞ when n = 0). Explicit vectors: a scalar `a > m ? a : m` reduction is
 *  not vectorized without -ffast-math, and its dependency chain dominated the whole kernel. */
static inline float rowMax(const float* x, int64_t n) {
  constexpr int W = 16;
  typedef float vf __attribute__((vector_size(W * sizeof(float))));
  typedef float vfu __attribute__((vector_size(W * sizeof(float)), aligned(4)));
  vf acc = vf{} - kInf;
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    const vf v = *reinterpret_cast<const vfu*>(x + i);
    acc = v > acc ? v : acc;
  }
  float m = -kInf;
  for (int j = 0; j < W; j++) m = acc[j] > m ? acc[j] : m;
  for (; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

static WordMask readMask(const Args& A, size_t i, const int32_t* strides, int64_t d0, int64_t d1, int64_t L, int64_t S) {
  WordMask m;
  m.s0 = strides[0]; m.s1 = strides[1]; m.si = strides[2]; m.sj = strides[3];
  if (A.isNull(i)) return m;
  // the largest element any (a, b, i, j) reads, +1 (strides are non-negative: checked by the caller)
  size_t need = d0 * d1 * L * S == 0 ? 0 : (d0 - 1) * m.s0 + (d1 - 1) * m.s1 + (L - 1) * m.si + (S - 1) * m.sj + 1;
  char kind;
  m.p = A.word(i, need, &kind).p;
  m.nz = kind == 'f' ? 0x7fffffffu : 0xffffffffu;
  return m;
}

// attentionSoftmax(s, p, bias, mask, padding, meta, scale)
//   meta (Int32Array): d0, d1, L, S, causal, maskKeepsNonZero, biasStrides[4], maskStrides[4], paddingStrides[4]
static void attentionSoftmax(const Args& A) {
  const int32_t* meta = A.i32(5, 18).p;
  const int64_t d0 = meta[0], d1 = meta[1], L = meta[2], S = meta[3];
  const bool causal = meta[4] != 0, keepNonZero = meta[5] != 0;
  for (int t = 0; t < 18; t++) if (meta[t] < 0) A.fail("sizes and strides must be non-negative");
  const float scale = (float)A.num(6);
  const size_t n = d0 * d1 * L * S;
  const float* s = A.f32(0, n).p;
  float* p = A.f32(1, n).p;
  const int32_t* bs = meta + 6;
  const size_t biasNeed = n == 0 ? 0 : (d0 - 1) * bs[0] + (d1 - 1) * bs[1] + (L - 1) * bs[2] + (S - 1) * bs[3] + 1;
  const float* bias = A.f32OrNull(2, biasNeed).p;
  const WordMask mask = readMask(A, 3, meta + 10, d0, d1, L, S);
  const WordMask pad = readMask(A, 4, meta + 14, d0, d1, L, S);
  if (n == 0) return;
  const size_t rows = d0 * d1 * L;
  const bool plain = !bias && !mask.p && !pad.p && !causal && scale > 0.0f;
  parallelFor(rows, std::max<size_t>(1, kAttnGrain / S), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const int64_t i = r % L, ab = r / L, b = ab % d1, a = ab / d1;
      const float* sr = s + r * S;
      float* z = p + r * S;
      if (plain) {  // no bias or masks: max(scale·s) = scale·max(s), and the scaling joins the exp pass
        float m = scale * rowMax(sr, S);
        if (m == -kInf) m = 0.0f;
        double sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < S; j++) { float e = vexp(sr[j] * scale - m); z[j] = e; sum += e; }
        const float inv = (float)(1.0 / sum);
        DT_IVDEP for (int64_t j = 0; j < S; j++) z[j] *= inv;
        continue;
      }
      DT_IVDEP for (int64_t j = 0; j < S; j++) z[j] = sr[j] * scale;
      if (bias) {
        const float* br = bias + a * bs[0] + b * bs[1] + i * bs[2];
        if (bs[3] == 1) { DT_IVDEP for (int64_t j = 0; j < S; j++) z[j] += br[j]; }
        else for (int64_t j = 0; j < S; j++) z[j] += br[j * bs[3]];
      }
      if (mask.p) {
        const uint32_t* mr = mask.p + a * mask.s0 + b * mask.s1 + i * mask.si;
        for (int64_t j = 0; j < S; j++) if (((mr[j * mask.sj] & mask.nz) != 0) != keepNonZero) z[j] = kMasked;
      }
      if (pad.p) {
        const uint32_t* pr = pad.p + a * pad.s0 + b * pad.s1 + i * pad.si;
        for (int64_t j = 0; j < S; j++) if ((pr[j * pad.sj] & pad.nz) != 0) z[j] = kMasked;
      }
      if (causal) for (int64_t j = i + 1; j < S; j++) z[j] = kMasked;
      float m = rowMax(z, S);
      if (m == -kInf) m = 0.0f;  // an all −∞ row: exp gives 0s and the row NaN, as softmax does
      double sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int64_t j = 0; j < S; j++) { float e = vexp(z[j] - m); z[j] = e; sum += e; }
      const float inv = (float)(1.0 / sum);
      DT_IVDEP for (int64_t j = 0; j < S; j++) z[j] *= inv;
    }
  });
}

// attentionSoftmaxBackward(p, gp, keep, gs, rows, S, scale): g = gp ⊙ keep, gs = scale · p ⊙ (g − Σ g⊙p)
static void attentionSoftmaxBackward(const Args& A) {
  const int64_t rows = A.size(4), S = A.size(5);
  const float scale = (float)A.num(6);
  const size_t n = rows * S;
  const float* p = A.f32(0, n).p;
  const float* gp = A.f32(1, n).p;
  const float* keep = A.f32OrNull(2, n).p;
  float* gs = A.f32(3, n).p;
  if (n == 0) return;
  parallelFor((size_t)rows, std::max<size_t>(1, kAttnGrain / S), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const float* pr = p + r * S;
      const float* gr = gp + r * S;
      float* o = gs + r * S;
      double t = 0;
      if (keep) {
        const float* kr = keep + r * S;
#pragma omp simd reduction(+ : t)
        for (int64_t j = 0; j < S; j++) t += gr[j] * kr[j] * pr[j];
        const float ft = (float)t;
        DT_IVDEP for (int64_t j = 0; j < S; j++) o[j] = scale * pr[j] * (gr[j] * kr[j] - ft);
      } else {
#pragma omp simd reduction(+ : t)
        for (int64_t j = 0; j < S; j++) t += gr[j] * pr[j];
        const float ft = (float)t;
        DT_IVDEP for (int64_t j = 0; j < S; j++) o[j] = scale * pr[j] * (gr[j] - ft);
      }
    }
  });
}

void registerAttention(napi_env env, napi_value exports) {
  DT_DEF("attentionSoftmax", attentionSoftmax);
  DT_DEF("attentionSoftmaxBackward", attentionSoftmaxBackward);
}

}  // namespace dt
