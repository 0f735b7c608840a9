// CIFAR-10 (Krizhevsky 2009), "binary version": 50,000 train / 10,000 test 32×32 RGB images in 10 classes.
// Files data_batch_1.bin … data_batch_5.bin (train, in that order) and test_batch.bin; each is a sequence of
// 3073-byte records: 1 label byte (0..9), then 3072 pixel bytes = the 1024 red, then 1024 green, then 1024 blue
// values of the 32×32 image, each plane row-major. That is already channels-first (CHW), so a record's pixels
// map 1:1 onto the (3, 32, 32) image. batches.meta.txt (optional here) lists the class names, one per line.
// Where the files are looked for: src/data/paths.ts (DATASETS.cifar10); ensureDataset downloads and unpacks them.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDataset } from './mnist.ts';
import { resolveDataDir, type DataDirOptions } from './paths.ts';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/**
 * Per-channel (R, G, B) mean and standard deviation of the CIFAR-10 training pixels scaled to 0..1, over all
 * 50,000·1024 pixels of each channel; normalize with x' = (x − mean[c]) / std[c].
 */
export const CIFAR10_MEAN = [0.4914, 0.4822, 0.4465] as const;
export const CIFAR10_STD = [0.2470, 0.2435, 0.2616] as const;

const ROWS = 32, COLS = 32, CHANNELS = 3;
const PIXELS = CHANNELS * ROWS * COLS; // 3072
const RECORD = 1 + PIXELS; // 3073

export interface CifarDataset extends ImageDataset {
  channels: number;
  /** Class names by label (from batches.meta.txt when present). */
  classNames: string[];
}

export interface CifarOptions extends DataDirOptions {
  split?: 'train' | 'test';
  /** Keep only the first `limit` examples (in file order: data_batch_1 first). */
  limit?: number;
}

/** CIFAR-10 from the binary version's files: images n·3·32·32 in CHW order, scaled from 0..255 to 0..1. */
export function loadCifar10(opts: CifarOptions = {}): CifarDataset {
  const split = opts.split ?? 'train';
  if (split !== 'train' && split !== 'test') throw new Error(`cifar10: split must be 'train' or 'test', got '${split}'`);
  const limit = opts.limit ?? Infinity;
  if (limit !== Infinity && (!Number.isInteger(limit) || limit < 0)) throw new Error(`cifar10: limit must be a non-negative integer, got ${limit}`);
  const dir = resolveDataDir('cifar10', opts);
  const files = (split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin']).map((f) => join(dir, f));

  // Check every file's size before reading any, so a truncated download is reported whatever the limit.
  const counts = files.map(recordCount);
  const total = counts.reduce((a, b) => a + b, 0);
  const n = Math.min(limit, total);
  const images = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  let done = 0;
  for (let f = 0; f < files.length && done < n; f++) {
    const take = Math.min(counts[f], n - done);
    const bytes = readHead(files[f], take * RECORD);
    for (let r = 0; r < take; r++) {
      const rec = r * RECORD;
      const label = bytes[rec];
      if (label > 9) {
        throw new Error(`cifar10: ${files[f]}: record ${r} (byte ${rec}) has label ${label}, outside the 10 classes 0..9 (not the CIFAR-10 binary version, or corrupted)`);
      }
      labels[done + r] = label;
      const out = (done + r) * PIXELS;
      for (let i = 0; i < PIXELS; i++) images[out + i] = bytes[rec + 1 + i] / 255;
    }
    done += take;
  }
  return { images, labels, n, channels: CHANNELS, rows: ROWS, cols: COLS, classNames: classNames(dir) };
}

/** The number of 3073-byte records in a file, or an error naming the file and what is wrong with its size. */
function recordCount(path: string): number {
  let size: number;
  try { size = statSync(path).size; } catch (e) { throw new Error(`cifar10: ${path}: cannot read: ${(e as Error).message}`); }
  if (size === 0 || size % RECORD !== 0) {
    const hint = size > 0 && size % (RECORD + 1) === 0 ? '; 3074-byte records are CIFAR-100\'s format (two label bytes)' : '';
    throw new Error(
      `cifar10: ${path}: ${size} bytes is not a whole, non-zero number of ${RECORD}-byte records ` +
      `(1 label byte + ${PIXELS} pixel bytes); the file is truncated or not from the CIFAR-10 binary version${hint}`,
    );
  }
  return size / RECORD;
}

/** The first `length` bytes of a file (the whole file is not needed when a limit is given). */
function readHead(path: string, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    let off = 0;
    while (off < length) {
      const got = readSync(fd, buf, off, length - off, off);
      if (got === 0) throw new Error(`file ended after ${off} of ${length} bytes (changed while reading?)`);
      off += got;
    }
  } catch (e) {
    throw new Error(`cifar10: ${path}: cannot read: ${(e as Error).message}`);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return buf;
}

/** Class names from batches.meta.txt (ten non-empty lines) when the folder has it, else the standard ones. */
function classNames(dir: string): string[] {
  const meta = join(dir, 'batches.meta.txt');
  if (!existsSync(meta)) return [...CIFAR10_CLASSES];
  let text: string;
  try { text = readFileSync(meta, 'utf8'); } catch (e) { throw new Error(`cifar10: ${meta}: cannot read: ${(e as Error).message}`); }
  const names = text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '');
  if (names.length !== 10) {
    throw new Error(`cifar10: ${meta}: expected 10 class names, one per line, got ${names.length}`);
  }
  return names;
}
