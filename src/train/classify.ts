// The training loop shared by the image classifiers (mlp, lenet, resnet): seeded, logged, checkpointed every
// epoch and on Ctrl-C, resumable bit-identically, evaluated on the test split.
import { Tensor } from '../tensor.ts';
import { noGrad } from '../autograd.ts';
import { manualSeed, Generator } from '../random.ts';
import { backend } from '../backend/index.ts';
import { crossEntropy } from '../ops/loss.ts';
import type { Module } from '../nn/module.ts';
import { SGD, Adam, AdamW, LambdaLR, type Optimizer } from '../optim/index.ts';
import { DataLoader, loadMnist, loadFashionMnist, ensureDataset, type ImageDataset } from '../data/index.ts';
import { randomCrop, randomHorizontalFlip } from '../data/transforms.ts';
import { Run, type Summary } from './run.ts';
import { Progress } from './progress.ts';
import { saveCheckpoint, loadCheckpoint, loadWeights } from './checkpoint.ts';
import { writeSafetensors } from '../io/safetensors.ts';
import type { TrainOptions, EvalOptions } from './recipe.ts';
import { applyOverrides } from './overrides.ts';

export interface ClassifierConfig {
  dataset: 'mnist' | 'fashion-mnist';
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
  /** Per-channel normalisation applied to pixels in 0..1. */
  mean: number;
  std: number;
  seed: number;
  /** Use only the first N training / test examples (smoke runs). 0 = all. */
  trainLimit: number;
  testLimit: number;
  maxSteps: number;
  /** The model's own options. */
  model: Record<string, unknown>;
}

export interface ClassifierSpec {
  name: string;
  defaults: ClassifierConfig;
  build(model: Record<string, unknown>, inChannels: number): Module;
}

const DATASET_STATS: Record<ClassifierConfig['dataset'], [number, number]> = {
  mnist: [0.1307, 0.3081],
  'fashion-mnist': [0.2860, 0.3530],
};

function loadSplit(cfg: ClassifierConfig, split: 'train' | 'test', dataDir?: string): ImageDataset {
  const load = cfg.dataset === 'mnist' ? loadMnist : loadFashionMnist;
  const limit = split === 'train' ? cfg.trainLimit : cfg.testLimit;
  return load({ split, dataDir, limit: limit > 0 ? limit : undefined });
}

/** Builds a normalized (B, 1, H, W) batch from dataset indices, with optional crop/flip augmentation. */
function makeBatch(d: ImageDataset, idx: Int32Array, cfg: ClassifierConfig, augment: Generator | null): [Tensor, Tensor] {
  const px = d.rows * d.cols;
  const x = new Float32Array(idx.length * px);
  const y = new Int32Array(idx.length);
  const shape = [1, d.rows, d.cols] as const;
  for (let b = 0; b < idx.length; b++) {
    let img: ArrayLike<number> = d.images.subarray(idx[b] * px, (idx[b] + 1) * px);
    if (augment && cfg.cropPadding > 0) img = randomCrop(img, shape, [d.rows, d.cols], cfg.cropPadding, augment);
    if (augment && cfg.flip) img = randomHorizontalFlip(img, shape, augment);
    for (let i = 0; i < px; i++) x[b * px + i] = (img[i] - cfg.mean) / cfg.std;
    y[b] = d.labels[idx[b]];
  }
  return [new Tensor(x, [idx.length, 1, d.rows, d.cols]), new Tensor(y, [idx.length])];
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
  let run: Run;
  let cfg: ClassifierConfig;
  if (opts.resume) {
    run = Run.open(spec.name, { resume: opts.resume, config: null });
    cfg = run.config<ClassifierConfig>();
    if (opts.maxSteps !== undefined) cfg.maxSteps = opts.maxSteps; // the one setting a resume may change
  } else {
    cfg = applyOverrides(structuredClone(spec.defaults), opts);
    if (!opts.set?.mean && !opts.set?.std) [cfg.mean, cfg.std] = DATASET_STATS[cfg.dataset];
    run = Run.open(spec.name, { out: opts.out, config: cfg });
  }
  manualSeed(cfg.seed);
  await ensureDataset(cfg.dataset, { dataDir: opts.dataDir });
  const model = spec.build(cfg.model, 1);
  const train = loadSplit(cfg, 'train', opts.dataDir);
  const test = loadSplit(cfg, 'test', opts.dataDir);
  const loader = new DataLoader<number, Int32Array>({ length: train.n, get: (i) => i }, {
    batchSize: cfg.batchSize, shuffle: true, dropLast: true, seed: cfg.seed + 1, collate: (_items, idx) => idx,
  });
  const augment = new Generator(cfg.seed + 2);
  const optimizer = makeOptimizer(model, cfg);
  const scheduler = new LambdaLR(optimizer, lrFactor(cfg, loader.length));
  const totalSteps = Math.min(cfg.epochs * loader.length, cfg.maxSteps > 0 ? cfg.maxSteps : Infinity);
  let step = 0, epoch = 0, best = 0;
  const ckpt = run.path('checkpoint.safetensors');
  if (opts.resume) {
    const st = loadCheckpoint(ckpt, { model, optimizer, scheduler });
    const extra = st.extra as { loader: any; augment: any; best: number };
    step = st.step; epoch = st.epoch; best = extra.best;
    loader.setState(extra.loader);
    augment.setState(extra.augment);
  }
  const save = () => saveCheckpoint(ckpt, { model, optimizer, scheduler }, {
    step, epoch, config: cfg, extra: { loader: loader.state(), augment: augment.getState(), best },
  });
  let interrupted = false;
  const onSigint = () => { interrupted = true; };
  process.once('SIGINT', onSigint);
  const progress = new Progress(spec.name, step);
  const t0 = Date.now();
  let lastYield = Date.now(), windowStart = Date.now(), windowExamples = 0, lastTest = { accuracy: NaN, loss: NaN };
  model.train();
  try {
    while (step < totalSteps && !interrupted) {
      for (const idx of loader) {
        const [x, y] = makeBatch(train, idx, cfg, augment);
        const loss = crossEntropy(model.forward(x) as Tensor, y, { labelSmoothing: cfg.labelSmoothing });
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        scheduler.step();
        step++;
        windowExamples += idx.length;
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
      // the loader counts epochs; a break on an epoch's last batch leaves its position at the end instead of 0
      const ls = loader.state();
      const epochDone = ls.position === 0 || ls.position === loader.length;
      epoch = ls.epoch + (ls.position === loader.length ? 1 : 0);
      if (epochDone || step >= totalSteps) {
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
  }
  if (interrupted) {
    progress.log(`${spec.name}: interrupted at step ${step}; checkpoint saved, continue with --resume ${run.dir}`);
  }
  writeSafetensors(run.path('model.safetensors'), Object.fromEntries(model.stateDict()));
  const summary: Summary = {
    model: spec.name, dataset: cfg.dataset, metric: 'test_accuracy', value: lastTest.accuracy, steps: step,
    seconds: (Date.now() - t0) / 1000, backend: backend().name, seed: cfg.seed, testLoss: lastTest.loss, bestAccuracy: best,
    parameters: model.parameters().reduce((s, p) => s + p.size, 0), run: run.dir, interrupted,
  };
  run.writeSummary(summary);
  return summary;
}

export async function evaluateCheckpoint(spec: ClassifierSpec, opts: EvalOptions): Promise<Record<string, number>> {
  const cfg: ClassifierConfig = { ...spec.defaults };
  if (opts.dataset) cfg.dataset = opts.dataset as ClassifierConfig['dataset'];
  [cfg.mean, cfg.std] = DATASET_STATS[cfg.dataset];
  await ensureDataset(cfg.dataset, { dataDir: opts.dataDir });
  const model = spec.build(cfg.model, 1);
  model.loadStateDict(new Map(Object.entries(loadWeights(opts.checkpoint))), { strict: true });
  const r = evaluateClassifier(model, loadSplit(cfg, 'test', opts.dataDir), cfg);
  return { test_accuracy: r.accuracy, test_loss: r.loss };
}
