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
  const [top, left] = cropParams(shape, size, padding, gen, 'randomCrop');
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

// Augmentation split in two, so the random draws and the pixel work can happen in different threads:
// drawAugmentParams() makes exactly the draws randomCrop then randomHorizontalFlip make for each image of a batch, in
// the same order, and augmentBatch() is a pure function that gathers, crops, flips and normalizes with those
// parameters. Together they give the same floats as the per-image transforms followed by normalize.

/** What to draw for each image: RandomCrop(size, padding) and/or RandomHorizontalFlip(p). */
export interface AugmentSpec {
  crop?: { size: number | readonly [number, number]; padding: number };
  /** Flip probability; undefined = no flips (and no draws). */
  flip?: number;
}

/** Drawn augmentation parameters of a batch of n images. */
export interface AugmentParams {
  /** Output height and width: the crop size, or the image size when not cropping. */
  height: number;
  width: number;
  /** Per image, the crop window's top-left corner in source pixels (negative = inside the zero padding); null = no crop. */
  top: Int32Array | null;
  left: Int32Array | null;
  /** Per image, 1 = mirror left–right; null = no flips. */
  flip: Uint8Array | null;
}

/** The corner randomCrop draws: top ∈ [0, H + 2p − th], left ∈ [0, W + 2p − tw], shifted by −p into source pixels. */
export function cropParams(shape: ImageShape, size: number | readonly [number, number], padding: number, gen: Generator, op = 'cropParams'): [number, number] {
  const [, h, w] = shape;
  const [th, tw] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`${op}: padding must be a non-negative integer, got ${padding}`);
  const ph = h + 2 * padding, pw = w + 2 * padding;
  if (!(Number.isInteger(th) && Number.isInteger(tw) && th > 0 && tw > 0 && th <= ph && tw <= pw)) {
    throw new Error(`${op}: crop ${th}×${tw} does not fit the padded ${ph}×${pw} image (shape [${shape.join(', ')}], padding ${padding})`);
  }
  const top = gen.randint(0, ph - th + 1) - padding;
  const left = gen.randint(0, pw - tw + 1) - padding;
  return [top, left];
}

/** Draws a batch's parameters image by image: crop corner (two draws) then flip coin (one draw), as the per-image transforms do. */
export function drawAugmentParams(n: number, shape: ImageShape, spec: AugmentSpec, gen: Generator): AugmentParams {
  if (!Number.isInteger(n) || n < 0) throw new Error(`drawAugmentParams: n must be a non-negative integer, got ${n}`);
  const [, h, w] = shape;
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`drawAugmentParams: shape must be [C, H, W] of positive integers, got [${shape.join(', ')}]`);
  const p = spec.flip;
  if (p !== undefined && !(p >= 0 && p <= 1)) throw new Error(`drawAugmentParams: flip probability must be in [0, 1], got ${p}`);
  const size = spec.crop ? spec.crop.size : [h, w] as const;
  const [th, tw] = typeof size === 'number' ? [size, size] : size;
  const top = spec.crop ? new Int32Array(n) : null;
  const left = spec.crop ? new Int32Array(n) : null;
  const flip = p !== undefined ? new Uint8Array(n) : null;
  for (let i = 0; i < n; i++) {
    if (spec.crop) [top![i], left![i]] = cropParams(shape, spec.crop.size, spec.crop.padding, gen);
    if (p !== undefined) flip![i] = gen.random() < p ? 1 : 0;
  }
  return { height: th, width: tw, top, left, flip };
}

/**
 * Builds a normalized batch from a dataset of N images (N·C·H·W values, row-major): for each b, takes image idx[b],
 * cuts the crop window (zeros outside the image), mirrors it when flip[b], and writes (x − mean[c]) / std[c].
 * params = null takes the images whole. Returns a new Float32Array of idx.length·C·height·width values.
 */
export function augmentBatch(images: ArrayLike<number>, shape: ImageShape, idx: ArrayLike<number>, params: AugmentParams | null, mean: readonly number[], std: readonly number[]): Float32Array {
  const [c, h, w] = shape;
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`augmentBatch: shape must be [C, H, W] of positive integers, got [${shape.join(', ')}]`);
  const px = c * h * w, count = images.length / px;
  if (!Number.isInteger(count)) throw new Error(`augmentBatch: ${images.length} values are not whole images of shape [${shape.join(', ')}]`);
  if (mean.length !== c || std.length !== c) throw new Error(`augmentBatch: need ${c} means and stds for shape [${shape.join(', ')}], got ${mean.length} and ${std.length}`);
  if (std.some((s) => !(s > 0))) throw new Error(`augmentBatch: std must be positive, got [${std.join(', ')}]`);
  const n = idx.length;
  const th = params ? params.height : h, tw = params ? params.width : w;
  for (const [name, a] of [['top', params?.top], ['left', params?.left], ['flip', params?.flip]] as const) {
    if (a && a.length !== n) throw new Error(`augmentBatch: params.${name} has ${a.length} entries for a batch of ${n}`);
  }
  if (params && !params.top && (th !== h || tw !== w)) throw new Error(`augmentBatch: output ${th}×${tw} differs from the ${h}×${w} images but no crop corners are given`);
  const out = new Float32Array(n * c * th * tw);
  for (let b = 0; b < n; b++) {
    const i = idx[b];
    if (!(Number.isInteger(i) && i >= 0 && i < count)) throw new Error(`augmentBatch: index ${i} is out of range for ${count} images`);
    const top = params?.top ? params.top[b] : 0, left = params?.left ? params.left[b] : 0;
    const flip = params?.flip ? params.flip[b] === 1 : false;
    for (let ch = 0; ch < c; ch++) {
      const m = mean[ch], s = std[ch];
      const src = i * px + ch * h * w, dst = ((b * c + ch) * th) * tw;
      if (!params?.top && !flip) { // the whole image as it is (th = h, tw = w)
        for (let k = 0; k < h * w; k++) out[dst + k] = (images[src + k] - m) / s;
        continue;
      }
      for (let y = 0; y < th; y++) {
        const sy = top + y, row = dst + y * tw;
        const inRow = sy >= 0 && sy < h;
        for (let x = 0; x < tw; x++) {
          // flip after crop: output column x shows crop column tw−1−x
          const sx = left + (flip ? tw - 1 - x : x);
          const v = inRow && sx >= 0 && sx < w ? images[src + sy * w + sx] : 0;
          out[row + x] = (v - m) / s;
        }
      }
    }
  }
  return out;
}
