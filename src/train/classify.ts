// The training loop shared by the image classifiers (mlp, lenet, resnet): seeded, logged, checkpointed every
// epoch and on Ctrl-C, resumable bit-identically, evaluated on the test split.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tensor } from '../tensor.ts';
import { noGrad } from '../autograd.ts';
import { manualSeed, Generator } from '../random.ts';
import { backendName } from '../backend/index.ts';
import { crossEntropy } from '../ops/loss.ts';
import type { Module } from '../nn/module.ts';
import { SGD, Adam, AdamW, LambdaLR, type Optimizer } from '../optim/index.ts';
import { DataLoader, loadMnist, loadFashionMnist, loadCifar10, ensureDataset, CIFAR10_MEAN, CIFAR10_STD, type ImageDataset } from '../data/index.ts';
import { drawAugmentParams, type ImageShape } from '../data/transforms.ts';
import { Prefetcher } from '../data/prefetch.ts';
import { buildImageBatch, shareImageBatchData, imageBatchWorker, type ImageBatchData, type ImageBatchJob, type ImageBatch } from '../data/image-batch.ts';
import type { LoaderState } from '../data/loader.ts';
import type { RngState } from '../random.ts';
import { Run, type Summary } from './run.ts';
import { Progress } from './progress.ts';
import { saveCheckpoint, loadCheckpoint, loadWeights } from './checkpoint.ts';
import { writeSafetensors } from '../io/safetensors.ts';
import type { TrainOptions, EvalOptions } from './recipe.ts';
import { applyOverrides } from './overrides.ts';

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
  /** Allowed values of string settings by dotted path ('optimizer', 'model.activation'); --set refuses others. */
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

/** lr multiplier at optimizer step t of T: linear warm-up, then cosine to 0 or steps of ×0.1. */
function lrFactor(cfg: ClassifierConfig, stepsPerEpoch: number): (t: number) => number {
  const total = cfg.epochs * stepsPerEpoch;
  const warm = cfg.warmupEpochs * stepsPerEpoch;
  return (t) => {
    if (t < warm) return (t + 1) / warm;
    if (cfg.schedule === 'cosine') return 0.5 * (1 + Math.cos((Math.PI * (t - warm)) / Math.max(1, total - warm)));
    if (cfg.schedule === 'step') return 0.1 ** cfg.milestones.filter((m) => t >= m * total).length;
    return 1;
  };
}

export async function trainClassifier(spec: ClassifierSpec, opts: TrainOptions): Promise<Summary> {
  let run: Run | null = null;
  let cfg: ClassifierConfig;
  if (opts.resume) {
    run = Run.open(spec.name, { resume: opts.resume, config: null });
    cfg = run.config<ClassifierConfig>();
    if (opts.maxSteps !== undefined) cfg.maxSteps = opts.maxSteps; // the one setting a resume may change
  } else {
    cfg = applyOverrides(structuredClone(spec.defaults), opts, { choices: { dataset: spec.datasets, ...spec.choices } });
    datasetDefaults(spec, cfg, opts.set);
  }
  // find (or download) the data before a new run's directory is made, so a missing dataset leaves nothing behind
  await ensureDataset(cfg.dataset, { dataDir: opts.dataDir });
  run ??= Run.open(spec.name, { out: opts.out, config: cfg });
  manualSeed(cfg.seed);
  const model = spec.build(cfg.model, datasetInfo(spec, cfg.dataset).channels);
  const train = loadSplit(cfg, 'train', opts.dataDir);
  const test = loadSplit(cfg, 'test', opts.dataDir);
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
  const scheduler = new LambdaLR(optimizer, lrFactor(cfg, loader.length));
  const totalSteps = Math.min(cfg.epochs * loader.length, cfg.maxSteps > 0 ? cfg.maxSteps : Infinity);
  let step = 0, epoch = 0, best = 0, lastTest = { accuracy: NaN, loss: NaN };
  const ckpt = run.path('checkpoint.safetensors');
  if (opts.resume) {
    const st = loadCheckpoint(ckpt, { model, optimizer, scheduler });
    const extra = st.extra as { loader: any; augment: any; best: number; lastTest?: { accuracy: number; loss: number } };
    step = st.step; epoch = st.epoch; best = extra.best;
    if (extra.lastTest) lastTest = extra.lastTest;
    loader.setState(extra.loader);
    augment.setState(extra.augment);
  }
  // made here, after everything that can throw before the try below, so the worker is always closed
  const batches = new Prefetcher<ImageBatchJob, ImageBatch>({ name: `${spec.name} training batches`, worker: imageBatchWorker, workerData: data, depth: prefetch });
  const save = () => saveCheckpoint(ckpt, { model, optimizer, scheduler }, {
    step, epoch, config: cfg, extra: { loader: loader.state(), augment: augment.getState(), best, lastTest },
  });
  let interrupted = false;
  const onSigint = () => { interrupted = true; };
  process.once('SIGINT', onSigint);
  const progress = new Progress(spec.name, step);
  const t0 = Date.now();
  let lastYield = Date.now(), windowStart = Date.now(), windowExamples = 0;
  model.train();
  try {
    while (step < totalSteps && !interrupted) {
      const passStart = step;
      const stream = batches.iterate(jobs(), { snapshot });
      for await (const batch of stream) {
        const [x, y] = batchTensors(batch, shape);
        const loss = crossEntropy(model.forward(x) as Tensor, y, { labelSmoothing: cfg.labelSmoothing });
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        scheduler.step();
        step++;
        windowExamples += y.size;
        const now = Date.now();
        const lr = optimizer.paramGroups[0].lr as number;
        const eps = (windowExamples * 1000) / Math.max(1, now - windowStart);
        progress.update({ step, total: totalSteps, epoch, loss: loss.item(), lr, examplesPerSec: eps });
        if (step % 50 === 0 || step === totalSteps) {
          run.logMetrics({ step, epoch, loss: loss.item(), lr, examplesPerSec: eps });
          windowStart = now; windowExamples = 0;
        }
        if (step >= totalSteps || interrupted) break;
        // let signal handlers run: a Ctrl-C is only seen when the event loop gets a turn
        if (now - lastYield > 100) { await new Promise((r) => setImmediate(r)); lastYield = Date.now(); }
      }
      // the jobs ran ahead of training: put the loader and augmentation back to just after the last batch trained on
      loader.setState(stream.state!.loader);
      augment.setState(stream.state!.augment);
      // the loader counts epochs; a break on an epoch's last batch leaves its position at the end instead of 0
      const ls = loader.state();
      const epochDone = ls.position === 0 || ls.position === loader.length;
      epoch = ls.epoch + (ls.position === loader.length ? 1 : 0);
      // a pass that trained nothing (a run resumed at an epoch's end) has nothing new to evaluate: it was evaluated before it was saved
      if ((epochDone || step >= totalSteps) && step > passStart) {
        lastTest = evaluateClassifier(model, test, cfg);
        best = Math.max(best, lastTest.accuracy);
        run.logMetrics({ step, epoch, testAccuracy: lastTest.accuracy, testLoss: lastTest.loss });
        progress.log(`${spec.name} epoch ${epoch} step ${step}: test accuracy ${(100 * lastTest.accuracy).toFixed(2)}% loss ${lastTest.loss.toFixed(4)}`);
      }
      save();
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
    progress.done();
    await batches.close();
  }
  if (interrupted) {
    progress.log(`${spec.name}: interrupted at step ${step}; checkpoint saved, continue with --resume ${run.dir}`);
  }
  writeSafetensors(run.path('model.safetensors'), Object.fromEntries(model.stateDict()));
  const summary: Summary = {
    model: spec.name, dataset: cfg.dataset, metric: 'test_accuracy', value: lastTest.accuracy, steps: step,
    seconds: (Date.now() - t0) / 1000, backend: backendName(), seed: cfg.seed, testLoss: lastTest.loss, bestAccuracy: best,
    parameters: model.parameters().reduce((s, p) => s + p.size, 0), run: run.dir, interrupted,
  };
  run.writeSummary(summary);
  return summary;
}

/**
 * Test accuracy of saved weights. When the weights sit in a run directory, its config.json supplies the model's
 * options, dataset and normalisation (so a `--set model.depth=32` run evaluates as trained); else the recipe defaults.
 */
export async function evaluateCheckpoint(spec: ClassifierSpec, opts: EvalOptions): Promise<Record<string, number>> {
  const runConfig = join(dirname(opts.checkpoint), 'config.json');
  const saved = existsSync(runConfig) ? JSON.parse(readFileSync(runConfig, 'utf8')) as Partial<ClassifierConfig> : null;
  const cfg: ClassifierConfig = saved?.model ? { ...spec.defaults, ...saved, testLimit: 0 } : structuredClone(spec.defaults);
  if (opts.dataset && opts.dataset !== cfg.dataset) {
    cfg.dataset = opts.dataset as ClassifierDataset;
    datasetDefaults(spec, cfg);
  } else if (!saved?.model) datasetDefaults(spec, cfg);
  await ensureDataset(cfg.dataset, { dataDir: opts.dataDir });
  const model = spec.build(cfg.model, datasetInfo(spec, cfg.dataset).channels);
  model.loadStateDict(new Map(Object.entries(loadWeights(opts.checkpoint))), { strict: true });
  const r = evaluateClassifier(model, loadSplit(cfg, 'test', opts.dataDir), cfg);
  return { test_accuracy: r.accuracy, test_loss: r.loss };
}
