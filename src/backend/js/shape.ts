import type { ShapeKernels } from '../kernels/shape.ts';
import { forEachBroadcast } from './elementwise.ts';

export const shape: ShapeKernels = {
  copyStrided(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shp) {
    forEachBroadcast(shp, [srcStrides as number[], dstStrides as number[]], (base, len, steps) => {
      let is = srcOffset + base[0], id = dstOffset + base[1];
      const ds = steps[0], dd = steps[1];
      if (ds === 1 && dd === 1) { dst.set(src.subarray(is, is + len), id); return; }
      for (let i = 0; i < len; i++, is += ds, id += dd) dst[id] = src[is];
    });
  },
};
