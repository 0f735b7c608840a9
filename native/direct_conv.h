// Direct (im2col-free) convolution kernels for stride 1, dilation 1, groups 1; each returns false when the shape
// is not one it handles (the caller then uses im2col + GEMM). Also the depthwise kernels.
#pragma once
#include <array>
#include <cstdint>
#include <utility>

#include "common.h"

namespace dt {

struct ConvShape {
  int64_t n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
  int64_t g;  // channel groups; the direct kernels above handle only g = 1 (they return false otherwise)
};

bool directConvForward(const float* x, const float* w, const float* bias, float* y, const ConvShape& p);
bool directConvBackwardInput(const float* gy, const float* w, float* gx, const ConvShape& p);
bool directConvBackwardWeight(const float* x, const float* gy, float* gw, float* gb, const ConvShape& p);

// Depthwise convolution: g = cIn groups of one input channel each, cOut/g output channels per group (any stride,
// padding and dilation); w is (cOut, 1, kh, kw). Plain loops per (sample, channel) plane; no GEMMs.
void depthwiseForward(const float* x, const float* w, const float* bias, float* y, const ConvShape& p);
void depthwiseBackwardInput(const float* gy, const float* w, float* gx, const ConvShape& p);
void depthwiseBackwardWeight(const float* x, const float* gy, float* gw, float* gb, const ConvShape& p);

}  // namespace dt
