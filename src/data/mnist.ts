// MNIST and Fashion-MNIST from their IDX files (gzipped or not).
import { readIdx } from '../io/idx.ts';
import { datasetSpec, findFile, resolveDataDir, type DataDirOptions } from './paths.ts';

export interface ImageDataset {
  /** n·channels·rows·cols pixels, channels-first (CHW) and row-major per image, scaled from 0..255 to 0..1. */
  images: Float32Array;
  labels: Int32Array;
  n: number;
  /** Colour channels per image: 1 (grayscale, also when absent) or 3 (RGB). */
  channels?: number;
  rows: number;
  cols: number;
}

export interface MnistOptions extends DataDirOptions {
  split?: 'train' | 'test';
  /** Keep only the first `limit` examples. */
  limit?: number;
}

function loadIdxPair(name: 'mnist' | 'fashion-mnist', opts: MnistOptions): ImageDataset {
  const split = opts.split ?? 'train';
  if (split !== 'train' && split !== 'test') throw new Error(`${name}: split must be 'train' or 'test', got '${split}'`);
  const dir = resolveDataDir(name, opts);
  const prefix = split === 'train' ? 'train' : 't10k';
  const gz = datasetSpec(name).gz;
  const imgPath = findFile(dir, `${prefix}-images-idx3-ubyte`, gz)!;
  const lblPath = findFile(dir, `${prefix}-labels-idx1-ubyte`, gz)!;
  const img = readIdx(imgPath);
  const lbl = readIdx(lblPath);
  if (img.dtype !== 'uint8' || img.shape.length !== 3) throw new Error(`${name}: ${imgPath}: expected uint8 images of shape [n, rows, cols], got ${img.dtype} [${img.shape.join(', ')}]`);
  if (lbl.dtype !== 'uint8' || lbl.shape.length !== 1) throw new Error(`${name}: ${lblPath}: expected uint8 labels of shape [n], got ${lbl.dtype} [${lbl.shape.join(', ')}]`);
  const [total, rows, cols] = img.shape;
  if (lbl.shape[0] !== total) throw new Error(`${name}: ${imgPath} has ${total} images but ${lblPath} has ${lbl.shape[0]} labels`);
  const limit = opts.limit ?? total;
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`${name}: limit must be a non-negative integer, got ${limit}`);
  const n = Math.min(limit, total);
  const images = new Float32Array(n * rows * cols);
  const src = img.data as Uint8Array;
  for (let i = 0; i < images.length; i++) images[i] = src[i] / 255;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = lbl.data[i];
    if (labels[i] > 9) throw new Error(`${name}: ${lblPath}: label ${i} is ${labels[i]}, outside the 10 classes 0..9`);
  }
  return { images, labels, n, channels: 1, rows, cols };
}

/** MNIST (LeCun et al.): 60,000 train / 10,000 test 28×28 digits. */
export function loadMnist(opts: MnistOptions = {}): ImageDataset {
  return loadIdxPair('mnist', opts);
}

/** Fashion-MNIST (Xiao et al. 2017): same layout as MNIST, 10 clothing classes. */
export function loadFashionMnist(opts: MnistOptions = {}): ImageDataset {
  return loadIdxPair('fashion-mnist', opts);
}
