// Module entry: argument access, registration, and the info/threads functions.
#include "common.h"

#include <cmath>
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace dt {

Args::Args(napi_env e, napi_callback_info info, const char*) : env(e), name("deepten") {
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc_, argv_, nullptr, &data) != napi_ok) throw ArgError("deepten: bad call");
  if (data) name = static_cast<const char*>(data);
  if (argc_ > 24) argc_ = 24;
}

void Args::fail(const std::string& what) const { throw ArgError(std::string("native ") + name + ": " + what); }

double Args::num(size_t i) const {
  double v;
  if (i >= argc_ || napi_get_value_double(env, argv_[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a number");
  return v;
}

int64_t Args::integer(size_t i) const {
  double v = num(i);
  if (!(std::fabs(v) < 9007199254740992.0) || v != std::floor(v)) fail("argument " + std::to_string(i) + " must be an integer");
  return (int64_t)v;
}

int64_t Args::size(size_t i) const {
  int64_t v = integer(i);
  if (v < 0) fail("argument " + std::to_string(i) + " must be non-negative");
  return v;
}

bool Args::flag(size_t i) const {
  bool b;
  if (i < argc_ && napi_get_value_bool(env, argv_[i], &b) == napi_ok) return b;
  return num(i) != 0;
}

bool Args::isNull(size_t i) const {
  if (i >= argc_) return true;
  napi_valuetype t;
  napi_typeof(env, argv_[i], &t);
  return t == napi_null || t == napi_undefined;
}

void* Args::typed(size_t i, napi_typedarray_type want, size_t need, size_t* len, napi_typedarray_type* got) const {
  napi_typedarray_type type;
  void* data = nullptr;
  size_t length = 0;
  // the data pointer N-API returns already includes the array's byteOffset
  if (i >= argc_ || napi_get_typedarray_info(env, argv_[i], &type, &length, &data, nullptr, nullptr) != napi_ok)
    fail("argument " + std::to_string(i) + " must be a typed array");
  if (got) *got = type;
  else if (type != want) fail("argument " + std::to_string(i) + (want == napi_float32_array ? " must be a Float32Array" : " must be an Int32Array"));
  if (length < need) fail("argument " + std::to_string(i) + " has " + std::to_string(length) + " elements, needs " + std::to_string(need));
  *len = length;
  return data;
}

Span<float> Args::f32(size_t i, size_t need) const {
  size_t n;
  float* p = static_cast<float*>(typed(i, napi_float32_array, need, &n));
  return {p, n};
}

Span<float> Args::f32OrNull(size_t i, size_t need) const {
  if (isNull(i)) return {nullptr, 0};
  return f32(i, need);
}

Span<int32_t> Args::i32(size_t i, size_t need) const {
  size_t n;
  int32_t* p = static_cast<int32_t*>(typed(i, napi_int32_array, need, &n));
  return {p, n};
}

Span<uint32_t> Args::u32(size_t i, size_t need) const {
  size_t n;
  napi_typedarray_type t;
  uint32_t* p = static_cast<uint32_t*>(typed(i, napi_uint32_array, need, &n, &t));
  if (t != napi_uint32_array) fail("argument " + std::to_string(i) + " must be a Uint32Array");
  return {p, n};
}

Span<uint8_t> Args::u8(size_t i, size_t need) const {
  size_t n;
  napi_typedarray_type t;
  uint8_t* p = static_cast<uint8_t*>(typed(i, napi_uint8_array, need, &n, &t));
  if (t != napi_uint8_array) fail("argument " + std::to_string(i) + " must be a Uint8Array");
  return {p, n};
}

Span<double> Args::f64(size_t i, size_t need) const {
  size_t n;
  napi_typedarray_type t;
  double* p = static_cast<double*>(typed(i, napi_float64_array, need, &n, &t));
  if (t != napi_float64_array) fail("argument " + std::to_string(i) + " must be a Float64Array");
  return {p, n};
}

Span<uint32_t> Args::word(size_t i, size_t need, char* kind) const {
  size_t n;
  napi_typedarray_type t;
  uint32_t* p = static_cast<uint32_t*>(typed(i, napi_float32_array, need, &n, &t));
  if (t == napi_float32_array) *kind = 'f';
  else if (t == napi_int32_array) *kind = 'i';
  else fail("argument " + std::to_string(i) + " must be a Float32Array or Int32Array");
  return {p, n};
}

void define(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, const_cast<char*>(name), &f);
  napi_set_named_property(env, exports, name, f);
}

static void sgemmSerial(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                        const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
              alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) { // BLAS rejects lda = 0; C = beta·C (beta 0 overwrites, even NaN)
    for (int64_t i = 0; i < m; i++) {
      float* row = c + i * ldc;
      if (beta == 0.0f) std::memset(row, 0, n * sizeof(float));
      else if (beta != 1.0f) for (int64_t j = 0; j < n; j++) row[j] *= beta;
    }
    return;
  }
  if (lda < 1) lda = 1;
  if (ldb < 1) ldb = 1;
  const int nt = gemmThreads(m, n, k);
  if (nt <= 1) return sgemmSerial(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  // Split C into nt slabs (columns when it is wide, rows when tall), one single-threaded GEMM each, on our pool.
  const bool byCols = n >= m;
  const int64_t len = byCols ? n : m;
  parallel(nt, [&](int t) {
    // slab bounds on multiples of 16 keep every slab's columns/rows vector-aligned relative to the matrix
    const int64_t b0 = (len * t / nt) & ~int64_t(15), b1 = t == nt - 1 ? len : (len * (t + 1) / nt) & ~int64_t(15);
    if (b1 <= b0) return;
    if (byCols) {
      const float* bs = transB ? b + b0 * ldb : b + b0;  // columns b0..b1 of op(B)
      sgemmSerial(transA, transB, m, b1 - b0, k, alpha, a, lda, bs, ldb, beta, c + b0, ldc);
    } else {
      const float* as = transA ? a + b0 : a + b0 * lda;  // rows b0..b1 of op(A)
      sgemmSerial(transA, transB, b1 - b0, n, k, alpha, as, lda, b, ldb, beta, c + b0 * ldc, ldc);
    }
  });
}

static napi_value makeString(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

// info(): { config, corename, threads } — the JS side formats the "OpenBLAS 0.3.21 (SkylakeX)" string.
static napi_value info(napi_env env, napi_callback_info) {
  napi_value o, t;
  napi_create_object(env, &o);
#if defined(__APPLE__)
  napi_set_named_property(env, o, "config", makeString(env, "Accelerate"));
  napi_set_named_property(env, o, "corename", makeString(env, ""));
#elif defined(OPENBLAS_VERSION)
  napi_set_named_property(env, o, "config", makeString(env, openblas_get_config()));
  napi_set_named_property(env, o, "corename", makeString(env, openblas_get_corename()));
#else
  napi_set_named_property(env, o, "config", makeString(env, "CBLAS"));
  napi_set_named_property(env, o, "corename", makeString(env, ""));
#endif
  napi_create_int32(env, threads(), &t);
  napi_set_named_property(env, o, "threads", t);
  return o;
}

static void setThreadsKernel(const Args& a) {
  int64_t n = a.size(0);
  if (n < 1 || n > 256) a.fail("threads must be in [1, 256]");
  setThreads((int)n);
}

}  // namespace dt

static napi_value Init(napi_env env, napi_value exports) {
#ifdef __GLIBC__
  // Node's ArrayBuffer allocator is malloc/calloc. By default glibc serves blocks >= 128 KiB (adaptive up to 32 MiB)
  // with mmap and unmaps them on free, so every new tensor buffer page-faults fresh zero pages. Keeping big blocks
  // in the heap (and not trimming it) lets freed tensor buffers be reused without faults.
  mallopt(M_MMAP_THRESHOLD, 512 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  napi_value f;
  napi_create_function(env, "info", NAPI_AUTO_LENGTH, dt::info, nullptr, &f);
  napi_set_named_property(env, exports, "info", f);
  DT_DEF("setThreads", dt::setThreadsKernel);
  dt::registerMatmul(env, exports);
  dt::registerConv(env, exports);
  dt::registerPool(env, exports);
  dt::registerElementwise(env, exports);
  dt::registerReduce(env, exports);
  dt::registerNorm(env, exports);
  dt::registerIndexing(env, exports);
  dt::registerOptim(env, exports);
  dt::registerShape(env, exports);
  dt::registerRnn(env, exports);
  dt::registerAttention(env, exports);
  dt::registerWord2Vec(env, exports);
  dt::registerLoss(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
