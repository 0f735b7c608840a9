// 2-D convolution. Stride-1 convolutions with ≥ 16 (one vector of) output channels go to the direct kernels of
// direct_conv.cc; everything else runs as im2col + GEMM (PyTorch's CPU "slow_conv2d" scheme), with several
// samples per GEMM when images are small: the column matrix of a chunk of nb samples is K × (nb·P)
// (K = cIn·kh·kw, P = outH·outW). Chunks are split over the thread pool, each thread running single-threaded
// GEMMs on its own buffers; a single chunk gets a GEMM split over the threads instead.
// With g channel groups each group is its own im2col + GEMM over its cIn/g input channels (K = (cIn/g)·kh·kw)
// and its block of cOut/g weight rows, reading the group's channel slice of every sample in place. Depthwise
// convolutions (one input channel per group) skip the GEMMs for the plain loops of direct_conv.cc.
#include <algorithm>
#include <cstdlib>

#include "common.h"
#include "direct_conv.h"
#include "winograd.h"
#include "vmath.h"

namespace dt {

struct ConvP {
  int64_t n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, g;
  int64_t cInG() const { return cIn / g; }
  int64_t cOutG() const { return cOut / g; }
  /** One group's weight row: (cIn/g)·kh·kw. */
  int64_t K() const { return cInG() * kh * kw; }
  int64_t P() const { return oh * ow; }
  int64_t inSize() const { return cIn * h * w; }
  int64_t outSize() const { return cOut * oh * ow; }
  /** Stride 1 along rows and output rows as wide as input rows: each im2col row block is the input plane shifted
   *  by one flat offset, apart from the cells that wrap around a row edge or fall off the top/bottom. */
  bool flatShift() const { return sw == 1 && ow == w && sh == 1; }
};

static ConvShape shape(const ConvP& p) {
  return {p.n, p.cIn, p.h, p.w, p.cOut, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.oh, p.ow, p.g};
}

/** DEEPTEN_CONV=im2col turns the direct kernels off (for comparisons). */
static bool directAllowed() {
  static const bool on = [] { const char* e = std::getenv("DEEPTEN_CONV"); return !(e && std::strcmp(e, "im2col") == 0); }();
  return on;
}

/** DEEPTEN_CONV=direct (or im2col) turns the Winograd kernels off. */
static bool winogradAllowed() {
  static const bool on = [] { const char* e = std::getenv("DEEPTEN_CONV"); return !(e && (std::strcmp(e, "im2col") == 0 || std::strcmp(e, "direct") == 0)); }();
  return on;
}

/** The Winograd kernels take this convolution (forward and weight gradient: output channels a multiple of 16). */
static bool winograd(const ConvP& p) {
  return winogradAllowed() && p.n > 0 && winogradApplies(p.cIn, p.cOut, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.g, p.h, p.w);
}

/** … and its input gradient, a convolution from cOut to cIn channels. */
static bool winogradInput(const ConvP& p) {
  return winogradAllowed() && p.n > 0 && winogradApplies(p.cOut, p.cIn, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.g, p.h, p.w);
}

static ConvP readConv(const Args& A, size_t i) {
  ConvP p;
  int64_t* f[] = {&p.n, &p.cIn, &p.h, &p.w, &p.cOut, &p.kh, &p.kw, &p.sh, &p.sw, &p.ph, &p.pw, &p.dh, &p.dw, &p.oh, &p.ow};
  for (size_t j = 0; j < 15; j++) *f[j] = A.size(i + j);
  if (p.sh < 1 || p.sw < 1 || p.dh < 1 || p.dw < 1) A.fail("stride and dilation must be >= 1");
  // groups: an optional 16th parameter, 1 when absent
  p.g = A.isNull(i + 15) ? 1 : A.size(i + 15);
  if (p.g < 1 || p.cIn % p.g != 0 || p.cOut % p.g != 0) A.fail("groups must be >= 1 and divide both channel counts");
  return p;
}

/** Output columns [lo, hi) whose input column ox·s + start lies inside [0, w). */
static inline void validRange(int64_t ow, int64_t s, int64_t start, int64_t w, int64_t* lo, int64_t* hi) {
  int64_t l = start >= 0 ? 0 : (-start + s - 1) / s;
  int64_t h = start >= w ? 0 : (w - 1 - start) / s + 1;
  *lo = std::min(l, ow);
  *hi = std::max(*lo, std::min(h, ow));
}

/** col (K × P, row stride ld): row (c, ki, kj) holds x[c, oy·sh − ph + ki·dh, ox·sw − pw + kj·dw] (0 outside),
 *  for the cIn/g channels of one group starting at x. */
static void im2col(const float* x, float* col, int64_t ld, const ConvP& p) {
  const int64_t P = p.P();
  for (int64_t c = 0; c < p.cInG(); c++) {
    const float* plane = x + c * p.h * p.w;
    for (int64_t ki = 0; ki < p.kh; ki++) {
      const int64_t yoff = ki * p.dh - p.ph;
      // output rows whose input row oy·sh + yoff is inside the image
      int64_t ylo, yhi;
      validRange(p.oh, p.sh, yoff, p.h, &ylo, &yhi);
      for (int64_t kj = 0; kj < p.kw; kj++) {
        float* row = col + ((c * p.kh + ki) * p.kw + kj) * ld;
        const int64_t xoff = kj * p.dw - p.pw;
        if (p.flatShift()) {
          // one contiguous copy of the valid rows, then zero the cells that wrapped across a row edge
          std::fill(row, row + ylo * p.ow, 0.0f);
          const float* src = plane + yoff * p.w + xoff;
          DT_IVDEP for (int64_t f = ylo * p.ow; f < yhi * p.ow; f++) row[f] = src[f];
          std::fill(row + yhi * p.ow, row + P, 0.0f);
          if (xoff < 0) for (int64_t oy = ylo; oy < yhi; oy++) std::fill(row + oy * p.ow, row + oy * p.ow + std::min(-xoff, p.ow), 0.0f);
          if (xoff > 0) for (int64_t oy = ylo; oy < yhi; oy++) std::fill(row + oy * p.ow + std::max<int64_t>(p.ow - xoff, 0), row + (oy + 1) * p.ow, 0.0f);
          continue;
        }
        int64_t lo, hi;
        validRange(p.ow, p.sw, xoff, p.w, &lo, &hi);
        std::fill(row, row + ylo * p.ow, 0.0f);
        for (int64_t oy = ylo; oy < yhi; oy++) {
          float* dst = row + oy * p.ow;
          const float* src = plane + (oy * p.sh + yoff) * p.w + xoff;
          for (int64_t ox = 0; ox < lo; ox++) dst[ox] = 0.0f;
          if (p.sw == 1) { for (int64_t ox = lo; ox < hi; ox++) dst[ox] = src[ox]; }
          else for (int64_t ox = lo; ox < hi; ox++) dst[ox] = src[ox * p.sw];
          for (int64_t ox = hi; ox < p.ow; ox++) dst[ox] = 0.0f;
        }
        std::fill(row + yhi * p.ow, row + P, 0.0f);
      }
    }
  }
}

/** The adjoint of im2col: gx[c, iy, ix] += col[(c, ki, kj), (oy, ox)] for every cell that read it. gx preset.
 *  In the flat-shift case the wrapped cells of col are zeroed first (col is scratch) so one contiguous add
 *  per row block does the rest. */
static void col2im(float* col, float* gx, int64_t ld, const ConvP& p) {
  for (int64_t c = 0; c < p.cInG(); c++) {
    float* plane = gx + c * p.h * p.w;
    for (int64_t ki = 0; ki < p.kh; ki++) {
      const int64_t yoff = ki * p.dh - p.ph;
      int64_t ylo, yhi;
      validRange(p.oh, p.sh, yoff, p.h, &ylo, &yhi);
      for (int64_t kj = 0; kj < p.kw; kj++) {
        float* row = col + ((c * p.kh + ki) * p.kw + kj) * ld;
        const int64_t xoff = kj * p.dw - p.pw;
        if (p.flatShift()) {
          if (xoff < 0) for (int64_t oy = ylo; oy < yhi; oy++) std::fill(row + oy * p.ow, row + oy * p.ow + std::min(-xoff, p.ow), 0.0f);
          if (xoff > 0) for (int64_t oy = ylo; oy < yhi; oy++) std::fill(row + oy * p.ow + std::max<int64_t>(p.ow - xoff, 0), row + (oy + 1) * p.ow, 0.0f);
          float* dst = plane + yoff * p.w + xoff;
          // dst + f stays inside the plane for every f whose cell is valid; the zeroed wrapped cells may
          // address the neighbouring row, which receives +0
          const int64_t f0 = std::max(ylo * p.ow, -(yoff * p.w + xoff));
          const int64_t f1 = std::min(yhi * p.ow, p.h * p.w - (yoff * p.w + xoff));
          DT_IVDEP for (int64_t f = f0; f < f1; f++) dst[f] += row[f];
          continue;
        }
        int64_t lo, hi;
        validRange(p.ow, p.sw, xoff, p.w, &lo, &hi);
        for (int64_t oy = ylo; oy < yhi; oy++) {
          const float* src = row + oy * p.ow;
          float* dst = plane + (oy * p.sh + yoff) * p.w + xoff;
          if (p.sw == 1) { DT_IVDEP for (int64_t ox = lo; ox < hi; ox++) dst[ox] += src[ox]; }
          else for (int64_t ox = lo; ox < hi; ox++) dst[ox * p.sw] += src[ox];
        }
      }
    }
  }
}

/** Samples per GEMM: about kCols columns (DEEPTEN_CONV_COLS overrides; wider GEMMs measured slower here, their
 *  column buffers spill out of L2), the column buffer at most 16 MB, and
 *  enough chunks to keep every thread busy. */
static int64_t chunkSize(const ConvP& p, int nt) {
  static const int64_t kCols = [] {
    const char* e = std::getenv("DEEPTEN_CONV_COLS");
    return e && std::atoll(e) > 0 ? (int64_t)std::atoll(e) : (int64_t)512;
  }();
  const int64_t P = std::max<int64_t>(1, p.P());
  int64_t nb = std::max<int64_t>(1, kCols / P);
  nb = std::min(nb, std::max<int64_t>(1, (int64_t(4) << 20) / std::max<int64_t>(1, p.K() * P)));
  nb = std::min(nb, std::max<int64_t>(1, (p.n + nt - 1) / nt));
  return std::max<int64_t>(1, std::min(nb, p.n));
}

/** Runs body(first sample, count, thread) over chunks of nb samples: split over the pool (GEMMs inside run
 *  single-threaded), or in order when there is one chunk (its GEMMs are then split over the threads). */
template <typename F>
static void forChunks(int64_t n, int64_t nb, F body) {
  const int64_t chunks = (n + nb - 1) / nb;
  auto run = [&](int64_t c, int t) { const int64_t s = c * nb; body(s, std::min(nb, n - s), t); };
  if (chunks >= 2 && threads() > 1) {
    SerialBlas serial;
    parallelForT((size_t)chunks, 1, [&](size_t b, size_t e, int t) { for (size_t c = b; c < e; c++) run((int64_t)c, t); });
  } else {
    for (int64_t c = 0; c < chunks; c++) run(c, 0);
  }
}

static int usedThreads(int64_t n, int64_t nb) { return (int)std::min<int64_t>(threads(), std::max<int64_t>(1, (n + nb - 1) / nb)); }

// ---- 1×1 convolutions (stride 1, no padding, one group): per-sample GEMMs on the images themselves ----

static bool pointwise(const ConvP& p) {
  return p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.ph == 0 && p.pw == 0 && p.g == 1 && p.oh == p.h && p.ow == p.w;
}

/** y_n (cOut × P) = W (cOut × cIn) · x_n (cIn × P) + bias. */
static void pointwiseForward(const float* x, const float* W, const float* bias, float* y, const ConvP& p) {
  const int64_t P = p.P();
  SerialBlas serial;
  parallelFor((size_t)p.n, 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; i++) {
      float* yi = y + i * p.cOut * P;
      if (bias) for (int64_t o = 0; o < p.cOut; o++) std::fill(yi + o * P, yi + (o + 1) * P, bias[o]);
      sgemm(false, false, p.cOut, P, p.cIn, 1.0f, W, p.cIn, x + i * p.cIn * P, P, bias ? 1.0f : 0.0f, yi, P);
    }
  });
}

/** gx_n (cIn × P) = Wᵀ · gy_n (cOut × P). */
static void pointwiseBackwardInput(const float* gy, const float* W, float* gx, const ConvP& p) {
  const int64_t P = p.P();
  SerialBlas serial;
  parallelFor((size_t)p.n, 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; i++) sgemm(true, false, p.cIn, P, p.cOut, 1.0f, W, p.cIn, gy + i * p.cOut * P, P, 0.0f, gx + i * p.cIn * P, P);
  });
}

/** gw (cOut × cIn) = Σ_n gy_n · x_nᵀ, per-thread partial sums; gb = Σ gy. */
static void pointwiseBackwardWeight(const float* x, const float* gy, float* gw, float* gb, const ConvP& p) {
  const int64_t P = p.P(), nw = p.cOut * p.cIn;
  const int nt = (int)std::min<int64_t>(threads(), std::max<int64_t>(1, p.n));
  std::vector<float*> acc(nt);
  for (int t = 0; t < nt; t++) acc[t] = t == 0 ? gw : scratch(t, (size_t)nw, 2);
  std::vector<char> used(nt, 0);
  SerialBlas serial;
  parallelForT((size_t)p.n, 1, [&](size_t b, size_t e, int t) {
    for (size_t i = b; i < e; i++) {
      sgemm(false, true, p.cOut, p.cIn, P, 1.0f, gy + i * p.cOut * P, P, x + i * p.cIn * P, P, used[t] ? 1.0f : 0.0f, acc[t], p.cIn);
      used[t] = 1;
    }
  });
  if (!used[0]) std::memset(gw, 0, sizeof(float) * nw);
  for (int t = 1; t < nt; t++) if (used[t]) for (int64_t j = 0; j < nw; j++) gw[j] += acc[t][j];
  if (gb) {
    for (int64_t o = 0; o < p.cOut; o++) {
      double sum = 0;
      for (int64_t i = 0; i < p.n; i++) {
        const float* r = gy + (i * p.cOut + o) * P;
#pragma omp simd reduction(+ : sum)
        for (int64_t q = 0; q < P; q++) sum += r[q];
      }
      gb[o] = (float)sum;
    }
  }
}

// ---- stride-1 convolutions with few output channels (an image-producing last layer, C → 1): plain loops over
// output rows, vectorized along each row, on a zero-padded copy of the input ----

static bool fewOutputs(int64_t nOut, const ConvP& p) {
  return nOut < 16 && p.sh == 1 && p.sw == 1 && p.dh == 1 && p.dw == 1 && p.g == 1;
}

/**
 * out (n, nOut, oh, ow) = in (n, nIn, h, w) zero-padded by (ph, pw) ⋆ the kernel, + bias; the kernel of output
 * o and input c is wt[(o·nIn + c)·kh·kw + t], or with `flip` wt[(c·nOut + o)·kh·kw + (kh·kw − 1 − t)] (the input
 * gradient: the forward weight transposed and rotated).
 */
static void fewOutputsForward(const float* in, const float* wt, const float* bias, float* out, int64_t n, int64_t nIn, int64_t h,
                              int64_t w, int64_t nOut, int64_t kh, int64_t kw, int64_t ph, int64_t pw, bool flip) {
  const int64_t hp = h + 2 * ph, wp = w + 2 * pw, oh = hp - kh + 1, ow = wp - kw + 1, taps = kh * kw;
  std::vector<float> wr((size_t)(nOut * nIn * taps));
  for (int64_t o = 0; o < nOut; o++)
    for (int64_t c = 0; c < nIn; c++)
      for (int64_t t = 0; t < taps; t++) wr[(o * nIn + c) * taps + t] = flip ? wt[(c * nOut + o) * taps + (taps - 1 - t)] : wt[(o * nIn + c) * taps + t];
  const int nt = threads();
  std::vector<float*> buf(nt), buf2(nt);
  for (int t = 0; t < nt; t++) { buf[t] = scratch(t, (size_t)(nIn * hp * wp), 3); buf2[t] = scratch(t, (size_t)(oh * wp), 2); }
  parallelForT((size_t)n, 1, [&](size_t b, size_t e, int t) {
    float* xp = buf[t];
    for (size_t i = b; i < e; i++) {
      std::fill(xp, xp + nIn * hp * wp, 0.0f);
      for (int64_t c = 0; c < nIn; c++)
        for (int64_t r = 0; r < h; r++) std::memcpy(xp + (c * hp + r + ph) * wp + pw, in + ((i * nIn + c) * h + r) * w, sizeof(float) * w);
      // rows of the output computed wp wide (flat over the padded plane; the last kw − 1 columns of each row are
      // junk), so the inner loop runs over oh·wp values instead of ow
      const int64_t span = (oh - 1) * wp + ow;
      float* acc = buf2[t];
      for (int64_t o = 0; o < nOut; o++) {
        const float b0 = bias ? bias[o] : 0.0f;
        for (int64_t f = 0; f < span; f++) acc[f] = b0;
        for (int64_t c = 0; c < nIn; c++) {
          const float* wc = wr.data() + (o * nIn + c) * taps;
          for (int64_t ki = 0; ki < kh; ki++)
            for (int64_t kj = 0; kj < kw; kj++) {
              const float wv = wc[ki * kw + kj];
              const float* xs = xp + (c * hp + ki) * wp + kj;
              DT_IVDEP for (int64_t f = 0; f < span; f++) acc[f] += wv * xs[f];
            }
        }
        float* yo = out + (i * nOut + o) * oh * ow;
        for (int64_t r = 0; r < oh; r++) std::memcpy(yo + r * ow, acc + r * wp, sizeof(float) * ow);
      }
    }
  });
}

/** gw[o, c, ki, kj] = Σ_{n, oy, ox} gy[n, o, oy, ox]·xp[n, c, oy + ki, ox + kj], per-thread partial sums in double. */
static void fewOutputsBackwardWeight(const float* x, const float* gy, float* gw, float* gb, const ConvP& p) {
  const int64_t hp = p.h + 2 * p.ph, wp = p.w + 2 * p.pw, taps = p.kh * p.kw, nw = p.cOut * p.cIn * taps;
  const int nt = (int)std::min<int64_t>(threads(), std::max<int64_t>(1, p.n));
  std::vector<std::vector<double>> acc(nt, std::vector<double>((size_t)(nw + p.cOut), 0.0));
  std::vector<float*> buf(nt), buf2(nt);
  for (int t = 0; t < nt; t++) { buf[t] = scratch(t, (size_t)(p.cIn * hp * wp), 3); buf2[t] = scratch(t, (size_t)(p.oh * wp), 2); }
  parallelForT((size_t)p.n, 1, [&](size_t b, size_t e, int t) {
    float* xp = buf[t];
    double* a = acc[t].data();
    for (size_t i = b; i < e; i++) {
      std::fill(xp, xp + p.cIn * hp * wp, 0.0f);
      for (int64_t c = 0; c < p.cIn; c++)
        for (int64_t r = 0; r < p.h; r++) std::memcpy(xp + (c * hp + r + p.ph) * wp + p.pw, x + ((i * p.cIn + c) * p.h + r) * p.w, sizeof(float) * p.w);
      // gy rows laid out wp wide with zeros in the extra columns: each tap is one flat dot product over oh·wp
      const int64_t span = (p.oh - 1) * wp + p.ow;
      float* gf = buf2[t];
      for (int64_t o = 0; o < p.cOut; o++) {
        const float* go = gy + (i * p.cOut + o) * p.oh * p.ow;
        std::fill(gf, gf + span, 0.0f);
        for (int64_t r = 0; r < p.oh; r++) std::memcpy(gf + r * wp, go + r * p.ow, sizeof(float) * p.ow);
        for (int64_t c = 0; c < p.cIn; c++)
          for (int64_t ki = 0; ki < p.kh; ki++)
            for (int64_t kj = 0; kj < p.kw; kj++) {
              const float* xs = xp + (c * hp + ki) * wp + kj;
              float s = 0.0f;
#pragma omp simd reduction(+ : s)
              for (int64_t f = 0; f < span; f++) s += gf[f] * xs[f];
              a[(o * p.cIn + c) * taps + ki * p.kw + kj] += s;
            }
        if (gb) {
          float s = 0.0f;
#pragma omp simd reduction(+ : s)
          for (int64_t q = 0; q < p.oh * p.ow; q++) s += go[q];
          a[nw + o] += s;
        }
      }
    }
  });
  for (int64_t j = 0; j < nw; j++) { double s = 0; for (int t = 0; t < nt; t++) s += acc[t][j]; gw[j] = (float)s; }
  if (gb) for (int64_t o = 0; o < p.cOut; o++) { double s = 0; for (int t = 0; t < nt; t++) s += acc[t][nw + o]; gb[o] = (float)s; }
}

// conv2d(x, w, bias|null, y, ...15 params)
static void conv2d(const Args& A) {
  ConvP p = readConv(A, 4);
  const int64_t K = p.K(), P = p.P();
  const float* x = A.f32(0, p.n * p.inSize()).p;
  const float* W = A.f32(1, p.cOut * K).p;
  const float* bias = A.f32OrNull(2, p.cOut).p;
  float* y = A.f32(3, p.n * p.outSize()).p;
  if (p.n == 0 || P == 0) return;
  if (winograd(p)) {
    std::vector<float> U((size_t)(36 * p.cIn * p.cOut));
    winogradWeights(W, U.data(), p.cOut, p.cIn, false);
    winogradForward(x, U.data(), bias, y, p.n, p.cIn, p.h, p.w, p.cOut);
    return;
  }
  if (directAllowed() && pointwise(p)) { pointwiseForward(x, W, bias, y, p); return; }
  if (directAllowed() && fewOutputs(p.cOut, p) && p.oh == p.h + 2 * p.ph - p.kh + 1 && p.ow == p.w + 2 * p.pw - p.kw + 1) {
    fewOutputsForward(x, W, bias, y, p.n, p.cIn, p.h, p.w, p.cOut, p.kh, p.kw, p.ph, p.pw, false);
    return;
  }
  if (p.g == 1 && directAllowed() && directConvForward(x, W, bias, y, shape(p))) return;
  if (p.g > 1 && p.cInG() == 1 && directAllowed()) { depthwiseForward(x, W, bias, y, shape(p)); return; }
  const int64_t nb = chunkSize(p, threads()), cOutG = p.cOutG(), xg = p.cInG() * p.h * p.w;
  const int nt = usedThreads(p.n, nb);
  std::vector<float*> col(nt), tmp(nt);
  for (int t = 0; t < nt; t++) { col[t] = scratch(t, K * nb * P, 0); tmp[t] = nb > 1 ? scratch(t, cOutG * nb * P, 1) : nullptr; }
  forChunks(p.n, nb, [&](int64_t s, int64_t m, int t) {
    const int64_t ld = m * P;
    for (int64_t gi = 0; gi < p.g; gi++) {
      const float* Wg = W + gi * cOutG * K;
      const float* bg = bias ? bias + gi * cOutG : nullptr;
      for (int64_t j = 0; j < m; j++) im2col(x + (s + j) * p.inSize() + gi * xg, col[t] + j * P, ld, p);
      if (m == 1) {  // the GEMM writes y directly, on top of the bias
        float* yi = y + s * p.outSize() + gi * cOutG * P;
        if (bg) for (int64_t o = 0; o < cOutG; o++) std::fill(yi + o * P, yi + (o + 1) * P, bg[o]);
        sgemm(false, false, cOutG, P, K, 1.0f, Wg, K, col[t], P, bg ? 1.0f : 0.0f, yi, P);
        continue;
      }
      // T (cOut/g × m·P) = W_g (cOut/g × K) · col (K × m·P); then y[s + j, o, :] = T[o, j·P : (j+1)·P] + bias[o]
      float* T = tmp[t];
      sgemm(false, false, cOutG, ld, K, 1.0f, Wg, K, col[t], ld, 0.0f, T, ld);
      for (int64_t j = 0; j < m; j++) {
        float* yj = y + (s + j) * p.outSize() + gi * cOutG * P;
        for (int64_t o = 0; o < cOutG; o++) {
          const float* src = T + o * ld + j * P;
          float* dst = yj + o * P;
          const float b = bg ? bg[o] : 0.0f;
          DT_IVDEP for (int64_t q = 0; q < P; q++) dst[q] = src[q] + b;
        }
      }
    }
  });
}

/** G (cOut/g × m·P): group gi's output gradients of the chunk side by side, G[o, j·P + q] = gy[s + j, gi·cOut/g + o, q]. */
static void gatherGrad(const float* gy, float* G, int64_t s, int64_t m, int64_t gi, const ConvP& p) {
  const int64_t P = p.P(), ld = m * P, cOutG = p.cOutG();
  for (int64_t j = 0; j < m; j++)
    for (int64_t o = 0; o < cOutG; o++) std::memcpy(G + o * ld + j * P, gy + ((s + j) * p.cOut + gi * cOutG + o) * P, sizeof(float) * P);
}

// conv2dBackwardInput(gy, w, gx, ...15 params)
static void conv2dBackwardInput(const Args& A) {
  ConvP p = readConv(A, 3);
  const int64_t K = p.K(), P = p.P();
  const float* gy = A.f32(0, p.n * p.outSize()).p;
  const float* W = A.f32(1, p.cOut * K).p;
  float* gx = A.f32(2, p.n * p.inSize()).p;
  if (p.n == 0) return;
  if (P == 0) { std::memset(gx, 0, sizeof(float) * p.n * p.inSize()); return; }
  if (winogradInput(p)) {
    // gx = gy ⋆ rot180(w)ᵀ, a stride-1 padding-1 convolution from cOut to cIn channels
    std::vector<float> U((size_t)(36 * p.cIn * p.cOut));
    winogradWeights(W, U.data(), p.cOut, p.cIn, true);
    winogradForward(gy, U.data(), nullptr, gx, p.n, p.cOut, p.h, p.w, p.cIn);
    return;
  }
  if (directAllowed() && pointwise(p)) { pointwiseBackwardInput(gy, W, gx, p); return; }
  if (directAllowed() && fewOutputs(p.cIn, p) && p.ph <= p.kh - 1 && p.pw <= p.kw - 1 && p.oh == p.h + 2 * p.ph - p.kh + 1 && p.ow == p.w + 2 * p.pw - p.kw + 1) {
    // gx = gy ⋆ rot180(w)ᵀ with padding k − 1 − p
    fewOutputsForward(gy, W, nullptr, gx, p.n, p.cOut, p.oh, p.ow, p.cIn, p.kh, p.kw, p.kh - 1 - p.ph, p.kw - 1 - p.pw, true);
    return;
  }
  if (p.g == 1 && directAllowed() && directConvBackwardInput(gy, W, gx, shape(p))) return;
  if (p.g > 1 && p.cInG() == 1 && directAllowed()) { depthwiseBackwardInput(gy, W, gx, shape(p)); return; }
  const int64_t nb = chunkSize(p, threads()), cOutG = p.cOutG(), xg = p.cInG() * p.h * p.w;
  const int nt = usedThreads(p.n, nb);
  std::vector<float*> col(nt), tmp(nt);
  for (int t = 0; t < nt; t++) { col[t] = scratch(t, K * nb * P, 0); tmp[t] = nb > 1 ? scratch(t, cOutG * nb * P, 1) : nullptr; }
  forChunks(p.n, nb, [&](int64_t s, int64_t m, int t) {
    const int64_t ld = m * P;
    std::memset(gx + s * p.inSize(), 0, sizeof(float) * m * p.inSize());
    for (int64_t gi = 0; gi < p.g; gi++) {
      const float* G = gy + s * p.outSize() + gi * cOutG * P;
      if (m > 1) { gatherGrad(gy, tmp[t], s, m, gi, p); G = tmp[t]; }
      // col (K × m·P) = W_gᵀ (K × cOut/g) · G (cOut/g × m·P), then scattered back onto each image's group slice
      sgemm(true, false, K, ld, cOutG, 1.0f, W + gi * cOutG * K, K, G, ld, 0.0f, col[t], ld);
      for (int64_t j = 0; j < m; j++) col2im(col[t] + j * P, gx + (s + j) * p.inSize() + gi * xg, ld, p);
    }
  });
}

// conv2dBackwardWeight(x, gy, gw, gb|null, ...15 params)
static void conv2dBackwardWeight(const Args& A) {
  ConvP p = readConv(A, 4);
  const int64_t K = p.K(), P = p.P();
  const float* x = A.f32(0, p.n * p.inSize()).p;
  const float* gy = A.f32(1, p.n * p.outSize()).p;
  float* gw = A.f32(2, p.cOut * K).p;
  float* gb = A.f32OrNull(3, p.cOut).p;
  if (P > 0 && winograd(p)) {
    winogradBackwardWeight(x, gy, gw, p.n, p.cIn, p.h, p.w, p.cOut);
    if (gb) {
      for (int64_t o = 0; o < p.cOut; o++) {
        double sum = 0;
        for (int64_t b = 0; b < p.n; b++) {
          const float* r = gy + (b * p.cOut + o) * P;
#pragma omp simd reduction(+ : sum)
          for (int64_t q = 0; q < P; q++) sum += r[q];
        }
        gb[o] = (float)sum;
      }
    }
    return;
  }
  if (P > 0 && p.n > 0 && directAllowed() && pointwise(p)) { pointwiseBackwardWeight(x, gy, gw, gb, p); return; }
  if (P > 0 && p.n > 0 && directAllowed() && fewOutputs(p.cOut, p) && p.oh == p.h + 2 * p.ph - p.kh + 1 && p.ow == p.w + 2 * p.pw - p.kw + 1) {
    fewOutputsBackwardWeight(x, gy, gw, gb, p);
    return;
  }
  if (P > 0 && p.g == 1 && directAllowed() && directConvBackwardWeight(x, gy, gw, gb, shape(p))) return;
  if (P > 0 && p.n > 0 && p.g > 1 && p.cInG() == 1 && directAllowed()) { depthwiseBackwardWeight(x, gy, gw, gb, shape(p)); return; }
  const int64_t nb = p.n > 0 && P > 0 ? chunkSize(p, threads()) : 1, cOutG = p.cOutG(), xg = p.cInG() * p.h * p.w;
  const int nt = p.n > 0 && P > 0 ? usedThreads(p.n, nb) : 1;
  std::vector<float*> col(nt), tmp(nt), acc(nt);
  std::vector<std::vector<double>> bsum(nt, std::vector<double>(gb ? p.cOut : 0, 0.0));
  std::vector<char> started(nt, 0);
  for (int t = 0; t < nt && p.n > 0 && P > 0; t++) {
    col[t] = scratch(t, K * nb * P, 0);
    tmp[t] = nb > 1 ? scratch(t, cOutG * nb * P, 1) : nullptr;
    acc[t] = t == 0 ? gw : scratch(t, p.cOut * K, 2);  // thread 0 accumulates straight into gw
  }
  if (p.n > 0 && P > 0) {
    forChunks(p.n, nb, [&](int64_t s, int64_t m, int t) {
      const int64_t ld = m * P;
      for (int64_t gi = 0; gi < p.g; gi++) {
        for (int64_t j = 0; j < m; j++) im2col(x + (s + j) * p.inSize() + gi * xg, col[t] + j * P, ld, p);
        const float* G = gy + s * p.outSize() + gi * cOutG * P;
        if (m > 1) { gatherGrad(gy, tmp[t], s, m, gi, p); G = tmp[t]; }
        // gw_g (+)= G (cOut/g × m·P) · colᵀ (m·P × K)
        sgemm(false, true, cOutG, K, ld, 1.0f, G, ld, col[t], ld, started[t] ? 1.0f : 0.0f, acc[t] + gi * cOutG * K, K);
        if (gb) {
          for (int64_t o = 0; o < cOutG; o++) {
            const float* r = G + o * ld;
            double sum = 0;
#pragma omp simd reduction(+ : sum)
            for (int64_t q = 0; q < ld; q++) sum += r[q];
            bsum[t][gi * cOutG + o] += sum;
          }
        }
      }
      started[t] = 1;
    });
  }
  if (!started[0]) std::memset(gw, 0, sizeof(float) * p.cOut * K);
  for (int t = 1; t < nt; t++) {
    if (!started[t]) continue;
    const float* a = acc[t];
    for (int64_t j = 0; j < p.cOut * K; j++) gw[j] += a[j];
  }
  if (gb) {
    for (int64_t o = 0; o < p.cOut; o++) {
      double sum = 0;
      for (int t = 0; t < nt; t++) sum += bsum[t][o];
      gb[o] = (float)sum;
    }
  }
}

void registerConv(napi_env env, napi_value exports) {
  DT_DEF("conv2d", conv2d);
  DT_DEF("conv2dBackwardInput", conv2dBackwardInput);
  DT_DEF("conv2dBackwardWeight", conv2dBackwardWeight);
}

}  // namespace dt
