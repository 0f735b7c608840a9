// Iteration over up to 4 strided operands sharing one shape (broadcasting = stride 0), with adjacent axes
// merged whenever every operand is contiguous across them, so most loops end up 1-D or 2-D.
#pragma once
#include "common.h"

namespace dt {

constexpr int kMaxDims = 16;

struct StridedIter {
  int k = 0;   // operands
  int nd = 0;  // axes after merging
  int64_t dims[kMaxDims];
  int64_t st[4][kMaxDims];

  /** Drops size-1 axes and merges axis pairs that are contiguous for every operand. */
  void collapse() {
    int w = 0;
    for (int i = 0; i < nd; i++) {
      if (dims[i] == 1) continue;
      if (w > 0) {
        bool merge = true;
        for (int j = 0; j < k; j++) merge &= st[j][w - 1] == st[j][i] * dims[i];
        if (merge) {
          dims[w - 1] *= dims[i];
          for (int j = 0; j < k; j++) st[j][w - 1] = st[j][i];
          continue;
        }
      }
      dims[w] = dims[i];
      for (int j = 0; j < k; j++) st[j][w] = st[j][i];
      w++;
    }
    nd = w;
    if (nd == 0) { nd = 1; dims[0] = 1; for (int j = 0; j < k; j++) st[j][0] = 0; }
  }

  int64_t inner() const { return dims[nd - 1]; }
  int64_t rows() const { int64_t r = 1; for (int i = 0; i < nd - 1; i++) r *= dims[i]; return r; }

  /** For each innermost row r in [r0, r1): f(off, len) where off[j] is operand j's offset of the row's start. */
  template <typename F>
  void forRows(int64_t r0, int64_t r1, const int64_t* base, F&& f) const {
    int64_t idx[kMaxDims];
    int64_t off[4] = {base[0], k > 1 ? base[1] : 0, k > 2 ? base[2] : 0, k > 3 ? base[3] : 0};
    int64_t rem = r0;
    for (int a = nd - 2; a >= 0; a--) {  // decompose r0 once; then step like an odometer
      idx[a] = rem % dims[a];
      rem /= dims[a];
      for (int j = 0; j < k; j++) off[j] += idx[a] * st[j][a];
    }
    const int64_t len = dims[nd - 1];
    for (int64_t r = r0; r < r1; r++) {
      f(off, len);
      for (int a = nd - 2; a >= 0; a--) {
        for (int j = 0; j < k; j++) off[j] += st[j][a];
        if (++idx[a] < dims[a]) break;
        for (int j = 0; j < k; j++) off[j] -= st[j][a] * dims[a];
        idx[a] = 0;
      }
    }
  }
};

/**
 * Reads the broadcast layout the JS wrapper packs into `meta`: [nd, outShape(nd), shape of operand 1 (nd, right-
 * aligned with leading 1s), ...]. Operand 0 is the (contiguous) output; inputs get stride 0 on broadcast axes.
 */
inline StridedIter broadcastIter(const Args& a, const int32_t* meta, size_t metaLen, int inputs, int64_t* inputSizes, size_t outLen) {
  int nd = meta[0];
  if (nd < 0 || nd > kMaxDims || metaLen < (size_t)(1 + nd * (inputs + 1))) a.fail("bad broadcast layout");
  StridedIter it;
  it.k = inputs + 1;
  it.nd = nd;
  const int32_t* out = meta + 1;
  int64_t acc = 1;
  for (int i = nd - 1; i >= 0; i--) { it.dims[i] = out[i]; it.st[0][i] = acc; acc *= out[i]; }
  if ((size_t)acc != outLen) a.fail("output size does not match its shape");
  for (int j = 0; j < inputs; j++) {
    const int32_t* s = meta + 1 + nd * (j + 1);
    int64_t sa = 1;
    for (int i = nd - 1; i >= 0; i--) {
      if (s[i] != 1 && s[i] != out[i]) a.fail("shapes do not broadcast");
      it.st[j + 1][i] = s[i] == 1 ? 0 : sa;
      sa *= s[i];
    }
    inputSizes[j] = sa;
  }
  it.collapse();
  return it;
}

}  // namespace dt
