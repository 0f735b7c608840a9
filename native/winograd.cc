// Winograd convolution F(4×4, 3×3) (Lavin & Gray 2016) for 3×3 kernels, stride 1, padding 1, dilation 1, one group:
// each 4×4 output tile costs 6·6 = 36 multiplies per (input, output) channel pair instead of 9·16 = 144.
//   forward          Y = Aᵀ [ Σ_c (G g_oc Gᵀ) ⊙ (Bᵀ d_c B) ] A          d_c: the tile's 6×6 input patch
//   input gradient   the forward of gy with the weight transposed and rotated by 180° (a stride-1 "same" conv)
//   weight gradient  the adjoint of the forward in g:  ∂L/∂g_oc = Gᵀ [ Σ_tiles (A ∂Y Aᵀ) ⊙ (Bᵀ d_c B) ] G
// In the transformed domain the sum over channels (forward) or over tiles (weight gradient) is, for each of the 36
// positions ξ, a matrix product; the register-tile kernels below run them over blocks of about 96 tiles, whose
// transformed inputs and outputs stay in cache. Transforms are vectorized over 16 tiles (input) or 16 channels
// (output, output gradient). Points 0, ±1, ±2, ∞: the results differ from a direct convolution by rounding only
// (a few float32 ulps of the largest term).
#include "winograd.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "vmath.h"
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace dt {

namespace {

constexpr int L = 16;  // lanes per vector
typedef float vf __attribute__((vector_size(L * sizeof(float))));
typedef float vfu __attribute__((vector_size(L * sizeof(float)), aligned(4)));
inline vf load(const float* p) { return *reinterpret_cast<const vfu*>(p); }
inline void store(float* p, vf v) { *reinterpret_cast<vfu*>(p) = v; }

#if defined(__clang__)
#define WG_UNROLL _Pragma("unroll")
#else
#define WG_UNROLL _Pragma("GCC unroll 16")
#endif

// Bᵀ d for one column (d0…d5) of a 6×6 patch (rows of Bᵀ: [4 0 −5 0 1 0], [0 −4 −4 1 1 0], [0 4 −4 −1 1 0],
// [0 −2 −1 2 1 0], [0 2 −1 −2 1 0], [0 4 0 −5 0 1])
template <typename T>
inline void bt6(const T d[6], T r[6]) {
  r[0] = 4 * d[0] - 5 * d[2] + d[4];
  r[1] = -4 * (d[1] + d[2]) + d[3] + d[4];
  r[2] = 4 * (d[1] - d[2]) - d[3] + d[4];
  r[3] = 2 * (d[3] - d[1]) - d[2] + d[4];
  r[4] = 2 * (d[1] - d[3]) - d[2] + d[4];
  r[5] = 4 * d[1] - 5 * d[3] + d[5];
}

// Aᵀ m for one column (m0…m5) (rows of Aᵀ: [1 1 1 1 1 0], [0 1 −1 2 −2 0], [0 1 1 4 4 0], [0 1 −1 8 −8 1])
template <typename T>
inline void at4(const T m[6], T r[4]) {
  const T a = m[1] + m[2], b = m[1] - m[2], c = m[3] + m[4], d = m[3] - m[4];
  r[0] = m[0] + a + c;
  r[1] = b + 2 * d;
  r[2] = a + 4 * c;
  r[3] = b + 8 * d + m[5];
}

// A y for a 4-vector y (A = (Aᵀ)ᵀ, 6×4): the adjoint of at4
template <typename T>
inline void a6(const T y[4], T r[6]) {
  r[0] = y[0];
  r[1] = y[0] + y[1] + y[2] + y[3];
  r[2] = y[0] - y[1] + y[2] - y[3];
  r[3] = y[0] + 2 * y[1] + 4 * y[2] + 8 * y[3];
  r[4] = y[0] - 2 * y[1] + 4 * y[2] - 8 * y[3];
  r[5] = y[3];
}

// G (6×3): rows [1/4 0 0], [−1/6 −1/6 −1/6], [−1/6 1/6 −1/6], [1/24 1/12 1/6], [1/24 −1/12 1/6], [0 0 1]
const double Gm[6][3] = {{0.25, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                         {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};

/** dst[c·dstStride + r] = src[r·srcStride + c] for r < rows ≤ 16, c < cols ≤ 16 (a block transpose). */
inline void transpose16(const float* src, int64_t srcStride, int rows, int cols, float* dst, int64_t dstStride) {
#if defined(__AVX512F__)
  const __mmask16 colMask = (__mmask16)((1u << cols) - 1), rowMask = (__mmask16)((1u << rows) - 1);
  __m512 r[16], t[16];
  for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_maskz_loadu_ps(colMask, src + i * srcStride) : _mm512_setzero_ps();
  // within 128-bit lanes: pairs of rows interleaved, then groups of four rows
  for (int i = 0; i < 8; i++) { t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]); t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]); }
  for (int i = 0; i < 4; i++) {
    r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  // r[4g + k], lane l now holds column 4l + k of rows 4g..4g+3; gather the four row groups per column
  for (int k = 0; k < 4; k++) {
    const __m512 v0 = _mm512_shuffle_f32x4(r[k], r[4 + k], 0x88), v1 = _mm512_shuffle_f32x4(r[k], r[4 + k], 0xDD);
    const __m512 v2 = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0x88), v3 = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0xDD);
    const __m512 c[4] = {_mm512_shuffle_f32x4(v0, v2, 0x88), _mm512_shuffle_f32x4(v1, v3, 0x88),
                         _mm512_shuffle_f32x4(v0, v2, 0xDD), _mm512_shuffle_f32x4(v1, v3, 0xDD)};
    for (int l = 0; l < 4; l++) if (4 * l + k < cols) _mm512_mask_storeu_ps(dst + (4 * l + k) * dstStride, rowMask, c[l]);
  }
#else
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) dst[j * dstStride + i] = src[i * srcStride + j];
#endif
}

/** Floats between the 36 blocks of a transformed [ξ][t][c] array: one vector more than tb·c, so the 36 streams a
 *  transform reads or writes never sit 4 KiB apart (which would map them all to one set of the L1 cache). */
inline int64_t xiStride(int64_t tb, int64_t c) { return tb * c + L; }

/** Tiles, blocks and padded sizes of one problem. Blocks are whole images, about 64 tiles each. */
struct Geo {
  int64_t n, h, w, th, tw, tpi, hp, wp, imgsPerBlock, blocks, tb;
  Geo(int64_t n_, int64_t h_, int64_t w_) : n(n_), h(h_), w(w_) {
    th = (h + 3) / 4;
    tw = (w + 3) / 4;
    tpi = th * tw;
    hp = 4 * th + 2;
    wp = 4 * tw + 2;
    imgsPerBlock = std::max<int64_t>(1, std::min<int64_t>(n, (64 + tpi / 2) / tpi));
    blocks = (n + imgsPerBlock - 1) / imgsPerBlock;
    tb = imgsPerBlock * tpi;
  }
};

/** NCHW (c, rows·cols) planes → NHWC rows: dst[(r·rowStride + col)·c + ch] = src[ch·rows·cols + r·cols + col]. */
void toNhwc(const float* src, int64_t c, int64_t rows, int64_t cols, float* dst, int64_t rowStride) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c0 = 0; c0 < c; c0 += 16)
      for (int64_t x0 = 0; x0 < cols; x0 += 16)
        transpose16(src + c0 * rows * cols + r * cols + x0, rows * cols, (int)std::min<int64_t>(16, c - c0),
                    (int)std::min<int64_t>(16, cols - x0), dst + (r * rowStride + x0) * c + c0, c);
}

/** P (m, hp, wp, c) = images [i0, i0 + m) of x (·, c, h, w), channels last, with a zero border (1 top/left). */
void packInput(const float* x, float* P, int64_t i0, int64_t m, int64_t c, const Geo& g) {
  for (int64_t i = 0; i < m; i++) {
    float* Pi = P + i * g.hp * g.wp * c;
    std::fill(Pi, Pi + g.wp * c, 0.0f);
    for (int64_t r = 1; r < g.hp; r++) {
      std::fill(Pi + r * g.wp * c, Pi + (r * g.wp + 1) * c, 0.0f);
      const int64_t right = r <= g.h ? g.w + 1 : 1;
      std::fill(Pi + (r * g.wp + right) * c, Pi + (r + 1) * g.wp * c, 0.0f);
    }
    toNhwc(x + (i0 + i) * c * g.h * g.w, c, g.h, g.w, Pi + (g.wp + 1) * c, g.wp);
  }
}

/** V[ξ][t][c] = (Bᵀ d B)_ξ of tile t's 6×6 patch, 16 channels per vector (c a multiple of 16). */
void inputTransform(const float* P, float* V, int64_t c, int64_t m, const Geo& g) {
  const int64_t tb = m * g.tpi, xs = xiStride(tb, c);
  for (int64_t t = 0; t < tb; t++) {
    const int64_t img = t / g.tpi, r = t % g.tpi, ty = r / g.tw, tx = r % g.tw;
    const float* src = P + ((img * g.hp + 4 * ty) * g.wp + 4 * tx) * c;
    for (int64_t c0 = 0; c0 < c; c0 += L) {
      vf col[6], tmp[6][6], in[6];
      // Bᵀ d: each column j
      WG_UNROLL for (int j = 0; j < 6; j++) {
        WG_UNROLL for (int i = 0; i < 6; i++) in[i] = load(src + (i * g.wp + j) * c + c0);
        bt6(in, col);
        WG_UNROLL for (int i = 0; i < 6; i++) tmp[i][j] = col[i];
      }
      // (Bᵀ d) B: each row i
      WG_UNROLL for (int i = 0; i < 6; i++) {
        bt6(tmp[i], col);
        WG_UNROLL for (int k = 0; k < 6; k++) store(V + (i * 6 + k) * xs + t * c + c0, col[k]);
      }
    }
  }
}

// acc[x][v] = Σ_k a[k·sk + x·sx]·b[k·ldb + v·L]: X scalars of `a` times VO vectors of a row of `b`, over K; onto
// out (rows ldo apart), added to what is there when `add`.
template <int VO, int X>
void gemmTile(const float* a, int64_t sk, int64_t sx, const float* b, int64_t ldb, int64_t K, float* out, int64_t ldo, bool add) {
  vf acc[X][VO];
  if (add) { WG_UNROLL for (int x = 0; x < X; x++) WG_UNROLL for (int v = 0; v < VO; v++) acc[x][v] = load(out + x * ldo + v * L); }
  else { WG_UNROLL for (int x = 0; x < X; x++) WG_UNROLL for (int v = 0; v < VO; v++) acc[x][v] = vf{}; }
  for (int64_t k = 0; k < K; k++) {
    vf bv[VO];
    WG_UNROLL for (int v = 0; v < VO; v++) bv[v] = load(b + k * ldb + v * L);
    const float* ak = a + k * sk;
    WG_UNROLL for (int x = 0; x < X; x++) {
      const float s = ak[x * sx];
      WG_UNROLL for (int v = 0; v < VO; v++) acc[x][v] += s * bv[v];
    }
  }
  WG_UNROLL for (int x = 0; x < X; x++) WG_UNROLL for (int v = 0; v < VO; v++) store(out + x * ldo + v * L, acc[x][v]);
}

using GemmFn = void (*)(const float*, int64_t, int64_t, const float*, int64_t, int64_t, float*, int64_t, bool);

template <int VO, int... Xs>
constexpr std::array<GemmFn, sizeof...(Xs)> gemmTable(std::integer_sequence<int, Xs...>) { return {&gemmTile<VO, Xs + 1>...}; }

// up to 28 accumulator registers of the 32 (AVX-512)
constexpr int maxX(int vo) { return vo == 1 ? 14 : vo == 2 ? 14 : vo == 3 ? 9 : 7; }
const auto g1 = gemmTable<1>(std::make_integer_sequence<int, maxX(1)>{});
const auto g2 = gemmTable<2>(std::make_integer_sequence<int, maxX(2)>{});
const auto g3 = gemmTable<3>(std::make_integer_sequence<int, maxX(3)>{});
const auto g4 = gemmTable<4>(std::make_integer_sequence<int, maxX(4)>{});
GemmFn gemmFn(int vo, int x) { return vo == 1 ? g1[x - 1] : vo == 2 ? g2[x - 1] : vo == 3 ? g3[x - 1] : g4[x - 1]; }

/**
 * out (rows × cols, ldo) (+)= A·b with A[r][k] = a[k·sk + r·sx] (rows × K) and b (K × cols, ldb; cols a multiple
 * of 16), by register tiles of up to 4 vectors × maxX rows.
 */
void gemm(const float* a, int64_t sk, int64_t sx, const float* b, int64_t ldb, int64_t K, int64_t rows, int64_t cols, float* out, int64_t ldo, bool add) {
  for (int64_t c0 = 0; c0 < cols; c0 += 4 * L) {
    const int vo = (int)std::min<int64_t>(4, (cols - c0) / L);
    const int X = maxX(vo);
    // rows split into near-equal tiles of at most X
    const int64_t tiles = (rows + X - 1) / X;
    for (int64_t t = 0; t < tiles; t++) {
      const int64_t r0 = rows * t / tiles, nr = rows * (t + 1) / tiles - r0;
      gemmFn(vo, (int)nr)(a + r0 * sx, sk, sx, b + c0, ldb, K, out + r0 * ldo + c0, ldo, add);
    }
  }
}

/** y (·, co, h, w) images [i0, i0 + m) = Aᵀ M A (+ bias) of every tile of M[ξ][t][o], the pixels inside h × w. */
void outputTransform(const float* M, const float* bias, float* y, int64_t i0, int64_t m, int64_t co, const Geo& g) {
  const int64_t tb = m * g.tpi, xs = xiStride(tb, co), rw = 4 * g.tw;
  alignas(64) float buf[16 * L], tr[L * 16];  // [pixel p·4 + q][channel], then [channel][pixel]
  // one row of tiles for 16 channels, [channel][4 rows][4·tw]: y is then written in whole rows (full cache lines)
  std::vector<float> rowbuf((size_t)(L * 4 * rw));
  for (int64_t t0 = 0; t0 < tb; t0 += g.tw) {
    const int64_t img = i0 + t0 / g.tpi, ty = (t0 % g.tpi) / g.tw, rows = std::min<int64_t>(4, g.h - 4 * ty);
    for (int64_t o0 = 0; o0 < co; o0 += L) {
      for (int64_t tx = 0; tx < g.tw; tx++) {
        const int64_t t = t0 + tx;
        vf col[6], tmp[4][6], out4[4];
        // Aᵀ M: each column j
        WG_UNROLL for (int j = 0; j < 6; j++) {
          WG_UNROLL for (int i = 0; i < 6; i++) col[i] = load(M + (i * 6 + j) * xs + t * co + o0);
          at4(col, out4);
          WG_UNROLL for (int p = 0; p < 4; p++) tmp[p][j] = out4[p];
        }
        const vf b = bias ? load(bias + o0) : vf{};
        // (Aᵀ M) A: each row p
        WG_UNROLL for (int p = 0; p < 4; p++) {
          at4(tmp[p], out4);
          WG_UNROLL for (int q = 0; q < 4; q++) store(buf + (p * 4 + q) * L, out4[q] + b);
        }
        // 16 pixels × 16 channels → per channel its 4×4 tile
        transpose16(buf, L, 16, 16, tr, 16);
        for (int l = 0; l < L; l++)
          for (int p = 0; p < 4; p++) std::memcpy(rowbuf.data() + (l * 4 + p) * rw + 4 * tx, tr + l * 16 + p * 4, 16);
      }
      for (int l = 0; l < L; l++) {
        float* d = y + ((img * co + o0 + l) * g.h + 4 * ty) * g.w;
        for (int64_t p = 0; p < rows; p++) std::memcpy(d + p * g.w, rowbuf.data() + (l * 4 + p) * rw, sizeof(float) * g.w);
      }
    }
  }
}

/** Q (m, 4·th, 4·tw, co): images [i0, i0 + m) of gy (·, co, h, w), channels last, zero beyond h × w. */
void packGrad(const float* gy, float* Q, int64_t i0, int64_t m, int64_t co, const Geo& g) {
  const int64_t hq = 4 * g.th, wq = 4 * g.tw;
  for (int64_t i = 0; i < m; i++) {
    float* Qi = Q + i * hq * wq * co;
    for (int64_t r = 0; r < hq; r++) {
      const int64_t from = r < g.h ? g.w : 0;
      std::fill(Qi + (r * wq + from) * co, Qi + (r + 1) * wq * co, 0.0f);
    }
    toNhwc(gy + (i0 + i) * co * g.h * g.w, co, g.h, g.w, Qi, wq);
  }
}

/** Gt[ξ][t][o] = (A ∂Y Aᵀ)_ξ of tile t's 4×4 output gradient in Q, 16 channels per vector. */
void gradTransform(const float* Q, float* Gt, int64_t m, int64_t co, const Geo& g) {
  const int64_t tb = m * g.tpi, wq = 4 * g.tw, xs = xiStride(tb, co);
  for (int64_t t = 0; t < tb; t++) {
    const int64_t img = t / g.tpi, r = t % g.tpi, ty = r / g.tw, tx = r % g.tw;
    const float* src = Q + ((img * 4 * g.th + 4 * ty) * wq + 4 * tx) * co;
    for (int64_t o0 = 0; o0 < co; o0 += L) {
      vf yy[4], col[6], tmp[6][4];
      // A ∂Y: each column q
      WG_UNROLL for (int q = 0; q < 4; q++) {
        WG_UNROLL for (int p = 0; p < 4; p++) yy[p] = load(src + (p * wq + q) * co + o0);
        a6(yy, col);
        WG_UNROLL for (int i = 0; i < 6; i++) tmp[i][q] = col[i];
      }
      // (A ∂Y) Aᵀ: each row i
      WG_UNROLL for (int i = 0; i < 6; i++) {
        a6(tmp[i], col);
        WG_UNROLL for (int j = 0; j < 6; j++) store(Gt + (i * 6 + j) * xs + t * co + o0, col[j]);
      }
    }
  }
}

}  // namespace

bool winogradApplies(int64_t cIn, int64_t cOut, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                     int64_t dh, int64_t dw, int64_t g, int64_t h, int64_t w) {
  return kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph == 1 && pw == 1 && dh == 1 && dw == 1 && g == 1 &&
         cOut % L == 0 && cIn % L == 0 && h >= 4 && w >= 4;
}

void winogradWeights(const float* w, float* U, int64_t cOut, int64_t cIn, bool flipT) {
  // the convolution run: `ci` inputs, `co` outputs; flipT: ci = cOut, co = cIn and g'[c][o] = rot180(g[o][c])
  const int64_t ci = flipT ? cOut : cIn, co = flipT ? cIn : cOut;
  for (int64_t a = 0; a < ci; a++)
    for (int64_t b = 0; b < co; b++) {
      double k[3][3];
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) k[i][j] = flipT ? w[((a * cIn + b) * 3 + 2 - i) * 3 + 2 - j] : w[((b * cIn + a) * 3 + i) * 3 + j];
      // U = G k Gᵀ
      double gk[6][3];
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 3; j++) gk[i][j] = Gm[i][0] * k[0][j] + Gm[i][1] * k[1][j] + Gm[i][2] * k[2][j];
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) U[((i * 6 + j) * ci + a) * co + b] = (float)(gk[i][0] * Gm[j][0] + gk[i][1] * Gm[j][1] + gk[i][2] * Gm[j][2]);
    }
}

void winogradForward(const float* x, const float* U, const float* bias, float* y, int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co) {
  const Geo g(n, h, w);
  const int nt = (int)std::min<int64_t>(threads(), g.blocks);
  std::vector<float*> P(nt), V(nt), M(nt);
  for (int t = 0; t < nt; t++) {
    P[t] = scratch(t, (size_t)(g.imgsPerBlock * g.hp * g.wp * ci), 0);
    V[t] = scratch(t, (size_t)(36 * xiStride(g.tb, ci)), 1);
    M[t] = scratch(t, (size_t)(36 * xiStride(g.tb, co)), 2);
  }
  parallelForT((size_t)g.blocks, 1, [&](size_t b0, size_t b1, int t) {
    for (size_t b = b0; b < b1; b++) {
      const int64_t i0 = (int64_t)b * g.imgsPerBlock, m = std::min(g.imgsPerBlock, n - i0), tb = m * g.tpi;
      packInput(x, P[t], i0, m, ci, g);
      inputTransform(P[t], V[t], ci, m, g);
      // M_ξ (tb × co) = V_ξ (tb × ci) · U_ξ (ci × co)
      for (int xi = 0; xi < 36; xi++)
        gemm(V[t] + xi * xiStride(tb, ci), 1, ci, U + xi * ci * co, co, ci, tb, co, M[t] + xi * xiStride(tb, co), co, false);
      outputTransform(M[t], bias, y, i0, m, co, g);
    }
  });
}

void winogradBackwardWeight(const float* x, const float* gy, float* gw, int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co) {
  const Geo g(n, h, w);
  const int nt = (int)std::min<int64_t>(threads(), g.blocks);
  std::vector<float*> P(nt), V(nt), Q(nt), Gt(nt);
  // ∂L/∂U per thread, [ξ][c][o]
  std::vector<std::vector<float>> dU(nt, std::vector<float>((size_t)(36 * ci * co), 0.0f));
  for (int t = 0; t < nt; t++) {
    P[t] = scratch(t, (size_t)(g.imgsPerBlock * g.hp * g.wp * ci), 0);
    V[t] = scratch(t, (size_t)(36 * xiStride(g.tb, ci)), 1);
    Gt[t] = scratch(t, (size_t)(36 * xiStride(g.tb, co)), 2);
    Q[t] = scratch(t, (size_t)(g.imgsPerBlock * 16 * g.th * g.tw * co), 3);
  }
  parallelForT((size_t)g.blocks, 1, [&](size_t b0, size_t b1, int t) {
    for (size_t b = b0; b < b1; b++) {
      const int64_t i0 = (int64_t)b * g.imgsPerBlock, m = std::min(g.imgsPerBlock, n - i0), tb = m * g.tpi;
      packInput(x, P[t], i0, m, ci, g);
      inputTransform(P[t], V[t], ci, m, g);
      packGrad(gy, Q[t], i0, m, co, g);
      gradTransform(Q[t], Gt[t], m, co, g);
      // ∂U_ξ (ci × co) += V_ξᵀ (ci × tb) · Gt_ξ (tb × co)
      for (int xi = 0; xi < 36; xi++)
        gemm(V[t] + xi * xiStride(tb, ci), ci, 1, Gt[t] + xi * xiStride(tb, co), co, tb, ci, co, dU[t].data() + xi * ci * co, co, true);
    }
  });
  // ∂g_oc = Gᵀ ∂U_oc G, after summing the threads' ∂U
  for (int t = 1; t < nt; t++) for (size_t i = 0; i < dU[0].size(); i++) dU[0][i] += dU[t][i];
  const float* du = dU[0].data();
  for (int64_t o = 0; o < co; o++)
    for (int64_t c = 0; c < ci; c++) {
      double gu[3][6];
      for (int a = 0; a < 3; a++)
        for (int j = 0; j < 6; j++) {
          double s = 0;
          for (int i = 0; i < 6; i++) s += Gm[i][a] * du[((i * 6 + j) * ci + c) * co + o];
          gu[a][j] = s;
        }
      for (int a = 0; a < 3; a++)
        for (int bb = 0; bb < 3; bb++) {
          double s = 0;
          for (int j = 0; j < 6; j++) s += gu[a][j] * Gm[j][bb];
          gw[((o * ci + c) * 3 + a) * 3 + bb] = (float)s;
        }
    }
}

}  // namespace dt
