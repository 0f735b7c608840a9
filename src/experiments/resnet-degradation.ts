// Claim (He et al. 2016, Fig. 1 and 4): stacking more layers on a plain convolutional net makes its *training* error
// higher, not lower — an optimisation difficulty, not overfitting ("degradation") — while the same nets with identity
// shortcuts (ResNets) get better, or at least no worse, with depth.
// Here: plain and residual nets at two depths (default 20 and 56, the paper's pair), same data, epochs, lr schedule
// and seed, trained
// with trainClassifier; after every epoch the training error is measured in eval mode on a fixed subset of the
// training examples, and the test error on the test subset.
import { join } from 'node:path';
import { backendName } from '../backend/index.ts';
import { loadFashionMnist } from '../data/index.ts';
import { resnetSpec } from '../train/recipes/classifiers.ts';
import { SERIES_COLORS } from '../viz/plot.ts';
import { UsageError } from '../util/flags.ts';
import type { Experiment } from './index.ts';
import { commonFlags, num, numList, outDir, formatTable, pct, report, writePanels, trainByEpoch, requirePositiveInt, type Flags } from './common.ts';

const NAME = 'resnet-degradation';

export interface NetResult {
  name: string;
  depth: number;
  plain: boolean;
  parameters: number;
  /** Per epoch, 1…E. */
  trainError: number[];
  testError: number[];
  seconds: number;
}

export interface DegradationOptions {
  out: string;
  dataDir?: string;
  seed: number;
  depths: [number, number];
  widths: [number, number, number];
  epochs: number;
  batchSize: number;
  lr: number;
  trainSize: number;
  evalSize: number;
  testSize: number;
  augment: boolean;
  quick: boolean;
}

/** Standard error of the difference of two error rates measured on n examples each. */
function seDiff(p: number, q: number, n: number): number {
  return Math.sqrt((p * (1 - p) + q * (1 - q)) / n);
}

export async function runResnetDegradation(o: DegradationOptions): Promise<{ table: string; results: Record<string, unknown> } | null> {
  const [shallow, deep] = o.depths;
  const trainEval = loadFashionMnist({ split: 'train', dataDir: o.dataDir, limit: Math.min(o.evalSize, o.trainSize) });
  const nets = [
    { name: `plain-${shallow}`, depth: shallow, plain: true },
    { name: `plain-${deep}`, depth: deep, plain: true },
    { name: `resnet-${shallow}`, depth: shallow, plain: false },
    { name: `resnet-${deep}`, depth: deep, plain: false },
  ];
  const results: NetResult[] = [];
  for (const net of nets) {
    const r: NetResult = { ...net, parameters: 0, trainError: [], testError: [], seconds: 0 };
    const done = await trainByEpoch(resnetSpec, {
      out: join(o.out, 'runs', net.name), dataDir: o.dataDir, seed: o.seed, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr,
      dataset: 'fashion-mnist', trainSize: o.trainSize,
      set: {
        trainLimit: String(o.trainSize), testLimit: String(o.testSize),
        cropPadding: o.augment ? '2' : '0', flip: String(o.augment),
        'model.depth': String(net.depth), 'model.plain': String(net.plain), 'model.widths': o.widths.join('/'), 'model.shortcut': 'A',
      },
    }, (e) => {
      r.trainError.push(1 - e.evaluate(trainEval).accuracy);
      r.testError.push(1 - e.testAccuracy);
      r.seconds += e.seconds;
      r.parameters = e.summary.parameters as number;
      process.stderr.write(`${NAME}: ${net.name} epoch ${e.epoch}/${o.epochs}: train error ${pct(r.trainError.at(-1)!)}, test error ${pct(r.testError.at(-1)!)}\n`);
    });
    if (!done) { process.stderr.write(`${NAME}: interrupted during ${net.name}; no table written\n`); return null; }
    results.push(r);
  }

  const final = (name: string) => results.find((r) => r.name === name)!.trainError.at(-1)!;
  const n = trainEval.n;
  const plainGap = final(`plain-${deep}`) - final(`plain-${shallow}`);
  const resGap = final(`resnet-${deep}`) - final(`resnet-${shallow}`);
  const plainSe = seDiff(final(`plain-${deep}`), final(`plain-${shallow}`), n);
  const resSe = seDiff(final(`resnet-${deep}`), final(`resnet-${shallow}`), n);
  // a difference counts when it exceeds two standard errors of the measurement on n training examples
  const degraded = plainGap > 2 * plainSe;
  const resOk = resGap <= 2 * resSe;
  const held = degraded && resOk;
  const gaps = `plain-${deep} − plain-${shallow} = ${(100 * plainGap).toFixed(2)} points (2 s.e. ${(200 * plainSe).toFixed(2)}), resnet-${deep} − resnet-${shallow} = ${(100 * resGap).toFixed(2)} points (2 s.e. ${(200 * resSe).toFixed(2)})`;
  let verdict: string;
  if (held) verdict = `claim held: the deeper plain net ends with the higher training error, the deeper ResNet does not (${gaps})`;
  else if (!degraded) verdict = `claim NOT shown in this run: the deeper plain net did not end with a measurably higher training error (${gaps}); the budget (${o.epochs} epochs on ${o.trainSize} examples) or the depth gap may be too small — try --depths 20,56 and more --epochs`;
  else verdict = `claim only half shown: the deeper plain net degrades, but the deeper ResNet also ends worse than the shallower one (${gaps}); with this short budget the deeper ResNet may not have converged`;

  const header = ['epoch', ...results.flatMap((r) => [`${r.name} train`, 'test'])];
  const rows = Array.from({ length: o.epochs }, (_, e) => [String(e + 1), ...results.flatMap((r) => [pct(r.trainError[e]), pct(r.testError[e])])]);
  const summary = formatTable(['net', 'parameters', 'final train error', 'final test error', 'seconds'],
    results.map((r) => [r.name, r.parameters.toLocaleString('en-US'), pct(r.trainError.at(-1)!), pct(r.testError.at(-1)!), r.seconds.toFixed(0)]));
  const table = [
    `${NAME}: plain vs residual nets on Fashion-MNIST, backend ${backendName()}, seed ${o.seed}${o.quick ? ' (--quick)' : ''}`,
    `${o.epochs} epochs on ${o.trainSize} training examples, batch ${o.batchSize}, SGD lr ${o.lr} momentum 0.9 wd 5e-4, cosine schedule, widths ${o.widths.join('/')}, augmentation ${o.augment ? 'crop+flip' : 'off'}`,
    `train error: eval mode on the first ${n} training examples; test error on ${o.testSize} test examples`,
    '',
    formatTable(header, rows),
    '',
    summary,
    '',
    verdict,
  ].join('\n');

  const plot = join(o.out, `${NAME}.png`);
  const epochs = Array.from({ length: o.epochs }, (_, e) => e + 1);
  // colours: plain nets in blue/orange, ResNets in green/red, the deeper of each pair second
  const series = (key: 'trainError' | 'testError') => results.map((r, k) => ({ name: r.name, x: epochs, y: r[key].map((v) => 100 * v), color: SERIES_COLORS[k] }));
  writePanels(plot, [
    { series: series('trainError'), opts: { title: 'training error (%)', xLabel: 'epoch', yLabel: 'error %', width: 520, height: 400 } },
    { series: series('testError'), opts: { title: 'test error (%)', xLabel: 'epoch', yLabel: 'error %', width: 520, height: 400 } },
  ]);

  return {
    table,
    results: {
      experiment: NAME, backend: backendName(), seed: o.seed, quick: o.quick,
      config: { depths: o.depths, widths: o.widths, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, trainSize: o.trainSize, evalSize: n, testSize: o.testSize, augment: o.augment, schedule: 'cosine', dataset: 'fashion-mnist' },
      nets: results,
      claim: { held, degraded, resnetNotWorse: resOk, plainGap, plainGapSe: plainSe, resnetGap: resGap, resnetGapSe: resSe, text: verdict },
      plot,
    },
  };
}

export const resnetDegradation: Experiment = {
  summary: 'plain vs residual nets at two depths on Fashion-MNIST: does the deeper plain net train worse?',
  flags: {
    ...commonFlags,
    depths: { type: 'string', help: 'the two depths, 6n+2 (default 20,56 as in the paper; --quick 8,14)' },
    epochs: { type: 'number', help: 'epochs for every net (default 12; --quick 2)' },
    'train-size': { type: 'number', help: 'training examples used (default 5000; --quick 128)' },
    'eval-size': { type: 'number', help: 'training examples the training error is measured on (default 2000; --quick 64)' },
    'test-size': { type: 'number', help: 'test examples (default 1000; --quick 64)' },
    'batch-size': { type: 'number', help: 'examples per batch (default 32: many steps per example, so the 56-layer nets converge; --quick 16)' },
    lr: { type: 'number', help: 'peak SGD learning rate, cosine decay (default 0.05)' },
    widths: { type: 'string', help: 'stage widths (default 16,32,64; --quick 4,8,16)' },
    augment: { type: 'boolean', help: 'random crop + flip as in the resnet recipe (default off: the claim is about fitting the training set)' },
  },
  async run(flags: Flags) {
    const depths = numList(flags, 'depths', [20, 56], [8, 14]);
    if (depths.length !== 2 || depths.some((d) => (d - 2) % 6 !== 0 || d < 8)) throw new UsageError(`--depths expects two depths of the form 6n+2 (8, 14, 20, 32, 56, …), got '${flags.depths}'`);
    if (depths[0] >= depths[1]) throw new UsageError(`--depths: the second depth must be the deeper, got ${depths.join(',')}`);
    const widths = numList(flags, 'widths', [16, 32, 64], [4, 8, 16]);
    if (widths.length !== 3 || widths.some((w) => !Number.isInteger(w) || w < 1)) throw new UsageError(`--widths expects three positive integers, got '${flags.widths}'`);
    const dir = outDir(flags, NAME);
    const r = await runResnetDegradation({
      out: dir, dataDir: flags['data-dir'] as string | undefined, seed: flags.seed as number, quick: Boolean(flags.quick),
      depths: depths as [number, number], widths: widths as [number, number, number],
      epochs: requirePositiveInt('epochs', num(flags, 'epochs', 12, 2)),
      batchSize: requirePositiveInt('batch-size', num(flags, 'batch-size', 32, 16)),
      lr: num(flags, 'lr', 0.05, 0.1),
      trainSize: Math.min(60000, requirePositiveInt('train-size', num(flags, 'train-size', 5000, 128))), // 60,000: the whole training split
      evalSize: requirePositiveInt('eval-size', num(flags, 'eval-size', 2000, 64)),
      testSize: requirePositiveInt('test-size', num(flags, 'test-size', 1000, 64)),
      augment: Boolean(flags.augment),
    });
    if (r) report(dir, r.table, r.results);
  },
};
