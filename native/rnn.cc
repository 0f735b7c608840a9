// The elementwise half of an LSTM time step (gate nonlinearities and the cell update) and its backward; the
// GEMMs of the recurrence stay with matmul. Equations in src/backend/kernels/rnn.ts. Gate rows are (B, 4H) in
// the order [i, f, g, o]; each of the four gate blocks of a row is a contiguous run of H, so the loop over units
// vectorizes (vmath.h's sigmoid/tanh).
#include <algorithm>
#include <cmath>

#include "common.h"
#include "vmath.h"

namespace dt {

// Elements (rows·H) per thread below which threading costs more than it saves. Measured on 2 cores: a step of
// the benchmark's LSTM (B·H = 20·200) takes ~12 µs forward, ~4 µs backward serially, and splitting it over the pool
// made the whole LSTM fwd+bwd ~25% slower; at B·H = 64·512 serial and 2 threads were even.
constexpr size_t kGrain = 1 << 14;

template <bool kBias>
static void forwardRows(float* gates, const float* bias, const float* cPrev, float* c, float* h, size_t b0, size_t b1, int64_t H) {
  for (size_t b = b0; b < b1; b++) {
    float* zi = gates + b * 4 * H;
    float* zf = zi + H;
    float* zg = zi + 2 * H;
    float* zo = zi + 3 * H;
    const float* cp = cPrev + b * H;
    float* cr = c + b * H;
    float* hr = h + b * H;
    DT_IVDEP for (int64_t j = 0; j < H; j++) {
      const float i = vsigmoid(kBias ? zi[j] + bias[j] : zi[j]);
      const float f = vsigmoid(kBias ? zf[j] + bias[H + j] : zf[j]);
      const float g = vtanh(kBias ? zg[j] + bias[2 * H + j] : zg[j]);
      const float o = vsigmoid(kBias ? zo[j] + bias[3 * H + j] : zo[j]);
      zi[j] = i; zf[j] = f; zg[j] = g; zo[j] = o;
      const float cv = f * cp[j] + i * g;
      cr[j] = cv;
      hr[j] = o * vtanh(cv);
    }
  }
}

// lstmCellForward(gates, bias|null, cPrev, c, h, B, H)
static void lstmCellForward(const Args& A) {
  const int64_t B = A.size(5), H = A.size(6);
  float* gates = A.f32(0, B * 4 * H).p;
  const float* bias = A.f32OrNull(1, 4 * H).p;
  const float* cPrev = A.f32(2, B * H).p;
  float* c = A.f32(3, B * H).p;
  float* h = A.f32(4, B * H).p;
  parallelFor((size_t)B, std::max<size_t>(1, kGrain / std::max<int64_t>(1, H)), [&](size_t b0, size_t b1) {
    if (bias) forwardRows<true>(gates, bias, cPrev, c, h, b0, b1, H);
    else forwardRows<false>(gates, bias, cPrev, c, h, b0, b1, H);
  });
}

template <bool kRec>
static void backwardRows(const float* gates, const float* c, const float* cPrev, const float* dhOut, const float* dhRec, float* dc,
                         float* dGates, size_t b0, size_t b1, int64_t H) {
  for (size_t b = b0; b < b1; b++) {
    const float* ai = gates + b * 4 * H;
    const float* af = ai + H;
    const float* ag = ai + 2 * H;
    const float* ao = ai + 3 * H;
    float* di = dGates + b * 4 * H;
    float* df = di + H;
    float* dg = di + 2 * H;
    float* dout = di + 3 * H;
    const size_t r = b * H;
    DT_IVDEP for (int64_t j = 0; j < H; j++) {
      const float i = ai[j], f = af[j], g = ag[j], o = ao[j];
      const float dh = kRec ? dhOut[r + j] + dhRec[r + j] : dhOut[r + j];
      const float tc = vtanh(c[r + j]);
      const float dcv = dc[r + j] + dh * o * (1.0f - tc * tc);
      di[j] = dcv * g * i * (1.0f - i);
      df[j] = dcv * cPrev[r + j] * f * (1.0f - f);
      dg[j] = dcv * i * (1.0f - g * g);
      dout[j] = dh * tc * o * (1.0f - o);
      dc[r + j] = dcv * f;
    }
  }
}

// lstmCellBackward(gates, c, cPrev, dhOut, dhRec|null, dc, dGates, B, H)
static void lstmCellBackward(const Args& A) {
  const int64_t B = A.size(7), H = A.size(8);
  const float* gates = A.f32(0, B * 4 * H).p;
  const float* c = A.f32(1, B * H).p;
  const float* cPrev = A.f32(2, B * H).p;
  const float* dhOut = A.f32(3, B * H).p;
  const float* dhRec = A.f32OrNull(4, B * H).p;
  float* dc = A.f32(5, B * H).p;
  float* dGates = A.f32(6, B * 4 * H).p;
  parallelFor((size_t)B, std::max<size_t>(1, kGrain / std::max<int64_t>(1, H)), [&](size_t b0, size_t b1) {
    if (dhRec) backwardRows<true>(gates, c, cPrev, dhOut, dhRec, dc, dGates, b0, b1, H);
    else backwardRows<false>(gates, c, cPrev, dhOut, dhRec, dc, dGates, b0, b1, H);
  });
}

void registerRnn(napi_env env, napi_value exports) {
  DT_DEF("lstmCellForward", lstmCellForward);
  DT_DEF("lstmCellBackward", lstmCellBackward);
}

}  // namespace dt
