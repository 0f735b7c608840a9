// The article's "sensitive to initialization": the Multi30k Transformer for a short budget at a learning rate above
// the recipe's, with and without a linear learning-rate warm-up, with LayerNorm after each residual sum (post-norm,
// Vaswani et al.) and before each sublayer (pre-norm). At initialisation a post-norm stack's gradients near the
// output are large (Xiong et al. 2020), so Adam's first full-size steps can knock it into a poor region unless the
// rate starts small; pre-norm keeps the residual path an identity and trains without warm-up.
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { trainTranslation } from '../train/translation.ts';
import { commonFlags, num, outDir, formatTable, report, writePanels, requirePositiveInt, type Flags } from './common.ts';
import type { Experiment } from './index.ts';

interface Variant { name: string; normFirst: boolean; warmup: boolean }

const VARIANTS: Variant[] = [
  { name: 'post-norm, no warm-up', normFirst: false, warmup: false },
  { name: 'post-norm, warm-up', normFirst: false, warmup: true },
  { name: 'pre-norm, no warm-up', normFirst: true, warmup: false },
  { name: 'pre-norm, warm-up', normFirst: true, warmup: true },
];

/** Mean of the last k values. */
const tailMean = (xs: number[], k: number) => xs.slice(-k).reduce((a, b) => a + b, 0) / Math.min(k, xs.length);

export const transformerWarmup: Experiment = {
  summary: 'Multi30k Transformer, short budget: with/without lr warm-up, post- vs pre-norm (sensitivity to the start)',
  flags: {
    ...commonFlags,
    steps: { type: 'number', help: 'training steps per variant (default 400; --quick 8)' },
    lr: { type: 'number', help: 'peak Adam learning rate (default 1e-3, twice the recipe\'s)' },
    warmup: { type: 'number', help: 'warm-up steps of the warm-up variants (default 200; --quick 4)' },
    layers: { type: 'number', help: 'encoder and decoder layers each (default 6)' },
    'batch-size': { type: 'number', help: 'sentence pairs per batch (default 128; --quick 16)' },
  },
  async run(flags: Flags) {
    const quick = !!flags.quick;
    const steps = requirePositiveInt('steps', num(flags, 'steps', 400, 8));
    const lr = num(flags, 'lr', 1e-3, 1e-3);
    const warmup = requirePositiveInt('warmup', num(flags, 'warmup', 200, 4));
    const layers = requirePositiveInt('layers', num(flags, 'layers', 6, 1));
    const batch = requirePositiveInt('batch-size', num(flags, 'batch-size', 128, 16));
    const dir = outDir(flags, 'transformer-warmup');
    const dataDir = typeof flags['data-dir'] === 'string' ? flags['data-dir'] : undefined;
    const seed = Number(flags.seed ?? 1);
    const small: Record<string, string> = quick ? { trainLimit: '160', validLimit: '16', 'model.dModel': '32', 'model.nhead': '2', 'model.dimFeedforward': '32' } : {};
    const rows: (string | number)[][] = [];
    const results: Record<string, unknown>[] = [];
    const curves: { name: string; x: number[]; y: number[] }[] = [];
    for (const v of VARIANTS) {
      const out = join(dir, v.name.replace(/[^a-z]+/g, '-'));
      if (existsSync(out)) rmSync(out, { recursive: true, force: true });
      const t0 = Date.now();
      let error: string | null = null;
      try {
        await trainTranslation({
          out, seed, lr, batchSize: batch, maxSteps: steps, dataDir, checkpointMinutes: 1e6,
          set: {
            ...small, finalTest: 'false', validBleu: 'true', warmupSteps: String(v.warmup ? warmup : 0),
            'model.normFirst': String(v.normFirst), 'model.numEncoderLayers': String(layers), 'model.numDecoderLayers': String(layers),
          },
        });
      } catch (e) {
        error = (e as Error).message.split('\n')[0]; // a diverged run: the loop stops it with an error
      }
      const seconds = (Date.now() - t0) / 1000;
      const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
      const train = lines.filter((m) => m.loss !== undefined);
      const evals = lines.filter((m) => m.validLoss !== undefined);
      const last = evals[evals.length - 1];
      curves.push({ name: v.name, x: train.map((m) => m.step), y: train.map((m) => m.loss) });
      const r = {
        variant: v.name, normFirst: v.normFirst, warmupSteps: v.warmup ? warmup : 0, steps: train.length ? train[train.length - 1].step : 0,
        finalTrainLoss: tailMean(train.map((m) => m.loss), 3), validLoss: last?.validLoss ?? NaN, validBleu: last?.validBleu ?? NaN, seconds, error,
      };
      results.push(r);
      rows.push([v.name, r.steps, r.finalTrainLoss.toFixed(3), Number.isFinite(r.validLoss) ? r.validLoss.toFixed(3) : 'n/a',
        Number.isFinite(r.validBleu) ? r.validBleu.toFixed(2) : 'n/a', error ? 'diverged' : '']);
    }
    const table = formatTable(['variant', 'steps', 'train loss (last logs)', 'valid loss', 'valid BLEU (greedy)', ''], rows) +
      `\n${layers}+${layers} layers, peak lr ${lr}, warm-up ${warmup} steps, batch ${batch}, ${steps} steps per variant`;
    report(dir, table, { lr, warmup, layers, batch, steps, results });
    writePanels(join(dir, 'transformer-warmup.png'), [
      { series: curves, opts: { title: `training loss, ${layers}+${layers} layers, lr ${lr}`, xLabel: 'step', yLabel: 'cross-entropy' } },
    ]);
  },
};
