// Direct (im2col-free) convolution kernels for stride 1, dilation 1; each returns false when the shape is not
// one it handles (the caller then uses im2col + GEMM).
#pragma once
#include <array>
#include <cstdint>
#include <utility>

#include "common.h"

namespace dt {

struct ConvShape {
  int64_t n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

bool directConvForward(const float* x, const float* w, const float* bias, float* y, const ConvShape& p);
bool directConvBackwardInput(const float* gy, const float* w, float* gx, const ConvShape& p);
bool directConvBackwardWeight(const float* x, const float* gy, float* gw, float* gb, const ConvShape& p);

}  // namespace dt
