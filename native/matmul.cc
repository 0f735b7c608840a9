// Batched GEMM: out[b] = op(A[b])·op(B[b]) + beta·out[b] (row-major), one BLAS call per batch item.
#include "common.h"

namespace dt {

// One matrix-vector product, out (len) = op(M)·v, for the output range [i0, i1): M is rows×cols row-major and
// trans means out[i] = Σ_q M[q, i]·v[q] (else Σ_q M[i, q]·v[q]).
static void gemvRange(bool trans, const float* M, int64_t rows, int64_t cols, const float* v, float beta, float* out, int64_t i0, int64_t i1) {
  if (i1 <= i0) return;
  if (!trans) cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)(i1 - i0), (int)cols, 1.0f, M + i0 * cols, (int)cols, v, 1, beta, out + i0, 1);
  else cblas_sgemv(CblasRowMajor, CblasTrans, (int)rows, (int)(i1 - i0), 1.0f, M + i0, (int)cols, v, 1, beta, out + i0, 1);
}

// One batch item. Matrix-vector shapes go to sgemv, which streams the matrix once instead of packing it.
static void gemmItem(const float* A, const float* B, float* C, int64_t m, int64_t n, int64_t k, bool tA, bool tB, float beta) {
  if (k > 0 && (m == 1 || n == 1)) {
    if (beta == 0.0f) std::memset(C, 0, sizeof(float) * m * n);  // beta 0 overwrites, NaN included
    // n = 1: out (m) = op(A)·b, b a contiguous k-vector whichever way it is stored; A is m×k, or k×m when tA.
    // m = 1: out (n) = op(B)ᵀ·a; B is k×n, or n×k when tB.
    const bool colVec = n == 1;
    const float* M = colVec ? A : B;
    const float* v = colVec ? B : A;
    const int64_t len = colVec ? m : n;
    const bool trans = colVec ? tA : !tB;
    const int64_t rows = colVec ? (tA ? k : m) : (tB ? n : k), cols = colVec ? (tA ? m : k) : (tB ? k : n);
    const int nt = gemmThreads(m, n, k);
    if (nt <= 1) return gemvRange(trans, M, rows, cols, v, beta, C, 0, len);
    parallel(nt, [&](int t) { gemvRange(trans, M, rows, cols, v, beta, C, len * t / nt, len * (t + 1) / nt); });
    return;
  }
  sgemm(tA, tB, m, n, k, 1.0f, A, tA ? m : k, B, tB ? k : n, beta, C, n);
}

// matmul(a, b, out, batch, m, n, k, transA, transB, strideA, strideB, beta)
static void matmul(const Args& a) {
  int64_t batch = a.size(3), m = a.size(4), n = a.size(5), k = a.size(6);
  bool tA = a.flag(7), tB = a.flag(8);
  int64_t sA = a.size(9), sB = a.size(10);
  float beta = (float)a.num(11);
  bool empty = batch == 0;
  const float* A = a.f32(0, empty ? 0 : (batch - 1) * sA + m * k).p;
  const float* B = a.f32(1, empty ? 0 : (batch - 1) * sB + k * n).p;
  float* C = a.f32(2, batch * m * n).p;
  if (empty || m == 0 || n == 0) return;
  double work = (double)m * n * k;
  // Many small products (attention heads, LSTM steps): one single-threaded GEMM per item on each core.
  // Large ones: one at a time, threaded inside BLAS.
  if (batch > 1 && threads() > 1 && work < (1 << 21)) {
    SerialBlas serial;
    parallelFor((size_t)batch, 1, [&](size_t b0, size_t b1) {
      for (size_t i = b0; i < b1; i++) gemmItem(A + i * sA, B + i * sB, C + i * m * n, m, n, k, tA, tB, beta);
    });
    return;
  }
  for (int64_t i = 0; i < batch; i++) gemmItem(A + i * sA, B + i * sB, C + i * m * n, m, n, k, tA, tB, beta);
}

void registerMatmul(napi_env env, napi_value exports) { DT_DEF("matmul", matmul); }

}  // namespace dt
