// Winograd F(4×4, 3×3) convolution for 3×3 kernels, stride 1, padding 1 (winograd.cc).
#pragma once
#include <array>
#include <cstdint>
#include <utility>

#include "common.h"

namespace dt {

/** True for the shapes the Winograd kernels take: 3×3, stride 1, padding 1, dilation 1, one group, output channels a
 *  multiple of 16, at least 8 input channels, maps at least 4×4. */
bool winogradApplies(int64_t cIn, int64_t cOut, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                     int64_t dh, int64_t dw, int64_t g, int64_t h, int64_t w);
/** U[ξ][c][o] (36 × ci × co) = G g Gᵀ of the weight w (cOut, cIn, 3, 3); flipT transforms the weight of the input
 *  gradient instead: ci = cOut, co = cIn, g'[c][o] = rot180(w[o][c]). */
void winogradWeights(const float* w, float* U, int64_t cOut, int64_t cIn, bool flipT);
/** y (n, co, h, w) = x (n, ci, h, w) ⋆ the weight transformed into U, + bias (may be null). */
void winogradForward(const float* x, const float* U, const float* bias, float* y, int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co);
/** gw (co, ci, 3, 3) = ∂L/∂w from x (n, ci, h, w) and gy (n, co, h, w) (overwritten). */
void winogradBackwardWeight(const float* x, const float* gy, float* gw, int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co);

}  // namespace dt
