// Index kernels over x viewed as (outer, dim, inner), and the CSR sparse × dense product. Copies work on any
// 4-byte element type (Float32Array or Int32Array); accumulating kernels are float32. Indices are checked here
// too, so a bad index throws instead of touching memory outside the arrays.
#include <algorithm>
#include <atomic>

#include "common.h"
#include "vmath.h"

namespace dt {

constexpr size_t kGrain = 1 << 14;

static void checkIndices(const Args& A, const int32_t* idx, size_t n, int64_t dim) {
  for (size_t j = 0; j < n; j++) {
    if (idx[j] < 0 || idx[j] >= dim) A.fail("index " + std::to_string(idx[j]) + " is out of range for size " + std::to_string(dim));
  }
}

// indexSelect(x, idx, out, outer, dim, inner): out[o, j, :] = x[o, idx[j], :]
static void indexSelect(const Args& A) {
  const int64_t outer = A.size(3), dim = A.size(4), inner = A.size(5);
  char kx, ko;
  const uint32_t* x = A.word(0, outer * dim * inner, &kx).p;
  auto idx = A.i32(1, 0);
  const int64_t n = (int64_t)idx.n;
  uint32_t* out = A.word(2, outer * n * inner, &ko).p;
  if (kx != ko) A.fail("input and output types differ");
  checkIndices(A, idx.p, idx.n, dim);
  parallelFor((size_t)(outer * n), std::max<size_t>(1, kGrain / std::max<int64_t>(1, inner)), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const int64_t o = r / n, j = r % n;
      std::memcpy(out + r * inner, x + (o * dim + idx.p[j]) * inner, sizeof(float) * inner);
    }
  });
}

// indexAdd(src, idx, out, outer, dim, inner): out[o, idx[j], :] += src[o, j, :]. Repeated indices make rows
// collide, so threads split the outer axis (or the inner columns), never j.
static void indexAdd(const Args& A) {
  const int64_t outer = A.size(3), dim = A.size(4), inner = A.size(5);
  auto idx = A.i32(1, 0);
  const int64_t n = (int64_t)idx.n;
  const float* src = A.f32(0, outer * n * inner).p;
  float* out = A.f32(2, outer * dim * inner).p;
  checkIndices(A, idx.p, idx.n, dim);
  auto rows = [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
    for (int64_t o = o0; o < o1; o++) {
      for (int64_t j = 0; j < n; j++) {
        const float* s = src + (o * n + j) * inner;
        float* d = out + (o * dim + idx.p[j]) * inner;
        DT_IVDEP for (int64_t i = i0; i < i1; i++) d[i] += s[i];
      }
    }
  };
  const size_t work = (size_t)(outer * n * inner);
  if (work < 2 * kGrain) return rows(0, outer, 0, inner);
  if (outer >= threads()) return parallelFor((size_t)outer, 1, [&](size_t a, size_t b) { rows(a, b, 0, inner); });
  parallelFor((size_t)inner, 64, [&](size_t a, size_t b) { rows(0, outer, a, b); });
}

// gather(x, index, out, outer, dim, inner, idxDim): out[o, j, i] = x[o, index[o, j, i], i]
static void gather(const Args& A) {
  const int64_t outer = A.size(3), dim = A.size(4), inner = A.size(5), idxDim = A.size(6);
  char kx, ko;
  const uint32_t* x = A.word(0, outer * dim * inner, &kx).p;
  const int32_t* index = A.i32(1, outer * idxDim * inner).p;
  uint32_t* out = A.word(2, outer * idxDim * inner, &ko).p;
  if (kx != ko) A.fail("input and output types differ");
  checkIndices(A, index, outer * idxDim * inner, dim);
  parallelFor((size_t)(outer * idxDim), std::max<size_t>(1, kGrain / std::max<int64_t>(1, inner)), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const int64_t o = r / idxDim;
      const int32_t* ix = index + r * inner;
      uint32_t* d = out + r * inner;
      const uint32_t* base = x + o * dim * inner;
      for (int64_t i = 0; i < inner; i++) d[i] = base[ix[i] * inner + i];
    }
  });
}

// scatterAdd(src, index, out, outer, dim, inner, idxDim): out[o, index[o, j, i], i] += src[o, j, i]
static void scatterAdd(const Args& A) {
  const int64_t outer = A.size(3), dim = A.size(4), inner = A.size(5), idxDim = A.size(6);
  const float* src = A.f32(0, outer * idxDim * inner).p;
  const int32_t* index = A.i32(1, outer * idxDim * inner).p;
  float* out = A.f32(2, outer * dim * inner).p;
  checkIndices(A, index, outer * idxDim * inner, dim);
  // different o (and different i) never collide: split over o, or over i when outer is small
  auto run = [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
    for (int64_t o = o0; o < o1; o++) {
      float* base = out + o * dim * inner;
      for (int64_t j = 0; j < idxDim; j++) {
        const int64_t k = (o * idxDim + j) * inner;
        for (int64_t i = i0; i < i1; i++) base[index[k + i] * inner + i] += src[k + i];
      }
    }
  };
  const size_t work = (size_t)(outer * idxDim * inner);
  if (work < 2 * kGrain) return run(0, outer, 0, inner);
  if (outer >= threads()) return parallelFor((size_t)outer, 1, [&](size_t a, size_t b) { run(a, b, 0, inner); });
  parallelFor((size_t)inner, 64, [&](size_t a, size_t b) { run(0, outer, a, b); });
}

// csrMatmul(rowPtr, colIdx, values, rows, cols, x, out, n): out[r, :] = Σ_k values[k]·x[colIdx[k], :]
static void csrMatmul(const Args& A) {
  const int64_t rows = A.size(3), cols = A.size(4), n = A.size(7);
  const int32_t* rowPtr = A.i32(0, rows + 1).p;
  const int64_t nnz = rows >= 0 ? rowPtr[rows] : 0;
  if (rowPtr[0] != 0 || nnz < 0) A.fail("bad rowPtr");
  const int32_t* colIdx = A.i32(1, nnz).p;
  const float* values = A.f32(2, nnz).p;
  const float* x = A.f32(5, cols * n).p;
  float* out = A.f32(6, rows * n).p;
  for (int64_t r = 0; r < rows; r++) if (rowPtr[r + 1] < rowPtr[r]) A.fail("rowPtr must be non-decreasing");
  checkIndices(A, colIdx, nnz, cols);
  const size_t per = std::max<size_t>(1, (size_t)(nnz / std::max<int64_t>(1, rows)) * n);
  parallelFor((size_t)rows, std::max<size_t>(1, kGrain / per), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      float* d = out + r * n;
      std::fill(d, d + n, 0.0f);
      for (int32_t k = rowPtr[r]; k < rowPtr[r + 1]; k++) {
        const float v = values[k];
        const float* s = x + (int64_t)colIdx[k] * n;
        DT_IVDEP for (int64_t j = 0; j < n; j++) d[j] += v * s[j];
      }
    }
  });
}

void registerIndexing(napi_env env, napi_value exports) {
  DT_DEF("indexSelect", indexSelect);
  DT_DEF("indexAdd", indexAdd);
  DT_DEF("gather", gather);
  DT_DEF("scatterAdd", scatterAdd);
  DT_DEF("csrMatmul", csrMatmul);
}

}  // namespace dt
