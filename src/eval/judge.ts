// The MNIST judge: a fixed LeNet-5 (conv 6@5×5 pad 2 → max-pool → conv 16@5×5 → max-pool → 120 → 84 → 10, ReLU)
// whose 84-d relu(fc2) activations stand in for Inception features when scoring generated digits, and whose argmax
// gives the class histogram (coverage). Its weights and the metric are fixed by the judge's README in the data
// folder; the file is found through the data lookup (--data-dir, $DEEPTEN_DATA, ~/.cache/deepten) as dataset 'judge'.
//   pixels x ∈ [0, 1] (generated: clamp((y + 1)/2, 0, 1), not quantized)
//   x' = (x − 0.1307) / 0.3081   (inside the judge, its first operation)
//   features = relu(fc2(relu(fc1(flatten(pool(relu(conv2(pool(relu(conv1(x'))))))))))   (N, 84)
//   logits = fc3(features)   (N, 10)
// Reference statistics: the features of the 10,000 MNIST test images (u8/255).
import { join } from 'node:path';
import { Tensor } from '../tensor.ts';
import { noGrad } from '../autograd.ts';
import { LeNet5 } from '../models/lenet.ts';
import { readSafetensors } from '../io/safetensors.ts';
import { resolveDataDir, type DataDirOptions } from '../data/paths.ts';
import { loadMnist } from '../data/mnist.ts';
import { featureStats, frechetDistance, type FeatureStats } from './fid.ts';
import { classCoverage, type Coverage } from './coverage.ts';

export const JUDGE_FILE = 'mnist_judge.safetensors';
export const JUDGE_MEAN = 0.1307;
export const JUDGE_STD = 0.3081;
export const FEATURES = 84;
export const CLASSES = 10;
const SIDE = 28;

/** Every tensor of the judge file and its PyTorch shape. */
const SHAPES: Record<string, number[]> = {
  'conv1.weight': [6, 1, 5, 5], 'conv1.bias': [6],
  'conv2.weight': [16, 6, 5, 5], 'conv2.bias': [16],
  'fc1.weight': [120, 400], 'fc1.bias': [120],
  'fc2.weight': [84, 120], 'fc2.bias': [84],
  'fc3.weight': [10, 84], 'fc3.bias': [10],
};

export interface JudgeOutput {
  n: number;
  /** relu(fc2), n×84 row-major. */
  features: Float32Array;
  /** fc3, n×10 row-major. */
  logits: Float32Array;
}

/** FID against the reference set and class coverage of one set of images. */
export interface JudgeScore {
  fid: number;
  n: number;
  coverage: Coverage;
}

export class Judge {
  readonly path: string;
  readonly net: LeNet5;
  private reference: FeatureStats | null = null;

  private constructor(path: string, net: LeNet5) {
    this.path = path;
    this.net = net;
  }

  /** The judge found through the data lookup. */
  static load(opts: DataDirOptions = {}): Judge {
    return Judge.fromFile(join(resolveDataDir('judge', opts), JUDGE_FILE));
  }

  /** The judge from a safetensors file; every tensor must be present, F32 and of its PyTorch shape. */
  static fromFile(path: string): Judge {
    const f = readSafetensors(path);
    const sd: Record<string, Tensor> = {};
    for (const [name, shape] of Object.entries(SHAPES)) {
      const t = f.tensors[name];
      if (!t) throw new Error(`judge: ${path}: tensor '${name}' is missing (a judge file holds ${Object.keys(SHAPES).join(', ')})`);
      if (t.dtype !== 'F32') throw new Error(`judge: ${path}: tensor '${name}' has dtype ${t.dtype}, expected F32`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`judge: ${path}: tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
      }
      sd[name] = new Tensor(t.data as Float32Array, t.shape);
    }
    const extra = Object.keys(f.tensors).filter((k) => !(k in SHAPES));
    if (extra.length) throw new Error(`judge: ${path}: unexpected tensor(s) ${extra.join(', ')}; this is not the MNIST judge`);
    const net = new LeNet5();
    net.loadStateDict(sd, { strict: true });
    net.eval();
    return new Judge(path, net);
  }

  /** Features and logits of n 28×28 images, pixels in [0, 1] (n·784 values, row-major), in batches. */
  run(images: Float32Array, batchSize = 1000): JudgeOutput {
    const px = SIDE * SIDE;
    if (images.length === 0 || images.length % px !== 0) {
      throw new Error(`judge: expected n 1×28×28 images (a multiple of 784 pixels), got ${images.length} values`);
    }
    const n = images.length / px;
    for (let i = 0; i < images.length; i++) {
      if (!Number.isFinite(images[i])) throw new Error(`judge: image ${Math.floor(i / px)} has a non-finite pixel (${images[i]} at ${i % px})`);
    }
    const features = new Float32Array(n * FEATURES), logits = new Float32Array(n * CLASSES);
    noGrad(() => {
      for (let s = 0; s < n; s += batchSize) {
        const b = Math.min(batchSize, n - s);
        // x' = (x − 0.1307) / 0.3081
        const x = new Float32Array(b * px);
        for (let i = 0; i < x.length; i++) x[i] = (images[s * px + i] - JUDGE_MEAN) / JUDGE_STD;
        const f = this.net.features(new Tensor(x, [b, 1, SIDE, SIDE])); // (b, 84)
        const l = this.net.fc3.forward(f);                                // (b, 10)
        features.set(f.data as Float32Array, s * FEATURES);
        logits.set(l.data as Float32Array, s * CLASSES);
      }
    });
    return { n, features, logits };
  }

  /** μ and Σ of features (float64). */
  stats(images: Float32Array): FeatureStats {
    const { n, features } = this.run(images);
    return featureStats(features, n, FEATURES);
  }

  /** The reference statistics: the 10,000 MNIST test images (computed once per Judge). */
  referenceStats(opts: DataDirOptions = {}): FeatureStats {
    this.reference ??= this.stats(loadMnist({ split: 'test', dataDir: opts.dataDir }).images);
    return this.reference;
  }

  /** FID(images, MNIST test) and class coverage of images with pixels in [0, 1]. */
  score(images: Float32Array, opts: DataDirOptions = {}): JudgeScore {
    const ref = this.referenceStats(opts);
    const { n, features, logits } = this.run(images);
    return { fid: frechetDistance(featureStats(features, n, FEATURES), ref), n, coverage: classCoverage(logits, n, CLASSES) };
  }
}

/** Pixels for the judge from a generator's output y ∈ [−1, 1]: clamp((y + 1)/2, 0, 1). */
export function toUnitPixels(y: ArrayLike<number>): Float32Array {
  const x = new Float32Array(y.length);
  for (let i = 0; i < x.length; i++) x[i] = Math.min(1, Math.max(0, (y[i] + 1) / 2));
  return x;
}
