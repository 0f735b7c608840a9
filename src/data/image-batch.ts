// Batches of an image dataset, built by a Prefetcher worker (or in the main thread: same function, same floats).
//
// The main thread draws every random number (the loader's permutation, the crop corners and flip coins, see
// drawAugmentParams) and sends only indices and parameters; this module does the pixel work. Its default export
// is the Prefetcher worker factory:
//
//   const data = shareImageBatchData({ images, labels, shape: [C, H, W], mean, std });
//   const pf = new Prefetcher<ImageBatchJob, ImageBatch>({ worker: imageBatchWorker, workerData: data, name: 'train' });
//   for await (const { x, y } of pf.iterate(jobs)) ...   // x: B·C·h·w normalized floats, y: B labels
import { augmentBatch, type AugmentParams, type ImageShape } from './transforms.ts';
import { toShared } from './prefetch.ts';

/** The dataset side, sent to the worker once (share the arrays with shareImageBatchData to avoid a copy). */
export interface ImageBatchData {
  /** N·C·H·W pixel values, row-major per image. */
  images: Float32Array;
  labels: Int32Array;
  shape: ImageShape;
  /** Per-channel normalisation: (x − mean[c]) / std[c]. */
  mean: readonly number[];
  std: readonly number[];
}

/** One batch to build: dataset indices and the augmentation drawn for them (null = none). */
export interface ImageBatchJob {
  idx: Int32Array;
  aug: AugmentParams | null;
}

export interface ImageBatch {
  /** idx.length·C·h·w values (h, w: the crop size, else the image size). */
  x: Float32Array;
  y: Int32Array;
}

/** This module's URL, for Prefetcher's `worker` option. */
export const imageBatchWorker = new URL(import.meta.url);

/** Gathers labels and pixels of one batch (augmentBatch does crop, flip and normalisation). */
export function buildImageBatch(d: ImageBatchData, job: ImageBatchJob): ImageBatch {
  const x = augmentBatch(d.images, d.shape, job.idx, job.aug, d.mean, d.std);
  const y = new Int32Array(job.idx.length);
  for (let b = 0; b < y.length; b++) y[b] = d.labels[job.idx[b]];
  return { x, y };
}

/** The same data with images and labels in SharedArrayBuffers (copied once unless they already are), for zero-copy workers. */
export function shareImageBatchData(d: ImageBatchData): ImageBatchData {
  return { ...d, images: toShared(d.images), labels: toShared(d.labels) };
}

/** Prefetcher worker factory. */
export default function setup(data: ImageBatchData): (job: ImageBatchJob) => ImageBatch {
  return (job) => buildImageBatch(data, job);
}
