// Claim: parameters are not what buys accuracy on images — architecture is. A convolutional net shares each small
// kernel across the whole image, so LeNet-5 (62K weights) matches or beats a 636K-weight MLP, and a deep residual
// net (ResNet-20, 0.27M) beats both, at a higher compute cost per example.
// Here: the three recipes (mlp, lenet, resnet) trained by trainClassifier on the same Fashion-MNIST subset for the
// same number of epochs and batch size, each with its recipe's optimiser settings and no augmentation.
import { readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { backendName } from '../backend/index.ts';
import { loadFashionMnist } from '../data/index.ts';
import { trainClassifier, evaluateClassifier, type ClassifierConfig, type ClassifierSpec } from '../train/classify.ts';
import { loadWeights } from '../train/checkpoint.ts';
import { mlpSpec, lenetSpec, resnetSpec } from '../train/recipes/classifiers.ts';
import type { MetricsLine } from '../train/run.ts';
import { SERIES_COLORS } from '../viz/plot.ts';
import { UsageError } from '../util/flags.ts';
import type { Experiment } from './index.ts';
import { commonFlags, num, outDir, formatTable, pct, report, writePanels, requirePositiveInt, type Flags } from './common.ts';

const NAME = 'params-vs-accuracy';

export interface ModelResult {
  name: string;
  recipe: string;
  parameters: number;
  /** Test accuracy after each epoch. */
  testAccuracy: number[];
  finalAccuracy: number;
  /** Wall-clock seconds of the whole trainClassifier call (training plus one test evaluation per epoch). */
  seconds: number;
  /** Training examples per second, with the test evaluations' time taken out. */
  trainExamplesPerSec: number;
  /** Test (inference, eval mode) examples per second. */
  testExamplesPerSec: number;
  /** Logged training loss: steps and values. */
  lossSteps: number[];
  loss: number[];
}

export interface ParamsOptions {
  out: string;
  dataDir?: string;
  seed: number;
  epochs: number;
  batchSize: number;
  trainSize: number;
  testSize: number;
  quick: boolean;
}

export async function runParamsVsAccuracy(o: ParamsOptions): Promise<{ table: string; results: Record<string, unknown> } | null> {
  // --quick shrinks the two big models so that the whole run takes seconds on the TypeScript backend
  const models: { name: string; spec: ClassifierSpec; set: Record<string, string> }[] = [
    { name: o.quick ? 'MLP 784-128-10' : 'MLP 784-800-10', spec: mlpSpec, set: o.quick ? { 'model.hidden': '128' } : {} },
    { name: 'LeNet-5', spec: lenetSpec, set: {} },
    { name: o.quick ? 'ResNet-20 (4/8/16)' : 'ResNet-20', spec: resnetSpec, set: { 'model.depth': '20', ...(o.quick ? { 'model.widths': '4/8/16' } : {}) } },
  ];
  if (o.trainSize < o.batchSize) throw new UsageError(`${NAME}: ${o.trainSize} training examples make no batch of ${o.batchSize}`);
  const test = loadFashionMnist({ split: 'test', dataDir: o.dataDir, limit: o.testSize });
  const results: ModelResult[] = [];
  for (const m of models) {
    const dir = join(o.out, 'runs', m.spec.name);
    if (existsSync(join(dir, 'config.json'))) rmSync(dir, { recursive: true, force: true }); // this experiment's own old run
    const s = await trainClassifier(m.spec, {
      out: dir, dataDir: o.dataDir, seed: o.seed, epochs: o.epochs, batchSize: o.batchSize, dataset: 'fashion-mnist',
      set: { trainLimit: String(o.trainSize), testLimit: String(o.testSize), cropPadding: '0', flip: 'false', ...m.set },
    });
    const stepsPerEpoch = Math.floor(o.trainSize / o.batchSize);
    if (s.steps < o.epochs * stepsPerEpoch) { process.stderr.write(`${NAME}: interrupted during ${m.name}; no table written\n`); return null; }
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsLine);
    const acc = lines.filter((l) => typeof l.testAccuracy === 'number').map((l) => l.testAccuracy as number);
    const lossLines = lines.filter((l) => typeof l.loss === 'number');
    // time one more test evaluation of the final weights, to take the per-epoch evaluations out of the training time
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as ClassifierConfig;
    const model = m.spec.build(cfg.model, 1);
    model.loadStateDict(new Map(Object.entries(loadWeights(join(dir, 'model.safetensors')))), { strict: true });
    const t0 = performance.now();
    evaluateClassifier(model, test, cfg);
    const evalSeconds = (performance.now() - t0) / 1000;
    const trainSeconds = Math.max(1e-3, s.seconds - acc.length * evalSeconds);
    results.push({
      name: m.name, recipe: m.spec.name, parameters: s.parameters as number, testAccuracy: acc, finalAccuracy: s.value,
      seconds: s.seconds, trainExamplesPerSec: (s.steps * o.batchSize) / trainSeconds, testExamplesPerSec: test.n / Math.max(1e-3, evalSeconds),
      lossSteps: lossLines.map((l) => l.step), loss: lossLines.map((l) => l.loss as number),
    });
    process.stderr.write(`${NAME}: ${m.name}: ${pct(s.value)} test accuracy after ${o.epochs} epochs, ${s.seconds.toFixed(0)} s\n`);
  }

  const byAcc = [...results].sort((a, b) => b.finalAccuracy - a.finalAccuracy);
  const mlp = results[0], lenet = results[1];
  const ranking = `ranking by test accuracy: ${byAcc.map((r) => `${r.name} ${pct(r.finalAccuracy)}`).join(' > ')}`;
  const note = lenet.finalAccuracy >= mlp.finalAccuracy
    ? `LeNet-5 reaches ${pct(lenet.finalAccuracy)} with ${(mlp.parameters / lenet.parameters).toFixed(1)}× fewer parameters than the MLP (${pct(mlp.finalAccuracy)})`
    : `not shown in this run: the MLP (${pct(mlp.finalAccuracy)}, ${mlp.parameters.toLocaleString('en-US')} parameters) beat LeNet-5 (${pct(lenet.finalAccuracy)}, ${lenet.parameters.toLocaleString('en-US')}); the budget may be too small for LeNet-5 — try more --epochs or --train-size`;
  const table = [
    `${NAME}: MLP vs LeNet-5 vs ResNet-20 on Fashion-MNIST, backend ${backendName()}, seed ${o.seed}${o.quick ? ' (--quick)' : ''}`,
    `${o.epochs} epochs on ${o.trainSize} training examples, batch ${o.batchSize}, each recipe's SGD settings (cosine schedule), no augmentation; test on ${test.n} examples`,
    '',
    formatTable(['model', 'parameters', 'test accuracy', 'train time (s)', 'train ex/s', 'test ex/s'],
      results.map((r) => [r.name, r.parameters.toLocaleString('en-US'), pct(r.finalAccuracy), r.seconds.toFixed(1), r.trainExamplesPerSec.toFixed(0), r.testExamplesPerSec.toFixed(0)])),
    '',
    formatTable(['epoch', ...results.map((r) => r.name)], Array.from({ length: o.epochs }, (_, e) => [String(e + 1), ...results.map((r) => pct(r.testAccuracy[e]))])),
    '',
    ranking,
    note,
    'train time includes one test evaluation per epoch; train ex/s has those evaluations taken out',
  ].join('\n');

  const plot = join(o.out, `${NAME}.png`);
  const epochs = Array.from({ length: o.epochs }, (_, e) => e + 1);
  writePanels(plot, [
    { series: results.map((r, k) => ({ name: `${r.name} (${(r.parameters / 1000).toFixed(0)}K)`, x: epochs, y: r.testAccuracy.map((v) => 100 * v), color: SERIES_COLORS[k] })),
      opts: { title: 'test accuracy (%) by epoch', xLabel: 'epoch', yLabel: 'accuracy %', width: 520, height: 400 } },
    // each epoch costs about the same, so epoch e ends near e/E of the run's wall-clock time
    { series: results.map((r, k) => ({ name: r.name, x: epochs.map((e) => (e * r.seconds) / o.epochs), y: r.testAccuracy.map((v) => 100 * v), color: SERIES_COLORS[k] })),
      opts: { title: 'test accuracy (%) by wall-clock time', xLabel: 'seconds (epoch ends, assuming equal epochs)', yLabel: 'accuracy %', width: 520, height: 400 } },
  ]);

  return {
    table,
    results: {
      experiment: NAME, backend: backendName(), seed: o.seed, quick: o.quick,
      config: { epochs: o.epochs, batchSize: o.batchSize, trainSize: o.trainSize, testSize: test.n, dataset: 'fashion-mnist', augment: false },
      models: results, ranking: byAcc.map((r) => r.name), plot,
    },
  };
}

export const paramsVsAccuracy: Experiment = {
  summary: 'MLP vs LeNet-5 vs ResNet-20 on Fashion-MNIST: parameters, accuracy, time and throughput',
  flags: {
    ...commonFlags,
    epochs: { type: 'number', help: 'epochs for every model (default 5; --quick 2)' },
    'train-size': { type: 'number', help: 'training examples used (default 60000, the whole split; --quick 128)' },
    'test-size': { type: 'number', help: 'test examples (default 10000, the whole split; --quick 64)' },
    'batch-size': { type: 'number', help: 'examples per batch (default 128; --quick 16)' },
  },
  async run(flags: Flags) {
    const dir = outDir(flags, NAME);
    const r = await runParamsVsAccuracy({
      out: dir, dataDir: flags['data-dir'] as string | undefined, seed: flags.seed as number, quick: Boolean(flags.quick),
      epochs: requirePositiveInt('epochs', num(flags, 'epochs', 5, 2)),
      batchSize: requirePositiveInt('batch-size', num(flags, 'batch-size', 128, 16)),
      trainSize: Math.min(60000, requirePositiveInt('train-size', num(flags, 'train-size', 60000, 128))),
      testSize: requirePositiveInt('test-size', num(flags, 'test-size', 10000, 64)),
    });
    if (r) report(dir, r.table, r.results);
  },
};
