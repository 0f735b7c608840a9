// Pooling over (n·c) independent h×w planes, and nearest-neighbour upsampling.
// Window (oy, ox) covers rows oy·sH − pH … + kh − 1 and columns ox·sW − pW … + kw − 1; cells outside the plane
// are padding.
import type { PoolKernels, Pool2dParams } from '../kernels/pool.ts';

/**
 * PyTorch's average divisor: the window clipped to the padded plane when countIncludePad, else clipped to the
 * plane itself. With floor-mode output sizes a window never passes the padded edge, so the first is kh·kw.
 */
function divisor(y0: number, x0: number, p: Pool2dParams, countIncludePad: boolean): number {
  const { h, w, kh, kw, padH, padW } = p;
  if (countIncludePad) return (Math.min(y0 + kh, h + padH) - y0) * (Math.min(x0 + kw, w + padW) - x0);
  return (Math.min(y0 + kh, h) - Math.max(y0, 0)) * (Math.min(x0 + kw, w) - Math.max(x0, 0));
}

export const pool: PoolKernels = {
  maxPool2d(x, y, argmax, p) {
    const { n, c, h, w, kh, kw, strideH, strideW, padH, padW, outH, outW } = p;
    const hw = h * w, ohw = outH * outW;
    for (let pl = 0; pl < n * c; pl++) {
      const xo = pl * hw, yo = pl * ohw;
      for (let oy = 0; oy < outH; oy++) {
        const y0 = oy * strideH - padH, ya = Math.max(y0, 0), yb = Math.min(y0 + kh, h);
        for (let ox = 0; ox < outW; ox++) {
          const x0 = ox * strideW - padW, xa = Math.max(x0, 0), xb = Math.min(x0 + kw, w);
          // padding never wins: start from the first real cell; NaN propagates as in PyTorch
          let best = ya * w + xa, bv = x[xo + best];
          for (let iy = ya; iy < yb; iy++) {
            for (let ix = xa; ix < xb; ix++) {
              const v = x[xo + iy * w + ix];
              if (v > bv || (v !== v && bv === bv)) { bv = v; best = iy * w + ix; }
            }
          }
          y[yo + oy * outW + ox] = bv;
          argmax[yo + oy * outW + ox] = best;
        }
      }
    }
  },

  maxPool2dBackward(gy, argmax, gx, p) {
    const hw = p.h * p.w, ohw = p.outH * p.outW;
    gx.fill(0, 0, p.n * p.c * hw);
    for (let pl = 0; pl < p.n * p.c; pl++) {
      const xo = pl * hw;
      for (let j = pl * ohw, e = j + ohw; j < e; j++) gx[xo + argmax[j]] += gy[j];
    }
  },

  avgPool2d(x, y, p, countIncludePad) {
    const { n, c, h, w, kh, kw, strideH, strideW, padH, padW, outH, outW } = p;
    const hw = h * w, ohw = outH * outW;
    for (let pl = 0; pl < n * c; pl++) {
      const xo = pl * hw, yo = pl * ohw;
      for (let oy = 0; oy < outH; oy++) {
        const y0 = oy * strideH - padH, ya = Math.max(y0, 0), yb = Math.min(y0 + kh, h);
        for (let ox = 0; ox < outW; ox++) {
          const x0 = ox * strideW - padW, xa = Math.max(x0, 0), xb = Math.min(x0 + kw, w);
          let acc = 0;
          for (let iy = ya; iy < yb; iy++) for (let ix = xa; ix < xb; ix++) acc += x[xo + iy * w + ix];
          y[yo + oy * outW + ox] = acc / divisor(y0, x0, p, countIncludePad);
        }
      }
    }
  },

  avgPool2dBackward(gy, gx, p, countIncludePad) {
    const { n, c, h, w, kh, kw, strideH, strideW, padH, padW, outH, outW } = p;
    const hw = h * w, ohw = outH * outW;
    gx.fill(0, 0, n * c * hw);
    for (let pl = 0; pl < n * c; pl++) {
      const xo = pl * hw, yo = pl * ohw;
      for (let oy = 0; oy < outH; oy++) {
        const y0 = oy * strideH - padH, ya = Math.max(y0, 0), yb = Math.min(y0 + kh, h);
        for (let ox = 0; ox < outW; ox++) {
          const x0 = ox * strideW - padW, xa = Math.max(x0, 0), xb = Math.min(x0 + kw, w);
          // ∂y/∂x = 1/divisor for every real cell of the window
          const g = gy[yo + oy * outW + ox] / divisor(y0, x0, p, countIncludePad);
          for (let iy = ya; iy < yb; iy++) for (let ix = xa; ix < xb; ix++) gx[xo + iy * w + ix] += g;
        }
      }
    }
  },

  upsampleNearest2d(x, y, nc, h, w, sh, sw) {
    const W = w * sw;
    for (let pl = 0; pl < nc; pl++) {
      for (let iy = 0; iy < h; iy++) {
        const src = (pl * h + iy) * w;
        const row = (pl * h + iy) * sh * W; // first of the sh output rows copied from input row iy
        for (let ix = 0; ix < w; ix++) { const v = x[src + ix]; for (let t = row + ix * sw, e = t + sw; t < e; t++) y[t] = v; }
        for (let r = 1; r < sh; r++) y.copyWithin(row + r * W, row, row + W);
      }
    }
  },

  upsampleNearest2dBackward(gy, gx, nc, h, w, sh, sw) {
    const W = w * sw;
    for (let pl = 0; pl < nc; pl++) {
      for (let iy = 0; iy < h; iy++) {
        const row = (pl * h + iy) * sh * W;
        for (let ix = 0; ix < w; ix++) {
          // every output cell copied from (iy, ix) sends its gradient back
          let acc = 0;
          for (let r = 0; r < sh; r++) for (let t = row + r * W + ix * sw, e = t + sw; t < e; t++) acc += gy[t];
          gx[(pl * h + iy) * w + ix] = acc;
        }
      }
    }
  },
};
