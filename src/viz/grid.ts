// Tiles a batch of images into one picture (torchvision's make_grid), e.g. GAN or diffusion samples.
import type { Tensor } from '../tensor.ts';
import { writePng } from './png.ts';

export interface Image {
  width: number;
  height: number;
  /** 1 (gray) or 3 (RGB), interleaved. */
  channels: number;
  pixels: Uint8Array;
}

export interface GridOptions {
  /** Images per row; default ⌈√N⌉. */
  nrow?: number;
  /** Pixels between and around tiles; default 2. */
  padding?: number;
  /** Gray level 0..255 of the padding; default 0. */
  padValue?: number;
  /** Values mapped to 0 and 255 (clamped outside); default the batch's min and max. */
  range?: [number, number];
  /** Normalize each image by its own min and max instead (ignores range). */
  scaleEach?: boolean;
  /** Integer up-scaling of every pixel (nearest neighbour); default 1. */
  scale?: number;
}

type Batch = Tensor | { data: ArrayLike<number>; shape: readonly number[] };

/** Accepts (N, H, W), (N, 1, H, W) or (N, 3, H, W) (channels first, as the models produce them). */
export function tileGrid(images: Batch, opts: GridOptions = {}): Image {
  const shape = [...images.shape];
  const data = images.data;
  let n: number, c: number, h: number, w: number;
  if (shape.length === 3) [n, h, w] = shape, c = 1;
  else if (shape.length === 4 && (shape[1] === 1 || shape[1] === 3)) [n, c, h, w] = shape;
  else throw new Error(`tileGrid: expected images of shape (N, H, W) or (N, 1|3, H, W), got [${shape.join(', ')}]`);
  if (n < 1 || h < 1 || w < 1) throw new Error(`tileGrid: empty batch of shape [${shape.join(', ')}]`);
  if (data.length !== n * c * h * w) throw new Error(`tileGrid: shape [${shape.join(', ')}] needs ${n * c * h * w} values, got ${data.length}`);
  const nrow = opts.nrow ?? Math.ceil(Math.sqrt(n));
  const pad = opts.padding ?? 2;
  const s = opts.scale ?? 1;
  if (!Number.isInteger(nrow) || nrow < 1 || !Number.isInteger(pad) || pad < 0 || !Number.isInteger(s) || s < 1) {
    throw new Error(`tileGrid: nrow and scale must be positive integers and padding ≥ 0, got nrow ${nrow}, padding ${pad}, scale ${s}`);
  }
  const rows = Math.ceil(n / nrow);
  const cell = { w: w * s + pad, h: h * s + pad };
  const width = nrow * cell.w + pad, height = rows * cell.h + pad;
  const pixels = new Uint8Array(width * height * c).fill(opts.padValue ?? 0);
  const per = c * h * w;
  const minMax = (lo: number, hi: number): [number, number] => {
    let a = Infinity, b = -Infinity;
    for (let i = lo; i < hi; i++) { const v = data[i]; if (v < a) a = v; if (v > b) b = v; }
    return [a, b];
  };
  const batchRange = opts.range ?? minMax(0, data.length);
  for (let k = 0; k < n; k++) {
    const [lo, hi] = opts.scaleEach ? minMax(k * per, (k + 1) * per) : batchRange;
    const span = hi - lo > 0 ? hi - lo : 1;
    const ox = pad + (k % nrow) * cell.w, oy = pad + Math.floor(k / nrow) * cell.h;
    for (let y = 0; y < h * s; y++) {
      for (let x = 0; x < w * s; x++) {
        for (let ch = 0; ch < c; ch++) {
          const v = data[k * per + ch * h * w + Math.floor(y / s) * w + Math.floor(x / s)];
          const q = Math.round(((v - lo) / span) * 255);
          pixels[((oy + y) * width + ox + x) * c + ch] = q < 0 ? 0 : q > 255 ? 255 : q;
        }
      }
    }
  }
  return { width, height, channels: c, pixels };
}

/** Tiles the batch and writes it as a PNG. */
export function writeGrid(path: string, images: Batch, opts: GridOptions = {}): Image {
  const img = tileGrid(images, opts);
  writePng(path, img.width, img.height, img.pixels, img.channels);
  return img;
}
