// Elementwise kernels: unary ops and their derivatives, broadcasting binary ops, where.
#include <cmath>

#include "strided.h"
#include "vmath.h"

namespace dt {

// Codes shared with src/backend/native.ts (UNARY_OPS / BINARY_OPS order).
enum Unary { NEG, EXP, LOG, SQRT, RSQRT, ABS, SIGN, RECIPROCAL, SQUARE, SIN, COS, TANH, SIGMOID, RELU, LEAKY_RELU,
             ELU, GELU, SILU, SOFTPLUS, POW_SCALAR, CLAMP, UNARY_COUNT };
enum Binary { ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, GT, GE, LT, LE, EQ, NE, BINARY_COUNT };

constexpr size_t kGrainCheap = 1 << 16;  // elements per thread below which threading costs more than it saves
constexpr size_t kGrainMath = 1 << 13;

template <typename F>
static void map1(const float* x, float* y, size_t n, size_t grain, F f) {
  parallelFor(n, grain, [&](size_t b, size_t e) {
    const F fn = f;  // a local copy: captured scalars then cannot alias the output, so the loop vectorizes
    DT_IVDEP for (size_t i = b; i < e; i++) y[i] = fn(x[i]);
  });
}

static float powScalar(float x, float a) { return (float)std::pow((double)x, (double)a); }

// unary(op, x, out, a, b)
static void unary(const Args& A) {
  int op = (int)A.integer(0);
  auto xs = A.f32(1, 0);
  float* y = A.f32(2, xs.n).p;
  const float* x = xs.p;
  size_t n = xs.n;
  float a = (float)A.num(3), b = (float)A.num(4);
  switch (op) {
    case NEG: return map1(x, y, n, kGrainCheap, [](float v) { return -v; });
    case EXP: return map1(x, y, n, kGrainMath, [](float v) { return vexp(v); });
    case LOG: return map1(x, y, n, kGrainMath, [](float v) { return vlog(v); });
    case SQRT: return map1(x, y, n, kGrainCheap, [](float v) { return std::sqrt(v); });
    case RSQRT: return map1(x, y, n, kGrainCheap, [](float v) { return 1.0f / std::sqrt(v); });
    case ABS: return map1(x, y, n, kGrainCheap, [](float v) { return std::fabs(v); });
    case SIGN: return map1(x, y, n, kGrainCheap, [](float v) { return v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : 0.0f; });
    case RECIPROCAL: return map1(x, y, n, kGrainCheap, [](float v) { return 1.0f / v; });
    case SQUARE: return map1(x, y, n, kGrainCheap, [](float v) { return v * v; });
    case SIN: return map1(x, y, n, 1024, [](float v) { return (float)std::sin((double)v); });
    case COS: return map1(x, y, n, 1024, [](float v) { return (float)std::cos((double)v); });
    case TANH: return map1(x, y, n, kGrainMath, [](float v) { return vtanh(v); });
    case SIGMOID: return map1(x, y, n, kGrainMath, [](float v) { return vsigmoid(v); });
    case RELU: return map1(x, y, n, kGrainCheap, [](float v) { return v > 0.0f ? v : 0.0f; });
    case LEAKY_RELU: return map1(x, y, n, kGrainCheap, [a](float v) { return v > 0.0f ? v : a * v; });
    case ELU: return map1(x, y, n, kGrainMath, [a](float v) { return v > 0.0f ? v : a * vexpm1(v); });
    // gelu(x) = x·Φ(x) = ½·x·(1 + erf(x/√2))
    case GELU: return map1(x, y, n, kGrainMath, [](float v) { return 0.5f * v * vtwoPhi(v); });
    case SILU: return map1(x, y, n, kGrainMath, [](float v) { return v * vsigmoid(v); });
    // softplus(x) = max(x, 0) + log1p(e^−|x|)
    case SOFTPLUS: return map1(x, y, n, kGrainMath, [](float v) { return (v > 0.0f ? v : 0.0f) + vlog1p(vexp(-std::fabs(v))); });
    case POW_SCALAR:
      if (a == 2.0f) return map1(x, y, n, kGrainCheap, [](float v) { return v * v; });
      if (a == 1.0f) return map1(x, y, n, kGrainCheap, [](float v) { return v; });
      // pow(x, ½) is √x except at −0 (pow gives +0) and −∞ (pow gives +∞)
      if (a == 0.5f) return map1(x, y, n, kGrainCheap, [](float v) { return (v == -kInf ? kInf : std::sqrt(v)) + 0.0f; });
      return map1(x, y, n, 1024, [a](float v) { return powScalar(v, a); });
    case CLAMP: return map1(x, y, n, kGrainCheap, [a, b](float v) { return v < a ? a : v > b ? b : v; });
    default: A.fail("unknown unary op " + std::to_string(op));
  }
}

template <typename F>
static void mapGrad(const float* x, const float* y, const float* gy, float* gx, size_t n, size_t grain, F f) {
  parallelFor(n, grain, [&](size_t b, size_t e) {
    const F fn = f;  // see map1
    DT_IVDEP for (size_t i = b; i < e; i++) gx[i] = gy[i] * fn(x[i], y[i]);
  });
}

// unaryGrad(op, x, y, gy, gx, a, b): gx = gy·f'(x), y = f(x)
static void unaryGrad(const Args& A) {
  int op = (int)A.integer(0);
  auto xs = A.f32(1, 0);
  size_t n = xs.n;
  const float* x = xs.p;
  const float* y = A.f32(2, n).p;
  const float* gy = A.f32(3, n).p;
  float* gx = A.f32(4, n).p;
  float a = (float)A.num(5), b = (float)A.num(6);
  switch (op) {
    case NEG: return mapGrad(x, y, gy, gx, n, kGrainCheap, [](float, float) { return -1.0f; });
    case EXP: return mapGrad(x, y, gy, gx, n, kGrainCheap, [](float, float v) { return v; });
    case LOG: return mapGrad(x, y, gy, gx, n, kGrainCheap, [](float u, float) { return 1.0f / u; });
    case SQRT: return mapGrad(x, y, gy, gx, n, kGrainCheap, [](float, float v) { return 0.5f / v; });
    case RSQRT: return mapGrad(x, y, gy, gx, n, kGrainCheap, [](float, float v) { return -0.5f * v * v * v; });
    case ABS:
    case SIGN:
      if (op == SIGN) return mapGrad(x, y, gy, gx, n, kGrainCheap, [](float, float) { return 0.0f; });
      return mapGrad(x, y, gy, gx, n, kGrainCheap, [](float u, float) { return u > 0.0f ? 1.0f : u < 0.0f ? -1.0f : 0.0f; });
    case RECIPROCAL: return mapGrad(x, y, gy, gx, n, kGrainCheap, [](float, float v) { return -v * v; });
    case SQUARE: return mapGrad(x, y, gy, gx, n, kGrainCheap, [](float u, float) { return 2.0f * u; });
    case SIN: return mapGrad(x, y, gy, gx, n, 1024, [](float u, float) { return (float)std::cos((double)u); });
    case COS: return mapGrad(x, y, gy, gx, n, 1024, [](float u, float) { return (float)-std::sin((double)u); });
    case TANH: return mapGrad(x, y, gy, gx, n, kGrainCheap, [](float, float v) { return 1.0f - v * v; });
    case SIGMOID: return mapGrad(x, y, gy, gx, n, kGrainCheap, [](float, float v) { return v * (1.0f - v); });
    case RELU:  // gy where x > 0, else exactly 0 (not gy·0, which is NaN for an infinite gy)
      return parallelFor(n, kGrainCheap, [&](size_t s, size_t e) {
        // both loads unconditional: a conditional load keeps the loop scalar and branchy
        DT_IVDEP for (size_t i = s; i < e; i++) { const float g = gy[i], u = x[i]; gx[i] = u > 0.0f ? g : 0.0f; }
      });
    case LEAKY_RELU: return mapGrad(x, y, gy, gx, n, kGrainCheap, [a](float u, float) { return u > 0.0f ? 1.0f : a; });
    case ELU: return mapGrad(x, y, gy, gx, n, kGrainCheap, [a](float u, float v) { return u > 0.0f ? 1.0f : v + a; });
    // d/dx x·Φ(x) = Φ(x) + x·φ(x)
    case GELU:
      return mapGrad(x, y, gy, gx, n, kGrainMath, [](float u, float) {
        return 0.5f * vtwoPhi(u) + u * vexp(-0.5f * u * u) * 0.398942280401432678f;
      });
    // d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x)))
    case SILU: return mapGrad(x, y, gy, gx, n, kGrainMath, [](float u, float) { float s = vsigmoid(u); return s * (1.0f + u * (1.0f - s)); });
    case SOFTPLUS: return mapGrad(x, y, gy, gx, n, kGrainMath, [](float u, float) { return vsigmoid(u); });
    case POW_SCALAR:
      if (a == 2.0f) return mapGrad(x, y, gy, gx, n, kGrainCheap, [](float u, float) { return 2.0f * u; });
      return mapGrad(x, y, gy, gx, n, 1024, [a](float u, float) { return (float)(a * std::pow((double)u, (double)a - 1.0)); });
    case CLAMP: return mapGrad(x, y, gy, gx, n, kGrainCheap, [a, b](float u, float) { return u < a || u > b ? 0.0f : 1.0f; });
    default: A.fail("unknown unary op " + std::to_string(op));
  }
}

// ---- binary ----

template <int OP>
static inline float bin(float x, float y) {
  if constexpr (OP == ADD) return x + y;
  if constexpr (OP == SUB) return x - y;
  if constexpr (OP == MUL) return x * y;
  if constexpr (OP == DIV) return x / y;
  if constexpr (OP == POW) return (float)std::pow((double)x, (double)y);
  if constexpr (OP == MAXIMUM) return x >= y || x != x ? x : y;  // NaN in either operand propagates
  if constexpr (OP == MINIMUM) return x <= y || x != x ? x : y;
  if constexpr (OP == GT) return x > y ? 1.0f : 0.0f;
  if constexpr (OP == GE) return x >= y ? 1.0f : 0.0f;
  if constexpr (OP == LT) return x < y ? 1.0f : 0.0f;
  if constexpr (OP == LE) return x <= y ? 1.0f : 0.0f;
  if constexpr (OP == EQ) return x == y ? 1.0f : 0.0f;
  if constexpr (OP == NE) return x != y ? 1.0f : 0.0f;
  return 0.0f;
}

// mode 0: same sizes; 1: b is one element; 2: a is one element; 3: general broadcast described by meta
template <int OP>
static void binaryRun(const Args& A, int mode, const float* a, size_t na, const float* b, size_t nb, float* out, size_t n) {
  const size_t grain = OP == POW ? 1024 : kGrainCheap;
  if (mode == 0) {
    return parallelFor(n, grain, [&](size_t s, size_t e) { DT_IVDEP for (size_t i = s; i < e; i++) out[i] = bin<OP>(a[i], b[i]); });
  }
  if (mode == 1) {
    const float c = b[0];
    return parallelFor(n, grain, [&](size_t s, size_t e) { DT_IVDEP for (size_t i = s; i < e; i++) out[i] = bin<OP>(a[i], c); });
  }
  if (mode == 2) {
    const float c = a[0];
    return parallelFor(n, grain, [&](size_t s, size_t e) { DT_IVDEP for (size_t i = s; i < e; i++) out[i] = bin<OP>(c, b[i]); });
  }
  auto meta = A.i32(5, 1);
  int64_t sizes[2];
  StridedIter it = broadcastIter(A, meta.p, meta.n, 2, sizes, n);
  if ((size_t)sizes[0] > na || (size_t)sizes[1] > nb) A.fail("an input is smaller than its shape");
  if (n == 0) return;
  int64_t rows = it.rows(), len = it.inner();
  size_t rowGrain = std::max<size_t>(1, grain / (size_t)len);
  parallelFor((size_t)rows, rowGrain, [&](size_t r0, size_t r1) {
    int64_t base[4] = {0, 0, 0, 0};
    it.forRows(r0, r1, base, [&](const int64_t* off, int64_t m) {
      float* o = out + off[0];
      const float* pa = a + off[1];
      const float* pb = b + off[2];
      const int64_t sa = it.st[1][it.nd - 1], sb = it.st[2][it.nd - 1];
      if (sa == 1 && sb == 1) { DT_IVDEP for (int64_t i = 0; i < m; i++) o[i] = bin<OP>(pa[i], pb[i]); }
      else if (sa == 1 && sb == 0) { const float c = pb[0]; DT_IVDEP for (int64_t i = 0; i < m; i++) o[i] = bin<OP>(pa[i], c); }
      else if (sa == 0 && sb == 1) { const float c = pa[0]; DT_IVDEP for (int64_t i = 0; i < m; i++) o[i] = bin<OP>(c, pb[i]); }
      else for (int64_t i = 0; i < m; i++) o[i] = bin<OP>(pa[i * sa], pb[i * sb]);
    });
  });
}

// binary(op, mode, a, b, out, meta?) with out.length the output size; a/b checked against it per mode
static void binary(const Args& A) {
  int op = (int)A.integer(0);
  int mode = (int)A.integer(1);
  auto as = A.f32(2, 0), bs = A.f32(3, 0);
  auto os = A.f32(4, 0);
  size_t n = os.n;
  if (mode == 0 && (as.n < n || bs.n < n)) A.fail("inputs are smaller than the output");
  if (mode == 1 && (as.n < n || bs.n < 1)) A.fail("inputs are smaller than the output");
  if (mode == 2 && (bs.n < n || as.n < 1)) A.fail("inputs are smaller than the output");
  if (mode < 0 || mode > 3) A.fail("bad mode");
  switch (op) {
#define DT_CASE(X) case X: return binaryRun<X>(A, mode, as.p, as.n, bs.p, bs.n, os.p, n);
    DT_CASE(ADD) DT_CASE(SUB) DT_CASE(MUL) DT_CASE(DIV) DT_CASE(POW) DT_CASE(MAXIMUM) DT_CASE(MINIMUM)
    DT_CASE(GT) DT_CASE(GE) DT_CASE(LT) DT_CASE(LE) DT_CASE(EQ) DT_CASE(NE)
#undef DT_CASE
    default: A.fail("unknown binary op " + std::to_string(op));
  }
}

// where(cond, a, b, out, meta): out = cond != 0 ? a : b with all three broadcast to out (meta as in binary)
template <typename C>
static void whereRun(const Args& A, const C* cond, size_t nc, const float* a, size_t na, const float* b, size_t nb, float* out, size_t n) {
  auto meta = A.i32(4, 1);
  int64_t sizes[3];
  StridedIter it = broadcastIter(A, meta.p, meta.n, 3, sizes, n);
  if ((size_t)sizes[0] > nc || (size_t)sizes[1] > na || (size_t)sizes[2] > nb) A.fail("an input is smaller than its shape");
  if (n == 0) return;
  int64_t rows = it.rows(), len = it.inner();
  parallelFor((size_t)rows, std::max<size_t>(1, kGrainCheap / (size_t)len), [&](size_t r0, size_t r1) {
    int64_t base[4] = {0, 0, 0, 0};
    it.forRows(r0, r1, base, [&](const int64_t* off, int64_t m) {
      float* o = out + off[0];
      const C* pc = cond + off[1];
      const float* pa = a + off[2];
      const float* pb = b + off[3];
      const int64_t sc = it.st[1][it.nd - 1], sa = it.st[2][it.nd - 1], sb = it.st[3][it.nd - 1];
      // loads first, then a select: conditional loads would keep these loops scalar and branchy
      if (sc == 1 && sa == 1 && sb == 1) {
        DT_IVDEP for (int64_t i = 0; i < m; i++) { const C c = pc[i]; const float u = pa[i], v = pb[i]; o[i] = c != 0 ? u : v; }
      } else {
        for (int64_t i = 0; i < m; i++) { const C c = pc[i * sc]; const float u = pa[i * sa], v = pb[i * sb]; o[i] = c != 0 ? u : v; }
      }
    });
  });
}

static void where(const Args& A) {
  char kind;
  auto cs = A.word(0, 0, &kind);
  auto as = A.f32(1, 0), bs = A.f32(2, 0);
  auto os = A.f32(3, 0);
  if (kind == 'f') whereRun(A, reinterpret_cast<const float*>(cs.p), cs.n, as.p, as.n, bs.p, bs.n, os.p, os.n);
  else whereRun(A, reinterpret_cast<const int32_t*>(cs.p), cs.n, as.p, as.n, bs.p, bs.n, os.p, os.n);
}

void registerElementwise(napi_env env, napi_value exports) {
  DT_DEF("unary", unary);
  DT_DEF("unaryGrad", unaryGrad);
  DT_DEF("binary", binary);
  DT_DEF("where", where);
}

}  // namespace dt
