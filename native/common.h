// Shared plumbing for the deepten addon: N-API argument access with bounds checks, the thread pool,
// per-thread scratch buffers, and BLAS thread control.
#pragma once
#include <node_api.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__APPLE__)
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

namespace dt {

// Thrown by argument checks; turned into a JS Error at the N-API boundary.
struct ArgError : std::runtime_error { using std::runtime_error::runtime_error; };

template <typename T> struct Span { T* p; size_t n; };

/** The arguments of one N-API call. Getters validate type and minimum length, so a bad call throws, never crashes. */
class Args {
 public:
  Args(napi_env env, napi_callback_info info, const char* name);
  napi_env env;
  const char* name;
  double num(size_t i) const;
  /** An integer-valued number in [0, 2^53). */
  int64_t size(size_t i) const;
  /** Any integer-valued number (offsets, strides). */
  int64_t integer(size_t i) const;
  bool flag(size_t i) const;
  bool isNull(size_t i) const;
  Span<float> f32(size_t i, size_t need) const;
  /** null/undefined gives {nullptr, 0}. */
  Span<float> f32OrNull(size_t i, size_t need) const;
  Span<int32_t> i32(size_t i, size_t need) const;
  Span<uint32_t> u32(size_t i, size_t need) const;
  Span<uint8_t> u8(size_t i, size_t need) const;
  Span<double> f64(size_t i, size_t need) const;
  /** A Float32Array or Int32Array (both 4-byte elements); kind is 'f' or 'i'. */
  Span<uint32_t> word(size_t i, size_t need, char* kind) const;
  [[noreturn]] void fail(const std::string& what) const;

 private:
  size_t argc_ = 24;
  napi_value argv_[24];
  void* typed(size_t i, napi_typedarray_type want, size_t need, size_t* len, napi_typedarray_type* got = nullptr) const;
};

using Kernel = void (*)(const Args&);

template <Kernel K>
napi_value wrap(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info, "deepten native");
    K(a);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

void define(napi_env env, napi_value exports, const char* name, napi_callback fn);
#define DT_DEF(name, fn) ::dt::define(env, exports, name, ::dt::wrap<fn>)

// ---- threads ----
/** Participants in parallel regions (pool workers + the calling thread). */
int threads();
void setThreads(int n);
/** Runs f(t) for t in [0, nt) concurrently (t = 0 on the caller); serial when nested or nt <= 1. */
void parallel(int nt, const std::function<void(int)>& f);
/** Splits [0, n) into at most threads() contiguous chunks of at least `grain` items; f(begin, end, thread). */
template <typename F>
inline void parallelForT(size_t n, size_t grain, F&& f) {
  int nt = threads();
  if (grain < 1) grain = 1;
  size_t maxChunks = (n + grain - 1) / grain;
  if ((size_t)nt > maxChunks) nt = (int)maxChunks;
  if (nt <= 1) { if (n) f((size_t)0, n, 0); return; }
  parallel(nt, [&](int t) {
    size_t b = n * t / nt, e = n * (t + 1) / nt;
    if (b < e) f(b, e, t);
  });
}
/** parallelForT without the thread index: f(begin, end). */
template <typename F>
inline void parallelFor(size_t n, size_t grain, F&& f) {
  parallelForT(n, grain, [&](size_t b, size_t e, int) { f(b, e); });
}

/**
 * Threads for one GEMM of this size: 1 inside a parallel region or for small products, else threads(). GEMMs are
 * split over our own pool (BLAS itself stays single-threaded, so two thread pools never compete for the cores),
 * unless DEEPTEN_GEMM_THREADS=blas hands threading to BLAS (then this returns 1 and BLAS splits internally).
 */
int gemmThreads(int64_t m, int64_t n, int64_t k);
/** True while running inside a parallel region (nested parallelism runs serially). */
bool inParallel();

/** Sets the BLAS library's own thread count to 1 while alive (only matters when BLAS threads itself). */
class SerialBlas {
 public:
  SerialBlas();
  ~SerialBlas();
 private:
  int saved_;
};

/**
 * Scratch buffer `which` (0..3) of thread index tid, at least n floats; stays valid until the next call for the
 * same (tid, which). Call from the region's caller before the region runs (allocation may throw).
 */
float* scratch(int tid, size_t n, int which = 0);

// ---- GEMM ----
/** Row-major C (m×n, ldc) = alpha·op(A)·op(B) + beta·C; op(A) is m×k. Handles empty sizes BLAS rejects. */
void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Registration per kernel family.
void registerMatmul(napi_env env, napi_value exports);
void registerConv(napi_env env, napi_value exports);
void registerPool(napi_env env, napi_value exports);
void registerElementwise(napi_env env, napi_value exports);
void registerReduce(napi_env env, napi_value exports);
void registerNorm(napi_env env, napi_value exports);
void registerIndexing(napi_env env, napi_value exports);
void registerOptim(napi_env env, napi_value exports);
void registerShape(napi_env env, napi_value exports);
void registerRnn(napi_env env, napi_value exports);
void registerAttention(napi_env env, napi_value exports);
void registerWord2Vec(napi_env env, napi_value exports);
void registerLoss(napi_env env, napi_value exports);

}  // namespace dt
