// Recipes for the graph models: GCN node classification (Kipf & Welling 2017's setup) and GAE link prediction
// (Kipf & Welling 2016). Full-batch training; the adjacency is sparse throughout.
import { Tensor } from '../../tensor.ts';
import { noGrad } from '../../autograd.ts';
import { manualSeed, Generator } from '../../random.ts';
import { crossEntropy, binaryCrossEntropyWithLogits } from '../../ops/loss.ts';
import { indexSelect } from '../../ops/indexing.ts';
import { cat } from '../../ops/shape.ts';
import { Adam } from '../../optim/index.ts';
import type { Module } from '../../nn/module.ts';
import { GCN, GAE, normalizedAdjacency, rowNormalize, gcnDefaults, gaeDefaults } from '../../models/gcn.ts';
import { loadPlanetoid, ensureDataset, planetoidNames, type PlanetoidData, type PlanetoidName } from '../../data/index.ts';
import type { Summary } from '../run.ts';
import { startRun, resolveWeights } from '../loop.ts';
import { loadWeights } from '../checkpoint.ts';
import { rocAuc, averagePrecision } from '../metrics.ts';
import type { Recipe, TrainOptions, EvalOptions } from '../recipe.ts';

export interface GcnRecipeConfig {
  dataset: PlanetoidName;
  epochs: number;
  lr: number;
  /** L2 on the first layer's weights only, as in the paper. */
  weightDecay: number;
  hidden: number;
  dropout: number;
  /** Stop when the validation cost (cross-entropy + the L2 term) exceeds the mean of the previous `earlyStopping` epochs (0 = off). */
  earlyStopping: number;
  /** Independent runs with seeds seed, seed+1, …; the summary reports their mean test accuracy. */
  seeds: number;
  seed: number;
}

export const gcnRecipeDefaults: GcnRecipeConfig = {
  dataset: 'cora', epochs: 200, lr: 0.01, weightDecay: 5e-4, hidden: gcnDefaults.hidden, dropout: gcnDefaults.dropout,
  earlyStopping: 10, seeds: 10, seed: 1,
};

/** Row-normalized sparse features (Kipf's preprocess_features). */
function features(data: PlanetoidData) {
  const f = data.features;
  return rowNormalize(data.numNodes, data.numFeatures, f.indptr, f.indices, f.data);
}

function graphInputs(data: PlanetoidData) {
  return { x: features(data), adj: normalizedAdjacency(data.numNodes, data.edges.row, data.edges.col) };
}

const idxTensor = (a: Int32Array) => new Tensor(a, [a.length]);

function sumOfSquares(t: Tensor): number {
  let s = 0;
  for (let i = 0; i < t.size; i++) s += t.data[i] * t.data[i];
  return s;
}

function accuracy(logits: Tensor, labels: Int32Array, idx: Int32Array): number {
  const pred = indexSelect(logits, 0, idxTensor(idx)).argmax(1);
  let c = 0;
  for (let i = 0; i < idx.length; i++) if (pred.data[i] === labels[idx[i]]) c++;
  return c / idx.length;
}

/** One seed's training; returns the final model's test accuracy. */
function trainOneGcn(data: PlanetoidData, inputs: ReturnType<typeof graphInputs>, cfg: GcnRecipeConfig, seed: number, log: (m: { epoch: number } & Record<string, number>) => void) {
  manualSeed(seed);
  const model = new GCN(data.numFeatures, data.numClasses, { hidden: cfg.hidden, dropout: cfg.dropout });
  const opt = new Adam([
    { params: model.conv1.parameters(), weightDecay: cfg.weightDecay },
    { params: model.conv2.parameters(), weightDecay: 0 },
  ], { lr: cfg.lr });
  const labels = new Tensor(data.labels, [data.numNodes]);
  const pick = (t: Tensor, idx: Int32Array) => indexSelect(t, 0, idxTensor(idx));
  const valLosses: number[] = [];
  let epoch = 0, lastLoss = NaN;
  for (; epoch < cfg.epochs; epoch++) {
    model.train();
    const logits = model.forward(inputs.x, inputs.adj);
    const loss = crossEntropy(pick(logits, data.trainIdx), pick(labels, data.trainIdx));
    lastLoss = loss.item();
    opt.zeroGrad();
    loss.backward();
    opt.step();
    model.eval();
    const evalLogits = noGrad(() => model.forward(inputs.x, inputs.adj));
    const valLoss = noGrad(() => crossEntropy(pick(evalLogits, data.valIdx), pick(labels, data.valIdx)).item());
    log({ seed, epoch: epoch + 1, loss: loss.item(), valLoss, valAccuracy: accuracy(evalLogits, data.labels, data.valIdx) });
    // Kipf's stopping rule watches his model.loss on the validation nodes: the cross-entropy plus the first layer's
    // L2 term wd·‖W0‖²/2, and only once more than k + 1 epochs have run
    valLosses.push(valLoss + 0.5 * cfg.weightDecay * sumOfSquares(model.conv1.weight));
    const k = cfg.earlyStopping;
    if (k > 0 && valLosses.length > k + 1) {
      const prev = valLosses.slice(-k - 1, -1);
      if (valLosses[valLosses.length - 1] > prev.reduce((s, v) => s + v, 0) / k) { epoch++; break; }
    }
  }
  model.eval();
  const logits = noGrad(() => model.forward(inputs.x, inputs.adj));
  return { model, epochs: epoch, loss: lastLoss, testAccuracy: accuracy(logits, data.labels, data.testIdx) };
}

interface SeedRun {
  model: Module;
  /** Test metrics of this seed, logged as they are. */
  test: Record<string, number>;
  steps: number;
  /** The last training loss. */
  loss: number;
  /** One line for the console. */
  line: string;
}

interface SeedRecord { seed: number; steps: number; test: Record<string, number> }

/**
 * The driver both graph recipes share: independent full-batch runs with seeds seed, seed+1, …, one per step of the
 * shared loop (so a stopped run resumes at the next seed), each seed's test metrics logged, the first seed's
 * weights kept as the run's model.
 */
async function overSeeds<C extends { dataset: PlanetoidName; seeds: number; seed: number }>(
  name: string, defaults: C, opts: TrainOptions,
  build: (data: PlanetoidData, cfg: C) => Module,
  one: (data: PlanetoidData, cfg: C, seed: number, log: (m: { epoch: number } & Record<string, number>) => void) => SeedRun,
) {
  const tr = await startRun({
    model: name, defaults, schema: { choices: { dataset: planetoidNames } },
    prepare: async (cfg, o) => {
      if (!Number.isInteger(cfg.seeds) || cfg.seeds < 1) throw new Error(`${name}: seeds must be a positive integer, got ${cfg.seeds}`);
      await ensureDataset(cfg.dataset, { dataDir: o.dataDir });
      return loadPlanetoid(cfg.dataset, { dataDir: o.dataDir });
    },
  }, opts);
  const { cfg, data } = tr;
  const records: SeedRecord[] = [];
  // the first seed's model is the run's model; on resume it comes back from the checkpoint
  const first = build(data, cfg);
  try {
    await tr.loop({
      parts: { model: first },
      totalSteps: cfg.seeds,
      logEvery: 1,
      step: ({ step }) => {
        const seed = cfg.seed + step;
        const r = one(data, cfg, seed, (m) => tr.log({ step: m.epoch, ...m }));
        if (step === 0) first.loadStateDict(r.model.stateDict());
        records.push({ seed, steps: r.steps, test: r.test });
        tr.log({ step: r.steps, epoch: r.steps, seed, ...r.test });
        process.stderr.write(`${name} ${cfg.dataset} seed ${seed}: ${r.line}\n`);
        return { loss: r.loss };
      },
      extra: () => records,
      restore: (extra) => { records.push(...(extra as SeedRecord[])); },
    });
  } catch (e) {
    tr.close();
    throw e;
  }
  return { tr, cfg, records };
}

const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

async function trainGcn(opts: TrainOptions): Promise<Summary> {
  let inputs: ReturnType<typeof graphInputs> | undefined; // the same graph for every seed: build it once
  const build = (data: PlanetoidData, cfg: GcnRecipeConfig) => new GCN(data.numFeatures, data.numClasses, { hidden: cfg.hidden, dropout: cfg.dropout });
  const { tr, records } = await overSeeds('gcn', gcnRecipeDefaults, opts, build, (data, cfg, seed, log) => {
    const r = trainOneGcn(data, (inputs ??= graphInputs(data)), cfg, seed, log);
    return { model: r.model, test: { testAccuracy: r.testAccuracy }, steps: r.epochs, loss: r.loss, line: `${r.epochs} epochs, test accuracy ${(100 * r.testAccuracy).toFixed(1)}%` };
  });
  const accs = records.map((r) => r.test.testAccuracy);
  const m = mean(accs);
  const std = Math.sqrt(mean(accs.map((a) => (a - m) ** 2)));
  return tr.finish({ metric: 'mean_test_accuracy', value: m, steps: records.reduce((t, r) => t + r.steps, 0), seeds: records.length, std, accuracies: accs });
}

async function evalGcn(opts: EvalOptions): Promise<Record<string, number>> {
  await ensureDataset(opts.dataset ?? 'cora', { dataDir: opts.dataDir });
  const data = loadPlanetoid((opts.dataset ?? 'cora') as PlanetoidName, { dataDir: opts.dataDir });
  const inputs = graphInputs(data);
  const w = loadWeights(resolveWeights(opts.checkpoint));
  const hidden = w['conv1.weight']?.shape[1];
  if (!hidden) throw new Error(`gcn: ${opts.checkpoint} has no 'conv1.weight'; is it a gcn checkpoint?`);
  const model = new GCN(data.numFeatures, data.numClasses, { hidden });
  model.loadStateDict(new Map(Object.entries(w)));
  model.eval();
  const logits = noGrad(() => model.forward(inputs.x, inputs.adj));
  return { test_accuracy: accuracy(logits, data.labels, data.testIdx) };
}

// ---------------------------------------------------------------- GAE link prediction

export interface GaeRecipeConfig {
  dataset: PlanetoidName;
  epochs: number;
  lr: number;
  hidden: number;
  latent: number;
  /** Fractions of the undirected edges held out for validation and test. */
  valFraction: number;
  testFraction: number;
  /** Sampled non-edges per positive edge in each training step. */
  negativesPerPositive: number;
  /** Independent runs (each with its own edge split) with seeds seed, seed+1, …; the summary reports the means. */
  seeds: number;
  seed: number;
}

export const gaeRecipeDefaults: GaeRecipeConfig = {
  dataset: 'cora', epochs: 200, lr: 0.01, hidden: gaeDefaults.hidden, latent: gaeDefaults.latent,
  valFraction: 0.05, testFraction: 0.1, negativesPerPositive: 3, seeds: 10, seed: 1,
};

interface PairSet { src: Int32Array; dst: Int32Array }

/**
 * Splits the undirected edges (i < j) into train/val/test at random and draws as many non-edges for val and
 * test (pairs i ≠ j absent from the whole graph, each once).
 */
export function splitEdges(data: { numNodes: number; edges: { row: Int32Array; col: Int32Array } }, valFraction: number, testFraction: number, gen: Generator) {
  const n = data.numNodes;
  const und: number[] = [];
  const key = (i: number, j: number) => (i < j ? i * n + j : j * n + i);
  const present = new Set<number>();
  for (let k = 0; k < data.edges.row.length; k++) {
    const i = data.edges.row[k], j = data.edges.col[k];
    if (i === j) continue;
    const kk = key(i, j);
    if (!present.has(kk)) { present.add(kk); und.push(kk); }
  }
  const perm = gen.permutation(und.length);
  const nTest = Math.floor(und.length * testFraction), nVal = Math.floor(und.length * valFraction);
  const take = (from: number, to: number): PairSet => {
    const src = new Int32Array(to - from), dst = new Int32Array(to - from);
    for (let k = from; k < to; k++) { const e = und[perm[k]]; src[k - from] = Math.floor(e / n); dst[k - from] = e % n; }
    return { src, dst };
  };
  const test = take(0, nTest), val = take(nTest, nTest + nVal), train = take(nTest + nVal, und.length);
  const used = new Set<number>();
  const negatives = (count: number): PairSet => {
    const src = new Int32Array(count), dst = new Int32Array(count);
    for (let k = 0; k < count;) {
      const i = gen.randint(0, n), j = gen.randint(0, n);
      const kk = key(i, j);
      if (i === j || present.has(kk) || used.has(kk)) continue;
      used.add(kk); src[k] = i; dst[k] = j; k++;
    }
    return { src, dst };
  };
  return { train, val, test, valNeg: negatives(val.src.length), testNeg: negatives(test.src.length), present, key };
}

function scorePairs(model: GAE, z: Tensor, pos: PairSet, neg: PairSet) {
  const logits = noGrad(() => cat([model.decode(z, pos.src, pos.dst), model.decode(z, neg.src, neg.dst)]));
  const labels = new Float32Array(pos.src.length + neg.src.length);
  labels.fill(1, 0, pos.src.length);
  return { auc: rocAuc(logits.data, labels), ap: averagePrecision(logits.data, labels) };
}

/** One seed: a fresh edge split, 200 full-batch steps; returns test ROC-AUC and AP. */
function trainOneGae(data: PlanetoidData, cfg: GaeRecipeConfig, seed: number, log: (m: { epoch: number } & Record<string, number>) => void) {
  manualSeed(seed);
  const gen = new Generator(seed);
  const split = splitEdges(data, cfg.valFraction, cfg.testFraction, gen);
  // the encoder only sees training edges
  const row = Int32Array.from([...split.train.src, ...split.train.dst]);
  const col = Int32Array.from([...split.train.dst, ...split.train.src]);
  const adj = normalizedAdjacency(data.numNodes, row, col);
  const x = features(data);
  const model = new GAE(data.numFeatures, { hidden: cfg.hidden, latent: cfg.latent });
  const opt = new Adam(model.parameters(), { lr: cfg.lr });
  const nPos = split.train.src.length, nNeg = nPos * cfg.negativesPerPositive;
  const target = new Tensor(new Float32Array(nPos + nNeg).fill(1, 0, nPos), [nPos + nNeg]);
  let lastLoss = NaN;
  for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
    // fresh negatives each step: random pairs that are not edges of the graph
    const ns = new Int32Array(nNeg), nd = new Int32Array(nNeg);
    for (let k = 0; k < nNeg;) {
      const i = gen.randint(0, data.numNodes), j = gen.randint(0, data.numNodes);
      if (i === j || split.present.has(split.key(i, j))) continue;
      ns[k] = i; nd[k] = j; k++;
    }
    const z = model.forward(x, adj);
    const logits = cat([model.decode(z, split.train.src, split.train.dst), model.decode(z, ns, nd)]);
    const loss = binaryCrossEntropyWithLogits(logits, target);
    lastLoss = loss.item();
    opt.zeroGrad();
    loss.backward();
    opt.step();
    if (epoch % 20 === 0 || epoch === cfg.epochs) {
      const val = scorePairs(model, noGrad(() => model.forward(x, adj)), split.val, split.valNeg);
      log({ seed, epoch, loss: loss.item(), valAuc: val.auc, valAp: val.ap });
    }
  }
  const test = scorePairs(model, noGrad(() => model.forward(x, adj)), split.test, split.testNeg);
  return { model, loss: lastLoss, ...test };
}

async function trainGae(opts: TrainOptions): Promise<Summary> {
  const build = (data: PlanetoidData, cfg: GaeRecipeConfig) => new GAE(data.numFeatures, { hidden: cfg.hidden, latent: cfg.latent });
  const { tr, cfg, records } = await overSeeds('gae', gaeRecipeDefaults, opts, build, (data, c, seed, log) => {
    const r = trainOneGae(data, c, seed, log);
    return { model: r.model, test: { testAuc: r.auc, testAp: r.ap }, steps: c.epochs, loss: r.loss, line: `test ROC-AUC ${r.auc.toFixed(4)}, AP ${r.ap.toFixed(4)}` };
  });
  const aucs = records.map((r) => r.test.testAuc), aps = records.map((r) => r.test.testAp);
  return tr.finish({ metric: 'mean_test_roc_auc', value: mean(aucs), steps: cfg.epochs * records.length, seeds: records.length, averagePrecision: mean(aps), aucs, aps });
}

async function evalGae(): Promise<Record<string, number>> {
  throw new Error('gae: a checkpoint does not record its edge split; the test AUC/AP are in the run\'s summary.json');
}

export const gcn: Recipe = {
  name: 'gcn', title: 'GNN: GCN (2-layer graph convolutional network)', task: 'Cora node classification',
  reference: '81.5% test accuracy (Kipf & Welling 2017)', train: trainGcn, evaluate: evalGcn,
};
export const gae: Recipe = {
  name: 'gae', title: 'Graph auto-encoder (GCN encoder, inner-product decoder)', task: 'Cora link prediction',
  reference: 'ROC-AUC 0.910, AP 0.920 (Kipf & Welling 2016, GAE)', train: trainGae, evaluate: evalGae,
};
