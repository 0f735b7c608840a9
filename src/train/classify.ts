// The training loop shared by the image classifiers (mlp, lenet, resnet): seeded, logged, checkpointed every
// epoch and on Ctrl-C, resumable bit-identically, evaluated on the test split.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tensor } from '../tensor.ts';
import { noGrad } from '../autograd.ts';
import { manualSeed, Generator } from '../random.ts';
import { crossEntropy } from '../ops/loss.ts';
import type { Module } from '../nn/module.ts';
import { SGD, Adam, AdamW, LambdaLR, LinearLR, SequentialLR, CosineAnnealingLR, MultiStepLR, type Optimizer, type LRScheduler } from '../optim/index.ts';
import { DataLoader, loadMnist, loadFashionMnist, loadCifar10, ensureDataset, CIFAR10_MEAN, CIFAR10_STD, type ImageDataset } from '../data/index.ts';
import { drawAugmentParams, type ImageShape } from '../data/transforms.ts';
import { Prefetcher, type PrefetchStream } from '../data/prefetch.ts';
import { buildImageBatch, shareImageBatchData, imageBatchWorker, type ImageBatchData, type ImageBatchJob, type ImageBatch } from '../data/image-batch.ts';
import type { LoaderState } from '../data/loader.ts';
import type { RngState } from '../random.ts';
import type { Summary } from './run.ts';
import { loadWeights } from './checkpoint.ts';
import type { TrainOptions, EvalOptions } from './recipe.ts';
import type { OverrideSchema } from './overrides.ts';
import { startRun, resolveWeights } from './loop.ts';

export interface ClassifierConfig {
  dataset: ClassifierDataset;
  epochs: number;
  batchSize: number;
  optimizer: 'sgd' | 'adam' | 'adamw';
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  /** 'cosine': per-step cosine decay to 0; 'step': ×0.1 at each of `milestones` (fractions of training); 'none'. */
  schedule: 'none' | 'cosine' | 'step';
  milestones: number[];
  warmupEpochs: number;
  /** Random crop with this much zero padding (0 = off), and horizontal flips. */
  cropPadding: number;
  flip: boolean;
  labelSmoothing: number;
  /**
   * Normalisation of pixels in 0..1: one value for every channel, or one per channel; empty = the dataset's
   * training-set statistics (filled in when a run starts). Runs saved before lists were used hold a number.
   */
  mean: number | number[];
  std: number | number[];
  seed: number;
  /** Use only the first N training / test examples (smoke runs). 0 = all. */
  trainLimit: number;
  testLimit: number;
  maxSteps: number;
  /** Training batches built ahead in a worker thread; 0 = build each in the main thread when needed. */
  prefetch: number;
  /** The model's own options. */
  model: Record<string, unknown>;
}

export interface ClassifierSpec {
  name: string;
  defaults: ClassifierConfig;
  build(model: Record<string, unknown>, inChannels: number): Module;
  /** The datasets the model's input layer fits (the 28×28 models cannot take 32×32 RGB). */
  datasets: ClassifierDataset[];
  /** What the model needs of an image of shape [C, H, W], or null when the shape fits (checked against the data). */
  checkInput?(model: Record<string, unknown>, shape: ImageShape): string | null;
  /** Allowed values of the model's enum settings, by dotted path ('model.activation'). */
  choices?: Record<string, readonly string[]>;
}

export type ClassifierDataset = 'mnist' | 'fashion-mnist' | 'cifar10';

/** Per dataset: loader, image channels, training-set pixel mean/std per channel, and random-crop padding (1/8 of the side). */
const DATASETS: Record<ClassifierDataset, { load: typeof loadMnist; channels: number; mean: number[]; std: number[]; cropPadding: number }> = {
  mnist: { load: loadMnist, channels: 1, mean: [0.1307], std: [0.3081], cropPadding: 2 },
  'fashion-mnist': { load: loadFashionMnist, channels: 1, mean: [0.2860], std: [0.3530], cropPadding: 2 },
  cifar10: { load: loadCifar10, channels: 3, mean: [...CIFAR10_MEAN], std: [...CIFAR10_STD], cropPadding: 4 },
};

/** The dataset entry, or an error naming the model's datasets. */
function datasetInfo(spec: ClassifierSpec, name: string): (typeof DATASETS)[ClassifierDataset] {
  if (!spec.datasets.includes(name as ClassifierDataset)) {
    throw new Error(`${spec.name}: unknown dataset '${name}' (this model trains on ${spec.datasets.join(', ')})`);
  }
  return DATASETS[name as ClassifierDataset];
}

/** Dataset-dependent defaults the user did not set: normalisation, and crop padding when the recipe crops. */
function datasetDefaults(spec: ClassifierSpec, cfg: ClassifierConfig, set: Record<string, string> = {}): void {
  const d = datasetInfo(spec, cfg.dataset);
  if (set.mean === undefined) cfg.mean = [...d.mean];
  if (set.std === undefined) cfg.std = [...d.std];
  if (set.cropPadding === undefined && cfg.cropPadding > 0) cfg.cropPadding = d.cropPadding;
}

function loadSplit(cfg: ClassifierConfig, split: 'train' | 'test', dataDir?: string): ImageDataset {
  const limit = split === 'train' ? cfg.trainLimit : cfg.testLimit;
  return DATASETS[cfg.dataset].load({ split, dataDir, limit: limit > 0 ? limit : undefined });
}

/** One value per channel: a single number (or one-element list) serves every channel. */
function perChannel(v: number | number[], channels: number, what: string): number[] {
  const list = typeof v === 'number' ? [v] : v;
  if (list.length === 1) return Array(channels).fill(list[0]);
  if (list.length !== channels) throw new Error(`classifier: ${what} has ${list.length} values for images of ${channels} channel(s)`);
  return [...list];
}

/** [C, H, W] of the dataset's images (C = 1 unless the dataset says otherwise). */
function imageShape(d: ImageDataset): ImageShape {
  return [d.channels ?? 1, d.rows, d.cols];
}

/** The pixel side of batch building: the images, labels and per-channel normalisation. */
function batchData(d: ImageDataset, cfg: ClassifierConfig): ImageBatchData {
  const shape = imageShape(d);
  return { images: d.images, labels: d.labels, shape, mean: perChannel(cfg.mean, shape[0], 'mean'), std: perChannel(cfg.std, shape[0], 'std') };
}

/** A batch's indices and its crop/flip parameters, drawn from `augment` in randomCrop-then-randomHorizontalFlip order. */
function drawBatch(d: ImageDataset, idx: Int32Array, cfg: ClassifierConfig, augment: Generator | null): ImageBatchJob {
  const shape = imageShape(d);
  const crop = cfg.cropPadding > 0 ? { size: [d.rows, d.cols] as const, padding: cfg.cropPadding } : undefined;
  const aug = augment && (crop || cfg.flip) ? drawAugmentParams(idx.length, shape, { crop, flip: cfg.flip ? 0.5 : undefined }, augment) : null;
  return { idx, aug };
}

/** The crop keeps the image size, so a batch is (B, C, H, W). */
function batchTensors(b: ImageBatch, shape: ImageShape): [Tensor, Tensor] {
  return [new Tensor(b.x, [b.y.length, ...shape]), new Tensor(b.y, [b.y.length])];
}

/** Builds a normalized (B, C, H, W) batch from dataset indices, with optional crop/flip augmentation. */
function makeBatch(d: ImageDataset, idx: Int32Array, cfg: ClassifierConfig, augment: Generator | null): [Tensor, Tensor] {
  return batchTensors(buildImageBatch(batchData(d, cfg), drawBatch(d, idx, cfg, augment)), imageShape(d));
}

/** Test accuracy and mean loss, in eval mode, without gradients. */
export function evaluateClassifier(model: Module, d: ImageDataset, cfg: ClassifierConfig, batchSize = 1000): { accuracy: number; loss: number } {
  const was = model.training;
  model.eval();
  let correct = 0, lossSum = 0;
  noGrad(() => {
    for (let s = 0; s < d.n; s += batchSize) {
      const idx = Int32Array.from({ length: Math.min(batchSize, d.n - s) }, (_, i) => s + i);
      const [x, y] = makeBatch(d, idx, cfg, null);
      const logits = model.forward(x) as Tensor;
      lossSum += crossEntropy(logits, y, { reduction: 'sum' }).item();
      const pred = logits.argmax(1);
      for (let i = 0; i < y.size; i++) if (pred.data[i] === y.data[i]) correct++;
    }
  });
  model.train(was);
  return { accuracy: correct / d.n, loss: lossSum / d.n };
}

function makeOptimizer(model: Module, cfg: ClassifierConfig): Optimizer<any> {
  const params = model.parameters();
  if (cfg.optimizer === 'sgd') return new SGD(params, { lr: cfg.lr, momentum: cfg.momentum, nesterov: cfg.nesterov, weightDecay: cfg.weightDecay });
  if (cfg.optimizer === 'adam') return new Adam(params, { lr: cfg.lr, weightDecay: cfg.weightDecay });
  return new AdamW(params, { lr: cfg.lr, weightDecay: cfg.weightDecay });
}

/**
 * The per-step schedule: `warmupEpochs` of linear warm-up (lr·(t+1)/W), then cosine decay to 0 over the remaining
 * steps, or ×0.1 at each milestone (a fraction of all steps), or a constant rate.
 */
function makeScheduler(optimizer: Optimizer<any>, cfg: ClassifierConfig, stepsPerEpoch: number): LRScheduler {
  const total = cfg.epochs * stepsPerEpoch;
  const warm = Math.round(cfg.warmupEpochs * stepsPerEpoch);
  const main = (): LRScheduler => {
    if (cfg.schedule === 'cosine') return new CosineAnnealingLR(optimizer, Math.max(1, total - warm));
    if (cfg.schedule === 'step') return new MultiStepLR(optimizer, cfg.milestones.map((m) => Math.ceil(m * total) - warm), 0.1);
    return new LambdaLR(optimizer, () => 1);
  };
  if (warm <= 0) return main();
  const warmup = warm > 1 ? new LinearLR(optimizer, 1 / warm, 1, warm - 1) : new LambdaLR(optimizer, () => 1);
  return new SequentialLR(optimizer, [warmup, main()], [warm]);
}

/** The choices of the classifiers' enum settings (the model's own ones come from the spec). */
export function classifierSchema(spec: ClassifierSpec): OverrideSchema {
  return { choices: { optimizer: ['sgd', 'adam', 'adamw'], schedule: ['none', 'cosine', 'step'], ...spec.choices } };
}

/** Loads the splits and checks them against the settings and the model, before a run directory is made. */
async function prepareData(spec: ClassifierSpec, cfg: ClassifierConfig, dataDir?: string): Promise<{ train: ImageDataset; test: ImageDataset }> {
  datasetInfo(spec, cfg.dataset);
  await ensureDataset(cfg.dataset, { dataDir });
  const train = loadSplit(cfg, 'train', dataDir);
  const test = loadSplit(cfg, 'test', dataDir);
  if (cfg.batchSize > train.n) throw new Error(`${spec.name}: batch size ${cfg.batchSize} is larger than the ${cfg.dataset} training set (${train.n} examples)`);
  for (const d of [train, test]) {
    const shape = imageShape(d);
    const problem = spec.checkInput?.(cfg.model, shape);
    if (problem) throw new Error(`${spec.name}: the ${cfg.dataset} images are ${shape.join('×')} (C×H×W), but ${problem}`);
  }
  return { train, test };
}

export async function trainClassifier(spec: ClassifierSpec, opts: TrainOptions): Promise<Summary> {
  const tr = await startRun({
    model: spec.name,
    defaults: (o) => {
      const cfg = structuredClone(spec.defaults);
      if (o.dataset) cfg.dataset = o.dataset as ClassifierDataset;
      return cfg;
    },
    schema: classifierSchema(spec),
    prepare: async (cfg, o) => {
      if (!o.resume) datasetDefaults(spec, cfg, o.set);
      return prepareData(spec, cfg, o.dataDir);
    },
  }, opts);
  const cfg = tr.cfg;
  const { train, test } = tr.data;
  manualSeed(cfg.seed);
  const model = spec.build(cfg.model, datasetInfo(spec, cfg.dataset).channels);
  const loader = new DataLoader<number, Int32Array>({ length: train.n, get: (i) => i }, {
    batchSize: cfg.batchSize, shuffle: true, dropLast: true, seed: cfg.seed + 1, collate: (_items, idx) => idx,
  });
  const augment = new Generator(cfg.seed + 2);
  // Batches: every random draw (permutation, crop corners, flip coins) happens here in the main thread, in the order
  // the un-prefetched loop makes them; a worker only gathers, crops, flips and normalizes pixels.
  const shape = imageShape(train);
  const prefetch = cfg.prefetch ?? 2; // runs saved before prefetch existed
  const data = batchData(train, cfg);
  if (prefetch > 0) {
    // one copy into shared memory, replacing the original arrays (so the images are held once) — the worker reads them there
    const shared = shareImageBatchData(data);
    train.images = data.images = shared.images;
    train.labels = data.labels = shared.labels;
  }
  function* jobs(): IterableIterator<ImageBatchJob> {
    for (const idx of loader) yield drawBatch(train, idx, cfg, augment);
  }
  const snapshot = (): { loader: LoaderState; augment: RngState } => ({ loader: loader.state(), augment: augment.getState() });
  const optimizer = makeOptimizer(model, cfg);
  const scheduler = makeScheduler(optimizer, cfg, loader.length);
  const totalSteps = Math.min(cfg.epochs * loader.length, cfg.maxSteps > 0 ? cfg.maxSteps : Infinity);
  let best = 0;
  // the stream of the current pass over the data; its state is the loader's and augmentation's position just after
  // the last batch handed out (the jobs run ahead in the prefetcher)
  let stream: PrefetchStream<ImageBatchJob, ImageBatch, ReturnType<typeof snapshot>> | null = null;
  let batchesIt: AsyncIterator<ImageBatch> | null = null;
  const position = () => stream?.state ?? snapshot();
  const batches = new Prefetcher<ImageBatchJob, ImageBatch>({ name: `${spec.name} training batches`, worker: imageBatchWorker, workerData: data, depth: prefetch });
  const nextBatch = async (): Promise<ImageBatch> => {
    for (;;) {
      if (!batchesIt) {
        stream = batches.iterate(jobs(), { snapshot });
        batchesIt = stream[Symbol.asyncIterator]();
      }
      const r = await batchesIt.next();
      if (!r.done) return r.value;
      // a pass ended: put the loader back to just after its last batch, so the next pass starts a new epoch
      loader.setState(stream!.state!.loader);
      augment.setState(stream!.state!.augment);
      batchesIt = null;
    }
  };
  model.train();
  let result;
  try {
    result = await tr.loop({
      parts: { model, optimizer, scheduler },
      totalSteps,
      stepsPerEpoch: loader.length,
      step: async () => {
        const [x, y] = batchTensors(await nextBatch(), shape);
        const loss = crossEntropy(model.forward(x) as Tensor, y, { labelSmoothing: cfg.labelSmoothing });
        optimizer.zeroGrad();
        loss.backward();
        const lr = optimizer.paramGroups[0].lr as number;
        optimizer.step();
        scheduler.step();
        return { loss: loss.item(), examples: y.size, lr };
      },
      evaluate: () => {
        const r = evaluateClassifier(model, test, cfg);
        best = Math.max(best, r.accuracy);
        return { testAccuracy: r.accuracy, testLoss: r.loss };
      },
      describe: (m) => `test accuracy ${(100 * m.testAccuracy).toFixed(2)}% loss ${m.testLoss.toFixed(4)}`,
      extra: () => ({ ...position(), best }),
      restore: (extra) => {
        const e = extra as { loader: LoaderState; augment: RngState; best: number };
        loader.setState(e.loader);
        augment.setState(e.augment);
        best = e.best;
      },
    });
  } catch (e) {
    tr.close();
    throw e;
  } finally {
    await batches.close();
  }
  const last = result.lastEval ?? { testAccuracy: NaN, testLoss: NaN };
  return tr.finish({
    metric: 'test_accuracy', value: last.testAccuracy, steps: result.step, testLoss: last.testLoss, bestAccuracy: best,
    parameters: model.parameters().reduce((s, p) => s + p.size, 0),
  });
}

/**
 * Test accuracy of saved weights: a weights file, or a run directory (its model.safetensors). When the weights
 * sit in a run directory, its config.json supplies the model's options, dataset and normalisation (so a
 * `--set model.depth=32` run evaluates as trained); else the recipe defaults.
 */
export async function evaluateCheckpoint(spec: ClassifierSpec, opts: EvalOptions): Promise<Record<string, number>> {
  const file = resolveWeights(opts.checkpoint);
  const runConfig = join(dirname(file), 'config.json');
  let saved: Partial<ClassifierConfig> | null = null;
  if (existsSync(runConfig)) {
    try { saved = JSON.parse(readFileSync(runConfig, 'utf8')); } catch (e) { throw new Error(`${runConfig}: not valid JSON (${(e as Error).message})`); }
  }
  const cfg: ClassifierConfig = saved?.model ? { ...spec.defaults, ...saved, testLimit: 0 } : structuredClone(spec.defaults);
  if (opts.dataset && opts.dataset !== cfg.dataset) {
    cfg.dataset = opts.dataset as ClassifierDataset;
    datasetDefaults(spec, cfg);
  } else if (!saved?.model) datasetDefaults(spec, cfg);
  const { test } = await prepareData(spec, { ...cfg, batchSize: 1, trainLimit: 1 }, opts.dataDir);
  const model = spec.build(cfg.model, datasetInfo(spec, cfg.dataset).channels);
  model.loadStateDict(new Map(Object.entries(loadWeights(file))), { strict: true });
  const r = evaluateClassifier(model, test, cfg);
  return { test_accuracy: r.accuracy, test_loss: r.loss };
}
