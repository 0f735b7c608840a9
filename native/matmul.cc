// Batched GEMM: out[b] = op(A[b])·op(B[b]) + beta·out[b] (row-major), one BLAS call per batch item. Optional
// leading dimensions and a two-level batch (outer × inner items) read and write matrices in place inside larger
// tensors (attention heads inside a packed projection).
#include "common.h"

namespace dt {

// One matrix-vector product, out (len) = op(M)·v, for the output range [i0, i1): M is rows×cols row-major and
// trans means out[i] = Σ_q M[q, i]·v[q] (else Σ_q M[i, q]·v[q]).
static void gemvRange(bool trans, const float* M, int64_t rows, int64_t cols, const float* v, float beta, float* out, int64_t i0, int64_t i1) {
  if (i1 <= i0) return;
  if (!trans) cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)(i1 - i0), (int)cols, 1.0f, M + i0 * cols, (int)cols, v, 1, beta, out + i0, 1);
  else cblas_sgemv(CblasRowMajor, CblasTrans, (int)rows, (int)(i1 - i0), 1.0f, M + i0, (int)cols, v, 1, beta, out + i0, 1);
}

struct Layout {
  int64_t m, n, k;
  bool tA, tB;
  float beta;
  int64_t lda, ldb, ldc;
  bool dense;  // every leading dimension is the default (contiguous matrices)
};

// One batch item. Matrix-vector shapes of contiguous matrices go to sgemv, which streams the matrix once instead
// of packing it (the vector must be contiguous, so strided layouts take sgemm).
static void gemmItem(const float* A, const float* B, float* C, const Layout& L) {
  const int64_t m = L.m, n = L.n, k = L.k;
  const bool tA = L.tA, tB = L.tB;
  const float beta = L.beta;
  if (L.dense && k > 0 && (m == 1 || n == 1)) {
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
  sgemm(tA, tB, m, n, k, 1.0f, A, L.lda, B, L.ldb, beta, C, L.ldc);
}

// Elements a batch of stored rows×cols matrices (rows ld apart) spans, the last element +1; strides are >= 0.
static size_t extent(int64_t outer, int64_t inner, int64_t so, int64_t si, int64_t rows, int64_t cols, int64_t ld) {
  if (outer == 0 || inner == 0 || rows == 0 || cols == 0) return 0;
  return (size_t)((outer - 1) * so + (inner - 1) * si + (rows - 1) * ld + cols);
}

// matmul(a, b, out, batch, m, n, k, transA, transB, strideA, strideB, beta,
//        [lda, ldb, ldc, strideC, inner, outerStrideA, outerStrideB, outerStrideC]) — optional ones as in
// kernels/matmul.ts MatmulParams (null/undefined = the contiguous default).
static void matmul(const Args& a) {
  int64_t batch = a.size(3), m = a.size(4), n = a.size(5), k = a.size(6);
  bool tA = a.flag(7), tB = a.flag(8);
  int64_t sA = a.size(9), sB = a.size(10);
  float beta = (float)a.num(11);
  auto opt = [&](size_t i, int64_t dflt) { return a.isNull(i) ? dflt : a.size(i); };
  const int64_t dA = tA ? m : k, dB = tB ? k : n;
  int64_t lda = opt(12, dA), ldb = opt(13, dB), ldc = opt(14, n), sC = opt(15, m * n);
  int64_t inner = opt(16, batch);
  if (inner == 0 ? batch != 0 : batch % inner != 0) a.fail("matmul: batch " + std::to_string(batch) + " is not a multiple of inner " + std::to_string(inner));
  if (lda < dA || ldb < dB || ldc < n) a.fail("matmul: a leading dimension is smaller than its row length");
  int64_t outer = inner == 0 ? 0 : batch / inner;
  int64_t oA = opt(17, inner * sA), oB = opt(18, inner * sB), oC = opt(19, inner * sC);
  const float* A = a.f32(0, extent(outer, inner, oA, sA, tA ? k : m, dA, lda)).p;
  const float* B = a.f32(1, extent(outer, inner, oB, sB, tB ? n : k, dB, ldb)).p;
  float* C = a.f32(2, extent(outer, inner, oC, sC, m, n, ldc)).p;
  if (batch == 0 || m == 0 || n == 0) return;
  const Layout L{m, n, k, tA, tB, beta, lda, ldb, ldc, lda == dA && ldb == dB && ldc == n};
  auto item = [&](int64_t i) {
    int64_t o = i / inner, j = i - o * inner;
    gemmItem(A + o * oA + j * sA, B + o * oB + j * sB, C + o * oC + j * sC, L);
  };
  double work = (double)m * n * k;
  // Many small products (attention heads, LSTM steps): one single-threaded GEMM per item on each core.
  // Large ones: one at a time, threaded inside BLAS.
  if (batch > 1 && threads() > 1 && work < (1 << 21)) {
    SerialBlas serial;
    parallelFor((size_t)batch, 1, [&](size_t b0, size_t b1) {
      for (size_t i = b0; i < b1; i++) item((int64_t)i);
    });
    return;
  }
  for (int64_t i = 0; i < batch; i++) item(i);
}

void registerMatmul(napi_env env, napi_value exports) { DT_DEF("matmul", matmul); }

}  // namespace dt
