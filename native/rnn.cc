// The elementwise half of a recurrent time step (gate nonlinearities and the state update) and its backward, for
// the LSTM, the GRU and the plain RNN; the GEMMs of the recurrence stay with matmul. Equations in
// src/backend/kernels/rnn.ts. Gate rows are (B, 4H) in the order [i, f, g, o] (LSTM) or (B, 3H) in the order
// [r, z, n] (GRU); each gate block of a row is a contiguous run of H, so the loop over units vectorizes
// (vmath.h's sigmoid/tanh).
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

// rnnCellForward(h, bias|null, B, H, relu): h ← act(h + bias) in place
static void rnnCellForward(const Args& A) {
  const int64_t B = A.size(2), H = A.size(3);
  const bool relu = A.flag(4);
  float* h = A.f32(0, B * H).p;
  const float* bias = A.f32OrNull(1, H).p;
  parallelFor((size_t)B, std::max<size_t>(1, kGrain / std::max<int64_t>(1, H)), [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; b++) {
      float* hr = h + b * H;
      if (relu) {
        DT_IVDEP for (int64_t j = 0; j < H; j++) { const float z = bias ? hr[j] + bias[j] : hr[j]; hr[j] = z > 0.0f ? z : 0.0f; }
      } else {
        DT_IVDEP for (int64_t j = 0; j < H; j++) hr[j] = vtanh(bias ? hr[j] + bias[j] : hr[j]);
      }
    }
  });
}

// rnnCellBackward(h, dhOut, dhRec|null, dz, B, H, relu)
static void rnnCellBackward(const Args& A) {
  const int64_t B = A.size(4), H = A.size(5);
  const bool relu = A.flag(6);
  const size_t n = (size_t)(B * H);
  const float* h = A.f32(0, n).p;
  const float* dhOut = A.f32(1, n).p;
  const float* dhRec = A.f32OrNull(2, n).p;
  float* dz = A.f32(3, n).p;
  parallelFor(n, kGrain, [&](size_t k0, size_t k1) {
    DT_IVDEP for (size_t k = k0; k < k1; k++) {
      const float dh = dhRec ? dhOut[k] + dhRec[k] : dhOut[k];
      dz[k] = relu ? (h[k] > 0.0f ? dh : 0.0f) : dh * (1.0f - h[k] * h[k]);
    }
  });
}

template <bool kBias>
static void gruForwardRows(float* gx, float* gh, const float* bias, const float* hPrev, float* h, size_t b0, size_t b1, int64_t H) {
  for (size_t b = b0; b < b1; b++) {
    float* xr = gx + b * 3 * H;
    float* xz = xr + H;
    float* xn = xr + 2 * H;
    float* hr = gh + b * 3 * H;
    float* hz = hr + H;
    float* hn = hr + 2 * H;
    const float* hp = hPrev + b * H;
    float* out = h + b * H;
    DT_IVDEP for (int64_t j = 0; j < H; j++) {
      const float r = vsigmoid(kBias ? xr[j] + hr[j] + bias[j] : xr[j] + hr[j]);
      const float z = vsigmoid(kBias ? xz[j] + hz[j] + bias[H + j] : xz[j] + hz[j]);
      const float m = kBias ? hn[j] + bias[2 * H + j] : hn[j];
      const float n = vtanh(xn[j] + r * m);
      xr[j] = r; xz[j] = z; xn[j] = n; hn[j] = m;
      out[j] = (1.0f - z) * n + z * hp[j];
    }
  }
}

// gruCellForward(gx, gh, bias|null, hPrev, h, B, H)
static void gruCellForward(const Args& A) {
  const int64_t B = A.size(5), H = A.size(6);
  float* gx = A.f32(0, B * 3 * H).p;
  float* gh = A.f32(1, B * 3 * H).p;
  const float* bias = A.f32OrNull(2, 3 * H).p;
  const float* hPrev = A.f32(3, B * H).p;
  float* h = A.f32(4, B * H).p;
  parallelFor((size_t)B, std::max<size_t>(1, kGrain / std::max<int64_t>(1, H)), [&](size_t b0, size_t b1) {
    if (bias) gruForwardRows<true>(gx, gh, bias, hPrev, h, b0, b1, H);
    else gruForwardRows<false>(gx, gh, bias, hPrev, h, b0, b1, H);
  });
}

// gruCellBackward(gates, gh, hPrev, dhOut, dhRec|null, dGx, dGh, dhPrev, B, H); dhPrev may alias dhRec
static void gruCellBackward(const Args& A) {
  const int64_t B = A.size(8), H = A.size(9);
  const float* gates = A.f32(0, B * 3 * H).p;
  const float* gh = A.f32(1, B * 3 * H).p;
  const float* hPrev = A.f32(2, B * H).p;
  const float* dhOut = A.f32(3, B * H).p;
  const float* dhRec = A.f32OrNull(4, B * H).p;
  float* dGx = A.f32(5, B * 3 * H).p;
  float* dGh = A.f32(6, B * 3 * H).p;
  float* dhPrev = A.f32(7, B * H).p;
  parallelFor((size_t)B, std::max<size_t>(1, kGrain / std::max<int64_t>(1, H)), [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; b++) {
      const float* ar = gates + b * 3 * H;
      const float* az = ar + H;
      const float* an = ar + 2 * H;
      const float* am = gh + b * 3 * H + 2 * H;
      float* xr = dGx + b * 3 * H;
      float* hr = dGh + b * 3 * H;
      const size_t o = b * H;
      // dhPrev may be dhRec: every element is read before it is written, in the same iteration
      for (int64_t j = 0; j < H; j++) {
        const float r = ar[j], z = az[j], n = an[j], m = am[j];
        const float dh = dhRec ? dhOut[o + j] + dhRec[o + j] : dhOut[o + j];
        const float dn = dh * (1.0f - z) * (1.0f - n * n);
        const float dz = dh * (hPrev[o + j] - n) * z * (1.0f - z);
        const float dr = dn * m * r * (1.0f - r);
        xr[j] = dr; xr[H + j] = dz; xr[2 * H + j] = dn;
        hr[j] = dr; hr[H + j] = dz; hr[2 * H + j] = dn * r;
        dhPrev[o + j] = dh * z;
      }
    }
  });
}

void registerRnn(napi_env env, napi_value exports) {
  DT_DEF("lstmCellForward", lstmCellForward);
  DT_DEF("lstmCellBackward", lstmCellBackward);
  DT_DEF("rnnCellForward", rnnCellForward);
  DT_DEF("rnnCellBackward", rnnCellBackward);
  DT_DEF("gruCellForward", gruCellForward);
  DT_DEF("gruCellBackward", gruCellBackward);
}

}  // namespace dt
