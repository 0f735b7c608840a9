// Branch-free float math the compiler vectorizes inside simple loops (Cephes-style polynomials, ~1-2 ulp).
// Special values follow IEEE/libm: NaN propagates, overflow gives inf, underflow gives 0 or a denormal.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#if defined(__clang__)
#define DT_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define DT_IVDEP _Pragma("GCC ivdep")
#else
#define DT_IVDEP
#endif

namespace dt {

static inline float asFloat(int32_t i) { return __builtin_bit_cast(float, i); }
static inline int32_t asInt(float f) { return __builtin_bit_cast(int32_t, f); }
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

/** e^x. x = n·ln2 + r, |r| ≤ ln2/2; e^r by a degree-6 polynomial; 2^n applied in two halves so denormal
 *  results and results just below FLT_MAX are both exact. */
static inline float vexp(float x) {
  x = x > 88.8f ? 88.8f : x;      // e^88.8 already overflows; NaN passes both tests unchanged
  x = x < -105.0f ? -105.0f : x;  // e^−105 already underflows to 0
  const float shifter = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
  float t = x * 1.44269504088896341f + shifter;
  int32_t n = asInt(t) - asInt(shifter);
  float fn = t - shifter;
  float r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t n1 = n >> 1, n2 = n - n1;
  return p * asFloat((n1 + 127) << 23) * asFloat((n2 + 127) << 23);
}

/** ln x: x = 2^e·m with m in [√½, √2); ln(m) = (m−1) − (m−1)²/2 + (m−1)³·P(m−1). */
static inline float vlog(float x) {
  bool tiny = x < 1.17549435e-38f;  // denormal (or ≤ 0): scale into the normal range first
  float xs = tiny ? x * 8388608.0f : x;
  int32_t bits = asInt(xs);
  int32_t e = ((bits >> 23) & 0xff) - 126 - (tiny ? 23 : 0);
  float m = asFloat((bits & 0x007fffff) | 0x3f000000);  // [0.5, 1)
  bool low = m < 0.707106781186547524f;
  e = low ? e - 1 : e;
  m = low ? m + m - 1.0f : m - 1.0f;
  float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  float fe = (float)e;
  y += fe * -2.12194440e-4f;
  y += -0.5f * z;
  float r = m + y + fe * 0.693359375f;
  r = x == kInf ? kInf : r;
  r = x == 0.0f ? -kInf : r;
  r = x < 0.0f ? kNaN : r;
  return x != x ? x : r;
}

/** e^x − 1 without cancellation near 0: a Taylor series on |x| < ½, else e^x − 1. */
static inline float vexpm1(float x) {
  float p = 1.0f / 362880.0f;
  p = p * x + 1.0f / 40320.0f;
  p = p * x + 1.0f / 5040.0f;
  p = p * x + 1.0f / 720.0f;
  p = p * x + 1.0f / 120.0f;
  p = p * x + 1.0f / 24.0f;
  p = p * x + 1.0f / 6.0f;
  p = p * x + 0.5f;
  p = p * x * x + x;
  float big = vexp(x) - 1.0f;
  return std::fabs(x) < 0.5f ? p : big;
}

/** ln(1 + u) for u ≥ 0; the second term corrects the rounding of 1 + u. */
static inline float vlog1p(float u) {
  float w = 1.0f + u;
  float c = (u - (w - 1.0f)) / w;
  return vlog(w) + c;
}

/** tanh: an odd polynomial on |x| < 0.625, else 1 − 2/(e^{2|x|} + 1) with the sign of x. */
static inline float vtanh(float x) {
  float a = std::fabs(x);
  float z = x * x;
  float s = -5.70498872745e-3f;
  s = s * z + 2.06390887954e-2f;
  s = s * z - 5.37397155531e-2f;
  s = s * z + 1.33314422036e-1f;
  s = s * z - 3.33332819422e-1f;
  s = s * z * x + x;
  float l = 1.0f - 2.0f / (vexp(2.0f * a) + 1.0f);
  l = x < 0.0f ? -l : l;
  return a < 0.625f ? s : l;
}

/** σ(x) = 1/(1 + e^−x), as e^x/(1 + e^x) for x < 0 so tiny results keep their precision. */
static inline float vsigmoid(float x) {
  float e = vexp(-std::fabs(x));
  float s = 1.0f / (1.0f + e);
  return x >= 0.0f ? s : e * s;
}

/** 1 + erf(x/√2) = 2Φ(x), by the erfc fit the TypeScript backend uses (fractional error < 1.2e-7). The exponent
 *  −z² = −x²/2 keeps the rounding error of x² (fma) so the tail stays accurate. */
static inline float vtwoPhi(float x) {
  float z = std::fabs(x) * 0.70710678118654752f;
  float t = 1.0f / (1.0f + 0.5f * z);
  float q = 0.17087277f;
  q = q * t - 0.82215223f;
  q = q * t + 1.48851587f;
  q = q * t - 1.13520398f;
  q = q * t + 0.27886807f;
  q = q * t - 0.18628806f;
  q = q * t + 0.09678418f;
  q = q * t + 0.37409196f;
  q = q * t + 1.00002368f;
  float xx = x * x;
  float xxLo = xx < 1e30f ? std::fma(x, x, -xx) : 0.0f;  // (inf·inf − inf would be NaN)
  float r = t * vexp(((-0.5f * xx - 1.26551223f) + t * q) - 0.5f * xxLo);
  return x >= 0.0f ? 2.0f - r : r;
}

}  // namespace dt
