// Image transforms on one C×H×W float image (row-major), as torchvision.transforms does them.
// Random transforms take the seeded Generator explicitly, so augmentation is reproducible.
import type { Generator } from '../random.ts';

export type ImageShape = readonly [number, number, number]; // [C, H, W]

function check(op: string, img: ArrayLike<number>, shape: ImageShape): void {
  const [c, h, w] = shape;
  if (shape.length !== 3 || ![c, h, w].every((d) => Number.isInteger(d) && d > 0)) throw new Error(`${op}: shape must be [C, H, W] of positive integers, got [${shape.join(', ')}]`);
  if (img.length !== c * h * w) throw new Error(`${op}: image has ${img.length} values, shape [${shape.join(', ')}] needs ${c * h * w}`);
}

/** (x − mean[c]) / std[c] per channel. */
export function normalize(img: ArrayLike<number>, shape: ImageShape, mean: readonly number[], std: readonly number[]): Float32Array {
  check('normalize', img, shape);
  const [c, h, w] = shape;
  if (mean.length !== c || std.length !== c) throw new Error(`normalize: need ${c} means and stds for shape [${shape.join(', ')}], got ${mean.length} and ${std.length}`);
  if (std.some((s) => !(s > 0))) throw new Error(`normalize: std must be positive, got [${std.join(', ')}]`);
  const out = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    for (let i = ch * h * w; i < (ch + 1) * h * w; i++) out[i] = (img[i] - mean[ch]) / std[ch];
  }
  return out;
}

/**
 * torchvision RandomCrop(size, padding): zero-pad every side by `padding`, then cut a size×size window at a
 * uniformly random top-left corner (top ∈ [0, H + 2p − size], left ∈ [0, W + 2p − size]).
 */
export function randomCrop(img: ArrayLike<number>, shape: ImageShape, size: number | readonly [number, number], padding: number, gen: Generator): Float32Array {
  check('randomCrop', img, shape);
  const [c, h, w] = shape;
  const [th, tw] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`randomCrop: padding must be a non-negative integer, got ${padding}`);
  const ph = h + 2 * padding, pw = w + 2 * padding;
  if (!(Number.isInteger(th) && Number.isInteger(tw) && th > 0 && tw > 0 && th <= ph && tw <= pw)) {
    throw new Error(`randomCrop: crop ${th}×${tw} does not fit the padded ${ph}×${pw} image (shape [${shape.join(', ')}], padding ${padding})`);
  }
  const top = gen.randint(0, ph - th + 1) - padding;
  const left = gen.randint(0, pw - tw + 1) - padding;
  const out = new Float32Array(c * th * tw);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < th; y++) {
      const sy = top + y;
      if (sy < 0 || sy >= h) continue;
      for (let x = 0; x < tw; x++) {
        const sx = left + x;
        if (sx >= 0 && sx < w) out[(ch * th + y) * tw + x] = img[(ch * h + sy) * w + sx];
      }
    }
  }
  return out;
}

/** Mirrors the image left–right. */
export function hflip(img: ArrayLike<number>, shape: ImageShape): Float32Array {
  check('hflip', img, shape);
  const [c, h, w] = shape;
  const out = new Float32Array(c * h * w);
  for (let r = 0; r < c * h; r++) for (let x = 0; x < w; x++) out[r * w + x] = img[r * w + (w - 1 - x)];
  return out;
}

/** torchvision RandomHorizontalFlip(p): flip when a uniform draw is below p (one draw per call either way). */
export function randomHorizontalFlip(img: ArrayLike<number>, shape: ImageShape, gen: Generator, p = 0.5): Float32Array {
  check('randomHorizontalFlip', img, shape);
  if (!(p >= 0 && p <= 1)) throw new Error(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  return gen.random() < p ? hflip(img, shape) : Float32Array.from(img);
}

/** Applies a per-image transform to each image of an N×C×H×W batch; the transform may change H and W. */
export function mapImages(images: Float32Array, n: number, shape: ImageShape, fn: (img: Float32Array) => Float32Array): Float32Array {
  const size = shape[0] * shape[1] * shape[2];
  if (images.length !== n * size) throw new Error(`mapImages: ${images.length} values are not ${n} images of shape [${shape.join(', ')}]`);
  const outs: Float32Array[] = [];
  for (let i = 0; i < n; i++) outs.push(fn(images.subarray(i * size, (i + 1) * size)));
  const per = outs[0]?.length ?? 0;
  const out = new Float32Array(n * per);
  outs.forEach((o, i) => {
    if (o.length !== per) throw new Error('mapImages: the transform returned images of different sizes');
    out.set(o, i * per);
  });
  return out;
}
